"""Aggregate demand as vendors may see it before award: counts only, small cells withheld."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from consortium.procurement import services as procurement
from consortium.procurement.models import Solicitation


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
    """Aggregate demand as vendors see it before award: counts only, small cells withheld."""

    districts: int | None
    seats: int | None
    by_locale: tuple[DemandCell, ...]
    by_enrollment: tuple[DemandCell, ...]


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


def vendor_demand(momentum: Any) -> Demand:
    """Procurement's Momentum made safe to show vendors before award (see MIN_CELL)."""
    if momentum.districts < MIN_CELL:
        return Demand(None, None, (), ())
    return Demand(
        momentum.districts,
        momentum.seats,
        _protect(momentum.by_locale),
        _protect(momentum.by_enrollment),
    )


def demand_of(solicitations: Sequence[Solicitation]) -> list[tuple[Solicitation, Demand]]:
    """Each solicitation with the aggregate demand vendors may see (no district-level data)."""
    by_id = procurement.momenta([s.id for s in solicitations])
    return [(s, vendor_demand(by_id[s.id])) for s in solicitations]
