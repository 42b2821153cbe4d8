"""The mail of the money moments: issued, due soon, overdue, paid, failed, voided, refunded.

Amounts go through the `money` filter and times through `localtime` in the consortium's
timezone, as the pages show them. Each function queues mail in the current transaction
(`notify_members`), so a refusal or a rollback sends none.
"""

from __future__ import annotations

from flask import current_app

from consortium.filters import localdate, localtime, money
from consortium.notifications.services import notify_members
from consortium.payments.models import Invoice, Payment


def invoice_url(invoice: Invoice) -> str:
    """The invoice's page, absolute (mail also leaves from `flask daily`, outside a request)."""
    base = current_app.config["SETTINGS"].base_url.rstrip("/")
    return f"{base}/invoices/{invoice.id}"


def _amount(invoice: Invoice, cents: int) -> str:
    return money(cents, invoice.currency)


def _due(invoice: Invoice) -> str:
    return localdate(invoice.due_at, invoice.consortium.timezone)


def _what(invoice: Invoice) -> str:
    return (f"invoice {invoice.number} ({invoice.solicitation.title}, contract year "
            f"{invoice.contract_year})")


def _how_to_pay(invoice: Invoice) -> str:
    if invoice.hosted_invoice_url:
        return (f"Pay by card or ACH at {invoice.hosted_invoice_url}, or record your purchase "
                f"order number at {invoice_url(invoice)}.")
    return (f"Record your purchase order number at {invoice_url(invoice)}; pay "
            f"{invoice.vendor.name} by check or ACH quoting {invoice.number}.")


def issued(invoice: Invoice) -> None:
    notify_members(
        invoice.district_id,
        f"Invoice {invoice.number}: {_amount(invoice, invoice.total_cents)} due {_due(invoice)}",
        f"{invoice.vendor.name} has invoiced {invoice.district.name} for {_what(invoice)}: "
        f"{_amount(invoice, invoice.total_cents)}, due {_due(invoice)}.\n\n{_how_to_pay(invoice)}",
    )


def due_soon(invoice: Invoice, days: int) -> None:
    notify_members(
        invoice.district_id,
        f"Invoice {invoice.number} is due in {days} day{'s' if days != 1 else ''}",
        f"{_what(invoice).capitalize()} is due {_due(invoice)}: "
        f"{_amount(invoice, invoice.balance_cents)} still to pay.\n\n{_how_to_pay(invoice)}",
    )


def overdue(invoice: Invoice, *, from_manager: bool = False) -> None:
    lead = f"A reminder from {invoice.consortium.name}: " if from_manager else ""
    notify_members(
        invoice.district_id,
        f"Overdue: invoice {invoice.number}, {_amount(invoice, invoice.balance_cents)}",
        f"{lead}{_what(invoice)} was due {_due(invoice)} and "
        f"{_amount(invoice, invoice.balance_cents)} is still unpaid"
        f"{f' (purchase order {invoice.po_number})' if invoice.po_number else ''}."
        f"\n\n{_how_to_pay(invoice)}",
    )


def paid(invoice: Invoice) -> None:
    subject = f"Paid: invoice {invoice.number}, {_amount(invoice, invoice.total_cents)}"
    when = localtime(invoice.paid_at, invoice.consortium.timezone)
    notify_members(invoice.district_id, subject,
                   f"Thank you: {_what(invoice)} was paid in full on {when}.")
    notify_members(
        invoice.vendor_id, subject,
        f"{invoice.district.name} paid {_what(invoice)} on {when}. The consortium's admin fee "
        f"on it is {_amount(invoice, invoice.fee_cents)} ({invoice.fee_bps / 100:.2f}%).",
    )


def payment_failed(invoice: Invoice) -> None:
    notify_members(
        invoice.district_id,
        f"Payment failed: invoice {invoice.number}",
        f"A payment of {_what(invoice)} did not go through (attempt {invoice.payment_attempts}). "
        f"{_amount(invoice, invoice.balance_cents)} is still due {_due(invoice)}."
        f"\n\n{_how_to_pay(invoice)}",
    )


def voided(invoice: Invoice) -> None:
    subject = f"Voided: invoice {invoice.number}"
    body = (f"{_what(invoice).capitalize()} ({_amount(invoice, invoice.total_cents)}) was "
            f"voided: {invoice.void_reason}. Nothing more is owed on it.")
    notify_members(invoice.district_id, subject, body)
    notify_members(invoice.vendor_id, subject, body)


def written_off(invoice: Invoice) -> None:
    notify_members(
        invoice.vendor_id,
        f"Marked uncollectible: invoice {invoice.number}",
        f"{_what(invoice).capitalize()} to {invoice.district.name} was marked uncollectible "
        f"with {_amount(invoice, invoice.balance_cents)} unpaid; it can still be paid.",
    )


def purchase_order(invoice: Invoice) -> None:
    notify_members(
        invoice.vendor_id,
        f"Purchase order {invoice.po_number} for invoice {invoice.number}",
        f"{invoice.district.name} recorded purchase order {invoice.po_number} for "
        f"{_what(invoice)} ({_amount(invoice, invoice.balance_cents)} to pay).",
    )


def refunded(payment: Payment, cents: int) -> None:
    invoice = payment.invoice
    subject = f"Refund on invoice {invoice.number}: {_amount(invoice, cents)}"
    body = (f"{_amount(invoice, cents)} of the payment of {_what(invoice)} was refunded to "
            f"{invoice.district.name}; {_amount(invoice, payment.refunded_cents)} of "
            f"{_amount(invoice, payment.amount_cents)} refunded in all.")
    notify_members(invoice.district_id, subject, body)
    notify_members(invoice.vendor_id, subject, body)
