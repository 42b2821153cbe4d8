"""Whatever the engine proves is true: bounds never above the optimum, served bounds never below.

Tiny instances (3 to 7 districts) with capacities, ceilings, graduated offers and group sizes
are solved on both paths (the compact exact model, and the column path forced by shrinking
the exact model's size limit) and compared with the exhaustive search over every partition:

- `bound` is never above the least spend of any allocation serving as much as the result;
- `served_bound` is never below the most seats any allocation serves;
- `optimal` is only claimed for the exhaustive optimum.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pricing.exact
from pricing.check import check_result
from pricing.engine import solve
from pricing.generate import generate_instance
from pricing.types import Instance, Policy, SimilarityRule
from tests.pricing.bruteforce import cheapest_serving, exhaustive_optimum

pytestmark = pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning")

RULES = (SimilarityRule("enrollment", max_ratio=4.0), SimilarityRule("locale", same=True))


@st.composite
def tiny_instances(draw) -> Instance:
    buyers = draw(st.integers(3, 7))
    offers = draw(st.integers(1, 3))
    base = generate_instance(buyers, offers, draw(st.integers(0, 10_000)))
    total = sum(b.quantity for b in base.buyers)
    offers_ = tuple(
        replace(o, capacity=max(1, int(total * draw(st.sampled_from((0.2, 0.5, 1.0)))))
                if draw(st.booleans()) else None,
                tiers_mode=draw(st.sampled_from(("volume", "graduated"))))
        for o in base.offers
    )
    smallest = min(draw(st.integers(1, 3)), buyers)
    largest = draw(st.sampled_from((None, smallest, smallest + 1, smallest + 2)))
    policy = Policy(
        similarity=draw(st.sampled_from(((), RULES[:1], RULES))),
        min_group_size=smallest,
        max_group_size=largest,
        individual_rationality=draw(st.booleans()),
        time_limit_s=30.0,
        mip_gap=0.0,
    )
    return replace(base, offers=offers_, policy=policy)


def assert_proven_claims_hold(instance: Instance, path: str) -> None:
    result = solve(instance)
    assert check_result(instance, result) == [], path
    most, least = exhaustive_optimum(instance)
    assert result.served_quantity <= most
    if result.served_bound is not None:
        assert result.served_bound >= most, (path, result.served_bound, most)
    if result.bound is not None:
        floor = cheapest_serving(instance, result.served_quantity)
        assert floor is not None and result.bound <= floor, (path, result.bound, floor)
    if result.status == "optimal":
        assert (result.served_quantity, result.total_amount) == (most, least), path


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(instance=tiny_instances())
def test_exact_path_proves_only_what_holds(instance: Instance) -> None:
    assert_proven_claims_hold(instance, "exact")


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(instance=tiny_instances())
def test_column_path_proves_only_what_holds(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pricing.exact, "EXACT_MODEL_LIMIT", 0)
    assert_proven_claims_hold(instance, "columns")


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(instance=tiny_instances())
def test_relaxed_boxes_keep_the_bounds_valid(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    # Huge blocks are priced over grid boxes that hold every group; force them on tiny ones.
    import pricing.large

    monkeypatch.setattr(pricing.exact, "EXACT_MODEL_LIMIT", 0)
    monkeypatch.setattr(pricing.large, "MAXIMAL_BOX_LIMIT", 0)
    assert_proven_claims_hold(instance, "relaxed boxes")
