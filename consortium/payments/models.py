"""Invoices per contract year, their lines and payments, payment terms, Stripe ids and events.

Money is integer cents with a currency, each amount bounded by a CheckConstraint; an
invoice's total equals its lines (checked before every flush) and its fee never exceeds it.
Stripe ids are unique, so an object Stripe made is stored once whatever the retries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from consortium.accounts.models import Organisation
from consortium.bounds import MAX_DAYS_UNTIL_DUE
from consortium.db import TZDateTime, str_enum, utcnow
from consortium.extensions import db
from consortium.payments.states import (
    InvoiceStatus,
    PaymentMethod,
    PaymentStatus,
    invoice_phase,
    payable,
)

DEFAULT_DAYS_UNTIL_DUE = 30
DEFAULT_REMINDER_DAYS = (7,)
OFFLINE_PREFIX = "in_offline_"


def _values(enum: type) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class PaymentTerms(db.Model):
    """A solicitation's terms: days until an invoice is due, and when reminders go out."""

    __tablename__ = "payment_terms"
    __table_args__ = (
        CheckConstraint(f"days_until_due >= 0 AND days_until_due <= {MAX_DAYS_UNTIL_DUE}",
                        name="days_until_due_range"),
    )

    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), primary_key=True)
    days_until_due: Mapped[int] = mapped_column(Integer, default=DEFAULT_DAYS_UNTIL_DUE)
    # "Due in N days" reminders, largest first: [14, 3] mails two weeks and three days before.
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: list(DEFAULT_REMINDER_DAYS))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, onupdate=utcnow)

    solicitation = relationship("Solicitation")

    @property
    def audit_consortium_id(self) -> int:
        return self.solicitation.consortium_id

    def audit_state(self) -> dict[str, Any]:
        return {"days_until_due": self.days_until_due, "reminder_days": list(self.reminder_days)}


class StripeCustomer(db.Model):
    """A district as a Stripe customer: created once, its id kept."""

    __tablename__ = "stripe_customers"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class ConnectedAccount(db.Model):
    """A vendor's Stripe Connect account and what Stripe last said of it (`account.updated`)."""

    __tablename__ = "connected_accounts"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(255), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    details_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    currently_due: Mapped[list[str]] = mapped_column(JSON, default=list)
    disabled_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str] = mapped_column(String(2), default="US")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def ready(self) -> bool:
        """Stripe may send this vendor money: charges and payouts enabled."""
        return self.charges_enabled and self.payouts_enabled

    def audit_state(self) -> dict[str, Any]:
        return {
            "charges_enabled": self.charges_enabled,
            "payouts_enabled": self.payouts_enabled,
            "details_submitted": self.details_submitted,
            "currently_due": list(self.currently_due or []),
            "disabled_reason": self.disabled_reason,
        }


