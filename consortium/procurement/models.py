"""Solicitations, the clause library and district opt-ins; the solicitation state machine.

The state machine is two pure functions over (stored status, deadlines, now):
`phase` is what people see, `allowed_transitions` is what may happen next.
They take any object with `status`, `opt_in_deadline` and `bid_deadline`, so
they are tested from a plain table without a database.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.accounts.models import Organisation
from consortium.bounds import MAX_SEATS, MAX_UNIT_CENTS
from consortium.db import TZDateTime, str_enum, utcnow
from consortium.extensions import db


class SolicitationStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
    bids_opened = "bids_opened"
    awarded = "awarded"
    cancelled = "cancelled"


class OptInStatus(StrEnum):
    live = "live"
    withdrawn = "withdrawn"


CURRENCIES = ("usd", "cad")
ADMIN_FEE_BPS_MAX = 2000  # 20 %: cooperatives charge 1-3 %, anything above 20 is a typo

# What a district sees, in order; the stored status alone cannot say "opt-ins closed".
PHASES = (
    "draft",
    "open",
    "opt-ins closed",
    "bids closed",
    "bids opened",
    "awarded",
    "cancelled",
)

# Stored transitions; the clock guards in `allowed_transitions` narrow them further.
TRANSITIONS: dict[SolicitationStatus, frozenset[SolicitationStatus]] = {
    SolicitationStatus.draft: frozenset({SolicitationStatus.open, SolicitationStatus.cancelled}),
    SolicitationStatus.open: frozenset(
        {SolicitationStatus.closed, SolicitationStatus.bids_opened, SolicitationStatus.cancelled}
    ),
    SolicitationStatus.closed: frozenset({SolicitationStatus.bids_opened}),
    SolicitationStatus.bids_opened: frozenset({SolicitationStatus.awarded}),
    SolicitationStatus.awarded: frozenset(),
    SolicitationStatus.cancelled: frozenset(),
}


class HasDeadlines(Protocol):
    status: str
    opt_in_deadline: datetime
    bid_deadline: datetime


def phase(solicitation: HasDeadlines, now: datetime) -> str:
    """The phase people see: the stored status refined by the deadlines and the clock."""
    status = SolicitationStatus(solicitation.status)
    if status in (SolicitationStatus.open, SolicitationStatus.closed):
        if now < solicitation.opt_in_deadline:
            return "open"
        if now < solicitation.bid_deadline:
            return "opt-ins closed"
        return "bids closed"
    return {
        SolicitationStatus.draft: "draft",
        SolicitationStatus.bids_opened: "bids opened",
        SolicitationStatus.awarded: "awarded",
        SolicitationStatus.cancelled: "cancelled",
    }[status]


def bids_are_open(solicitation: HasDeadlines) -> bool:
    """A manager opened the bids (they stay open once awarded)."""
    return solicitation.status in (SolicitationStatus.bids_opened, SolicitationStatus.awarded)


def allowed_transitions(solicitation: HasDeadlines, now: datetime) -> frozenset[SolicitationStatus]:
    """Stored statuses reachable from here at `now`."""
    status = SolicitationStatus(solicitation.status)
    allowed = set(TRANSITIONS[status])
    deadlines_future = now < solicitation.opt_in_deadline <= solicitation.bid_deadline
    bids_closed = now >= solicitation.bid_deadline
    if SolicitationStatus.open in allowed and not deadlines_future:
        allowed.discard(SolicitationStatus.open)
    if not bids_closed:
        # Bids stay sealed until the bid deadline, for managers too.
        allowed.discard(SolicitationStatus.closed)
        allowed.discard(SolicitationStatus.bids_opened)
    return frozenset(allowed)


# An opt-in's moves, keyed (from, to), with the audit action each writes; None = no row yet.
OPT_IN_MOVES: dict[tuple[OptInStatus | None, OptInStatus], str] = {
    (None, OptInStatus.live): "opt_in.created",
    (OptInStatus.live, OptInStatus.live): "opt_in.changed",
    (OptInStatus.live, OptInStatus.withdrawn): "opt_in.withdrawn",
    (OptInStatus.withdrawn, OptInStatus.live): "opt_in.rejoined",
}


def opt_in_move(current: str | None, target: str) -> str:
    """The audit action of moving an opt-in from `current` to `target`; ValueError if not allowed."""
    key = (None if current is None else OptInStatus(current), OptInStatus(target))
    if key not in OPT_IN_MOVES:
        raise ValueError(f"an opt-in cannot go from {current or 'nothing'} to {target}")
    return OPT_IN_MOVES[key]


def accepts_opt_ins(solicitation: HasDeadlines, now: datetime) -> bool:
    """Opt-ins may be made, changed or withdrawn only while this is true."""
    return phase(solicitation, now) == "open"


class SolicitationClause(db.Model):
    """A clause of the library attached to a solicitation, in display order."""

    __tablename__ = "solicitation_clauses"

    solicitation_id: Mapped[int] = mapped_column(
        ForeignKey("solicitations.id", ondelete="CASCADE"), primary_key=True
    )
    clause_id: Mapped[int] = mapped_column(ForeignKey("clauses.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Frozen at publication: editing the library later must not change published terms.
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)

    solicitation: Mapped[Solicitation] = relationship(back_populates="clause_links")
    clause: Mapped[Clause] = relationship(back_populates="solicitation_links")

    @property
    def shown_title(self) -> str:
        return self.title if self.title is not None else self.clause.title

    @property
    def shown_body(self) -> str:
        return self.body if self.body is not None else self.clause.body

    def freeze(self) -> None:
        self.title, self.body = self.clause.title, self.clause.body


class Clause(db.Model):
    """A reusable contract clause in a consortium's library."""

    __tablename__ = "clauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, onupdate=utcnow)

    consortium: Mapped[Organisation] = relationship()
    solicitation_links: Mapped[list[SolicitationClause]] = relationship(back_populates="clause")


