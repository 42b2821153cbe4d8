"""Tier arithmetic against brute force: unit-by-unit totals and linear scans."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.tiers import (
    member_amounts,
    min_group_quantity,
    min_quantity_for_average,
    schedule_total,
    split_amount,
    standalone_amount,
    tier_index,
    tier_ranges,
)
from pricing.types import Buyer, Offer, Tier

SCAN_LIMIT = 3000


@st.composite
def offers(draw: st.DrawFn, mode: str | None = None) -> Offer:
    """A valid schedule: increasing up_to, non-increasing unit amounts, the last unbounded."""
    count = draw(st.integers(1, 5))
    steps = draw(st.lists(st.integers(1, 400), min_size=count - 1, max_size=count - 1))
    up_tos: list[int | None] = []
    top = 0
    for step in steps:
        top += step
        up_tos.append(top)
    up_tos.append(None)
    price = draw(st.integers(0, 5000))
    amounts = []
    for _ in range(count):
        amounts.append(price)
        price -= draw(st.integers(0, max(price, 0) // 2 + 1))
        price = max(price, 0)
    chosen = mode or draw(st.sampled_from(["volume", "graduated"]))
    return Offer("o", "Vendor", chosen, tuple(map(Tier, up_tos, amounts)))  # type: ignore[arg-type]


def unit_price(offer: Offer, unit: int) -> int:
    """Price of the unit-th unit as if each unit were bought in the tier it falls in."""
    for tier in offer.tiers:
        if tier.up_to is None or unit <= tier.up_to:
            return tier.unit_amount
    raise AssertionError("the last tier is unbounded")


def brute_total(offer: Offer, quantity: int) -> int:
    """Stripe's definition, unit by unit."""
    if offer.tiers_mode == "volume":
        return quantity * unit_price(offer, quantity)
    return sum(unit_price(offer, unit) for unit in range(1, quantity + 1))


def first_meeting(offer: Offer, condition, at_least: int) -> int | None:  # noqa: ANN001
    """Linear scan for the first quantity >= at_least meeting `condition(total, quantity)`."""
    graduated = brute_total(offer, at_least - 1) if offer.tiers_mode == "graduated" else 0
    for quantity in range(at_least, SCAN_LIMIT + 1):
        # Graduated totals grow by one unit's price at a time: the scan stays linear.
        graduated += unit_price(offer, quantity)
        total = graduated if offer.tiers_mode == "graduated" else brute_total(offer, quantity)
        if condition(total, quantity):
            return quantity
    return None


def assert_first(offer: Offer, condition, at_least: int, found: int | None) -> None:  # noqa: ANN001
    """`found` is the first quantity meeting the condition, by scan or beyond it."""
    scanned = first_meeting(offer, condition, at_least)
    if scanned is not None:
        assert found == scanned
    elif found is None:
        # The average price is non-increasing, so failing far out means failing everywhere.
        # (schedule_total is checked against the unit-by-unit sum in its own test.)
        assert not condition(schedule_total(offer, 10**9), 10**9)
    else:
        assert found > SCAN_LIMIT
        assert condition(schedule_total(offer, found), found)
        assert not condition(schedule_total(offer, found - 1), found - 1)


@settings(max_examples=300, deadline=None)
@given(offers(), st.integers(0, 2000))
def test_schedule_total_matches_unit_by_unit_sum(offer: Offer, quantity: int) -> None:
    assert schedule_total(offer, quantity) == brute_total(offer, quantity)


@given(offers("graduated"), st.integers(1, 1500))
def test_graduated_average_never_rises(offer: Offer, quantity: int) -> None:
    before, after = schedule_total(offer, quantity), schedule_total(offer, quantity + 1)
    assert after * quantity <= before * (quantity + 1)


@given(offers(), st.integers(1, 2000))
def test_tier_index_and_ranges_agree(offer: Offer, quantity: int) -> None:
    chosen = tier_ranges(offer)[tier_index(offer, quantity)]
    assert chosen.low <= quantity and (chosen.high is None or quantity <= chosen.high)


