"""Procurement services: solicitations and their lifecycle, the clause library, opt-ins, momentum.

Services add and flush, never commit; the view commits once. Every state change writes an
audit event in the same transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consortium.accounts.models import (
    Affiliation,
    AffiliationStatus,
    DistrictProfile,
    Membership,
    Organisation,
    OrgKind,
    User,
)
from consortium.audit.services import record
from consortium.clock import now
from consortium.extensions import db
from consortium.filters import localtime, money
from consortium.policy import is_verified_member
from consortium.procurement.models import (
    ADMIN_FEE_BPS_MAX,
    CURRENCIES,
    Clause,
    OptIn,
    OptInStatus,
    Solicitation,
    SolicitationClause,
    SolicitationStatus,
    accepts_opt_ins,
    allowed_transitions,
    phase,
)


class ProcurementError(ValueError):
    """A refused action, with a message for people; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class OptInClosed(ProcurementError):
    """The solicitation does not accept opt-in changes now (deadline passed, not open)."""


class NotVerified(ProcurementError):
    """The district is not verified by the solicitation's consortium."""


class StaleOptIn(ProcurementError):
    """The opt-in changed since the form was loaded."""


# ---------------------------------------------------------------- grouping policy

DEFAULT_POLICY: dict[str, Any] = {
    "similarity": [],
    "min_group_size": 1,
    "max_group_size": None,
    "individual_rationality": True,
    "time_limit_s": 60,
    "mip_gap": 0.001,
}


@dataclass(frozen=True)
class PolicyChoices:
    """The grouping policy as a manager sets it; `as_policy()` is ALLOCATION.md's policy object."""

    enrollment_max_ratio: float | None = None
    mbps_max_ratio: float | None = None
    same_locale: bool = False
    same_state: bool = False
    min_group_size: int = 1
    max_group_size: int | None = None
    individual_rationality: bool = True
    time_limit_s: int = 60
    mip_gap: float = 0.001

    def as_policy(self) -> dict[str, Any]:
        similarity: list[dict[str, Any]] = []
        if self.enrollment_max_ratio is not None:
            similarity.append({"feature": "enrollment", "max_ratio": float(self.enrollment_max_ratio)})
        if self.mbps_max_ratio is not None:
            similarity.append({"feature": "mbps_per_student", "max_ratio": float(self.mbps_max_ratio)})
        if self.same_locale:
            similarity.append({"feature": "locale", "same": True})
        if self.same_state:
            similarity.append({"feature": "state", "same": True})
        return {
            "similarity": similarity,
            "min_group_size": int(self.min_group_size),
            "max_group_size": None if self.max_group_size is None else int(self.max_group_size),
            "individual_rationality": bool(self.individual_rationality),
            "time_limit_s": int(self.time_limit_s),
            "mip_gap": float(self.mip_gap),
        }

    @classmethod
    def from_policy(cls, policy: dict[str, Any] | None) -> PolicyChoices:
        policy = {**DEFAULT_POLICY, **(policy or {})}
        values: dict[str, Any] = {}
        for rule in policy.get("similarity") or []:
            feature = rule.get("feature")
            if feature == "enrollment" and rule.get("max_ratio") is not None:
                values["enrollment_max_ratio"] = rule["max_ratio"]
            elif feature == "mbps_per_student" and rule.get("max_ratio") is not None:
                values["mbps_max_ratio"] = rule["max_ratio"]
            elif feature == "locale" and rule.get("same"):
                values["same_locale"] = True
            elif feature == "state" and rule.get("same"):
                values["same_state"] = True
        return cls(
            min_group_size=policy["min_group_size"],
            max_group_size=policy["max_group_size"],
            individual_rationality=policy["individual_rationality"],
            time_limit_s=policy["time_limit_s"],
            mip_gap=policy["mip_gap"],
            **values,
        )


def _ratio(value: float) -> str:
    return f"{value:g}"