class Invoice(db.Model):
    """One contract year of one district's contract: what it owes its vendor, and the fee."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("contract_id", "contract_year"),
        CheckConstraint("contract_year >= 1", name="contract_year_positive"),
        CheckConstraint("total_cents > 0", name="total_positive"),
        CheckConstraint("fee_bps >= 0 AND fee_bps <= 10000", name="fee_bps_range"),
        CheckConstraint("fee_cents >= 0 AND fee_cents <= total_cents", name="fee_within_total"),
        CheckConstraint(
            "amount_paid_cents >= 0 AND amount_paid_cents <= total_cents", name="paid_within_total"
        ),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_paid_cents", name="refunds_within_paid"
        ),
        CheckConstraint("status <> 'paid' OR amount_paid_cents = total_cents", name="paid_in_full"),
        CheckConstraint("status <> 'void' OR void_reason IS NOT NULL", name="void_has_reason"),
        CheckConstraint(f"days_until_due >= 0 AND days_until_due <= {MAX_DAYS_UNTIL_DUE}",
                        name="days_until_due_range"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
        CheckConstraint(f"status IN ({_values(InvoiceStatus)})", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(26), unique=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), index=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    contract_year: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(BigInteger)
    fee_bps: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(BigInteger)
    amount_paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus), default=InvoiceStatus.draft, index=True
    )
    days_until_due: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    void_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    po_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    po_recorded_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    # The gateway's id: Stripe's `in_...`, or the offline twin's `in_offline_...`.
    gateway_invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    hosted_invoice_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    payment_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Why the last call to Stripe failed (retried by `flask daily`); None when in step.
    sync_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Automatic reminders already mailed: "due-7", "due-1", "overdue".
    reminders_sent: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_reminded_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)

    consortium: Mapped[Organisation] = relationship(foreign_keys=[consortium_id])
    district: Mapped[Organisation] = relationship(foreign_keys=[district_id])
    vendor: Mapped[Organisation] = relationship(foreign_keys=[vendor_id])
    solicitation = relationship("Solicitation")
    award = relationship("Award")
    contract = relationship("Contract")
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", order_by="Payment.id"
    )

    @property
    def audit_consortium_id(self) -> int:
        return self.consortium_id

    @property
    def balance_cents(self) -> int:
        """What the district still owes (nothing on a void invoice)."""
        return 0 if self.status == InvoiceStatus.void else self.total_cents - self.amount_paid_cents

    @property
    def net_paid_cents(self) -> int:
        return self.amount_paid_cents - self.refunded_cents

    @property
    def in_stripe(self) -> bool:
        """Stripe holds this invoice (not the offline twin)."""
        return bool(self.gateway_invoice_id) and not self.gateway_invoice_id.startswith(OFFLINE_PREFIX)

    @property
    def payable(self) -> bool:
        return payable(self.status)

    def phase(self, at: datetime) -> str:
        return invoice_phase(self.status, self.due_at, at)

    def share_of_fee(self, cents: int) -> int:
        """The admin fee on `cents` of this invoice, half-up (the fee on what was paid)."""
        return (self.fee_cents * cents + self.total_cents // 2) // self.total_cents

    @property
    def fee_earned_cents(self) -> int:
        """The consortium's fee on what was paid, net of refunds."""
        return self.share_of_fee(self.net_paid_cents)

    def audit_state(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status,
            "total_cents": self.total_cents,
            "fee_cents": self.fee_cents,
            "amount_paid_cents": self.amount_paid_cents,
            "refunded_cents": self.refunded_cents,
            "due_at": self.due_at,
            "po_number": self.po_number,
            "void_reason": self.void_reason,
            "gateway_invoice_id": self.gateway_invoice_id,
        }

    def __repr__(self) -> str:
        return f"<Invoice {self.id} {self.number} {self.status}>"


class InvoiceLine(db.Model):
    """One line: a contract's product, its quantity, the awarded unit price."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_amount_cents >= 0", name="unit_not_negative"),
        CheckConstraint("amount_cents = quantity * unit_amount_cents", name="amount_is_product"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_amount_cents: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(db.Model):
    """Money received against an invoice: through Stripe, or recorded by a manager."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refunds_within_amount"
        ),
        CheckConstraint(
            "method <> 'stripe' OR stripe_invoice_payment_id IS NOT NULL", name="stripe_has_id"
        ),
        CheckConstraint("length(currency) = 3", name="currency_code"),
        CheckConstraint(f"method IN ({_values(PaymentMethod)})", name="method_known"),
        CheckConstraint(f"status IN ({_values(PaymentStatus)})", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus), default=PaymentStatus.succeeded
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    stripe_invoice_payment_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    refunded_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    recorded_by = relationship("User")

    @property
    def audit_consortium_id(self) -> int:
        return self.invoice.consortium_id

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.refunded_cents

    def audit_state(self) -> dict[str, Any]:
        return {
            "invoice_id": self.invoice_id,
            "method": self.method,
            "status": self.status,
            "amount_cents": self.amount_cents,
            "refunded_cents": self.refunded_cents,
            "received_on": self.received_on,
            "reference": self.reference,
        }


class StripeEvent(db.Model):
    """A webhook event handled once: its id is unique, so a redelivery changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    received_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(200), default="")


class InvoiceLinesMismatch(ValueError):
    """An invoice whose total is not the sum of its lines (a bug, never user input)."""


@event.listens_for(Session, "before_flush")
def _totals_equal_lines(session: Session, _context: object, _instances: object) -> None:
    # Lines never change after an invoice is made, so new invoices are the ones to check.
    for obj in session.new:
        if isinstance(obj, Invoice):
            lines = sum(line.amount_cents for line in obj.lines)
            if lines != obj.total_cents:
                raise InvoiceLinesMismatch(
                    f"invoice total {obj.total_cents} is not the sum of its lines ({lines})"
                )
