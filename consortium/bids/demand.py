"""Aggregate demand as the public and vendors may see it before award (never one district's).

Two rules, against two ways of reading one district's quantity off aggregates:

- small cells: a total or cell of fewer than MIN_CELL districts is withheld (its seats would
  be one district's own quantity), and one more cell with it so no subtraction finds it;
- differencing: while opt-ins are open anyone can compare the page before and after a
  district opts in, changes or withdraws. So until the opt-in deadline seats are published
  only as a total, as a range of a 1-2-5 ladder (`seat_range`), and cells show district
  counts only: a single change is never known within a factor of two. From the deadline on
  nothing changes any more, and exact seats (small cells still withheld) are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from consortium.clock import now
from consortium.procurement import services as procurement
from consortium.procurement.models import Solicitation, accepts_opt_ins


def open_for_bids() -> list[Solicitation]:
    """Published solicitations whose bid deadline is still ahead."""
    return procurement.open_solicitations(include_closing=True)


# A distribution cell (or a total) describing fewer districts than this could single one out:
# its seats would be that district's own quantity. Such cells are merged or withheld.


MIN_CELL = 3


@dataclass(frozen=True, slots=True)
class DemandCell:
    """One row of a demand distribution; None = withheld (fewer than MIN_CELL districts)."""

    label: str
    districts: int | None
    seats: int | None


@dataclass(frozen=True, slots=True)
class Demand:
    """Aggregate demand as everyone but the consortium sees it: see the module docstring."""

    districts: int | None
    seats: int | None  # None: withheld, or (while opt-ins are open) shown as `seats_range`
    by_locale: tuple[DemandCell, ...]
    by_enrollment: tuple[DemandCell, ...]
    seats_range: str | None = None


# 0, 100, 200, 500, 1,000, 2,000, 5,000 ... : each step at least doubles, so the range of a
# total before and after one change never pins the change within a factor of two.
LADDER = (0, *(m * 10**e for e in range(2, 9) for m in (1, 2, 5)))


def seat_range(seats: int) -> tuple[int, int | None]:
    """The ladder step [low, high) holding `seats` (high None: the top step)."""
    for low, high in zip(LADDER, LADDER[1:], strict=False):
        if low <= seats < high:
            return low, high
    return LADDER[-1], None


def seat_range_label(seats: int) -> str:
    low, high = seat_range(seats)
    if high is None:
        return f"over {low:,}"
    return f"fewer than {high:,}" if low == 0 else f"{low:,} to {high:,}"


def _protect(buckets: Sequence[Any]) -> tuple[DemandCell, ...]:
    cells = [DemandCell(b.label, b.districts, b.seats) for b in buckets if b.districts >= MIN_CELL]
    small = [b for b in buckets if b.districts < MIN_CELL]
    districts = sum(b.districts for b in small)
    if districts >= MIN_CELL:
        labels = ", ".join(b.label for b in small)
        cells.append(DemandCell(f"other ({labels})", districts, sum(b.seats for b in small)))
    elif small:
        cells.append(DemandCell("other", None, None))
        # Complementary suppression: otherwise total minus the shown cells gives the withheld seats.
        smallest = min(range(len(cells) - 1), key=lambda i: (cells[i].districts, i))
        cells[smallest] = DemandCell(cells[smallest].label, cells[smallest].districts, None)
    return tuple(cells)


def vendor_demand(momentum: Any, final: bool = False) -> Demand:
    """Procurement's Momentum made safe to show outside the consortium (module docstring).

    `final`: the opt-in deadline has passed, so exact seats may be shown.
    """
    if momentum.districts < MIN_CELL:
        return Demand(None, None, (), ())
    cells = (_protect(momentum.by_locale), _protect(momentum.by_enrollment))
    if final:
        return Demand(momentum.districts, momentum.seats, *cells)
    counts_only = tuple(
        tuple(DemandCell(c.label, c.districts, None) for c in group) for group in cells
    )
    return Demand(momentum.districts, None, *counts_only,
                  seats_range=seat_range_label(momentum.seats))


def public_demand(solicitation: Solicitation, momentum: Any) -> Demand:
    """`momentum` of `solicitation` as the public sees it now: ranges while opt-ins are open,
    exact totals from the deadline on (the pages, the API and the open data alike)."""
    return vendor_demand(momentum, final=not accepts_opt_ins(solicitation, now()))


def demand_of(solicitations: Sequence[Solicitation]) -> list[tuple[Solicitation, Demand]]:
    """Each solicitation with the aggregate demand vendors may see (no district-level data)."""
    by_id = procurement.momenta([s.id for s in solicitations])
    at = now()
    return [(s, vendor_demand(by_id[s.id], final=not accepts_opt_ins(s, at)))
            for s in solicitations]
