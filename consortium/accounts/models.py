"""People, organisations, their memberships, profiles and per-consortium affiliations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.bounds import MAX_BROADBAND_MBPS, MAX_ENROLLMENT, MAX_SCHOOLS
from consortium.db import TZDateTime, str_enum, utcnow
from consortium.extensions import db


class OrgKind(StrEnum):
    district = "district"
    vendor = "vendor"
    consortium = "consortium"


class AffiliationStatus(StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"


class Role(StrEnum):
    member = "member"
    admin = "admin"


LOCALES = ("rural", "town", "suburban", "urban")
ACCESSIBILITY_LEVELS = ("WCAG 2.1 AA", "WCAG 2.0 AA", "none")
CERTIFICATIONS = (
    "OneRoster 1.1",
    "OneRoster 1.2",
    "LTI 1.1",
    "LTI 1.3",
    "LTI Advantage",
    "Common Cartridge 1.3",
    "QTI 3.0",
    "CASE 1.0",
)


def normalise_email(email: str) -> str:
    """How an email is stored and compared: trimmed, lower case."""
    return email.strip().lower()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout and on every password change: each session (and remember-me cookie)
    # carries the epoch it was signed in at, and one from an older epoch no longer loads.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """What the session and the remember-me cookie keep: the id and the session epoch."""
        return f"{self.id}.{self.session_epoch or 0}"

    @classmethod
    def from_session_id(cls, session_id: str) -> User | None:
        """The active user a session's `get_id()` names, if that session is still current."""
        user_id, _, epoch = session_id.partition(".")
        if not (user_id.isdigit() and epoch.isdigit() and len(user_id) < 10 and len(epoch) < 10):
            return None
        # Every page asks who acts for which organisation next: one query for all of it.
        from sqlalchemy.orm import joinedload

        user = db.session.get(cls, int(user_id), options=[
            joinedload(cls.memberships).joinedload(Membership.organisation)
            .joinedload(Organisation.district_profile)])
        if user is None or not user.active or (user.session_epoch or 0) != int(epoch):
            return None
        return user

    def end_sessions(self) -> None:
        """Sign this person out everywhere: every session and cookie of an older epoch dies."""
        self.session_epoch = (self.session_epoch or 0) + 1

    def membership_in(self, org: Organisation | int | None) -> Membership | None:
        org_id = org.id if isinstance(org, Organisation) else org
        return next((m for m in self.memberships if m.organisation_id == org_id), None)

    @property
    def organisations(self) -> list[Organisation]:
        return [m.organisation for m in self.memberships]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("kind IN ('district', 'vendor', 'consortium')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    # Only meaningful for consortia: the zone their deadlines and dates are shown in.
    timezone: Mapped[str] = mapped_column(String(64), default="America/Chicago")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    district_profile: Mapped[DistrictProfile | None] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", uselist=False
    )
    vendor_profile: Mapped[VendorProfile | None] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", uselist=False
    )
    # Where this organisation is a member (district or vendor) of a consortium.
    affiliations: Mapped[list[Affiliation]] = relationship(
        back_populates="member", foreign_keys="Affiliation.member_id", cascade="all, delete-orphan"
    )
    # Where this organisation is the consortium.
    member_affiliations: Mapped[list[Affiliation]] = relationship(
        back_populates="consortium", foreign_keys="Affiliation.consortium_id"
    )

    @property
    def is_district(self) -> bool:
        return self.kind == OrgKind.district

    @property
    def is_vendor(self) -> bool:
        return self.kind == OrgKind.vendor

    @property
    def is_consortium(self) -> bool:
        return self.kind == OrgKind.consortium

    def affiliation_with(self, consortium: Organisation | int) -> Affiliation | None:
        cid = consortium.id if isinstance(consortium, Organisation) else consortium
        return next((a for a in self.affiliations if a.consortium_id == cid), None)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.slug}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id"),
        CheckConstraint("role IN ('member', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.member)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin


class DistrictProfile(db.Model):
    __tablename__ = "district_profiles"
    __table_args__ = (
        CheckConstraint("enrollment IS NULL OR enrollment >= 0", name="enrollment_nonneg"),
        CheckConstraint("schools IS NULL OR schools >= 0", name="schools_nonneg"),
        CheckConstraint("broadband_mbps IS NULL OR broadband_mbps >= 0", name="broadband_nonneg"),
        CheckConstraint(f"enrollment <= {MAX_ENROLLMENT}", name="enrollment_max"),
        CheckConstraint(f"schools <= {MAX_SCHOOLS}", name="schools_max"),
        CheckConstraint(f"broadband_mbps <= {MAX_BROADBAND_MBPS}", name="broadband_max"),
        CheckConstraint(
            "locale IS NULL OR locale IN ('rural', 'town', 'suburban', 'urban')", name="locale"
        ),
    )

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    nces_id: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[str | None] = mapped_column(String(2))
    enrollment: Mapped[int | None] = mapped_column(Integer)
    schools: Mapped[int | None] = mapped_column(Integer)
    broadband_mbps: Mapped[int | None] = mapped_column(Integer)
    locale: Mapped[str | None] = mapped_column(String(20))
    sis: Mapped[str | None] = mapped_column(String(80))

    organisation: Mapped[Organisation] = relationship(back_populates="district_profile")

    @property
    def mbps_per_student(self) -> float | None:
        if not self.enrollment or self.broadband_mbps is None:
            return None
        return self.broadband_mbps / self.enrollment

    def as_dict(self) -> dict:
        return {
            "nces_id": self.nces_id,
            "state": self.state,
            "enrollment": self.enrollment,
            "schools": self.schools,
            "broadband_mbps": self.broadband_mbps,
            "locale": self.locale,
            "sis": self.sis,
        }


class VendorProfile(db.Model):
    __tablename__ = "vendor_profiles"
    __table_args__ = (
        CheckConstraint(
            "accessibility IN ('WCAG 2.1 AA', 'WCAG 2.0 AA', 'none')", name="accessibility"
        ),
    )

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    dpa_states: Mapped[list[str]] = mapped_column(JSON, default=list)
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    accessibility: Mapped[str] = mapped_column(String(20), default="none")
    website: Mapped[str | None] = mapped_column(String(300))

    organisation: Mapped[Organisation] = relationship(back_populates="vendor_profile")

    def has_dpa_for(self, state: str | None) -> bool:
        return bool(state) and state in (self.dpa_states or [])

    def as_dict(self) -> dict:
        return {
            "dpa_states": sorted(self.dpa_states or []),
            "certifications": sorted(self.certifications or []),
            "accessibility": self.accessibility,
            "website": self.website,
        }


class Affiliation(db.Model):
    """A district's or vendor's standing with one consortium; verified per consortium."""

    __tablename__ = "affiliations"
    __table_args__ = (
        UniqueConstraint("consortium_id", "member_id"),
        CheckConstraint("status IN ('pending', 'verified', 'rejected')", name="status"),
        CheckConstraint("consortium_id <> member_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consortium_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[AffiliationStatus] = mapped_column(
        str_enum(AffiliationStatus), default=AffiliationStatus.pending
    )
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    consortium: Mapped[Organisation] = relationship(
        back_populates="member_affiliations", foreign_keys=[consortium_id]
    )
    member: Mapped[Organisation] = relationship(
        back_populates="affiliations", foreign_keys=[member_id]
    )
    decided_by: Mapped[User | None] = relationship()

    @property
    def audit_consortium_id(self) -> int:
        return self.consortium_id

    @property
    def is_verified(self) -> bool:
        return self.status == AffiliationStatus.verified


class InvitationStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"


class Invitation(db.Model):
    """An organisation asking an existing person to join it; nothing changes until they accept.

    Adding someone's account to an organisation without their word would let any admin put a
    stranger's personal mail and standing under their organisation. The invitee accepts or
    declines from a link in their own mail, signed in as themselves.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status"),
        CheckConstraint("role IN ('member', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The link's key: random, so invitations cannot be guessed or counted.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.member)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus), default=InvitationStatus.pending
    )
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status == InvitationStatus.pending
