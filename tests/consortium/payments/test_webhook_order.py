"""Webhooks in any order: three copies of each event, shuffled, with forged, stale, tampered and
unsigned copies among them, end in the state one in-order delivery of each ends in.

The world: five invoices whose Stripe state moved on without the application hearing of it.
Year 1 of district A failed once, was paid on the hosted page and partly refunded; year 1 of
district B was finalized at Stripe but the answer was lost; year 2 of A was voided and year
2 of B marked uncollectible in Stripe's dashboard; a second vendor finished onboarding while
its invoice waited. Every event the fake emitted is delivered; each run starts from the same
rows (a SAVEPOINT rolled back between runs) against the same, final, Stripe.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from sqlalchemy import select

from consortium.audit.models import AuditEvent
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from consortium.payments import connect
from consortium.payments.invoicing import invoice_due_years
from consortium.payments.models import ConnectedAccount, Invoice, Payment, StripeEvent
from consortium.payments.records import GatewayUnavailable
from consortium.transaction import commit_now
from tests.consortium.payments.conftest import invoice_of, onboard, publish
from tests.stripe_fake import webhooks

pytestmark = pytest.mark.usefixtures("stripe_app")
REQUIRED = {"invoice.finalized", "invoice.paid", "invoice.payment_failed", "invoice.voided",
            "invoice.marked_uncollectible", "account.updated", "charge.refunded"}
BAD = ("forged", "stale", "tampered", "unsigned")


@pytest.fixture
def world(app, make, clock, fake_solver, stripe_fake, stripe_gateway, monkeypatch):
    first = publish(make, term_months=24)
    s = first.scenario
    onboard(s.vendor_a, stripe_fake)
    a1 = first.accept(s.district_a)
    commit_now()
    real_finalize = stripe_gateway.finalize_and_send

    def answer_lost(invoice_id: str, *, idempotency_key: str):
        real_finalize(invoice_id, idempotency_key=idempotency_key)
        raise GatewayUnavailable("the connection dropped before Stripe's answer arrived")

    monkeypatch.setattr(stripe_gateway, "finalize_and_send", answer_lost)
    b1 = first.accept(s.district_b)
    commit_now()
    monkeypatch.setattr(stripe_gateway, "finalize_and_send", real_finalize)
    clock.advance(days=365)
    assert invoice_due_years() == 2
    commit_now()
    a2, b2 = invoice_of(a1.contract, 2), invoice_of(b1.contract, 2)

    second = publish(make)  # another vendor, whose invoice waits for its payouts
    waiting = second.accept(second.scenario.district_a)
    account = connect.ensure_account(second.scenario.vendor_a.org)
    commit_now()
    assert (a1.status, b1.status, a2.status, b2.status, waiting.status) == (
        "open", "draft", "open", "open", "draft")

    # What happens at Stripe while the application hears nothing.
    stripe_fake.fail_payment(a1.gateway_invoice_id)
    stripe_fake.pay_on_hosted_page(a1.gateway_invoice_id)
    (charge,) = stripe_fake.objects("charge")
    stripe_fake.refund(charge["id"], 150_000)
    stripe_gateway.void_invoice(a2.gateway_invoice_id, idempotency_key="dashboard:void")
    stripe_gateway.mark_uncollectible(b2.gateway_invoice_id, idempotency_key="dashboard:write-off")
    stripe_fake.complete_onboarding(account.account_id)
    events = stripe_fake.events()
    assert {e["type"] for e in events} >= REQUIRED
    return {"events": events, "invoices": (a1, b1, a2, b2, waiting)}


def snapshot() -> dict:
    """Everything a delivery may change, as plain values."""
    db.session.expire_all()
    invoices = sorted(
        (i.number, i.status, i.amount_paid_cents, i.refunded_cents, i.payment_attempts,
         i.gateway_invoice_id, i.hosted_invoice_url, i.due_at, i.sync_error)
        for i in db.session.scalars(select(Invoice)))
    payments = sorted(
        (p.invoice.number, p.method, p.status, p.amount_cents, p.refunded_cents,
         p.stripe_invoice_payment_id, p.stripe_payment_intent_id, p.stripe_charge_id)
        for p in db.session.scalars(select(Payment)))
    accounts = sorted((a.account_id, a.ready, tuple(a.currently_due))
                      for a in db.session.scalars(select(ConnectedAccount)))
    return {
        "invoices": invoices, "payments": payments, "accounts": accounts,
        "audit": Counter(db.session.scalars(select(AuditEvent.action))),
        "mail": Counter(db.session.execute(select(OutboxMessage.to, OutboxMessage.subject)).all()),
        "events": sorted(db.session.scalars(select(StripeEvent.event_id))),
    }


class Rewind:
    """Runs deliveries in a SAVEPOINT of the test's connection, rolled back afterwards."""

    def __init__(self, app) -> None:
        self.connection = db._app_engines[app][None]
        db.session.execute(select(1))

    def run(self, client, deliveries) -> tuple[dict, Counter]:
        savepoint = self.connection.begin_nested()
        try:
            answers = Counter()
            for delivery in deliveries:
                response = client.post("/webhooks/stripe", data=delivery.payload,
                                       headers=delivery.headers)
                answers[delivery.kind, response.status_code] += 1
            return snapshot(), answers
        finally:
            savepoint.rollback()
            db.session.expire_all()


