"""The application in Stripe mode: the real SDK over HTTP to the local fake, and what was sent.

Destination, on_behalf_of, the fee, days until due and each idempotency key are read off the
fake's record of requests; the application's own state is read off its pages and rows.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from consortium.audit.models import AuditEvent
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from consortium.payments import connect, outbound
from consortium.payments.gateway import StripeGateway
from consortium.payments.invoicing import invoice_due_years
from consortium.payments.models import ConnectedAccount, StripeCustomer
from consortium.payments.wiring import EXTENSION
from consortium.transaction import commit_now
from tests.consortium.payments.conftest import invoice_of, onboard, publish
from tests.factories import PASSWORD
from tests.stripe_fake import webhooks
from tests.stripe_fake.fixtures import STRIPE_TEST_KEY

pytestmark = pytest.mark.usefixtures("stripe_app")


def deliver(client, event: dict, secret: str, kind: str = "signed"):
    delivery = webhooks.delivery(event, secret, kind)
    return client.post("/webhooks/stripe", data=delivery.payload, headers=delivery.headers)


def latest(stripe_fake, type: str) -> dict:
    return stripe_fake.events(type)[-1]


def test_a_vendor_onboards_from_its_organisation_page(client, login, awarded, stripe_fake,
                                                      stripe_webhook_secret):
    vendor = awarded.scenario.vendor_a
    login(client, vendor)
    page = client.get("/org/profile").get_data(as_text=True)
    assert "Set up Stripe payouts" in page
    response = client.post("/org/payouts")
    assert response.status_code == 303
    link = response.headers["Location"]
    assert link.startswith(stripe_fake.base_url + "/connect/onboarding/")
    account = db.session.get(ConnectedAccount, vendor.org.id)
    created = stripe_fake.posts("/v1/accounts")[0]
    assert created.idempotency_key == f"account:vendor-{vendor.org.id}"
    assert created.form["business_profile"] == {"name": vendor.org.name}
    assert created.form["metadata"] == {"organisation_id": str(vendor.org.id)}
    assert not account.ready and "external_account" in account.currently_due
    assert "Charges: <strong>not enabled yet" in client.get("/org/profile").get_data(as_text=True)

    again = client.post("/org/payouts")  # a second click: a fresh link, the same account
    assert again.headers["Location"] != link
    assert len(stripe_fake.objects("account")) == 1

    # The vendor finishes on Stripe's page; Stripe says so with account.updated.
    import requests

    finished = requests.post(again.headers["Location"], allow_redirects=False, timeout=5)
    assert urlsplit(finished.headers["Location"]).path == "/org/profile"
    assert deliver(client, latest(stripe_fake, "account.updated"), stripe_webhook_secret).status_code == 200
    db.session.expire_all()
    assert account.ready and account.currently_due == []
    page = client.get("/org/profile").get_data(as_text=True)
    assert "Charges: <strong>enabled" in page and "Payouts: <strong>enabled" in page


def test_accepting_creates_the_invoice_in_stripe_with_the_vendors_account_and_the_fee(
        client, login, awarded, stripe_fake):
    s = awarded.scenario
    account_id = onboard(s.vendor_a, stripe_fake)
    login(client, awarded.manager)
    terms = client.post(f"/manage/solicitations/{s.solicitation.id}/payment-terms",
                        data={"days_until_due": "45", "reminder_days": "14, 3"})
    assert terms.status_code == 303
    client.post("/logout")
    login(client, s.district_a)
    contract = awarded.contract(s.district_a)
    client.post(f"/contracts/{contract.id}/decision", data={"decision": "accept"})

    invoice = invoice_of(contract)
    key = f"invoice:award-{awarded.award.id}:district-{s.district_a.org.id}:year-1"
    customer, create, lines, finalize, send = stripe_fake.posts()[-5:]
    assert (customer.path, customer.idempotency_key) == ("/v1/customers", f"customer:district-{s.district_a.org.id}")
    assert customer.form["name"] == s.district_a.org.name and customer.form["email"] == s.district_a.email
    assert (create.path, create.idempotency_key) == ("/v1/invoices", key)
    assert create.form["collection_method"] == "send_invoice"
    assert create.form["days_until_due"] == "45"
    assert create.form["transfer_data"] == {"destination": account_id}
    assert create.form["application_fee_amount"] == "9000"  # 1.5 % of $6,000.00
    assert "on_behalf_of" not in create.form  # a US vendor: Stripe does not require it
    assert create.form["number"] == invoice.number
    assert create.form["metadata"]["invoice_id"] == str(invoice.id)
    assert lines.idempotency_key == f"{key}:lines"
    assert lines.form["lines"] == [{
        "description": invoice.lines[0].description, "quantity": "400",
        "price_data": {"currency": "usd", "product_data": {"name": invoice.lines[0].description},
                       "unit_amount": "1500"}}]
    assert (finalize.idempotency_key, send.idempotency_key) == (f"{key}:finalize", f"{key}:send")

    assert invoice.status == "open" and invoice.in_stripe and invoice.sync_error is None
    remote = stripe_fake.get(invoice.gateway_invoice_id)
    assert (remote["status"], remote["number"], remote["total"]) == ("open", invoice.number, 600_000)
    assert invoice.hosted_invoice_url == remote["hosted_invoice_url"]
    assert invoice.due_at.timestamp() == remote["due_date"]
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Pay $6,000.00 by card or ACH" in page and remote["hosted_invoice_url"] in page
    assert db.session.get(StripeCustomer, s.district_a.org.id).customer_id == remote["customer"]


def test_a_vendor_abroad_is_invoiced_on_behalf_of(awarded, stripe_fake):
    s = awarded.scenario
    account_id = onboard(s.vendor_a, stripe_fake)
    stripe_fake.update_account(account_id, country="CA")
    connect.refresh(s.vendor_a.org)
    awarded.accept(s.district_a)
    commit_now()  # the push runs after the commit, as after a request
    create = stripe_fake.posts("/v1/invoices")[0]
    assert create.form["on_behalf_of"] == account_id
    assert create.form["transfer_data"] == {"destination": account_id}


def test_a_retry_makes_nothing_twice_and_stored_ids_outlive_stripes_keys(make, clock, fake_solver,
                                                                         stripe_fake):
    awarded = publish(make, term_months=24)
    s = awarded.scenario
    onboard(s.vendor_a, stripe_fake)
    invoice = awarded.accept(s.district_a)
    commit_now()
    sent = len(stripe_fake.requests)
    outbound.reconcile(invoice.id)  # `flask daily` or a second click retrying the issue
    assert [r.method for r in stripe_fake.requests[sent:]] == ["GET"]  # it only looked
    assert len(stripe_fake.objects("invoice")) == 1
    stripe_fake._saved.clear()  # a year on, Stripe has forgotten every idempotency key
    clock.advance(days=365)
    assert invoice_due_years() == 1
    commit_now()
    assert len(stripe_fake.posts("/v1/customers")) == 1  # the stored customer id was used
    first, second = stripe_fake.posts("/v1/invoices")
    assert second.idempotency_key == first.idempotency_key.replace(":year-1", ":year-2")
    assert second.form["customer"] == first.form["customer"]
    assert len(stripe_fake.objects("invoice")) == 2


def test_an_invoice_waits_for_the_vendors_payouts_then_is_issued(client, awarded, stripe_fake,
                                                                 stripe_webhook_secret):
    s = awarded.scenario
    invoice = awarded.accept(s.district_b)
    commit_now()
    assert invoice.status == "draft" and "Waiting for" in invoice.sync_error
    assert stripe_fake.objects("invoice") == []
    account = connect.ensure_account(s.vendor_a.org)
    stripe_fake.complete_onboarding(account.account_id)
    assert deliver(client, latest(stripe_fake, "account.updated"), stripe_webhook_secret).status_code == 200
    db.session.expire_all()
    assert invoice.status == "open" and invoice.in_stripe and invoice.sync_error is None
    assert stripe_fake.get(invoice.gateway_invoice_id)["transfer_data"]["destination"] == account.account_id
    assert "Stripe payouts are ready" in db.session.scalars(
        select(OutboxMessage.subject).where(OutboxMessage.to == s.vendor_a.email)).all()


def test_paying_on_the_hosted_page_marks_it_paid_once(client, awarded, stripe_fake, stripe_webhook_secret):
    s = awarded.scenario
    onboard(s.vendor_a, stripe_fake)
    invoice = awarded.accept(s.district_a)
    commit_now()
    stripe_fake.pay_on_hosted_page(invoice.gateway_invoice_id)
    event = latest(stripe_fake, "invoice.paid")
    first = deliver(client, event, stripe_webhook_secret)
    assert first.status_code == 200 and "pay" in first.json["outcome"]
    assert deliver(client, event, stripe_webhook_secret).json["outcome"].startswith("duplicate")
    db.session.expire_all()
    (payment,) = invoice.payments
    assert (invoice.status, invoice.amount_paid_cents) == ("paid", 600_000)
    assert (payment.method, payment.amount_cents) == ("stripe", 600_000)
    assert payment.stripe_payment_intent_id.startswith("pi_")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "invoice.paid")) == 1
    # The fee was deducted by Stripe: the vendor's statement shows nothing more due.
    from consortium.payments.reports import Quarter, fee_statement

    statement = fee_statement(s.solicitation.consortium, s.vendor_a.org, Quarter(2026, 1))
    assert (statement.total("fee_applied"), statement.total("fee_collected"), statement.total("fee_due")) == (
        9_000, 9_000, 0)


def test_the_managers_check_and_void_reach_stripe_after_the_commit(client, login, awarded, stripe_fake):
    s = awarded.scenario
    onboard(s.vendor_a, stripe_fake)
    a, b = awarded.accept(s.district_a), awarded.accept(s.district_b)
    commit_now()
    login(client, awarded.manager)
    partial = client.post(f"/invoices/{a.id}/payments", data={
        "amount": "100", "received_on": "2026-03-02", "method": "check", "reference": "Check 9"})
    assert partial.status_code == 400 and "Stripe marks an invoice paid in full" in partial.get_data(as_text=True)
    full = client.post(f"/invoices/{a.id}/payments", data={
        "amount": "6000", "received_on": "2026-03-02", "method": "check", "reference": "Check 9"})
    assert full.status_code == 303
    (pay,) = stripe_fake.posts(f"/v1/invoices/{a.gateway_invoice_id}/pay")
    assert (pay.idempotency_key, pay.form) == (f"pay:invoice-{a.id}", {"paid_out_of_band": "true"})
    assert client.post(f"/invoices/{b.id}/void", data={"reason": "Board did not fund it"}).status_code == 303
    (void,) = stripe_fake.posts(f"/v1/invoices/{b.gateway_invoice_id}/void")
    assert void.idempotency_key == f"void:invoice-{b.id}"
    db.session.expire_all()
    assert stripe_fake.get(a.gateway_invoice_id)["status"] == "paid" and a.status == "paid"
    assert stripe_fake.get(b.gateway_invoice_id)["status"] == "void" and b.status == "void"
    assert [(p.method, p.amount_cents) for p in a.payments] == [("check", 600_000)]
    assert a.sync_error is None and b.sync_error is None


def test_an_unreachable_stripe_is_noted_and_retried_by_daily(app, awarded, stripe_fake, runner):
    s = awarded.scenario
    onboard(s.vendor_a, stripe_fake)
    fake = app.extensions[EXTENSION]
    dead = StripeGateway(STRIPE_TEST_KEY, api_base="http://127.0.0.1:9", max_network_retries=0,
                         timeout_seconds=1)
    app.extensions[EXTENSION] = dead
    try:
        invoice = awarded.accept(s.district_a)
        commit_now()  # the acceptance stands; issuing failed after it
    finally:
        app.extensions[EXTENSION] = fake
        dead.close()
    db.session.expire_all()
    assert invoice.status == "draft" and invoice.contract.status == "accepted"
    assert "connect" in invoice.sync_error.lower()
    assert stripe_fake.objects("invoice") == []
    result = runner.invoke(args=["daily"])
    assert result.exit_code == 0, result.output
    assert "1  invoices settled with Stripe" in result.output
    db.session.expire_all()
    assert invoice.status == "open" and invoice.in_stripe and invoice.sync_error is None


def test_the_webhook_needs_no_csrf_token_but_the_invoice_forms_do(csrf_app, client, login, awarded,
                                                                  stripe_fake, stripe_webhook_secret):
    s = awarded.scenario
    account_id = onboard(s.vendor_a, stripe_fake)
    event = stripe_fake.event_for(account_id, "account.updated", account=account_id)
    assert deliver(client, event, stripe_webhook_secret).status_code == 200  # no session, no token
    invoice = awarded.accept(s.district_a)
    commit_now()
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": s.district_a.email, "password": PASSWORD, "csrf_token": token})
    refused = client.post(f"/invoices/{invoice.id}/purchase-order", data={"po_number": "PO-1"})
    assert refused.status_code == 400 and invoice.po_number is None
