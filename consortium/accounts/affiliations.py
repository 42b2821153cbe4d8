"""Affiliations: a district or vendor applies to a consortium, whose managers verify it."""

from __future__ import annotations

from flask import has_request_context, url_for
from sqlalchemy import select

from consortium.accounts.models import Affiliation, AffiliationStatus, Organisation, User
from consortium.audit.services import record
from consortium.clock import now
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.notifications.services import notify_members


def apply_to_consortium(org: Organisation, consortium: Organisation) -> Affiliation:
    """Ask `consortium` to verify `org`; pending until a manager decides."""
    if not consortium.is_consortium:
        raise DomainError("Choose a consortium to join.", field="consortium_id")
    if org.is_consortium:
        raise DomainError("A consortium cannot join another consortium.", field="consortium_id")
    if org.affiliation_with(consortium) is not None:
        raise DomainError("Already applied to this consortium.", field="consortium_id")
    affiliation = Affiliation(consortium=consortium, member=org, status=AffiliationStatus.pending)
    db.session.add(affiliation)
    record("affiliation.requested", affiliation, before=None, after={"status": "pending", "member_id": org.id})
    queue = url_for("accounts.verification", _external=True) if has_request_context() else "/verification"
    notify_members(
        consortium,
        f"{org.name} asks to join {consortium.name}",
        f"{org.name} ({org.kind.value}) applied to {consortium.name}.\n\n"
        f"Review it in the verification queue: {queue}\n",
    )
    return affiliation


# What every district needs before it is verified or opts in (the profile form and the CCD
# import require them too): its state decides DPA eligibility, its enrollment its seat limit
# and its place in an enrollment-similar group.
PROFILE_FIELDS = (("state", "state"), ("enrollment", "enrollment"))


def profile_gaps(org: Organisation) -> list[str]:
    """The profile fields a district still has to fill (empty for vendors and consortia)."""
    if not org.is_district:
        return []
    profile = org.district_profile
    return [label for attr, label in PROFILE_FIELDS
            if profile is None or getattr(profile, attr) in (None, "", 0)]


def affiliations_of(consortium: Organisation, status: str | None = None) -> list[Affiliation]:
    stmt = select(Affiliation).where(Affiliation.consortium_id == consortium.id)
    if status:
        stmt = stmt.where(Affiliation.status == status)
    return list(db.session.execute(stmt.order_by(Affiliation.id)).scalars())


def decide_affiliation(
    affiliation: Affiliation, decision: AffiliationStatus | str, by: User, note: str | None = None
) -> Affiliation:
    """Verify or reject; a decision can be revised (verified <-> rejected)."""
    decision = AffiliationStatus(decision)
    if decision == AffiliationStatus.pending:
        raise DomainError("Choose verify or reject.", field="decision")
    before = {"status": affiliation.status, "note": affiliation.note}
    if affiliation.status == decision:
        return affiliation
    gaps = profile_gaps(affiliation.member)
    if decision == AffiliationStatus.verified and gaps:
        raise DomainError(
            f"{affiliation.member.name} cannot be verified yet: its profile has no "
            f"{', '.join(gaps)}. Ask its staff to complete the profile (grouping needs it).",
            field="decision",
        )
    affiliation.status = decision
    affiliation.note = note or None
    affiliation.decided_at = now()
    affiliation.decided_by = by
    record("affiliation." + decision.value, affiliation, before=before,
           after={"status": decision, "note": affiliation.note})
    member, consortium = affiliation.member, affiliation.consortium
    if decision == AffiliationStatus.verified:
        what = "opt in to group buys" if member.is_district else "bid on solicitations"
        subject = f"{member.name} is verified by {consortium.name}"
        body = f"{consortium.name} verified {member.name}. You can now {what}."
    else:
        subject = f"{consortium.name} did not verify {member.name}"
        body = f"{consortium.name} did not verify {member.name}."
    if affiliation.note:
        body += f"\n\nNote from the managers: {affiliation.note}"
    notify_members(member, subject, body + "\n")
    return affiliation
