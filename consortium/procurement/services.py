"""Procurement services: solicitations and their lifecycle, the clause library.

Services add and flush, never commit (the request's commit point does), and refuse with
DomainError. Every state change writes an audit event in the same transaction. Opt-ins live
in `optins`, aggregates in `momentum`, the grouping policy in `grouping`; their public names
are re-exported here, so callers import everything procurement offers from this one module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from consortium.accounts.models import Organisation
from consortium.audit.services import record
from consortium.clock import now
from consortium.errors import DomainError, conflict
from consortium.extensions import db
from consortium.filters import localtime
from consortium.notifications.services import notify_members
from consortium.procurement.grouping import (
    DEFAULT_POLICY,
    PolicyChoices,
    describe_policy,
    describe_requirements,
)
from consortium.procurement.models import (
    ADMIN_FEE_BPS_MAX,
    CURRENCIES,
    Clause,
    Solicitation,
    SolicitationClause,
    SolicitationStatus,
    allowed_transitions,
    phase,
)
from consortium.procurement.momentum import (
    ENROLLMENT_BANDS,
    Bucket,
    Momentum,
    SolicitationSummary,
    enrollment_band,
    momenta,
    momentum,
    open_solicitations,
    open_solicitations_summary,
    public_summaries,
    seats_committed,
)
from consortium.procurement.optins import (
    REMINDER_WINDOW,
    all_opt_ins,
    district_opt_ins,
    live_opt_ins,
    opt_in_of,
    opt_ins_csv,
    seat_limit,
    send_deadline_reminders,
    upsert_opt_in,
    withdraw_opt_in,
)

__all__ = [
    "ADMIN_FEE_BPS_MAX", "DEFAULT_POLICY", "ENROLLMENT_BANDS", "REMINDER_WINDOW",
    "Bucket", "Momentum", "PolicyChoices", "SolicitationSummary",
    "all_opt_ins", "cancel", "clause_library", "create_clause", "create_solicitation",
    "describe_policy", "describe_requirements", "district_opt_ins", "enrollment_band",
    "extend_deadlines", "live_opt_ins", "momenta", "momentum", "open_solicitations",
    "open_solicitations_summary", "opt_in_of", "opt_ins_csv", "public_summaries", "publish",
    "seat_limit", "seats_committed", "send_deadline_reminders", "solicitations_of", "transition",
    "update_clause", "update_draft", "upsert_opt_in", "withdraw_opt_in",
]


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
        raise DomainError(
            "The bid deadline cannot be before the opt-in deadline: vendors bid on the final demand.",
            field="bid_deadline",
        )
    if not 0 <= values["admin_fee_bps"] <= ADMIN_FEE_BPS_MAX:
        raise DomainError("The admin fee must be between 0% and 20%.", field="admin_fee")
    if values["currency"] not in CURRENCIES:
        raise DomainError("Choose USD or CAD.", field="currency")


def _set_clauses(solicitation: Solicitation, clause_ids: Sequence[int]) -> None:
    wanted = list(dict.fromkeys(int(i) for i in clause_ids))
    library = {c.id for c in clause_library(solicitation.consortium)}
    if not set(wanted) <= library:
        raise DomainError("Choose clauses from this consortium's library.", field="clause_ids")
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
        raise DomainError("Only a draft can be edited; a published solicitation can only extend its deadlines.")
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
        raise DomainError("Deadlines can only be extended while the solicitation is open.")
    at = now()
    for field, old, new in (
        ("opt_in_deadline", solicitation.opt_in_deadline, opt_in_deadline),
        ("bid_deadline", solicitation.bid_deadline, bid_deadline),
    ):
        if new == old:
            continue
        label = "opt-in" if field == "opt_in_deadline" else "bid"
        if old <= at:
            raise DomainError(
                f"The {label} deadline has passed; it can no longer be changed.", field=field
            )
        if new < old:
            raise DomainError(
                f"A published {label} deadline can only be extended, not shortened.", field=field
            )
    if bid_deadline < opt_in_deadline:
        raise DomainError(
            "The bid deadline cannot be before the opt-in deadline.", field="bid_deadline"
        )
    before = solicitation.audit_state()
    opt_ins_extended = opt_in_deadline != solicitation.opt_in_deadline
    solicitation.opt_in_deadline, solicitation.bid_deadline = opt_in_deadline, bid_deadline
    after = solicitation.audit_state()
    if after == before:
        return solicitation
    record("solicitation.deadlines_extended", solicitation, before=before, after=after)
    if opt_ins_extended:
        solicitation.opt_in_reminder_sent_at = None  # remind again before the new deadline
        shown = localtime(opt_in_deadline, solicitation.consortium.timezone)
        for opt_in in live_opt_ins(solicitation):
            notify_members(
                opt_in.district,
                f"Opt-in deadline extended: {solicitation.title}",
                f"{solicitation.consortium.name} extended the opt-in deadline of "
                f"\"{solicitation.title}\" to {shown}. {opt_in.district.name} stays in for "
                f"{opt_in.quantity:,} x {solicitation.unit}; you can change or withdraw until then.",
            )
    return solicitation


def transition(solicitation: Solicitation, to: SolicitationStatus | str) -> Solicitation:
    """Move the stored status along the state machine at the server clock, with an audit event."""
    to = SolicitationStatus(to)
    at = now()
    if to not in allowed_transitions(solicitation, at):
        raise conflict(
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
            raise conflict(
                "The opt-in deadline has passed; set a future deadline before publishing.",
                field="opt_in_deadline",
            )
        if solicitation.bid_deadline <= at:
            raise conflict(
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
            notify_members(
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
