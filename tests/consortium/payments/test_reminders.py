"""Mail at the moments that matter: issued, due in N days (per the terms), overdue, paid,
payment failed, refunded, written off; each once, in the consortium's timezone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from consortium.payments import lifecycle
from tests.consortium.payments.conftest import onboard
from tests.stripe_fake import webhooks


def _mail(email: str) -> list[tuple[str, str]]:
    rows = db.session.execute(select(OutboxMessage.subject, OutboxMessage.body)
                              .where(OutboxMessage.to == email).order_by(OutboxMessage.id))
    return [tuple(row) for row in rows]


def _subjects(email: str, start: str) -> list[str]:
    return [subject for subject, _body in _mail(email) if subject.startswith(start)]


def test_due_soon_reminders_follow_the_terms_then_overdue_once(awarded, clock):
    lifecycle.set_terms(awarded.scenario.solicitation, 30, [7, 2])
    invoice = awarded.accept(awarded.scenario.district_a)
    email = awarded.scenario.district_a.email
    assert lifecycle.send_reminders() == 0
    clock.advance(days=23, hours=1)  # 6 days 23 h before the due date
    assert lifecycle.send_reminders() == 1 and lifecycle.send_reminders() == 0
    assert _subjects(email, "Invoice")[-1] == f"Invoice {invoice.number} is due in 7 days"
    clock.advance(days=5)
    assert lifecycle.send_reminders() == 1
    assert _subjects(email, "Invoice")[-1] == f"Invoice {invoice.number} is due in 2 days"
    clock.advance(days=3)
    assert lifecycle.send_reminders() == 1 and lifecycle.send_reminders() == 0
    (overdue,) = _subjects(email, "Overdue")
    body = next(b for s, b in _mail(email) if s == overdue)
    assert "was due Apr 1, 2026" in body and "$6,000.00" in body
    assert invoice.reminders_sent == ["due-2", "due-7", "overdue"]


def test_a_skipped_day_sends_one_reminder_not_two(awarded, clock):
    lifecycle.set_terms(awarded.scenario.solicitation, 30, [7, 2])
    invoice = awarded.accept(awarded.scenario.district_a)
    clock.advance(days=29)  # both reminder days have passed unseen
    assert lifecycle.send_reminders() == 1
    assert _subjects(awarded.scenario.district_a.email, "Invoice")[-1] == (
        f"Invoice {invoice.number} is due in 1 day")


def test_a_paid_invoice_is_never_reminded(awarded, clock):
    invoice = awarded.accept(awarded.scenario.district_a)
    lifecycle.record_payment(invoice, amount_cents=600_000, received_on=clock.now.date(),
                             method="check", reference="Check 1", user=None,
                             expected_paid_cents=0)
    clock.advance(days=60)
    assert lifecycle.send_reminders() == 0


@pytest.mark.usefixtures("stripe_app")
def test_a_failed_payment_is_told_while_the_invoice_is_still_owed(client, awarded, stripe_fake,
                                                                  stripe_webhook_secret):
    s = awarded.scenario
    onboard(s.vendor_a, stripe_fake)
    invoice = awarded.accept(s.district_a)
    from consortium.transaction import commit_now

    commit_now()
    stripe_fake.fail_payment(invoice.gateway_invoice_id)
    failed = stripe_fake.events("invoice.payment_failed")[-1]
    for _ in range(2):
        delivery = webhooks.delivery(failed, stripe_webhook_secret)
        client.post("/webhooks/stripe", data=delivery.payload, headers=delivery.headers)
    db.session.expire_all()
    assert invoice.payment_attempts == 1 and invoice.status == "open"
    assert _subjects(s.district_a.email, "Payment failed") == [f"Payment failed: invoice {invoice.number}"]

    stripe_fake.pay_on_hosted_page(invoice.gateway_invoice_id)
    (charge,) = stripe_fake.objects("charge")
    stripe_fake.refund(charge["id"], 100_000)
    for event in (stripe_fake.events("invoice.paid")[-1], stripe_fake.events("charge.refunded")[-1]):
        delivery = webhooks.delivery(event, stripe_webhook_secret)
        assert client.post("/webhooks/stripe", data=delivery.payload, headers=delivery.headers).status_code == 200
    db.session.expire_all()
    assert _subjects(s.district_a.email, "Paid:") == [f"Paid: invoice {invoice.number}, $6,000.00"]
    assert _subjects(s.vendor_a.email, "Refund") == [f"Refund on invoice {invoice.number}: $1,000.00"]
    assert (invoice.refunded_cents, invoice.net_paid_cents, invoice.fee_earned_cents) == (100_000, 500_000, 7_500)
    assert len(_subjects(s.district_a.email, "Payment failed")) == 1  # not again once paid


@pytest.mark.usefixtures("stripe_app")
def test_an_invoice_written_off_in_stripe_can_still_be_paid(client, awarded, stripe_fake, stripe_gateway,
                                                            stripe_webhook_secret):
    s = awarded.scenario
    onboard(s.vendor_a, stripe_fake)
    invoice = awarded.accept(s.district_b)
    from consortium.transaction import commit_now

    commit_now()
    stripe_gateway.mark_uncollectible(invoice.gateway_invoice_id, idempotency_key="dashboard")
    event = stripe_fake.events("invoice.marked_uncollectible")[-1]
    delivery = webhooks.delivery(event, stripe_webhook_secret)
    client.post("/webhooks/stripe", data=delivery.payload, headers=delivery.headers)
    db.session.expire_all()
    assert invoice.status == "uncollectible"
    assert _subjects(s.vendor_a.email, "Marked uncollectible") == [
        f"Marked uncollectible: invoice {invoice.number}"]
    stripe_fake.pay_on_hosted_page(invoice.gateway_invoice_id)
    delivery = webhooks.delivery(stripe_fake.events("invoice.paid")[-1], stripe_webhook_secret)
    client.post("/webhooks/stripe", data=delivery.payload, headers=delivery.headers)
    db.session.expire_all()
    assert (invoice.status, invoice.balance_cents) == ("paid", 0)
    # Times in the mail are the consortium's (America/Chicago), never UTC.
    (body,) = [b for subject, b in _mail(s.district_b.email) if subject.startswith("Paid:")]
    assert "2026" in body and " CST" in body and "UTC" not in body
