"""Generated instances are deterministic, valid and shaped like the districts.md figures."""

from __future__ import annotations

import math
import statistics
from collections import Counter

import pytest

from pricing.generate import bench_instance, default_policy, generate_instance
from pricing.io import instance_to_dict, load_instance
from pricing.tiers import schedule_total
from pricing.types import Instance, Policy


@pytest.fixture(scope="module")
def large() -> Instance:
    return generate_instance(3000, 8, seed=7)


def test_same_seed_same_instance_other_seed_other_instance() -> None:
    assert generate_instance(50, 4, 1) == generate_instance(50, 4, 1)
    assert generate_instance(50, 4, 1) != generate_instance(50, 4, 2)
    assert bench_instance(40, 3) == bench_instance(40, 3)


@pytest.mark.parametrize(("buyers", "offers", "seed"), [(1, 1, 0), (9, 2, 1), (200, 6, 2)])
def test_generated_instances_pass_validation(buyers: int, offers: int, seed: int) -> None:
    instance = generate_instance(buyers, offers, seed)
    assert load_instance(instance_to_dict(instance)) == instance
    assert len(instance.buyers) == buyers and len(instance.offers) == offers


def test_default_and_custom_policy() -> None:
    assert generate_instance(5, 2, 0).policy == default_policy()
    kinds = {(r.feature, r.kind) for r in default_policy().similarity}
    assert kinds == {
        ("enrollment", "max_ratio"),
        ("mbps_per_student", "max_ratio"),
        ("locale", "same"),
    }
    assert generate_instance(5, 2, 0, policy=Policy()).policy == Policy()


def test_enrollment_matches_the_district_table(large: Instance) -> None:
    students = [b.features["enrollment"] for b in large.buyers]
    logs = [math.log(s) for s in students]  # type: ignore[arg-type]
    assert 950 <= statistics.median(students) <= 1250  # real median 1,139
    assert abs(statistics.fmean(logs) - 6.98) < 0.15
    assert abs(statistics.stdev(logs) - 1.55) < 0.12
    assert all(40 <= s <= 1_000_000 and isinstance(s, int) for s in students)


def test_locale_shares_and_medians(large: Instance) -> None:
    shares = Counter(b.features["locale"] for b in large.buyers)
    for locale, share in [("rural", 0.52), ("suburban", 0.23), ("town", 0.19), ("urban", 0.06)]:
        assert abs(shares[locale] / 3000 - share) < 0.03, locale
    medians = {
        locale: statistics.median(
            b.features["enrollment"] for b in large.buyers if b.features["locale"] == locale
        )
        for locale in shares
    }
    assert medians["rural"] < medians["town"] < medians["suburban"] < medians["urban"]


def test_bandwidth_per_student(large: Instance) -> None:
    kbps = [b.features["mbps_per_student"] * 1000 for b in large.buyers]  # type: ignore[operator]
    assert 165 <= statistics.median(kbps) <= 230  # real median 195
    log_students = [math.log(b.features["enrollment"]) for b in large.buyers]  # type: ignore[arg-type]
    correlation = statistics.correlation(log_students, [math.log(k) for k in kbps])
    assert -0.5 < correlation < -0.25  # real -0.37
    assert all(b.features["mbps_per_student"] > 0 for b in large.buyers)  # type: ignore[operator]


def test_buyers_quantities_ids_ceilings_and_restrictions(large: Instance) -> None:
    assert all(1 <= b.quantity <= b.features["enrollment"] for b in large.buyers)  # type: ignore[operator]
    assert all(len(b.id) == 7 and b.id.isdigit() for b in large.buyers)
    assert len({b.id for b in large.buyers}) == 3000
    with_ceiling = [b for b in large.buyers if b.max_unit_amount is not None]
    assert 0.28 < len(with_ceiling) / 3000 < 0.39
    deepest = min(o.tiers[-1].unit_amount for o in large.offers)
    list_price = min(o.tiers[0].unit_amount for o in large.offers)
    assert all(deepest <= b.max_unit_amount <= list_price for b in with_ceiling)  # type: ignore[operator]
    restricted = [b for b in large.buyers if b.eligible_offers is not None]
    assert 0.11 < len(restricted) / 3000 < 0.19
    assert all(0 < len(b.eligible_offers) < 8 for b in restricted)  # type: ignore[arg-type]


def test_offers_are_software_like(large: Instance) -> None:
    offers = generate_instance(400, 40, seed=3).offers + large.offers
    for offer in offers:
        prices = [t.unit_amount for t in offer.tiers]
        assert 3 <= len(prices) <= 6
        assert 1500 <= prices[0] <= 4500
        assert 0.6 * prices[0] - 1 <= prices[-1] <= 0.9 * prices[0] + 1
        # The deepest tier needs more than a typical district buys alone.
        assert offer.tiers[-2].up_to >= 9999  # type: ignore[operator]
    modes = Counter(o.tiers_mode for o in offers[:40])
    assert modes["graduated"] == 10
    assert sum(o.capacity is not None for o in offers[:40]) == 13


def test_capacity_binds_sometimes_but_not_always(large: Instance) -> None:
    demand = sum(b.quantity for b in large.buyers)
    capacities = [o.capacity for o in large.offers if o.capacity is not None]
    assert capacities and all(0.25 * demand <= c <= 0.85 * demand for c in capacities)


def test_bench_shape() -> None:
    instance = bench_instance(120, seed=5)
    assert len(instance.buyers) == 120 and len(instance.offers) == 6
    assert all(4 <= len(o.tiers) <= 6 for o in instance.offers)
    assert instance.policy == default_policy()
    assert load_instance(instance_to_dict(instance)) == instance


def test_pooling_lowers_the_price() -> None:
    # Sanity: for every generated offer, the deepest tier is cheaper per unit than the first.
    for offer in generate_instance(10, 12, seed=11).offers:
        assert schedule_total(offer, 100_000) < 100_000 * offer.tiers[0].unit_amount


def test_at_least_one_buyer_and_offer() -> None:
    with pytest.raises(ValueError, match="at least one buyer"):
        generate_instance(0, 1, 0)