def describe_policy(policy: dict[str, Any] | None) -> list[str]:
    """The grouping policy in plain words, one sentence per rule."""
    policy = {**DEFAULT_POLICY, **(policy or {})}
    words: list[str] = []
    for rule in policy["similarity"]:
        feature = rule.get("feature")
        name = {
            "enrollment": "enrollment",
            "mbps_per_student": "broadband per student",
            "locale": "locale (rural, town, suburban, urban)",
            "state": "state or province",
        }.get(feature, str(feature))
        if rule.get("same"):
            words.append(f"All districts in a group share the same {name}.")
        elif rule.get("max_ratio") is not None:
            words.append(
                f"In a group, the largest {name} is at most {_ratio(rule['max_ratio'])} times the smallest."
            )
        elif rule.get("max_spread") is not None:
            words.append(f"In a group, {name} differs by at most {_ratio(rule['max_spread'])}.")
    low, high = policy["min_group_size"], policy["max_group_size"]
    if high is None:
        words.append(
            "Groups have any number of districts."
            if low <= 1
            else f"Groups have at least {low} districts."
        )
    elif low == high:
        words.append(f"Groups have exactly {low} districts.")
    else:
        words.append(f"Groups have {low} to {high} districts.")
    if policy["individual_rationality"]:
        words.append("No district pays more in its group than it would buying alone.")
    words.append(
        f"The optimiser searches for at most {_ratio(policy['time_limit_s'])} seconds "
        f"and stops within {policy['mip_gap'] * 100:g}% of the best possible total."
    )
    return words


def describe_requirements(requirements: dict[str, Any] | None) -> list[str]:
    """What a vendor's product must meet, in plain words."""
    requirements = requirements or {}
    words = []
    if requirements.get("dpa_required"):
        words.append("A data-privacy agreement signed for each district's state.")
    for certification in requirements.get("certifications") or []:
        words.append(f"1EdTech {certification} certified.")
    if requirements.get("accessibility"):
        words.append(f"Accessibility conformance: {requirements['accessibility']}.")
    return words or ["No compliance requirements."]


# ---------------------------------------------------------------- clause library


def clause_library(consortium: Organisation) -> list[Clause]:
    return list(
        db.session.scalars(
            select(Clause).where(Clause.consortium_id == consortium.id).order_by(Clause.title, Clause.id)
        )
    )


def create_clause(consortium: Organisation, title: str, body: str) -> Clause:
    clause = Clause(consortium_id=consortium.id, title=title.strip(), body=body.strip())
    db.session.add(clause)
    record("clause.created", clause, before=None, after={"title": clause.title, "body": clause.body})
    return clause


def update_clause(clause: Clause, title: str, body: str) -> Clause:
    before = {"title": clause.title, "body": clause.body}
    clause.title, clause.body = title.strip(), body.strip()
    after = {"title": clause.title, "body": clause.body}
    if after != before:
        record("clause.updated", clause, before=before, after=after)
    return clause


# ---------------------------------------------------------------- solicitations

EDITABLE_FIELDS = (
    "title",
    "category",
    "unit",
    "description",
    "term_months",
    "requirements",
    "opt_in_deadline",
    "bid_deadline",
    "acceptance_window_days",
    "policy",
    "admin_fee_bps",
    "currency",
)


def _check_fields(values: dict[str, Any]) -> None:
    """The rules the database also enforces, as messages naming the field."""
    if values["bid_deadline"] < values["opt_in_deadline"]:
        raise ProcurementError(
            "The bid deadline cannot be before the opt-in deadline: vendors bid on the final demand.",
            field="bid_deadline",
        )
    if not 0 <= values["admin_fee_bps"] <= ADMIN_FEE_BPS_MAX:
        raise ProcurementError("The admin fee must be between 0% and 20%.", field="admin_fee")
    if values["currency"] not in CURRENCIES:
        raise ProcurementError("Choose USD or CAD.", field="currency")


def _set_clauses(solicitation: Solicitation, clause_ids: Sequence[int]) -> None:
    wanted = list(dict.fromkeys(int(i) for i in clause_ids))
    library = {c.id for c in clause_library(solicitation.consortium)}
    if not set(wanted) <= library:
        raise ProcurementError("Choose clauses from this consortium's library.", field="clause_ids")
    existing = {link.clause_id: link for link in solicitation.clause_links}
    solicitation.clause_links = [
        existing.get(cid) or SolicitationClause(clause_id=cid) for cid in wanted
    ]
    for position, link in enumerate(solicitation.clause_links):
        link.position = position


