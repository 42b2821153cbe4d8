"""Every change of an invoice's or a payment's state, each with its audit event and mail.

The one place statuses change (through the tables of `states`), whoever asks: a manager's
click, the offline gateway, a webhook bringing Stripe's state, or `flask daily`. Nothing
here talks to a gateway.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from consortium.accounts.models import User
from consortium.audit.services import record
from consortium.clock import now
from consortium.errors import conflict
from consortium.extensions import db
from consortium.payments import mail
from consortium.payments.models import Invoice, Payment
from consortium.payments.states import (
    INVOICE_ACTIONS,
    InvoiceStatus,
    PaymentMethod,
    next_invoice_status,
    next_payment_status,
    refund_action,
)

_MAIL = {
    "issue": mail.issued,
    "pay": mail.paid,
    "void": mail.voided,
    "write_off": mail.written_off,
}


def locked(invoice: Invoice) -> Invoice:
    """The invoice re-read under a row lock: concurrent changes queue behind each other."""
    db.session.flush()
    return db.session.get(Invoice, invoice.id, with_for_update=True, populate_existing=True)


def move_invoice(
    invoice: Invoice, action: str, *, reason: str | None = None, due_at: datetime | None = None
) -> Invoice:
    """Apply `action` (issue, pay, void, write_off): audit event and mail in this transaction."""
    target = next_invoice_status(invoice.status, action)
    audit_action, past = INVOICE_ACTIONS[action]
    if target is None:
        raise conflict(f"Invoice {invoice.number} is {invoice.phase(now())}: it cannot be {past}.")
    before = invoice.audit_state()
    at = now()
    invoice.status = target
    if action == "issue":
        invoice.issued_at = at
        invoice.due_at = due_at or at + timedelta(days=invoice.days_until_due)
    elif action == "pay":
        invoice.paid_at = at
    elif action == "void":
        invoice.voided_at = at
        invoice.void_reason = reason or "voided"
    record(audit_action, invoice, before=before, after=invoice.audit_state())
    _MAIL[action](invoice)
    return invoice


def add_payment(
    invoice: Invoice, *, method: PaymentMethod, amount_cents: int, received_on: date,
    reference: str | None = None, user: User | None = None,
    stripe_invoice_payment_id: str | None = None, stripe_payment_intent_id: str | None = None,
) -> Payment:
    """Record money received; the invoice is paid once nothing remains (callers move it)."""
    if not 0 < amount_cents <= invoice.balance_cents:
        raise conflict(f"A payment of {amount_cents} cents does not fit invoice {invoice.number}'s "
                       f"balance of {invoice.balance_cents} cents.", field="amount")
    status = next_payment_status(None, "record")
    payment = Payment(
        invoice=invoice, method=method, status=status, amount_cents=amount_cents,
        currency=invoice.currency, received_on=received_on, reference=reference,
        recorded_by_id=getattr(user, "id", None),
        stripe_invoice_payment_id=stripe_invoice_payment_id,
        stripe_payment_intent_id=stripe_payment_intent_id,
    )
    db.session.add(payment)
    before = invoice.audit_state()
    invoice.amount_paid_cents += amount_cents
    record("payment.recorded", payment, before=None, after=payment.audit_state())
    record("invoice.payment_applied", invoice, before=before, after=invoice.audit_state())
    return payment


def refund_payment(payment: Payment, refunded_total_cents: int, *, charge_id: str | None) -> bool:
    """Bring a payment's refunds up to `refunded_total_cents` (Stripe's figure); False if level."""
    delta = min(refunded_total_cents, payment.amount_cents) - payment.refunded_cents
    if delta <= 0:
        return False  # refunds only grow: an older snapshot is no news
    status = next_payment_status(payment.status, refund_action(payment.amount_cents,
                                                               payment.refunded_cents + delta))
    if status is None:
        raise conflict(f"Payment {payment.id} is {payment.status}: it cannot be refunded.")
    before = payment.audit_state()
    payment.status = status
    payment.refunded_cents += delta
    payment.refunded_at = now()
    payment.stripe_charge_id = payment.stripe_charge_id or charge_id
    payment.invoice.refunded_cents += delta
    record("payment.refunded", payment, before=before, after=payment.audit_state())
    mail.refunded(payment, delta)
    return True


def note_attempts(invoice: Invoice, attempts: int, *, still_due: bool) -> None:
    """Stripe counted more payment attempts: the district hears of a failure if still owing."""
    if attempts <= invoice.payment_attempts:
        return
    invoice.payment_attempts = attempts
    if still_due and invoice.status in (InvoiceStatus.open, InvoiceStatus.uncollectible):
        mail.payment_failed(invoice)