@settings(max_examples=300)
@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**5), min_size=1, max_size=12))
def test_split_amount_sums_exactly_within_a_cent(total: int, quantities: list[int]) -> None:
    shares = split_amount(total, quantities)
    whole = sum(quantities)
    if whole == 0:
        assert shares == [0] * len(quantities)
        return
    assert sum(shares) == total
    for share, quantity in zip(shares, quantities, strict=True):
        assert abs(share - Fraction(total * quantity, whole)) < 1


def test_split_amount_breaks_ties_towards_earlier_members() -> None:
    assert split_amount(100, [1, 1, 1]) == [34, 33, 33]
    assert split_amount(101, [1, 1, 1]) == [34, 34, 33]


@given(offers(), st.lists(st.integers(1, 800), min_size=1, max_size=5))
def test_member_amounts(offer: Offer, quantities: list[int]) -> None:
    total, amounts = member_amounts(offer, quantities)
    assert total == brute_total(offer, sum(quantities))
    if offer.tiers_mode == "volume":
        unit = unit_price(offer, sum(quantities))
        assert amounts == [q * unit for q in quantities]
    else:
        assert sum(amounts) == total


@settings(max_examples=150, deadline=None)
@given(offers(), st.integers(0, 5000), st.integers(1, 40), st.integers(1, 600))
def test_min_quantity_for_average_matches_linear_scan(
    offer: Offer, numerator: int, denominator: int, at_least: int
) -> None:
    found = min_quantity_for_average(offer, numerator, denominator, at_least)
    assert_first(offer, lambda t, q: t * denominator <= numerator * q, at_least, found)


@settings(max_examples=150, deadline=None)
@given(
    offers(),
    st.integers(1, 600),
    st.one_of(st.none(), st.integers(0, 5000)),
    st.one_of(st.none(), st.integers(0, 3_000_000)),
    st.booleans(),
)
def test_min_group_quantity_matches_linear_scan(
    offer: Offer, quantity: int, ceiling: int | None, standalone: int | None, rationality: bool
) -> None:
    buyer = Buyer("b", quantity, max_unit_amount=ceiling)
    found = min_group_quantity(buyer, offer, standalone, rationality)

    def allowed(total: int, group_quantity: int) -> bool:
        # The buyer's exact proportional share, total * quantity / group_quantity.
        if ceiling is not None and total * quantity > ceiling * quantity * group_quantity:
            return False
        limit = standalone if rationality else None
        return limit is None or total * quantity <= limit * group_quantity

    assert_first(offer, allowed, quantity, found)


def test_standalone_amount_is_the_cheapest_eligible_offer() -> None:
    cheap = Offer("cheap", "A", "volume", (Tier(None, 100),))
    dear = Offer("dear", "B", "volume", (Tier(None, 200),))
    assert standalone_amount(Buyer("b", 3), [cheap, dear]) == 300
    assert standalone_amount(Buyer("b", 3, eligible_offers=("dear",)), [cheap, dear]) == 600
    assert standalone_amount(Buyer("b", 3, eligible_offers=()), [cheap, dear]) is None


@pytest.mark.parametrize(
    ("mode", "quantity", "total"),
    [
        ("volume", 999, 999 * 1200),
        ("volume", 1000, 1000 * 950),
        ("volume", 10000, 10000 * 800),
        ("graduated", 1000, 999 * 1200 + 950),
        ("graduated", 10001, 999 * 1200 + 9000 * 950 + 2 * 800),
    ],
)
def test_documented_schedule(mode: str, quantity: int, total: int) -> None:
    tiers = (Tier(999, 1200), Tier(9999, 950), Tier(None, 800))
    assert schedule_total(Offer("acme", "Acme", mode, tiers), quantity) == total  # type: ignore[arg-type]