def create_solicitation(
    consortium: Organisation, values: dict[str, Any], clause_ids: Sequence[int] = ()
) -> Solicitation:
    """A draft solicitation of `consortium` from the form's values."""
    values = {key: values[key] for key in EDITABLE_FIELDS}
    _check_fields(values)
    solicitation = Solicitation(
        consortium_id=consortium.id,
        consortium=consortium,
        status=SolicitationStatus.draft,
        **values,
    )
    db.session.add(solicitation)
    _set_clauses(solicitation, clause_ids)
    record("solicitation.created", solicitation, before=None, after=solicitation.audit_state())
    return solicitation


def update_draft(
    solicitation: Solicitation, values: dict[str, Any], clause_ids: Sequence[int] = ()
) -> Solicitation:
    """Edit everything of a draft; a published solicitation only moves its deadlines."""
    if solicitation.status != SolicitationStatus.draft:
        raise ProcurementError("Only a draft can be edited; a published solicitation can only extend its deadlines.")
    values = {key: values[key] for key in EDITABLE_FIELDS}
    _check_fields(values)
    before = solicitation.audit_state()
    for key, value in values.items():
        setattr(solicitation, key, value)
    _set_clauses(solicitation, clause_ids)
    after = solicitation.audit_state()
    if after != before:
        record("solicitation.updated", solicitation, before=before, after=after)
    return solicitation


def extend_deadlines(
    solicitation: Solicitation, opt_in_deadline: datetime, bid_deadline: datetime
) -> Solicitation:
    """Move the deadlines of a published solicitation later; a deadline that passed stays fixed."""
    if solicitation.status != SolicitationStatus.open:
        raise ProcurementError("Deadlines can only be extended while the solicitation is open.")
    at = now()
    for field, old, new in (
        ("opt_in_deadline", solicitation.opt_in_deadline, opt_in_deadline),
        ("bid_deadline", solicitation.bid_deadline, bid_deadline),
    ):
        if new == old:
            continue
        label = "opt-in" if field == "opt_in_deadline" else "bid"
        if old <= at:
            raise ProcurementError(
                f"The {label} deadline has passed; it can no longer be changed.", field=field
            )
        if new < old:
            raise ProcurementError(
                f"A published {label} deadline can only be extended, not shortened.", field=field
            )
    if bid_deadline < opt_in_deadline:
        raise ProcurementError(
            "The bid deadline cannot be before the opt-in deadline.", field="bid_deadline"
        )
    before = solicitation.audit_state()
    solicitation.opt_in_deadline, solicitation.bid_deadline = opt_in_deadline, bid_deadline
    after = solicitation.audit_state()
    if after != before:
        record("solicitation.deadlines_extended", solicitation, before=before, after=after)
    return solicitation


def transition(solicitation: Solicitation, to: SolicitationStatus | str) -> Solicitation:
    """Move the stored status along the state machine at the server clock, with an audit event."""
    to = SolicitationStatus(to)
    at = now()
    if to not in allowed_transitions(solicitation, at):
        raise ProcurementError(
            f"A solicitation that is {phase(solicitation, at)} cannot become {to.value.replace('_', ' ')}."
        )
    before = {"status": solicitation.status}
    solicitation.status = to
    if to == SolicitationStatus.open:
        solicitation.published_at = at
        for link in solicitation.clause_links:
            link.freeze()
    elif to == SolicitationStatus.bids_opened:
        solicitation.bids_opened_at = at
    elif to == SolicitationStatus.cancelled:
        solicitation.cancelled_at = at
    action = "published" if to == SolicitationStatus.open else to.value
    record(f"solicitation.{action}", solicitation, before=before, after={"status": to})
    return solicitation


def publish(solicitation: Solicitation) -> Solicitation:
    """Draft -> open: both deadlines must lie in the future."""
    at = now()
    if solicitation.status == SolicitationStatus.draft:
        if solicitation.opt_in_deadline <= at:
            raise ProcurementError(
                "The opt-in deadline has passed; set a future deadline before publishing.",
                field="opt_in_deadline",
            )
        if solicitation.bid_deadline <= at:
            raise ProcurementError(
                "The bid deadline has passed; set a future deadline before publishing.",
                field="bid_deadline",
            )
    return transition(solicitation, SolicitationStatus.open)


