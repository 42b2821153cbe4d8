"""verify_webhook: a genuine delivery is an event; unsigned, forged, stale, tampered ones are refused."""

from __future__ import annotations

import time

import pytest

from consortium.payments.gateway import WEBHOOK_TOLERANCE_SECONDS, verify_webhook
from consortium.payments.records import InvoiceLine, InvoiceRequest, WebhookVerificationError
from tests.stripe_fake import webhooks


@pytest.fixture
def paid_invoice_event(stripe_gateway, stripe_fake) -> dict:
    customer = stripe_gateway.ensure_customer(customer_id=None, name="Maple ISD", email=None,
                                              idempotency_key="customer:district-40")
    draft = stripe_gateway.create_invoice(
        InvoiceRequest(customer_id=customer, lines=(InvoiceLine("Chromebook", 30, 21_900),),
                       days_until_due=30),
        idempotency_key="invoice:award-3:district-40:year-1",
    )
    stripe_gateway.finalize_and_send(draft.id, idempotency_key="invoice:award-3:district-40:year-1")
    stripe_fake.pay_on_hosted_page(draft.id)
    (event,) = stripe_fake.events("invoice.paid")
    return event


def test_a_genuine_delivery_is_the_event_stripe_sent(paid_invoice_event, stripe_webhook_secret, stripe_gateway):
    delivery = webhooks.delivery(paid_invoice_event, stripe_webhook_secret)
    event = verify_webhook(delivery.payload, delivery.signature, stripe_webhook_secret)
    assert (event.id, event.type, event.object_type) == (paid_invoice_event["id"], "invoice.paid", "invoice")
    assert event.object["status"] == "paid"
    assert event.previous_attributes["status"] == "open"
    assert event.account_id is None
    # Handlers compare with Stripe's current state rather than trust arrival order.
    assert stripe_gateway.retrieve_invoice(event.object_id).status == event.object["status"]


@pytest.mark.parametrize("kind", ["unsigned", "forged", "stale", "tampered"])
def test_a_bad_delivery_is_refused(paid_invoice_event, stripe_webhook_secret, kind):
    delivery = webhooks.delivery(paid_invoice_event, stripe_webhook_secret, kind)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(delivery.payload, delivery.signature, stripe_webhook_secret)


@pytest.mark.parametrize(("age", "accepted"), [(0, True), (WEBHOOK_TOLERANCE_SECONDS - 5, True),
                                               (WEBHOOK_TOLERANCE_SECONDS + 5, False)])
def test_the_tolerance_is_300_seconds(paid_invoice_event, stripe_webhook_secret, age, accepted):
    payload = webhooks.encode(paid_invoice_event)
    header = webhooks.sign(payload, stripe_webhook_secret, timestamp=int(time.time()) - age)
    if accepted:
        assert verify_webhook(payload, header, stripe_webhook_secret).id == paid_invoice_event["id"]
    else:
        with pytest.raises(WebhookVerificationError, match="tolerance"):
            verify_webhook(payload, header, stripe_webhook_secret)


@pytest.mark.parametrize("header", ["", "garbage", "t=notanumber,v1=abc", "t=1700000000", "v0=abc"])
def test_a_malformed_signature_header_is_refused(paid_invoice_event, stripe_webhook_secret, header):
    with pytest.raises(WebhookVerificationError):
        verify_webhook(webhooks.encode(paid_invoice_event), header, stripe_webhook_secret)


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b'{"object": "v2.core.event", "id": "evt_1"}',
                                  b'{"object": "event"}'])
def test_a_signed_body_that_is_not_an_event_is_refused(stripe_webhook_secret, body):
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, webhooks.sign(body, stripe_webhook_secret), stripe_webhook_secret)


def test_an_empty_secret_refuses_everything(paid_invoice_event):
    delivery = webhooks.delivery(paid_invoice_event, "")
    with pytest.raises(WebhookVerificationError):
        verify_webhook(delivery.payload, delivery.signature, "")


def test_only_the_raw_body_is_accepted(paid_invoice_event, stripe_webhook_secret):
    delivery = webhooks.delivery(paid_invoice_event, stripe_webhook_secret)
    with pytest.raises(TypeError):
        verify_webhook(delivery.payload.decode(), delivery.signature, stripe_webhook_secret)


def test_a_connect_event_names_the_account(stripe_gateway, stripe_fake, stripe_webhook_secret):
    account = stripe_gateway.create_connected_account(email=None, business_name="PaperCo",
                                                      idempotency_key="account:org-7")
    stripe_fake.complete_onboarding(account.id)
    (updated,) = stripe_fake.events("account.updated")
    delivery = webhooks.delivery(updated, stripe_webhook_secret)
    event = verify_webhook(delivery.payload, delivery.signature, stripe_webhook_secret)
    assert (event.type, event.account_id, event.object_id) == ("account.updated", account.id, account.id)
    assert event.object["charges_enabled"] and event.previous_attributes["charges_enabled"] is False
