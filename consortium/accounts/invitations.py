"""Inviting an existing person into an organisation: the invitation, their answer, the mail.

A person new to the marketplace is added at once (their account is made with no password and
they choose one from the link); an existing person is asked, and only their acceptance, signed
in as themselves, makes the membership. The invitation mail is personal: only they read it.
"""

from __future__ import annotations

import secrets

from flask import url_for
from sqlalchemy import select

from consortium.accounts.models import (
    Invitation,
    InvitationStatus,
    Membership,
    Organisation,
    Role,
    User,
)
from consortium.audit.services import record
from consortium.clock import now
from consortium.errors import DomainError, conflict
from consortium.extensions import db
from consortium.notifications.services import notify


def _consortium_of(org: Organisation) -> int | None:
    return org.id if org.is_consortium else None


def pending_invitations(org: Organisation) -> list[Invitation]:
    """Invitations of `org` nobody has answered yet, oldest first (the members page lists them)."""
    return list(db.session.scalars(
        select(Invitation)
        .where(Invitation.organisation_id == org.id,
               Invitation.status == InvitationStatus.pending)
        .order_by(Invitation.id)
    ))


def invite(org: Organisation, user: User, role: Role | str, by: User | None) -> Invitation:
    """Ask `user` to join `org`; refused if they are a member or already invited."""
    if user.membership_in(org) is not None:
        raise DomainError(f"{user.email} is already a member.", field="email")
    if any(i.user_id == user.id for i in pending_invitations(org)):
        raise DomainError(f"{user.email} is already invited; they have not answered yet.",
                          field="email")
    invitation = Invitation(token=secrets.token_urlsafe(32), organisation=org, user=user,
                            role=Role(role), invited_by=by)
    db.session.add(invitation)
    db.session.flush()
    record("membership.invited", invitation, before=None,
           after={"email": user.email, "role": Role(role), "organisation_id": org.id},
           consortium_id=_consortium_of(org))
    link = url_for("accounts.invitation", token=invitation.token, _external=True)
    inviter = by.name if by is not None else "An admin"
    notify(
        user.email,
        f"Invitation to join {org.name}",
        f"Hello {user.name},\n\n{inviter} invites you to act for {org.name} on the "
        f"group-purchasing marketplace, as {Role(role).value}. Nothing changes until you "
        f"accept. Sign in and answer here:\n\n{link}\n\nIf you do not know them, decline.\n",
        personal=True,
    )
    return invitation


def invitation_for(token: str, user: User) -> Invitation | None:
    """The invitation behind `token` if it is addressed to `user` (None otherwise)."""
    invitation = db.session.scalars(select(Invitation).where(Invitation.token == token)).first()
    return invitation if invitation is not None and invitation.user_id == user.id else None


def answer(invitation: Invitation, *, accept: bool) -> Membership | None:
    """The invitee accepts (the membership is made) or declines; an answered one is refused."""
    if not invitation.is_pending:
        raise conflict(f"This invitation was already {invitation.status.value}.")
    org, user = invitation.organisation, invitation.user
    invitation.status = InvitationStatus.accepted if accept else InvitationStatus.declined
    invitation.decided_at = now()
    membership = None
    if accept and user.membership_in(org) is None:
        membership = Membership(user=user, organisation=org, role=invitation.role)
        db.session.add(membership)
        db.session.flush()
        record("membership.added", membership, before=None,
               after={"email": user.email, "role": invitation.role, "organisation_id": org.id},
               consortium_id=_consortium_of(org))
    record(f"membership.invitation_{invitation.status.value}", invitation,
           before={"status": "pending"}, after={"status": invitation.status},
           consortium_id=_consortium_of(org))
    return membership
