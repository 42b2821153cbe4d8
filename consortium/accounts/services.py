"""Registration, sign-in, the active organisation, profiles and verification."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_request_context, session, url_for
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from consortium import security
from consortium.accounts.models import (
    Affiliation,
    AffiliationStatus,
    DistrictProfile,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
    VendorProfile,
)
from consortium.audit.services import record
from consortium.clock import now
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.notifications.services import notify


def normalise_email(email: str) -> str:
    return email.strip().lower()


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:100] or "org"


def unique_slug(name: str) -> str:
    base = slugify(name)
    taken = set(
        db.session.execute(
            select(Organisation.slug).where(
                (Organisation.slug == base) | Organisation.slug.like(f"{base}-%")
            )
        ).scalars()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# ---- registration and sign-in ----


@dataclass(frozen=True)
class Registration:
    kind: OrgKind
    organisation_name: str
    consortium_id: int | None
    name: str
    email: str
    password: str


def consortia() -> list[Organisation]:
    return list(
        db.session.execute(
            select(Organisation).where(Organisation.kind == OrgKind.consortium).order_by(Organisation.name)
        ).scalars()
    )


def email_taken(email: str) -> bool:
    return (
        db.session.execute(
            select(func.count()).select_from(User).where(User.email == normalise_email(email))
        ).scalar_one()
        > 0
    )


def create_user(name: str, email: str, password: str) -> User:
    email = normalise_email(email)
    if email_taken(email):
        raise DomainError("An account with this email already exists.", field="email")
    user = User(name=name.strip(), email=email, password_hash=security.hash_password(password))
    db.session.add(user)
    return user


def create_organisation(kind: OrgKind, name: str, **extra) -> Organisation:
    org = Organisation(kind=OrgKind(kind), name=name.strip(), slug=unique_slug(name), **extra)
    if org.kind == OrgKind.district:
        org.district_profile = DistrictProfile()
    elif org.kind == OrgKind.vendor:
        org.vendor_profile = VendorProfile(dpa_states=[], certifications=[], accessibility="none")
    db.session.add(org)
    return org


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
    for manager in _people(consortium):
        notify(
            manager.email,
            f"{org.name} asks to join {consortium.name}",
            f"{org.name} ({org.kind.value}) applied to {consortium.name}.\n\n"
            f"Review it in the verification queue: "
            f"{url_for('accounts.verification', _external=True) if has_request_context() else '/verification'}\n",
        )
    return affiliation


def _people(org: Organisation, *, admins_only: bool = False) -> list[User]:
    return [
        m.user
        for m in sorted(org.memberships, key=lambda m: m.id)
        if m.user.active and (not admins_only or m.role == Role.admin)
    ]


def register(data: Registration) -> User:
    """A new district or vendor organisation with its first (admin) user; applies to a consortium."""
    _check_new_org(data.kind, data.consortium_id)
    user = create_user(data.name, data.email, data.password)
    register_organisation(user, data.kind, data.organisation_name, data.consortium_id)
    return user


def _check_new_org(kind: OrgKind | str, consortium_id: int | None) -> Organisation:
    if kind not in (OrgKind.district, OrgKind.vendor):
        raise DomainError("Register a district or a vendor.", field="kind")
    consortium = db.session.get(Organisation, consortium_id) if consortium_id else None
    if consortium is None or not consortium.is_consortium:
        raise DomainError("Choose a consortium to join.", field="consortium_id")
    return consortium


def register_organisation(
    user: User, kind: OrgKind | str, name: str, consortium_id: int | None
) -> Organisation:
    """Another district or vendor for an existing user (its admin); applies to a consortium."""
    consortium = _check_new_org(kind, consortium_id)
    org = create_organisation(OrgKind(kind), name)
    db.session.add(Membership(user=user, organisation=org, role=Role.admin))
    db.session.flush()
    record(
        "organisation.registered",
        org,
        before=None,
        after={"kind": org.kind, "name": org.name, "user_email": user.email},
        consortium_id=consortium.id,
    )
    apply_to_consortium(org, consortium)
    return org


def authenticate(email: str, password: str, ip: str) -> User:
    """The user for these credentials; records the attempt. Raises RateLimited or DomainError."""
    email = normalise_email(email)
    security.check_login_allowed(email, ip)
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        security.burn_time(password)
        ok = False
    else:
        ok = security.verify_password(user.password_hash, password) and user.is_active
    security.record_login_attempt(email, ip, success=ok)
    if not ok or user is None:
        raise DomainError("Email or password is not right.", field="password")
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    return user


def sign_in(user: User, *, remember: bool = False) -> None:
    session.clear()  # a fresh session on sign-in: no fixation
    login_user(user, remember=remember)


def sign_out() -> None:
    logout_user()
    session.clear()


# ---- profiles ----

DISTRICT_FIELDS = ("nces_id", "state", "enrollment", "schools", "broadband_mbps", "locale", "sis")
VENDOR_FIELDS = ("dpa_states", "certifications", "accessibility", "website")


def update_district_profile(org: Organisation, **values) -> DistrictProfile:
    if not org.is_district:
        raise DomainError("Only districts have a district profile.")
    profile = org.district_profile or DistrictProfile(organisation=org)
    before = profile.as_dict()
    for key in DISTRICT_FIELDS:
        if key in values:
            setattr(profile, key, values[key])
    if profile.state:
        profile.state = profile.state.upper()
    db.session.add(profile)
    after = profile.as_dict()
    if after != before:
        record("district_profile.updated", profile, before=before, after=after)
    return profile


def update_vendor_profile(org: Organisation, **values) -> VendorProfile:
    if not org.is_vendor:
        raise DomainError("Only vendors have a vendor profile.")
    profile = org.vendor_profile or VendorProfile(organisation=org)
    before = profile.as_dict()
    for key in VENDOR_FIELDS:
        if key in values:
            value = values[key]
            if key in ("dpa_states", "certifications"):
                value = sorted({v.strip().upper() if key == "dpa_states" else v for v in value if v})
            setattr(profile, key, value)
    db.session.add(profile)
    after = profile.as_dict()
    if after != before:
        record("vendor_profile.updated", profile, before=before, after=after)
    return profile


# ---- verification ----


def pending_affiliations(consortium: Organisation) -> list[Affiliation]:
    return list(
        db.session.execute(
            select(Affiliation)
            .where(
                Affiliation.consortium_id == consortium.id,
                Affiliation.status == AffiliationStatus.pending,
            )
            .order_by(Affiliation.created_at, Affiliation.id)
        ).scalars()
    )


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
    for person in _people(member):
        notify(person.email, subject, body + "\n")
    return affiliation


# ---- members of an organisation ----


def add_member(org: Organisation, email: str, name: str, role: Role | str) -> tuple[Membership, bool]:
    """Add a person to `org`; creates their account (no usable password) when new.

    Returns the membership and whether the account was created (then they need an invitation).
    """
    email = normalise_email(email)
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    created = user is None
    if created:
        user = User(name=name.strip() or email, email=email, password_hash=security.unusable_password())
        db.session.add(user)
    elif user.membership_in(org) is not None:
        raise DomainError(f"{email} is already a member.", field="email")
    membership = Membership(user=user, organisation=org, role=Role(role))
    db.session.add(membership)
    db.session.flush()
    record("membership.added", membership, before=None,
           after={"email": email, "role": Role(role), "organisation_id": org.id},
           consortium_id=org.id if org.is_consortium else None)
    return membership, created


def remove_member(membership: Membership) -> None:
    """Remove a person from an organisation; the last admin stays."""
    org = membership.organisation
    admins = [m for m in org.memberships if m.role == Role.admin]
    if membership.role == Role.admin and len(admins) <= 1:
        raise DomainError("An organisation needs at least one admin.")
    before = {"email": membership.user.email, "role": membership.role, "organisation_id": org.id}
    record("membership.removed", membership, before=before, after=None,
           consortium_id=org.id if org.is_consortium else None)
    db.session.delete(membership)


# ---- password reset (and invitations, which are the same link) ----

RESET_MAX_AGE = timedelta(hours=48)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def password_token(user: User) -> str:
    """A signed link token; it dies when the password changes (single use) or after 48 hours."""
    return _serializer().dumps({"u": user.id, "h": user.password_hash[-12:]})


def user_for_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=int(RESET_MAX_AGE.total_seconds()))
    except BadSignature:
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.password_hash[-12:] != data.get("h"):
        return None
    return user


def send_password_link(user: User, *, invited_to: Organisation | None = None) -> None:
    link = url_for("accounts.reset_password", token=password_token(user), _external=True)
    if invited_to is not None:
        subject = f"You are invited to {invited_to.name}"
        body = (
            f"Hello {user.name},\n\nYou have been added to {invited_to.name} on the group-purchasing "
            f"marketplace. Choose your password here (the link works for 48 hours):\n\n{link}\n"
        )
    else:
        subject = "Reset your password"
        body = (
            f"Hello {user.name},\n\nSomeone (hopefully you) asked to reset your password. "
            f"Choose a new one here (the link works for 48 hours, once):\n\n{link}\n\n"
            "If it was not you, ignore this message; your password is unchanged.\n"
        )
    notify(user.email, subject, body, sensitive=True, consortium_id=None)


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way."""
    user = db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()
    if user is not None and user.active:
        send_password_link(user)


def change_password(user: User, current: str, new: str) -> None:
    """Change a signed-in user's password; the current one must be right."""
    if not security.verify_password(user.password_hash, current):
        raise DomainError("That is not your current password.", field="current")
    set_password(user, new)
    notify(
        user.email,
        "Your password was changed",
        f"Hello {user.name},\n\nThe password of your account was just changed. If it was not "
        "you, reset it at once from the sign-in page and tell your consortium's managers.\n",
        personal=True,
    )


def set_password(user: User, password: str) -> None:
    user.password_hash = security.hash_password(password)
    record("user.password_set", user, before=None, after={"user_id": user.id})
