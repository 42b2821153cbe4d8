"""`POST /webhooks/stripe`: verified on the raw body, handled once, in any order.

Each event's id is stored under a unique constraint before it is handled, in the same
transaction as its effect: a redelivery (or a concurrent duplicate, which waits on the
unique index) finds it and changes nothing. Handlers never trust the event's snapshot or
its order: they retrieve the object as Stripe holds it now and bring ours to that state
(`sync.apply_gateway_state`), so three copies in any order end where one in order ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consortium.config import Settings
from consortium.extensions import db
from consortium.payments import connect
from consortium.payments.gateway import verify_webhook
from consortium.payments.models import Payment, StripeEvent
from consortium.payments.records import GatewayRequestError, WebhookEvent
from consortium.payments.sync import sync_invoice
from consortium.payments.transitions import locked, refund_payment
from consortium.payments.wiring import payment_gateway

# Handled by comparing with Stripe's current invoice; the others of the family do no harm.
INVOICE_EVENTS = frozenset({
    "invoice.finalized", "invoice.paid", "invoice.payment_failed", "invoice.voided",
    "invoice.marked_uncollectible", "invoice.payment_succeeded", "invoice.sent",
    "invoice.updated",
})
HANDLED = INVOICE_EVENTS | {"account.updated", "charge.refunded"}


@dataclass(frozen=True)
class Receipt:
    """What the endpoint answers Stripe: the event and what became of it."""

    event_id: str
    type: str
    outcome: str


def receive(payload: bytes, signature: str | None) -> Receipt:
    """Verify a delivery and apply its event once (WebhookVerificationError: refuse it)."""
    settings: Settings = current_app.config["SETTINGS"]
    event = verify_webhook(payload, signature, settings.stripe_webhook_secret or "")
    stored = _claim(event)
    if stored is None:
        return Receipt(event.id, event.type, "duplicate: already handled")
    stored.outcome = _handle(event)[:200]
    return Receipt(event.id, event.type, stored.outcome)


def _claim(event: WebhookEvent) -> StripeEvent | None:
    """Store the event id; None when it is stored already (this delivery is a copy)."""
    if db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event.id)):
        return None
    row = StripeEvent(event_id=event.id, type=event.type[:100], object_id=event.object_id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None  # a concurrent copy stored it first (and waited us out on the index)
    return row


def _handle(event: WebhookEvent) -> str:
    if event.type not in HANDLED or not event.object_id:
        return "ignored: not an event this application handles"
    try:
        if event.type in INVOICE_EVENTS:
            return sync_invoice(payment_gateway(), event.object_id)
        if event.type == "account.updated":
            return connect.account_updated(event.object_id)
        return _refund(event.object_id)
    except GatewayRequestError as error:
        if error.http_status == 404:
            return f"ignored: Stripe has no such object ({error})"
        raise


def _refund(charge_id: str) -> str:
    """`charge.refunded`: the charge's refunded total now, on the payment it made."""
    gateway = payment_gateway()
    charge = gateway.retrieve_charge(charge_id)
    payment = _payment_of(charge.payment_intent_id)
    if payment is None and charge.payment_intent_id:
        # The refund came before the payment's `invoice.paid`: find the invoice through
        # its invoice payments, bring it current (which records the payment), then refund.
        for paid in gateway.list_invoice_payments(payment_intent_id=charge.payment_intent_id):
            sync_invoice(gateway, paid.invoice_id)
        payment = _payment_of(charge.payment_intent_id)
    if payment is None:
        return "ignored: not a payment of this application"
    locked(payment.invoice)
    changed = refund_payment(payment, charge.amount_refunded_cents, charge_id=charge.id)
    return f"payment {payment.id}: {'refunded' if changed else 'refunds already current'}"


def _payment_of(payment_intent_id: str | None) -> Payment | None:
    if payment_intent_id is None:
        return None
    return db.session.scalar(
        select(Payment).where(Payment.stripe_payment_intent_id == payment_intent_id)
    )
