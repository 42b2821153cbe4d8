"""District opt-ins: made, changed, withdrawn and re-joined one at a time per solicitation.

`upsert_opt_in` and `withdraw_opt_in` lock the solicitation row (SELECT ... FOR UPDATE), check
the deadline on the server clock after the lock, and rely on the (solicitation, district)
unique constraint, so concurrent requests lose nothing and duplicate nothing.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from consortium.accounts.affiliations import profile_gaps
from consortium.accounts.models import (
    Affiliation,
    AffiliationStatus,
    DistrictProfile,
    Organisation,
    OrgKind,
)
from consortium.audit.services import record
from consortium.bounds import MAX_SEATS, MAX_UNIT_CENTS, SEATS_PER_STUDENT
from consortium.clock import now
from consortium.db import database_now
from consortium.errors import DomainError, conflict, forbidden
from consortium.extensions import db
from consortium.filters import localtime, money
from consortium.notifications.services import notify_members
from consortium.policy import is_verified_member
from consortium.procurement.models import (
    OptIn,
    OptInStatus,
    Solicitation,
    SolicitationStatus,
    accepts_opt_ins,
    opt_in_move,
    phase,
)


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


def _check_may_change(district: Organisation, solicitation: Solicitation) -> datetime:
    """Refuse unless `district` may change its opt-in now; the instant it was decided at.

    Called under the solicitation's row lock; the database's clock decides the deadline.
    """
    if not district.is_district:
        raise DomainError("Only a district can opt in.")
    at = database_now(db.session)
    if not accepts_opt_ins(solicitation, at):
        if solicitation.status in (SolicitationStatus.open, SolicitationStatus.closed):
            tz = solicitation.consortium.timezone
            raise conflict(
                f"The opt-in deadline passed on {localtime(solicitation.opt_in_deadline, tz)}; "
                "opt-ins can no longer be made, changed or withdrawn."
            )
        raise conflict(f"This solicitation is {phase(solicitation, at)}; it does not take opt-ins.")
    if not is_verified_member(district, solicitation.consortium_id):
        raise forbidden(
            f"{district.name} must be verified by {solicitation.consortium.name} before it can opt in."
        )
    gaps = profile_gaps(district)
    if gaps:
        raise forbidden(f"Complete {district.name}'s profile before opting in: "
                        f"{', '.join(gaps)} missing.")
    return at


def seat_limit(district: Organisation) -> int | None:
    """The most seats `district` may commit to: SEATS_PER_STUDENT per enrolled student."""
    profile = district.district_profile
    if profile is None or not profile.enrollment:
        return None
    return min(SEATS_PER_STUDENT * profile.enrollment, MAX_SEATS)


def _check_quantity(district: Organisation, quantity: int) -> None:
    """Refuse demand a district cannot have: a 1,234-student district asking 10 million seats."""
    limit = seat_limit(district)
    if limit is None:
        raise DomainError(
            f"Enter {district.name}'s enrollment in its profile first: opt-in quantities are "
            "checked against it.", field="quantity")
    if quantity > limit:
        enrollment = district.district_profile.enrollment
        raise DomainError(
            f"{district.name} can commit to at most {limit:,} seats ({SEATS_PER_STUDENT} per "
            f"enrolled student, {enrollment:,} students).", field="quantity")


def _check_version(opt_in: OptIn | None, expected_version: int | None) -> None:
    if expected_version is None:
        return
    current = opt_in.version if opt_in is not None else 0
    if current != expected_version:
        raise conflict(
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
    version the form showed (0 for none); a mismatch is refused (409) and changes nothing.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise DomainError("Quantity must be a whole number of at least 1.", field="quantity")
    if ceiling is not None and (not isinstance(ceiling, int) or not 1 <= ceiling <= MAX_UNIT_CENTS):
        # $0.00 would commit to nothing, yet count in public momentum as demand.
        raise DomainError(
            f"The price ceiling must be between $0.01 and ${MAX_UNIT_CENTS // 100:,} "
            "(leave it empty for no ceiling).", field="max_unit_price")
    solicitation = _lock(solicitation)
    at = _check_may_change(district, solicitation)
    _check_quantity(district, quantity)
    opt_in = _existing(solicitation.id, district.id)
    _check_version(opt_in, expected_version)
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
        record(opt_in_move(None, OptInStatus.live), opt_in, before=None, after=opt_in.audit_state(),
               consortium_id=solicitation.consortium_id)
        _confirm(opt_in, solicitation, "Opt-in confirmed")
        return opt_in
    return _change(opt_in, quantity, ceiling, at)


def _change(opt_in: OptIn, quantity: int, ceiling: int | None, at: datetime) -> OptIn:
    solicitation = opt_in.solicitation
    before = opt_in.audit_state()
    action = opt_in_move(opt_in.status, OptInStatus.live)
    rejoining = action == "opt_in.rejoined"
    if not rejoining and opt_in.quantity == quantity and opt_in.max_unit_amount == ceiling:
        return opt_in  # nothing changed: no event, no mail
    opt_in.quantity = quantity
    opt_in.max_unit_amount = ceiling
    opt_in.status = OptInStatus.live
    opt_in.version += 1
    opt_in.updated_at = at
    db.session.flush()
    record(action, opt_in, before=before, after=opt_in.audit_state(),
           consortium_id=solicitation.consortium_id)
    _confirm(opt_in, solicitation, "Opt-in confirmed" if rejoining else "Opt-in changed")
    return opt_in


def withdraw_opt_in(
    district: Organisation, solicitation: Solicitation, *, expected_version: int | None = None
) -> OptIn:
    """Withdraw before the opt-in deadline; the row stays (withdrawn) so re-joining keeps history."""
    solicitation = _lock(solicitation)
    at = _check_may_change(district, solicitation)
    opt_in = _existing(solicitation.id, district.id)
    _check_version(opt_in, expected_version)
    try:
        action = opt_in_move(opt_in.status if opt_in else None, OptInStatus.withdrawn)
    except ValueError:
        raise DomainError(f"{district.name} has no live opt-in to withdraw.") from None
    before = opt_in.audit_state()
    opt_in.status = OptInStatus.withdrawn
    opt_in.version += 1
    opt_in.updated_at = at
    db.session.flush()
    record(action, opt_in, before=before, after=opt_in.audit_state(),
           consortium_id=solicitation.consortium_id)
    tz = solicitation.consortium.timezone
    notify_members(
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
    notify_members(
        opt_in.district,
        f"{subject}: {solicitation.title}",
        f"{opt_in.district.name} is in for {opt_in.quantity:,} x {solicitation.unit} "
        f"in \"{solicitation.title}\" ({solicitation.consortium.name}), {ceiling}.\n"
        "You commit to buy only if the awarded unit price is within your ceiling.\n"
        f"You can change or withdraw until {localtime(solicitation.opt_in_deadline, tz)}.",
    )


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
            notify_members(
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
            notify_members(
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
    # The district and its profile come in the same query: the list shows both for every row.
    return list(
        db.session.scalars(
            select(OptIn)
            .join(Organisation, Organisation.id == OptIn.district_id)
            .options(contains_eager(OptIn.district).joinedload(Organisation.district_profile))
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
