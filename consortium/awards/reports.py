"""What managers read about an award: acceptance by status, savings and reach by slice."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from consortium.accounts.models import DistrictProfile
from consortium.allocation import adapter
from consortium.allocation.services import run_instance
from consortium.awards.models import Award, Contract, ContractStatus
from consortium.clock import now
from consortium.extensions import db
from consortium.filters import group_name


@dataclass(frozen=True, slots=True)
class Acceptance:
    """Counts and money by contract status as of now."""

    by_status: dict[str, int]
    amount_by_status: dict[str, int]
    rows: list[tuple[Contract, str]]


def acceptance(award: Award) -> Acceptance:
    at = now()
    rows = [(c, c.phase(at)) for c in award.contracts]
    statuses = [status.value for status in ContractStatus]
    return Acceptance(
        by_status={s: sum(1 for _c, p in rows if p == s) for s in statuses},
        amount_by_status={s: sum(c.amount for c, p in rows if p == s) for s in statuses},
        rows=rows,
    )


ENROLLMENT_BANDS = ((0, 500, "under 500"), (500, 2500, "500–2,499"),
                    (2500, 10000, "2,500–9,999"), (10000, None, "10,000 and more"))  # fmt: skip
LOCALES = ("rural", "town", "suburban", "urban")


def enrollment_band(enrollment: int | None) -> str:
    if enrollment is None:
        return "unknown"
    for low, high, label in ENROLLMENT_BANDS:
        if enrollment >= low and (high is None or enrollment < high):
            return label
    return "unknown"


@dataclass
class ReportRow:
    """Savings and reach of one slice of districts (an enrollment band or a locale)."""

    label: str
    opted_in: int = 0
    served: int = 0
    amount: int = 0
    standalone: int = 0

    @property
    def savings(self) -> int:
        return self.standalone - self.amount

    @property
    def savings_rate(self) -> float:
        return self.savings / self.standalone if self.standalone else 0.0

    @property
    def served_rate(self) -> float:
        return self.served / self.opted_in if self.opted_in else 0.0


@dataclass(frozen=True, slots=True)
class SavingsReport:
    by_band: list[ReportRow]
    by_locale: list[ReportRow]
    total: ReportRow
    points: list[tuple[str, str, float, float]]  # district, group label, enrollment, Mbps/student


def savings_report(award: Award) -> SavingsReport:
    """Savings against buying alone, and who was served, by enrollment band and by locale."""
    instance = run_instance(award.run)
    contracts = {c.district_id: c for c in award.contracts}
    profiles = {
        p.organisation_id: p
        for p in db.session.scalars(
            select(DistrictProfile).where(
                DistrictProfile.organisation_id.in_([int(b.id) for b in instance.buyers])
            )
        )
    }
    names = adapter.district_names([b.id for b in instance.buyers])
    bands = {label: ReportRow(label) for *_r, label in ENROLLMENT_BANDS}
    locales = {label: ReportRow(label) for label in LOCALES}
    total = ReportRow("all districts")
    points = []
    for buyer in instance.buyers:
        district_id = int(buyer.id)
        profile = profiles.get(district_id)
        band = enrollment_band(profile.enrollment if profile else None)
        locale = (profile.locale if profile else None) or "unknown"
        rows = [
            bands.setdefault(band, ReportRow(band)),
            locales.setdefault(locale, ReportRow(locale)),
            total,
        ]
        contract = contracts.get(district_id)
        for row in rows:
            row.opted_in += 1
            if contract is not None:
                row.served += 1
                row.amount += contract.amount
                row.standalone += contract.standalone_amount
        if contract is not None and profile and profile.enrollment and profile.mbps_per_student:
            points.append(
                (
                    names.get(buyer.id, buyer.id),
                    group_name(contract.group),
                    float(profile.enrollment),
                    float(profile.mbps_per_student),
                )
            )
    return SavingsReport(
        by_band=[r for r in bands.values() if r.opted_in],
        by_locale=[r for r in locales.values() if r.opted_in],
        total=total,
        points=points,
    )
