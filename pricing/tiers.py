"""Prices of quantities under tiered schedules, with Stripe's `volume` and `graduated` semantics.

All amounts are integer cents. Unit prices never rise with quantity (validation enforces
it), so the average unit price of a schedule is non-increasing in the quantity bought:
the fact that turns every per-district price condition into a minimum group quantity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pricing.types import Buyer, Offer


@dataclass(frozen=True, slots=True)
class TierRange:
    """Tier `index` of a schedule covers quantities `low..high` (high None = unbounded)."""

    index: int
    low: int
    high: int | None
    unit_amount: int


def tier_ranges(offer: Offer) -> tuple[TierRange, ...]:
    """The quantity range each tier covers, starting at 1."""
    ranges = []
    low = 1
    for index, tier in enumerate(offer.tiers):
        ranges.append(TierRange(index, low, tier.up_to, tier.unit_amount))
        if tier.up_to is not None:
            low = tier.up_to + 1
    return tuple(ranges)


def tier_index(offer: Offer, quantity: int) -> int:
    """Index of the tier that `quantity` falls in (the first with quantity <= up_to)."""
    for index, tier in enumerate(offer.tiers):
        if tier.up_to is None or quantity <= tier.up_to:
            return index
    return len(offer.tiers) - 1


def schedule_total(offer: Offer, quantity: int) -> int:
    """Price in cents of `quantity` units under the offer's schedule."""
    if quantity <= 0:
        return 0
    if offer.tiers_mode == "volume":
        return quantity * offer.tiers[tier_index(offer, quantity)].unit_amount
    total = 0
    previous = 0
    for tier in offer.tiers:
        top = quantity if tier.up_to is None else min(quantity, tier.up_to)
        if top > previous:
            total += (top - previous) * tier.unit_amount
            previous = top
        if tier.up_to is None or quantity <= tier.up_to:
            break
    return total


def standalone_amount(buyer: Buyer, offers: Sequence[Offer]) -> int | None:
    """The cheapest price the buyer could get alone over its eligible offers (None if none)."""
    prices = [schedule_total(o, buyer.quantity) for o in offers if buyer.may_buy(o.id)]
    return min(prices) if prices else None


def split_amount(total: int, quantities: Sequence[int]) -> list[int]:
    """Split a group total in proportion to quantities, whole cents by largest remainder.

    Ties in the remainder go to the earlier member, so the split is deterministic.
    """
    whole = sum(quantities)
    if whole == 0:
        return [0 for _ in quantities]
    shares = [total * q // whole for q in quantities]
    remainders = [total * q % whole for q in quantities]
    left = total - sum(shares)
    for position in sorted(range(len(quantities)), key=lambda k: (-remainders[k], k))[:left]:
        shares[position] += 1
    return shares


def member_amounts(offer: Offer, quantities: Sequence[int]) -> tuple[int, list[int]]:
    """The group total and each member's amount for a group of the given quantities."""
    group_quantity = sum(quantities)
    total = schedule_total(offer, group_quantity)
    if offer.tiers_mode == "volume":
        unit = offer.tiers[tier_index(offer, group_quantity)].unit_amount if group_quantity else 0
        return total, [q * unit for q in quantities]
    return total, split_amount(total, quantities)


def average_at_most(offer: Offer, quantity: int, numerator: int, denominator: int) -> bool:
    """Whether the schedule's average unit price at `quantity` is <= numerator / denominator."""
    return schedule_total(offer, quantity) * denominator <= numerator * quantity


def min_quantity_for_average(
    offer: Offer, numerator: int, denominator: int, at_least: int
) -> int | None:
    """Smallest group quantity >= at_least whose average unit price is <= numerator/denominator.

    None when no quantity reaches it. The average is non-increasing, so a binary search
    over [at_least, hi] is exact once hi is known to satisfy the condition.
    """
    if average_at_most(offer, at_least, numerator, denominator):
        return at_least
    ranges = tier_ranges(offer)
    last = ranges[-1]
    # Beyond the last finite boundary, total(Q) = fixed + p_last * Q.
    start = max(last.low, at_least)
    fixed = schedule_total(offer, start) - last.unit_amount * start
    slack = numerator - last.unit_amount * denominator
    if slack < 0 or (slack == 0 and fixed > 0):
        return None
    hi = start if slack == 0 else max(start, -(-fixed * denominator // slack))
    if not average_at_most(offer, hi, numerator, denominator):  # pragma: no cover - arithmetic guard
        hi += 1
    lo = at_least  # known to fail
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if average_at_most(offer, middle, numerator, denominator):
            hi = middle
        else:
            lo = middle
    return hi


def min_group_quantity(
    buyer: Buyer, offer: Offer, standalone: int | None, individual_rationality: bool
) -> int | None:
    """Smallest group quantity at which this buyer may join a group of this offer.

    Combines the buyer's price ceiling and, when required, individual rationality
    (its exact proportional share at most its standalone price). None = never.
    """
    need = buyer.quantity
    if buyer.max_unit_amount is not None:
        found = min_quantity_for_average(offer, buyer.max_unit_amount, 1, need)
        if found is None:
            return None
        need = found
    if individual_rationality and standalone is not None:
        found = min_quantity_for_average(offer, standalone, buyer.quantity, need)
        if found is None:
            return None
        need = found
    return need
