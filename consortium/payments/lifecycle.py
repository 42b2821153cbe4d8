"""What people do to invoices: terms, payments by hand, voids, purchase orders, reminders.

Each refuses bad input with a DomainError naming the field before anything changes, locks
the invoice so concurrent clicks queue, and leaves Stripe to `outbound.tell_stripe`, which
runs after the commit.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from sqlalchemy import select

from consortium.accounts.models import User
from consortium.audit.services import record
from consortium.bounds import MAX_DAYS_UNTIL_DUE, MAX_REMINDERS
from consortium.clock import local_date, now
from consortium.errors import DomainError, conflict
from consortium.extensions import db
from consortium.filters import localtime, money
from consortium.payments import mail
from consortium.payments.models import Invoice, PaymentTerms
from consortium.payments.outbound import tell_stripe
from consortium.payments.states import InvoiceStatus, PaymentMethod
from consortium.payments.transitions import add_payment, locked, move_invoice
from consortium.payments.wiring import payment_gateway
from consortium.procurement.models import Solicitation

MAX_DAYS = MAX_DAYS_UNTIL_DUE
MAX_REASON, MAX_REFERENCE, MAX_PO = 500, 100, 64
EARLIEST_PAYMENT = date(2000, 1, 1)
REMINDER_GAP = timedelta(hours=20)  # one manual reminder a day, whatever the clicks


def clean_text(value: str | None, field: str, label: str, max_length: int, *,
               required: bool = True) -> str | None:
    """Trimmed text without control characters, at most `max_length`; the error names it."""
    text = (value or "").strip()
    if not text:
        if required:
            raise DomainError(f"Enter the {label}.", field=field)
        return None
    if len(text) > max_length:
        raise DomainError(f"The {label} can be at most {max_length} characters "
                          f"({len(text)} given).", field=field)
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise DomainError(f"The {label} cannot contain control characters.", field=field)
    return text


def set_terms(solicitation: Solicitation, days_until_due: int,
              reminder_days: list[int]) -> PaymentTerms:
    """Payment terms of a solicitation, for the invoices made from now on."""
    if not 0 <= days_until_due <= MAX_DAYS:
        raise DomainError(f"Days until due must be from 0 to {MAX_DAYS}.", field="days_until_due")
    reminders = sorted(set(reminder_days), reverse=True)
    if len(reminders) > MAX_REMINDERS or any(not 1 <= d <= MAX_DAYS for d in reminders):
        raise DomainError(f"Give at most {MAX_REMINDERS} reminder days, each from 1 to {MAX_DAYS}.",
                          field="reminder_days")
    terms = db.session.get(PaymentTerms, solicitation.id, with_for_update=True)
    before = terms.audit_state() if terms else None
    if terms is None:
        terms = PaymentTerms(solicitation_id=solicitation.id)
        db.session.add(terms)
    terms.days_until_due, terms.reminder_days = days_until_due, reminders
    record("payment_terms.set", terms, before=before, after=terms.audit_state())
    return terms


def record_payment(
    invoice: Invoice, *, amount_cents: int, received_on: date, method: PaymentMethod | str,
    reference: str | None, user: User | None, expected_paid_cents: int | None,
) -> Invoice:
    """A check, ACH transfer or other payment received outside Stripe, recorded by hand."""
    invoice = locked(invoice)
    if not invoice.payable:
        raise conflict(f"Invoice {invoice.number} is {invoice.phase(now())}: no payment can be "
                       "recorded on it.")
    if expected_paid_cents is not None and expected_paid_cents != invoice.amount_paid_cents:
        # A second click of the same form, or someone else recorded one meanwhile.
        raise conflict(f"A payment was recorded on invoice {invoice.number} meanwhile: it now has "
                       f"{money(invoice.balance_cents, invoice.currency)} to pay. Check the "
                       "payments below before recording another.")
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise DomainError("Choose how the payment was made.", field="method") from None
    if method == PaymentMethod.stripe:
        raise DomainError("Stripe records its own payments.", field="method")
    balance = money(invoice.balance_cents, invoice.currency)
    if amount_cents <= 0:
        raise DomainError("The amount must be more than zero.", field="amount")
    if amount_cents > invoice.balance_cents:
        raise DomainError(f"The amount is more than the balance of {balance}.", field="amount")
    if invoice.in_stripe and payment_gateway().online and amount_cents != invoice.balance_cents:
        raise DomainError(f"Stripe marks an invoice paid in full: record the whole {balance}.",
                          field="amount")
    today = local_date(now(), invoice.consortium.timezone)
    if not EARLIEST_PAYMENT <= received_on <= today:
        raise DomainError(f"The date received must be between {EARLIEST_PAYMENT:%b %-d, %Y} and "
                          f"today ({today:%b %-d, %Y}).", field="received_on")
    reference = clean_text(reference, "reference", "reference (check number, ACH trace)",
                           MAX_REFERENCE, required=method != PaymentMethod.other)
    add_payment(invoice, method=method, amount_cents=amount_cents, received_on=received_on,
                reference=reference, user=user)
    if invoice.balance_cents == 0:
        move_invoice(invoice, "pay")
        tell_stripe(invoice)
    return invoice


def void(invoice: Invoice, reason: str | None) -> Invoice:
    """Void an invoice that nothing was paid on, with the reason both sides are told."""
    reason = clean_text(reason, "reason", "reason for voiding", MAX_REASON)
    invoice = locked(invoice)
    if invoice.amount_paid_cents:
        raise conflict(f"Invoice {invoice.number} has payments recorded: it cannot be voided.")
    if invoice.status == InvoiceStatus.draft and invoice.gateway_invoice_id and invoice.in_stripe:
        raise conflict("Stripe is still issuing this invoice; void it once it shows as open.")
    move_invoice(invoice, "void", reason=reason)
    if not invoice.in_stripe:
        invoice.sync_error = None  # a draft waiting for Stripe waits no more
    tell_stripe(invoice)
    return invoice


def record_purchase_order(invoice: Invoice, po_number: str | None) -> Invoice:
    """The district's purchase order number, shown on the invoice from now on."""
    number = clean_text(po_number, "po_number", "purchase order number", MAX_PO)
    invoice = locked(invoice)
    if invoice.status not in (InvoiceStatus.draft, InvoiceStatus.open, InvoiceStatus.uncollectible):
        raise conflict(f"Invoice {invoice.number} is {invoice.status}: it needs no purchase order.")
    if invoice.po_number == number:
        return invoice
    before = invoice.audit_state()
    invoice.po_number, invoice.po_recorded_at = number, now()
    record("invoice.purchase_order_recorded", invoice, before=before, after=invoice.audit_state())
    mail.purchase_order(invoice)
    return invoice


