"""Registration: a new person, a new district or vendor, and its application to a consortium."""

from __future__ import annotations

from dataclasses import dataclass

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
