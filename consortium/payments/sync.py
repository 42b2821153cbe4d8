"""Bringing an invoice to the state its gateway holds: the one convergence of both modes.

Called with what a gateway call returned, with what a webhook handler retrieved, and by the
offline twin whenever it changes an invoice. It never trusts an event's snapshot or its
order: it takes the gateway's current state and replays the steps of the state machine that
lead from ours to it, so every audit event and mail of the way happens once, whichever event
arrived first.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from consortium.clock import local_date, now
from consortium.extensions import db
from consortium.payments.gateway import PaymentGateway
from consortium.payments.models import Invoice, Payment
from consortium.payments.records import GatewayInvoice
from consortium.payments.states import InvoiceStatus, PaymentMethod, invoice_path
from consortium.payments.transitions import add_payment, locked, move_invoice, note_attempts

log = logging.getLogger(__name__)
STILL_DUE = (InvoiceStatus.open.value, InvoiceStatus.uncollectible.value)


def apply_gateway_state(
    invoice: Invoice, remote: GatewayInvoice, gateway: PaymentGateway
) -> list[str]:
    """Move `invoice` to `remote`'s state; the actions applied (none when already there)."""
    if invoice.gateway_invoice_id is None:
        invoice.gateway_invoice_id = remote.id
    elif invoice.gateway_invoice_id != remote.id:
        raise ValueError(f"invoice {invoice.id} is {invoice.gateway_invoice_id}, not {remote.id}")
    if remote.hosted_invoice_url:
        invoice.hosted_invoice_url = remote.hosted_invoice_url
    if remote.status == InvoiceStatus.draft:
        return []
    path = invoice_path(invoice.status, remote.status)
    if path is None:
        # Two people moved it two ways (voided here, paid on Stripe's page): a person decides.
        invoice.sync_error = (f"Stripe has this invoice {remote.status}, this application "
                              f"{invoice.status}; check it in Stripe's dashboard.")
        log.warning("invoice %s: %s", invoice.id, invoice.sync_error)
        return []
    for action in path:
        if action == "pay":
            _record_gateway_payments(invoice, remote, gateway)
        move_invoice(
            invoice, action,
            due_at=remote.due_at if action == "issue" else None,
            reason="voided in Stripe" if action == "void" else None,
        )
    note_attempts(invoice, remote.attempt_count, still_due=remote.status in STILL_DUE)
    if invoice.status == InvoiceStatus.paid:
        _record_gateway_payments(invoice, remote, gateway)  # a refund may name a payment late
    invoice.sync_error = None
    return path


def _record_gateway_payments(
    invoice: Invoice, remote: GatewayInvoice, gateway: PaymentGateway
) -> None:
    """Payments Stripe applied that are not recorded here yet, once each (by their ids)."""
    today = local_date(now(), invoice.consortium.timezone)
    for paid in gateway.list_invoice_payments(invoice_id=remote.id) if gateway.online else ():
        if paid.status != "paid" or _known(paid.id):
            continue
        if paid.amount_paid_cents > invoice.balance_cents:
            invoice.sync_error = (f"Stripe received {paid.amount_paid_cents} cents after this "
                                  "invoice was paid here: refund one of the payments.")
            continue
        add_payment(invoice, method=PaymentMethod.stripe, amount_cents=paid.amount_paid_cents,
                    received_on=today, reference="Paid on Stripe's invoice page",
                    stripe_invoice_payment_id=paid.id,
                    stripe_payment_intent_id=paid.payment_intent_id)
    if remote.status == InvoiceStatus.paid and invoice.balance_cents > 0:
        # Marked paid in Stripe's dashboard with nothing recorded here: record it as such.
        add_payment(invoice, method=PaymentMethod.other, amount_cents=invoice.balance_cents,
                    received_on=today, reference="Marked paid in Stripe")


def _known(invoice_payment_id: str) -> bool:
    return db.session.scalar(
        select(Payment.id).where(Payment.stripe_invoice_payment_id == invoice_payment_id)
    ) is not None


def sync_invoice(gateway: PaymentGateway, gateway_invoice_id: str) -> str:
    """Bring our invoice to the gateway's current state of it (a webhook's handling)."""
    remote = gateway.retrieve_invoice(gateway_invoice_id)
    invoice = db.session.scalar(select(Invoice).where(Invoice.gateway_invoice_id == remote.id))
    if invoice is None and (remote.metadata.get("invoice_id") or "").isdigit():
        # Stripe answered before our small commit kept its id: the metadata names the row.
        candidate = db.session.get(Invoice, int(remote.metadata["invoice_id"]))
        if candidate is not None and candidate.gateway_invoice_id is None:
            invoice = candidate
    if invoice is None:
        return "ignored: not an invoice of this application"
    invoice = locked(invoice)
    steps = apply_gateway_state(invoice, remote, gateway)
    return f"invoice {invoice.number}: {', '.join(steps) or 'already current'}"