def remind(invoice: Invoice) -> Invoice:
    """A manager's reminder of an overdue invoice (at most one a day)."""
    invoice = locked(invoice)
    at = now()
    if invoice.phase(at) != "overdue":
        raise conflict(f"Invoice {invoice.number} is {invoice.phase(at)}, not overdue.")
    if invoice.last_reminded_at and at - invoice.last_reminded_at < REMINDER_GAP:
        sent = localtime(invoice.last_reminded_at, invoice.consortium.timezone)
        raise conflict(f"A reminder of invoice {invoice.number} went out at {sent}; send the "
                       "next one tomorrow.")
    invoice.last_reminded_at = at
    record("invoice.reminded", invoice, before=None, after={"number": invoice.number,
                                                            "balance_cents": invoice.balance_cents})
    mail.overdue(invoice, from_manager=True)
    return invoice


def send_reminders() -> int:
    """`flask daily`: "due in N days" per the terms, and "overdue" once, to each district."""
    at = now()
    sent = 0
    due = db.session.scalars(
        select(Invoice).where(Invoice.status == InvoiceStatus.open, Invoice.due_at.is_not(None))
        .order_by(Invoice.id).with_for_update(skip_locked=True)  # overlapping runs mail once
    )
    for invoice in due:
        done = set(invoice.reminders_sent or [])
        if at > invoice.due_at:
            if "overdue" not in done:
                mail.overdue(invoice)
                invoice.reminders_sent = sorted(done | {"overdue"})
                sent += 1
            continue
        terms = db.session.get(PaymentTerms, invoice.solicitation_id)
        reminder_days = terms.reminder_days if terms else [7]
        reached = {f"due-{d}" for d in reminder_days if invoice.due_at - at <= timedelta(days=d)}
        if reached - done:
            tz = invoice.consortium.timezone
            mail.due_soon(invoice, (local_date(invoice.due_at, tz) - local_date(at, tz)).days)
            invoice.reminders_sent = sorted(done | reached)  # a skipped day sends one, not two
            sent += 1
    db.session.flush()
    return sent