def test_shuffled_copies_end_where_in_order_delivery_ends(app, client, world, stripe_webhook_secret):
    events = world["events"]
    before = snapshot()
    rewind = Rewind(app)
    in_order, answers = rewind.run(client, [webhooks.delivery(e, stripe_webhook_secret) for e in events])
    assert answers == Counter({("signed", 200): len(events)})

    a1, b1, a2, b2, waiting = (i.number for i in world["invoices"])
    statuses = {number: status for number, status, *_ in in_order["invoices"]}
    assert (statuses[a1], statuses[b1], statuses[a2], statuses[b2], statuses[waiting]) == (
        "paid", "open", "void", "uncollectible", "open")
    (payment,) = in_order["payments"]
    assert payment[:5] == (a1, "stripe", "partially_refunded", 600_000, 150_000)
    assert all(ready for _id, ready, _due in in_order["accounts"])
    grew = in_order["audit"] - before["audit"]
    assert grew == Counter({  # one effect per change Stripe made, whatever the events said
        "invoice.paid": 1, "invoice.payment_applied": 1, "payment.recorded": 1, "payment.refunded": 1,
        "invoice.voided": 1, "invoice.marked_uncollectible": 1,
        "invoice.issued": 2,  # B's year 1 (its lost answer), and the waiting invoice
        "connected_account.updated": 1,
    })
    assert len(in_order["events"]) == len(events)

    for seed in (1, 2, 3):
        copies = [webhooks.delivery(e, stripe_webhook_secret) for e in events for _ in range(3)]
        copies += [webhooks.delivery(e, stripe_webhook_secret, kind) for e in events for kind in BAD]
        random.Random(seed).shuffle(copies)
        shuffled, answers = rewind.run(client, copies)
        assert answers == Counter({("signed", 200): 3 * len(events),
                                   **{(kind, 400): len(events) for kind in BAD}}), seed
        assert shuffled == in_order, f"seed {seed}"


def test_a_redelivery_changes_nothing(client, world, stripe_webhook_secret):
    paid = next(e for e in world["events"] if e["type"] == "invoice.paid")
    first = client.post("/webhooks/stripe", **_post(paid, stripe_webhook_secret))
    after_first = snapshot()
    again = client.post("/webhooks/stripe", **_post(paid, stripe_webhook_secret))
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json["outcome"].startswith("duplicate")
    assert snapshot() == after_first


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_copy_is_refused_and_changes_nothing(client, world, stripe_webhook_secret, kind):
    before = snapshot()
    for event in world["events"]:
        delivery = webhooks.delivery(event, stripe_webhook_secret, kind)
        response = client.post("/webhooks/stripe", data=delivery.payload, headers=delivery.headers)
        assert response.status_code == 400 and "refused" in response.json["error"]
    assert snapshot() == before


def test_an_unknown_event_type_is_acknowledged_and_ignored(client, world, stripe_fake, stripe_webhook_secret):
    invoice = world["invoices"][0]
    event = stripe_fake.event_for(invoice.gateway_invoice_id, "invoice.will_be_due_someday")
    before = snapshot()
    response = client.post("/webhooks/stripe", **_post(event, stripe_webhook_secret))
    assert response.status_code == 200 and response.json["outcome"].startswith("ignored")
    after = snapshot()
    assert after["events"] == sorted([*before["events"], event["id"]])
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in before.items() if k != "events"}


def test_an_unreachable_stripe_answers_503_and_keeps_no_event(app, client, world, stripe_webhook_secret,
                                                              monkeypatch):
    gateway = app.extensions["payment_gateway"]

    def down(*args, **kwargs):
        raise GatewayUnavailable("down")

    monkeypatch.setattr(gateway, "retrieve_invoice", down)
    paid = next(e for e in world["events"] if e["type"] == "invoice.paid")
    response = client.post("/webhooks/stripe", **_post(paid, stripe_webhook_secret))
    assert response.status_code == 503
    assert paid["id"] not in snapshot()["events"]  # Stripe retries, and then it counts


def _post(event: dict, secret: str) -> dict:
    delivery = webhooks.delivery(event, secret)
    return {"data": delivery.payload, "headers": delivery.headers}


def test_stale_means_older_than_five_minutes(client, world, stripe_webhook_secret):
    import time

    event = next(e for e in world["events"] if e["type"] == "invoice.voided")
    fresh = webhooks.delivery(event, stripe_webhook_secret, now=int(time.time()) - 290)
    assert client.post("/webhooks/stripe", data=fresh.payload, headers=fresh.headers).status_code == 200
    old = webhooks.delivery(event, stripe_webhook_secret, now=int(time.time()) - 310)
    assert client.post("/webhooks/stripe", data=old.payload, headers=old.headers).status_code == 400
