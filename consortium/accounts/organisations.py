"""An organisation: its slug, its profile (district or vendor) and its people."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from consortium import security
from consortium.accounts.invitations import invite
from consortium.accounts.models import (
    DistrictProfile,
    Invitation,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
    VendorProfile,
    normalise_email,
)
from consortium.audit.services import record
from consortium.errors import DomainError
from consortium.extensions import db


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


def create_organisation(kind: OrgKind, name: str, **extra) -> Organisation:
    org = Organisation(kind=OrgKind(kind), name=name.strip(), slug=unique_slug(name), **extra)
    if org.kind == OrgKind.district:
        org.district_profile = DistrictProfile()
    elif org.kind == OrgKind.vendor:
        org.vendor_profile = VendorProfile(dpa_states=[], certifications=[], accessibility="none")
    db.session.add(org)
    return org


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


# ---- people ----


def add_member(
    org: Organisation, email: str, name: str, role: Role | str, *, by: User | None = None
) -> tuple[Membership | None, Invitation | None]:
    """Add a person to `org`: a new person at once (an account with no usable password, they
    choose one by link); an existing person is invited and joins only once they accept.

    Returns (membership, None) for a new person, (None, invitation) for an existing one.
    """
    email = normalise_email(email)
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is not None:
        return None, invite(org, user, role, by)
    user = User(name=name.strip() or email, email=email, password_hash=security.unusable_password())
    db.session.add(user)
    membership = Membership(user=user, organisation=org, role=Role(role))
    db.session.add(membership)
    db.session.flush()
    record("membership.added", membership, before=None,
           after={"email": email, "role": Role(role), "organisation_id": org.id},
           consortium_id=org.id if org.is_consortium else None)
    return membership, None


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
