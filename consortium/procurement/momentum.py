"""Momentum: aggregate demand of solicitations (districts, seats, distribution), never per district.

Vendors see it through `consortium.bids.demand.vendor_demand`, which withholds small cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from consortium.accounts.models import DistrictProfile
from consortium.clock import now
from consortium.extensions import db
from consortium.procurement.models import (
    OptIn,
    OptInStatus,
    Solicitation,
    SolicitationStatus,
    phase,
)

ENROLLMENT_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under 500", 0, 500),
    ("500 to 2,499", 500, 2_500),
    ("2,500 to 9,999", 2_500, 10_000),
    ("10,000 and over", 10_000, None),
)
LOCALE_ORDER = ("rural", "town", "suburban", "urban")
UNKNOWN = "not given"


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    districts: int
    seats: int


@dataclass(frozen=True, slots=True)
class Momentum:
    """Aggregate demand of one solicitation: never a district's own numbers."""

    districts: int
    seats: int
    by_locale: tuple[Bucket, ...]
    by_enrollment: tuple[Bucket, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "districts": self.districts,
            "seats": self.seats,
            "by_locale": [{"label": b.label, "districts": b.districts, "seats": b.seats} for b in self.by_locale],
            "by_enrollment": [
                {"label": b.label, "districts": b.districts, "seats": b.seats} for b in self.by_enrollment
            ],
        }


def enrollment_band(enrollment: int | None) -> str:
    if enrollment is None:
        return UNKNOWN
    for label, low, high in ENROLLMENT_BANDS:
        if enrollment >= low and (high is None or enrollment < high):
            return label
    return UNKNOWN


def _buckets(rows: Iterable[tuple[str, int]], order: Sequence[str]) -> tuple[Bucket, ...]:
    districts: dict[str, int] = {}
    seats: dict[str, int] = {}
    for label, quantity in rows:
        districts[label] = districts.get(label, 0) + 1
        seats[label] = seats.get(label, 0) + quantity
    labels = [label for label in order if label in districts]
    labels += sorted(label for label in districts if label not in order)
    return tuple(Bucket(label, districts[label], seats[label]) for label in labels)


def momenta(solicitation_ids: Sequence[int]) -> dict[int, Momentum]:
    """Momentum of several solicitations in one query (empty ones included)."""
    rows = db.session.execute(
        select(
            OptIn.solicitation_id, OptIn.quantity, DistrictProfile.locale, DistrictProfile.enrollment
        )
        .outerjoin(DistrictProfile, DistrictProfile.organisation_id == OptIn.district_id)
        .where(OptIn.solicitation_id.in_(list(solicitation_ids)), OptIn.status == OptInStatus.live)
    ).all()
    grouped: dict[int, list[tuple[int, str | None, int | None]]] = {i: [] for i in solicitation_ids}
    for sid, quantity, locale, enrollment in rows:
        grouped[sid].append((quantity, locale, enrollment))
    band_order = [label for label, _, _ in ENROLLMENT_BANDS]
    return {
        sid: Momentum(
            districts=len(items),
            seats=sum(q for q, _, _ in items),
            by_locale=_buckets(((loc or UNKNOWN, q) for q, loc, _ in items), LOCALE_ORDER),
            by_enrollment=_buckets(((enrollment_band(e), q) for q, _, e in items), band_order),
        )
        for sid, items in grouped.items()
    }


def momentum(solicitation: Solicitation) -> Momentum:
    """Districts and seats committed (live opt-ins) and their distribution by locale and size."""
    return momenta([solicitation.id])[solicitation.id]


# ---------------------------------------------------------------- public listing


@dataclass(frozen=True, slots=True)
class SolicitationSummary:
    solicitation: Solicitation
    phase: str
    momentum: Momentum

    @property
    def next_deadline(self) -> datetime | None:
        if self.phase == "open":
            return self.solicitation.opt_in_deadline
        if self.phase == "opt-ins closed":
            return self.solicitation.bid_deadline
        return None


def open_solicitations(*, include_closing: bool = True) -> list[Solicitation]:
    """Published solicitations still taking opt-ins (and, with `include_closing`, bids)."""
    at = now()
    deadline = Solicitation.bid_deadline if include_closing else Solicitation.opt_in_deadline
    return list(
        db.session.scalars(
            select(Solicitation)
            .where(Solicitation.status == SolicitationStatus.open, deadline > at)
            .order_by(Solicitation.opt_in_deadline, Solicitation.id)
        )
    )


def open_solicitations_summary(limit: int | None = None) -> list[SolicitationSummary]:
    """Open solicitations (opt-ins still possible), soonest deadline first, with momentum."""
    at = now()
    solicitations = open_solicitations(include_closing=False)
    if limit is not None:
        solicitations = solicitations[:limit]
    by_id = momenta([s.id for s in solicitations])
    return [SolicitationSummary(s, phase(s, at), by_id[s.id]) for s in solicitations]


def public_summaries() -> list[SolicitationSummary]:
    """The public list: taking opt-ins or bids, with momentum."""
    at = now()
    solicitations = open_solicitations(include_closing=True)
    by_id = momenta([s.id for s in solicitations])
    return [SolicitationSummary(s, phase(s, at), by_id[s.id]) for s in solicitations]


def seats_committed(solicitation: Solicitation) -> int:
    return int(
        db.session.execute(
            select(func.coalesce(func.sum(OptIn.quantity), 0)).where(
                OptIn.solicitation_id == solicitation.id, OptIn.status == OptInStatus.live
            )
        ).scalar_one()
    )
