"""Tier schedules as vendors enter them: the offer rules of ALLOCATION.md, naming the field at
fault, and previews (tier ladder, what N seats would cost) computed with `pricing.tiers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from consortium import charts
from consortium.bids.models import TIERS_MODES
from consortium.bounds import MAX_SEATS, MAX_UNIT_CENTS
from pricing.tiers import schedule_total, tier_ranges
from pricing.types import Offer, Tier


@dataclass(frozen=True, slots=True)
class Schedule:
    """A tier schedule as the vendor entered it, checked by `schedule_problems`."""

    tiers_mode: str
    tiers: tuple[Tier, ...]
    capacity: int | None = None

    def as_offer(self, id: str = "preview", vendor: str = "") -> Offer:
        return Offer(id, vendor, self.tiers_mode, self.tiers, self.capacity)  # type: ignore[arg-type]


def schedule_problems(schedule: Schedule) -> list[tuple[str, str]]:
    """(field, message) pairs for every ALLOCATION.md offer rule the schedule breaks."""
    problems = []
    if schedule.tiers_mode not in TIERS_MODES:
        problems.append(("tiers_mode", "must be volume or graduated"))
    if not schedule.tiers:
        problems.append(("tiers-0-unit_price", "enter at least one tier"))
    previous: Tier | None = None
    for index, tier in enumerate(schedule.tiers):
        last = index == len(schedule.tiers) - 1
        if tier.unit_amount < 0:
            problems.append((f"tiers-{index}-unit_price", "must be zero or more"))
        if tier.unit_amount > MAX_UNIT_CENTS:
            problems.append((f"tiers-{index}-unit_price", f"at most ${MAX_UNIT_CENTS // 100:,}"))
        if tier.up_to is not None and tier.up_to > MAX_SEATS:
            problems.append((f"tiers-{index}-up_to", f"at most {MAX_SEATS:,} seats"))
        if last and tier.up_to is not None:
            problems.append((f"tiers-{index}-up_to", "the last tier is unbounded: leave it empty"))
        if not last and tier.up_to is None:
            problems.append((f"tiers-{index}-up_to", "required on every tier but the last"))
        if tier.up_to is not None and tier.up_to < 1:
            problems.append((f"tiers-{index}-up_to", "must be at least 1"))
        if previous is not None:
            if (
                tier.up_to is not None
                and previous.up_to is not None
                and tier.up_to <= previous.up_to
            ):
                problems.append((f"tiers-{index}-up_to", f"must be more than tier {index}'s"))
            if tier.unit_amount > previous.unit_amount:
                problems.append(
                    (f"tiers-{index}-unit_price", f"must not be higher than tier {index}'s")
                )
        previous = tier
    if schedule.capacity is not None and schedule.capacity < 1:
        problems.append(("capacity", "must be at least 1 (or empty for no limit)"))
    if schedule.capacity is not None and schedule.capacity > MAX_SEATS:
        problems.append(("capacity", f"at most {MAX_SEATS:,} seats (or empty for no limit)"))
    return problems


def tiers_json(tiers: Iterable[Tier]) -> list[dict[str, int | None]]:
    return [{"up_to": t.up_to, "unit_amount": t.unit_amount} for t in tiers]


def default_quantities(offer: Offer) -> list[int]:
    """Quantities worth quoting: each tier's bounds and round numbers between."""
    quantities = {1, 100, 500, 1000, 5000, 10000}
    for tier in tier_ranges(offer):
        quantities.add(tier.low)
        if tier.high is not None:
            quantities.add(tier.high)
    return sorted(q for q in quantities if q >= 1)


def price_table(offer: Offer, quantities: Sequence[int] | None = None) -> list[dict[str, int]]:
    """'What N seats would cost': total and average cents per seat for each quantity."""
    rows = []
    for quantity in quantities or default_quantities(offer):
        total = schedule_total(offer, quantity)
        rows.append({"quantity": quantity, "total": total, "average": total // quantity})
    return rows


def schedule_preview(offer: Offer, seats: int | None) -> dict[str, Any]:
    """The tier ladder chart with `seats` (aggregate demand, None = withheld) marked, and costs."""
    quantity = max(seats or 0, 1)
    chart = charts.tier_ladder(
        [(t.up_to, t.unit_amount) for t in offer.tiers],
        quantity,
        title=f"Price per seat by tier ({offer.tiers_mode})",
        mode=offer.tiers_mode,
        marker_label="total demand" if seats else "demand withheld, shown at",
    )
    quantities = sorted({*default_quantities(offer), quantity})
    return {"chart": chart, "costs": price_table(offer, quantities), "seats": seats}