class Solicitation(db.Model):
    """A consortium's call for one product category: requirements, deadlines and grouping policy."""

    __tablename__ = "solicitations"
    __table_args__ = (
        CheckConstraint(
            f"admin_fee_bps >= 0 AND admin_fee_bps <= {ADMIN_FEE_BPS_MAX}", name="admin_fee_bps_range"
        ),
        CheckConstraint("term_months >= 1", name="term_months_positive"),
        CheckConstraint("acceptance_window_days >= 1", name="acceptance_window_positive"),
        CheckConstraint("term_months <= 120", name="term_months_max"),
        CheckConstraint("acceptance_window_days <= 365", name="acceptance_window_max"),
        CheckConstraint("bid_deadline >= opt_in_deadline", name="bid_after_opt_in_deadline"),
        CheckConstraint("currency IN ('usd', 'cad')", name="currency_known"),
        CheckConstraint(
            "status IN ('draft', 'open', 'closed', 'bids_opened', 'awarded', 'cancelled')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(50), default="seat per year")
    description: Mapped[str] = mapped_column(Text, default="")
    term_months: Mapped[int] = mapped_column(Integer, default=12)
    # {"dpa_required": bool, "certifications": [str], "accessibility": "WCAG 2.1 AA" | None}
    requirements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opt_in_deadline: Mapped[datetime] = mapped_column(TZDateTime)
    bid_deadline: Mapped[datetime] = mapped_column(TZDateTime)
    acceptance_window_days: Mapped[int] = mapped_column(Integer, default=30)
    # The policy object of ALLOCATION.md, passed to the optimiser as is.
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    admin_fee_bps: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    status: Mapped[SolicitationStatus] = mapped_column(
        str_enum(SolicitationStatus), default=SolicitationStatus.draft, index=True
    )
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    bids_opened_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    # Set when the "opt-in deadline approaching" mail went out, so it goes out once.
    opt_in_reminder_sent_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)

    consortium: Mapped[Organisation] = relationship()
    clause_links: Mapped[list[SolicitationClause]] = relationship(
        back_populates="solicitation",
        cascade="all, delete-orphan",
        order_by="SolicitationClause.position",
    )
    opt_ins: Mapped[list[OptIn]] = relationship(back_populates="solicitation")

    @property
    def clauses(self) -> list[SolicitationClause]:
        """Attached clauses in order, with `shown_title` / `shown_body` (frozen once published)."""
        return list(self.clause_links)

    def phase(self, now: datetime) -> str:
        return phase(self, now)

    def audit_state(self) -> dict[str, Any]:
        """The fields an audit event records before and after a change."""
        return {
            "title": self.title,
            "category": self.category,
            "unit": self.unit,
            "term_months": self.term_months,
            "requirements": self.requirements,
            "opt_in_deadline": self.opt_in_deadline.isoformat() if self.opt_in_deadline else None,
            "bid_deadline": self.bid_deadline.isoformat() if self.bid_deadline else None,
            "acceptance_window_days": self.acceptance_window_days,
            "policy": self.policy,
            "admin_fee_bps": self.admin_fee_bps,
            "currency": self.currency,
            "status": self.status,
            "clause_ids": [link.clause_id for link in self.clause_links],
        }

    def __repr__(self) -> str:
        return f"<Solicitation {self.id} {self.title!r} {self.status}>"


class OptIn(db.Model):
    """A district's conditional commitment: buy `quantity` if the awarded unit price <= ceiling.

    Exactly one row per (solicitation, district); withdrawing flips `status`, re-joining
    flips it back, and `version` counts every change so a stale form is detected.
    """

    __tablename__ = "opt_ins"
    __table_args__ = (
        UniqueConstraint("solicitation_id", "district_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "max_unit_amount IS NULL OR max_unit_amount >= 0", name="max_unit_amount_nonnegative"
        ),
        CheckConstraint(f"quantity <= {MAX_SEATS}", name="quantity_max"),
        # A ceiling of $0.00 would commit to nothing while counting as demand.
        CheckConstraint(
            f"max_unit_amount IS NULL OR max_unit_amount BETWEEN 1 AND {MAX_UNIT_CENTS}",
            name="max_unit_amount_range",
        ),
        CheckConstraint("status IN ('live', 'withdrawn')", name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    max_unit_amount: Mapped[int | None] = mapped_column(Integer, nullable=True)  # cents per unit
    status: Mapped[OptInStatus] = mapped_column(str_enum(OptInStatus), default=OptInStatus.live)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    solicitation: Mapped[Solicitation] = relationship(back_populates="opt_ins")
    district: Mapped[Organisation] = relationship()

    @property
    def audit_consortium_id(self) -> int:
        return self.solicitation.consortium_id

    @property
    def is_live(self) -> bool:
        return self.status == OptInStatus.live

    def audit_state(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "max_unit_amount": self.max_unit_amount,
            "status": self.status,
            "version": self.version,
        }

    def __repr__(self) -> str:
        return f"<OptIn s={self.solicitation_id} d={self.district_id} {self.quantity} {self.status}>"