def cancel(solicitation: Solicitation) -> Solicitation:
    """Draft or open -> cancelled; opted-in districts are told."""
    was_open = solicitation.status == SolicitationStatus.open
    transition(solicitation, SolicitationStatus.cancelled)
    if was_open:
        for opt_in in live_opt_ins(solicitation):
            _notify_district(
                opt_in.district,
                f"Cancelled: {solicitation.title}",
                f"{solicitation.consortium.name} cancelled the solicitation "
                f"\"{solicitation.title}\". Your opt-in no longer commits {opt_in.district.name} "
                "to anything.",
            )
    return solicitation


def solicitations_of(consortium: Organisation) -> list[Solicitation]:
    return list(
        db.session.scalars(
            select(Solicitation)
            .where(Solicitation.consortium_id == consortium.id)
            .order_by(Solicitation.created_at.desc(), Solicitation.id.desc())
        )
    )


# ---------------------------------------------------------------- opt-ins


def _lock(solicitation: Solicitation) -> Solicitation:
    """Re-read the solicitation under a row lock: opt-in changes to it run one at a time."""
    return db.session.execute(
        select(Solicitation)
        .where(Solicitation.id == solicitation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _existing(solicitation_id: int, district_id: int) -> OptIn | None:
    return db.session.execute(
        select(OptIn)
        .where(OptIn.solicitation_id == solicitation_id, OptIn.district_id == district_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _check_may_change(district: Organisation, solicitation: Solicitation) -> None:
    if not district.is_district:
        raise ProcurementError("Only a district can opt in.")
    at = now()
    if not accepts_opt_ins(solicitation, at):
        if solicitation.status in (SolicitationStatus.open, SolicitationStatus.closed):
            tz = solicitation.consortium.timezone
            raise OptInClosed(
                f"The opt-in deadline passed on {localtime(solicitation.opt_in_deadline, tz)}; "
                "opt-ins can no longer be made, changed or withdrawn."
            )
        raise OptInClosed(f"This solicitation is {phase(solicitation, at)}; it does not take opt-ins.")
    if not is_verified_member(district, solicitation.consortium_id):
        raise NotVerified(
            f"{district.name} must be verified by {solicitation.consortium.name} before it can opt in."
        )


def _check_version(opt_in: OptIn | None, expected_version: int | None) -> None:
    if expected_version is None:
        return
    current = opt_in.version if opt_in is not None else 0
    if current != expected_version:
        raise StaleOptIn(
            "Your district's opt-in changed since you loaded this page (perhaps a colleague "
            "changed it). Review the current opt-in and submit again."
        )


def upsert_opt_in(
    district: Organisation,
    solicitation: Solicitation,
    quantity: int,
    ceiling: int | None,
    *,
    expected_version: int | None = None,
) -> OptIn:
    """Opt in, change, or re-join: one live row per district, serialised on the solicitation row.

    `ceiling` is the maximum unit price in cents (None: no ceiling). `expected_version` is the
    version the form showed (0 for none); a mismatch raises StaleOptIn and changes nothing.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ProcurementError("Quantity must be a whole number of at least 1.", field="quantity")
    if ceiling is not None and (not isinstance(ceiling, int) or ceiling < 0):
        raise ProcurementError("The price ceiling cannot be negative.", field="max_unit_price")
    solicitation = _lock(solicitation)
    _check_may_change(district, solicitation)
    opt_in = _existing(solicitation.id, district.id)
    _check_version(opt_in, expected_version)
    at = now()
    if opt_in is None:
        opt_in = OptIn(
            solicitation_id=solicitation.id,
            district_id=district.id,
            quantity=quantity,
            max_unit_amount=ceiling,
            status=OptInStatus.live,
            version=1,
            created_at=at,
            updated_at=at,
        )
        try:
            with db.session.begin_nested():
                db.session.add(opt_in)
        except IntegrityError:
            # Only reachable where FOR UPDATE is a no-op (SQLite): another writer inserted first.
            opt_in = _existing(solicitation.id, district.id)
            if opt_in is None:
                raise
            return _change(opt_in, quantity, ceiling, at)
        record("opt_in.created", opt_in, before=None, after=opt_in.audit_state(),
               consortium_id=solicitation.consortium_id)
        _confirm(opt_in, solicitation, "Opt-in confirmed")
        return opt_in
    return _change(opt_in, quantity, ceiling, at)


def _change(opt_in: OptIn, quantity: int, ceiling: int | None, at: datetime) -> OptIn:
    solicitation = opt_in.solicitation
    before = opt_in.audit_state()
    rejoining = opt_in.status == OptInStatus.withdrawn
    if not rejoining and opt_in.quantity == quantity and opt_in.max_unit_amount == ceiling:
        return opt_in  # nothing changed: no event, no mail
    opt_in.quantity = quantity
    opt_in.max_unit_amount = ceiling
    opt_in.status = OptInStatus.live
    opt_in.version += 1
    opt_in.updated_at = at
    db.session.flush()
    action = "opt_in.rejoined" if rejoining else "opt_in.changed"
    record(action, opt_in, before=before, after=opt_in.audit_state(),
           consortium_id=solicitation.consortium_id)
    _confirm(opt_in, solicitation, "Opt-in confirmed" if rejoining else "Opt-in changed")
    return opt_in


def withdraw_opt_in(
    district: Organisation, solicitation: Solicitation, *, expected_version: int | None = None
) -> OptIn:
    """Withdraw before the opt-in deadline; the row stays (withdrawn) so re-joining keeps history."""
    solicitation = _lock(solicitation)
    _check_may_change(district, solicitation)
    opt_in = _existing(solicitation.id, district.id)
    _check_version(opt_in, expected_version)
    if opt_in is None or opt_in.status == OptInStatus.withdrawn:
        raise ProcurementError(f"{district.name} has no live opt-in to withdraw.")
    before = opt_in.audit_state()
    opt_in.status = OptInStatus.withdrawn
    opt_in.version += 1
    opt_in.updated_at = now()
    db.session.flush()
    record("opt_in.withdrawn", opt_in, before=before, after=opt_in.audit_state(),
           consortium_id=solicitation.consortium_id)
    tz = solicitation.consortium.timezone
    _notify_district(
        district,
        f"Opt-in withdrawn: {solicitation.title}",
        f"{district.name} withdrew from \"{solicitation.title}\" ({solicitation.consortium.name}).\n"
        f"You can opt in again until {localtime(solicitation.opt_in_deadline, tz)}.",
    )
    return opt_in


def _confirm(opt_in: OptIn, solicitation: Solicitation, subject: str) -> None:
    tz = solicitation.consortium.timezone
    ceiling = (
        f"at most {money(opt_in.max_unit_amount, solicitation.currency)} per {solicitation.unit}"
        if opt_in.max_unit_amount is not None
        else "no price ceiling"
    )
    _notify_district(
        opt_in.district,
        f"{subject}: {solicitation.title}",
        f"{opt_in.district.name} is in for {opt_in.quantity:,} x {solicitation.unit} "
        f"in \"{solicitation.title}\" ({solicitation.consortium.name}), {ceiling}.\n"
        "You commit to buy only if the awarded unit price is within your ceiling.\n"
        f"You can change or withdraw until {localtime(solicitation.opt_in_deadline, tz)}.",
    )


def _notify_district(district: Organisation, subject: str, body: str) -> None:
    from consortium.notifications.services import notify

    emails = db.session.scalars(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == district.id, User.active.is_(True))
        .order_by(User.email)
    )
    for email in emails:
        notify(email, subject, body)


REMINDER_WINDOW = timedelta(days=2)


def send_deadline_reminders(window: timedelta = REMINDER_WINDOW) -> list[Solicitation]:
    """Once per solicitation, when its opt-in deadline is within `window`: remind the districts.

    Districts that are in are asked to review their quantity and ceiling; verified districts
    of the consortium that are not in are told they can still join. Returns those reminded.
    """
    at = now()
    due = list(
        db.session.scalars(
            select(Solicitation)
            .where(
                Solicitation.status == SolicitationStatus.open,
                Solicitation.opt_in_deadline > at,
                Solicitation.opt_in_deadline <= at + window,
                Solicitation.opt_in_reminder_sent_at.is_(None),
            )
            .order_by(Solicitation.id)
            .with_for_update(skip_locked=True)  # two schedulers never remind twice
        )
    )
    for solicitation in due:
        tz = solicitation.consortium.timezone
        deadline = localtime(solicitation.opt_in_deadline, tz)
        live = {o.district_id: o for o in live_opt_ins(solicitation)}
        for opt_in in live.values():
            _notify_district(
                opt_in.district,
                f"Opt-in deadline approaching: {solicitation.title}",
                f"{opt_in.district.name} is in for {opt_in.quantity:,} x {solicitation.unit} in "
                f"\"{solicitation.title}\". Review the quantity and price ceiling before "
                f"{deadline}; after that nothing can change.",
            )
        invited = list(
            db.session.scalars(
                select(Organisation)
                .join(Affiliation, Affiliation.member_id == Organisation.id)
                .where(
                    Affiliation.consortium_id == solicitation.consortium_id,
                    Affiliation.status == AffiliationStatus.verified,
                    Organisation.kind == OrgKind.district,
                )
                .order_by(Organisation.id)
            )
        )
        invited = [d for d in invited if d.id not in live]
        for district in invited:
            _notify_district(
                district,
                f"Last days to join: {solicitation.title}",
                f"{solicitation.consortium.name} closes opt-ins for \"{solicitation.title}\" on "
                f"{deadline}. Opting in commits {district.name} only if the awarded price is "
                "within the ceiling you set.",
            )
        solicitation.opt_in_reminder_sent_at = at
        record("solicitation.reminded", solicitation, before=None,
               after={"districts_in": len(live), "districts_invited": len(invited)})
    return due


def opt_in_of(district: Organisation | None, solicitation: Solicitation) -> OptIn | None:
    """This district's opt-in row (live or withdrawn), if any."""
    if district is None:
        return None
    return db.session.execute(
        select(OptIn).where(OptIn.solicitation_id == solicitation.id, OptIn.district_id == district.id)
    ).scalar_one_or_none()


def live_opt_ins(solicitation: Solicitation) -> list[OptIn]:
    return list(
        db.session.scalars(
            select(OptIn)
            .where(OptIn.solicitation_id == solicitation.id, OptIn.status == OptInStatus.live)
            .order_by(OptIn.district_id)
        )
    )


def all_opt_ins(solicitation: Solicitation) -> list[OptIn]:
    """Every opt-in row (live first), with the district: for the consortium's managers only."""
    return list(
        db.session.scalars(
            select(OptIn)
            .join(Organisation, Organisation.id == OptIn.district_id)
            .where(OptIn.solicitation_id == solicitation.id)
            .order_by(OptIn.status, Organisation.name, OptIn.id)
        )
    )


def district_opt_ins(district: Organisation) -> list[OptIn]:
    """A district's opt-ins across solicitations, soonest deadline first."""
    return list(
        db.session.scalars(
            select(OptIn)
            .join(Solicitation, Solicitation.id == OptIn.solicitation_id)
            .where(OptIn.district_id == district.id)
            .order_by(Solicitation.opt_in_deadline, Solicitation.id)
        )
    )


OPT_IN_CSV_COLUMNS = (
    "district", "nces_id", "state", "locale", "enrollment", "schools", "broadband_mbps",
    "mbps_per_student", "sis", "quantity", "max_unit_price", "status", "opted_in_at_utc",
    "updated_at_utc",
)


def _cell(value: Any) -> Any:
    # Spreadsheets run cells that start with these as formulas (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def opt_ins_csv(solicitation: Solicitation) -> str:
    """Every opt-in with its district's profile, for the consortium's managers."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(OPT_IN_CSV_COLUMNS)
    for opt_in in all_opt_ins(solicitation):
        profile = opt_in.district.district_profile or DistrictProfile()
        per_student = profile.mbps_per_student
        writer.writerow([_cell(v) for v in (
            opt_in.district.name, profile.nces_id, profile.state, profile.locale,
            profile.enrollment, profile.schools, profile.broadband_mbps,
            "" if per_student is None else f"{per_student:.4f}", profile.sis,
            opt_in.quantity,
            "" if opt_in.max_unit_amount is None else f"{opt_in.max_unit_amount / 100:.2f}",
            opt_in.status, opt_in.created_at.isoformat(timespec="seconds"),
            opt_in.updated_at.isoformat(timespec="seconds"),
        )])
    return out.getvalue()


# ---------------------------------------------------------------- momentum (aggregates only)

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
