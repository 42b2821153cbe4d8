"""Registration: a new person, a new district or vendor, and its application to a consortium."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from consortium import security
from consortium.accounts.affiliations import apply_to_consortium
from consortium.accounts.models import (
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
    normalise_email,
)
from consortium.accounts.organisations import create_organisation
from consortium.audit.services import record
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.notifications.services import notify


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


def register(data: Registration) -> None:
    """Start a registration; the mail says how to finish, whether or not the email is known.

    A new email gets an account that cannot sign in yet and a confirmation link; the
    organisation is made when the link is followed (`confirm`). A known email gets a mail
    saying it already has an account. The page answers the same either way (and takes as
    long: both hash the password), so registration tells nobody which emails exist.
    """
    consortium = _check_new_org(data.kind, data.consortium_id)
    email = normalise_email(data.email)
    password_hash = security.hash_password(data.password)
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is not None and (user.active or user.memberships):
        _mail_already_registered(user)
        return
    if user is None:
        user = User(name=data.name.strip(), email=email, password_hash=password_hash, active=False)
        db.session.add(user)
    else:  # registered before and never confirmed: this registration replaces that one
        user.name, user.password_hash = data.name.strip(), password_hash
    db.session.flush()
    record("user.registration_started", user, before=None, after={"email": email},
           consortium_id=consortium.id)
    _mail_confirmation(user, data)


@dataclass(frozen=True)
class PendingRegistration:
    """What a confirmation link carries: who registered which organisation where."""

    user: User
    kind: OrgKind
    organisation_name: str
    consortium: Organisation


CONFIRM_MAX_AGE = timedelta(hours=48)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-registration")


def confirmation_token(user: User, kind: OrgKind, organisation_name: str,
                       consortium_id: int | None) -> str:
    """The signed key of a confirmation link: the registration itself, nothing in a table."""
    # The password hash's tail ties the link to this registration: registering again kills it.
    return _serializer().dumps({"u": user.id, "h": user.password_hash[-12:], "k": str(kind),
                                "o": organisation_name.strip(), "c": consortium_id})


def _mail_confirmation(user: User, data: Registration) -> None:
    token = confirmation_token(user, data.kind, data.organisation_name, data.consortium_id)
    link = url_for("accounts.confirm_registration", token=token, _external=True)
    notify(
        user.email,
        "Confirm your registration",
        f"Hello {user.name},\n\nTo finish registering {data.organisation_name.strip()} on the "
        f"group-purchasing marketplace, open this link (it works for 48 hours):\n\n{link}\n\n"
        "If you did not register, ignore this message: nothing is made without it.\n",
        personal=True, sensitive=True,
    )


def _mail_already_registered(user: User) -> None:
    reset = url_for("accounts.forgot_password", _external=True)
    notify(
        user.email,
        "You already have an account",
        f"Hello {user.name},\n\nSomeone (hopefully you) tried to register with this email, "
        "which already has an account. Sign in with it; signed in, you can register another "
        f"organisation. Forgotten the password? Choose a new one here: {reset}\n",
        personal=True,
    )


def pending_for(token: str) -> PendingRegistration | None:
    """The registration a confirmation link stands for, if it is still waiting for it."""
    try:
        data = _serializer().loads(token, max_age=int(CONFIRM_MAX_AGE.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    consortium = db.session.get(Organisation, data.get("c")) if isinstance(data.get("c"), int) else None
    if (user is None or user.active or user.memberships or consortium is None
            or user.password_hash[-12:] != data.get("h") or data.get("k") not in ("district", "vendor")):
        return None
    return PendingRegistration(user, OrgKind(data["k"]), str(data.get("o", "")), consortium)


def confirm(pending: PendingRegistration) -> Organisation:
    """The confirmation link followed: the account may sign in and the organisation is made."""
    pending.user.active = True
    return register_organisation(pending.user, pending.kind, pending.organisation_name,
                                 pending.consortium.id)


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
