"""StripeGateway through the real SDK over HTTP against the local fake: what is sent, what returns."""

from __future__ import annotations

import pytest
import stripe

from consortium.payments.gateway import VENDOR_CAPABILITIES, StripeGateway, build_gateway
from consortium.payments.offline import OfflineGateway
from consortium.payments.records import (
    GatewayRequestError,
    GatewayUnavailable,
    IdempotencyKeyReused,
    InvoiceLine,
    InvoiceRequest,
)
from tests.stripe_fake.fixtures import STRIPE_TEST_KEY

KEY = "invoice:award-12:district-40:year-1"


@pytest.fixture
def customer_id(stripe_gateway: StripeGateway) -> str:
    return stripe_gateway.ensure_customer(
        customer_id=None, name="Maple ISD", email="ap@maple.example",
        metadata={"district_id": "40"}, idempotency_key="customer:district-40",
    )


@pytest.fixture
def vendor_account(stripe_gateway: StripeGateway) -> str:
    return stripe_gateway.create_connected_account(
        email="billing@paperco.example", business_name="PaperCo",
        metadata={"organization_id": "7"}, idempotency_key="account:org-7",
    ).id


def year_one(customer_id: str, vendor_account: str, **changes) -> InvoiceRequest:
    fields = dict(
        customer_id=customer_id,
        lines=(InvoiceLine("Copy paper, case", 120, 4_599), InvoiceLine("Toner", 8, 12_000)),
        days_until_due=45, destination_account_id=vendor_account,
        application_fee_cents=8_718, on_behalf_of=True,
        metadata={"award_id": "12", "district_id": "40", "contract_year": "1"},
    )
    return InvoiceRequest(**{**fields, **changes})


@pytest.fixture
def draft(stripe_gateway, customer_id, vendor_account):
    return stripe_gateway.create_invoice(year_one(customer_id, vendor_account), idempotency_key=KEY)


def test_every_stripe_host_is_the_fake_and_the_global_sdk_is_untouched(stripe_gateway, stripe_fake, customer_id):
    hosts = stripe_gateway._client._requestor._options.base_addresses
    assert set(hosts.values()) == {stripe_fake.base_url}
    assert stripe.api_base == stripe.DEFAULT_API_BASE  # no module-level state was changed
    (request,) = stripe_fake.requests
    assert request.api_key == STRIPE_TEST_KEY
    assert request.stripe_version == stripe.api_version


def test_without_a_base_url_the_gateway_would_use_stripe_itself():
    gateway = StripeGateway("sk_test_unused")  # built only; no call is made
    assert gateway.api_base == "https://api.stripe.com"
    assert gateway._client._requestor._options.base_addresses["api"] == "https://api.stripe.com"


def test_config_chooses_the_gateway():
    assert isinstance(build_gateway(None), OfflineGateway)
    assert isinstance(build_gateway("sk_test_x", api_base="http://127.0.0.1:9"), StripeGateway)


def test_a_district_customer_is_created_once(stripe_gateway, stripe_fake, customer_id):
    again = stripe_gateway.ensure_customer(customer_id=None, name="Maple ISD", email="ap@maple.example",
                                           metadata={"district_id": "40"},
                                           idempotency_key="customer:district-40")
    stored = stripe_gateway.ensure_customer(customer_id=customer_id, name="Maple ISD", email=None,
                                            idempotency_key="customer:district-40")
    assert again == stored == customer_id
    assert len(stripe_fake.objects("customer")) == 1
    first, retry = stripe_fake.posts("/v1/customers")  # the stored id made no request
    assert first.idempotency_key == retry.idempotency_key == "customer:district-40"
    assert (first.replayed, retry.replayed) == (False, True)
    assert first.form == {"name": "Maple ISD", "email": "ap@maple.example",
                          "metadata": {"district_id": "40"}}


def test_the_invoice_carries_destination_fee_terms_and_keys(stripe_fake, draft, customer_id, vendor_account):
    create, lines = stripe_fake.posts()[-2:]
    assert (create.path, create.idempotency_key) == ("/v1/invoices", KEY)
    assert create.form["customer"] == customer_id
    assert create.form["collection_method"] == "send_invoice"
    assert create.form["days_until_due"] == "45"
    assert create.form["transfer_data"] == {"destination": vendor_account}
    assert create.form["on_behalf_of"] == vendor_account
    assert create.form["application_fee_amount"] == "8718"
    assert create.form["auto_advance"] == "false"
    assert create.form["metadata"] == {"award_id": "12", "district_id": "40", "contract_year": "1"}
    assert (lines.path, lines.idempotency_key) == (f"/v1/invoices/{draft.id}/add_lines", f"{KEY}:lines")
    assert lines.form["lines"] == [
        {"description": "Copy paper, case", "quantity": "120",
         "price_data": {"currency": "usd", "product_data": {"name": "Copy paper, case"},
                        "unit_amount": "4599"}},
        {"description": "Toner", "quantity": "8",
         "price_data": {"currency": "usd", "product_data": {"name": "Toner"}, "unit_amount": "12000"}},
    ]
    assert (draft.status, draft.total_cents, draft.amount_due_cents) == ("draft", 647_880, 647_880)
    assert (draft.application_fee_cents, draft.destination_account_id) == (8_718, vendor_account)
    assert draft.number is None and draft.hosted_invoice_url is None


def test_a_retried_invoice_creates_nothing_new(stripe_gateway, stripe_fake, draft, customer_id, vendor_account):
    again = stripe_gateway.create_invoice(year_one(customer_id, vendor_account), idempotency_key=KEY)
    assert again == draft
    (invoice,) = stripe_fake.objects("invoice")
    assert len(invoice["lines"]["data"]) == 2
    assert [r.replayed for r in stripe_fake.posts()[-2:]] == [True, True]


def test_a_lost_response_is_retried_by_the_sdk_with_the_same_key(
    stripe_gateway, stripe_fake, customer_id, vendor_account, monkeypatch
):
    monkeypatch.setattr(stripe.RequestsClient, "_sleep_time_seconds", lambda self, n: 0)
    stripe_fake.lose_next_response("POST", "/v1/invoices")
    invoice = stripe_gateway.create_invoice(year_one(customer_id, vendor_account), idempotency_key=KEY)
    first, retry = stripe_fake.posts("/v1/invoices")
    assert first.idempotency_key == retry.idempotency_key == KEY
    assert retry.replayed
    assert [i["id"] for i in stripe_fake.objects("invoice")] == [invoice.id]


def test_the_same_key_for_another_invoice_is_refused(stripe_gateway, stripe_fake, draft, customer_id, vendor_account):
    other = year_one(customer_id, vendor_account, days_until_due=30)
    with pytest.raises(IdempotencyKeyReused):
        stripe_gateway.create_invoice(other, idempotency_key=KEY)
    assert len(stripe_fake.objects("invoice")) == 1


def test_finalize_and_send_opens_numbers_and_emails(stripe_gateway, stripe_fake, draft):
    invoice = stripe_gateway.finalize_and_send(draft.id, idempotency_key=KEY)
    assert invoice.status == "open"
    assert invoice.number and invoice.hosted_invoice_url.startswith(stripe_fake.base_url)
    finalize, send = stripe_fake.posts()[-2:]
    assert (finalize.path, finalize.idempotency_key) == (f"/v1/invoices/{draft.id}/finalize", f"{KEY}:finalize")
    assert (send.path, send.idempotency_key) == (f"/v1/invoices/{draft.id}/send", f"{KEY}:send")
    assert [e["type"] for e in stripe_fake.events()][-2:] == ["invoice.finalized", "invoice.sent"]
    assert stripe_gateway.finalize_and_send(draft.id, idempotency_key=KEY) == invoice  # a replay


@pytest.mark.parametrize(("path", "status"), [
    (["void_invoice"], "void"),
    (["mark_uncollectible"], "uncollectible"),
    (["mark_paid_out_of_band"], "paid"),
    (["mark_uncollectible", "void_invoice"], "void"),
    (["mark_uncollectible", "mark_paid_out_of_band"], "paid"),
])
def test_an_open_invoice_moves_as_stripe_moves_it(stripe_gateway, draft, path, status):
    stripe_gateway.finalize_and_send(draft.id, idempotency_key=KEY)
    for step, action in enumerate(path):
        invoice = getattr(stripe_gateway, action)(draft.id, idempotency_key=f"{action}:{draft.id}:{step}")
    assert invoice.status == status == stripe_gateway.retrieve_invoice(draft.id).status
    if status == "paid":
        assert (invoice.paid_out_of_band, invoice.amount_paid_cents, invoice.amount_remaining_cents) == (
            True, invoice.total_cents, 0)


@pytest.mark.parametrize(("before", "action"), [
    ([], "void_invoice"), ([], "mark_uncollectible"),
    (["finalize_and_send", "void_invoice"], "mark_paid_out_of_band"),
    (["finalize_and_send", "mark_paid_out_of_band"], "void_invoice"),
    (["finalize_and_send"], "finalize_and_send:again"),
])
def test_stripe_refuses_a_change_the_invoice_state_does_not_allow(stripe_gateway, draft, before, action):
    for step, done in enumerate(before):
        getattr(stripe_gateway, done)(draft.id, idempotency_key=f"{done}:{step}")
    name, _, again = action.partition(":")
    with pytest.raises(GatewayRequestError) as refused:
        getattr(stripe_gateway, name)(draft.id, idempotency_key=f"{name}:{again or 'x'}")
    assert refused.value.http_status == 400


def test_a_hosted_page_payment_shows_in_the_current_state(stripe_gateway, stripe_fake, draft):
    stripe_gateway.finalize_and_send(draft.id, idempotency_key=KEY)
    stripe_fake.pay_on_hosted_page(draft.id)
    invoice = stripe_gateway.retrieve_invoice(draft.id)
    assert (invoice.status, invoice.amount_paid_cents, invoice.paid_out_of_band) == ("paid", 647_880, False)


def test_a_vendor_onboards_through_a_fresh_link(stripe_gateway, stripe_fake, vendor_account):
    account = stripe_gateway.retrieve_account(vendor_account)
    assert not account.ready and "external_account" in account.currently_due
    created = stripe_fake.posts("/v1/accounts")[0].form
    assert created["controller"]["stripe_dashboard"] == {"type": "express"}
    assert set(created["capabilities"]) == set(VENDOR_CAPABILITIES)
    links = [stripe_gateway.create_onboarding_link(vendor_account, refresh_url="https://c.example/r",
                                                   return_url="https://c.example/done")
             for _ in range(2)]
    assert links[0].url != links[1].url  # no stable key: a used or expired link is never replayed
    assert all(link.url.startswith(stripe_fake.base_url) for link in links)
    stripe_fake.complete_onboarding(vendor_account)
    account = stripe_gateway.retrieve_account(vendor_account)
    assert account.ready and account.details_submitted and account.currently_due == ()


def test_a_missing_object_is_a_request_error(stripe_gateway):
    with pytest.raises(GatewayRequestError) as missing:
        stripe_gateway.retrieve_invoice("in_doesnotexist")
    assert (missing.value.code, missing.value.http_status) == ("resource_missing", 404)


def test_an_unreachable_stripe_is_unavailable(stripe_fake):
    gateway = StripeGateway(STRIPE_TEST_KEY, api_base=stripe_fake.base_url, max_network_retries=0)
    stripe_fake.stop()
    with pytest.raises(GatewayUnavailable):
        gateway.retrieve_account("acct_gone")
    gateway.close()


@pytest.mark.parametrize(("call", "field"), [
    (lambda g: g.ensure_customer(customer_id=None, name=" ", email=None, idempotency_key="k"), "name"),
    (lambda g: g.ensure_customer(customer_id="acct_1", name="X", email=None, idempotency_key="k"), "customer_id"),
    (lambda g: g.ensure_customer(customer_id=None, name="X", email=None, idempotency_key=""), "idempotency_key"),
    (lambda g: g.ensure_customer(customer_id=None, name="X", email=None, idempotency_key="k" * 256),
     "idempotency_key"),
    (lambda g: g.void_invoice("cus_1", idempotency_key="k"), "invoice_id"),
    (lambda g: g.retrieve_account("in_1"), "account_id"),
    (lambda g: g.create_onboarding_link("acct_1", refresh_url="", return_url="https://x"), "refresh_url"),
])
def test_bad_gateway_input_names_the_field_and_sends_nothing(stripe_gateway, stripe_fake, call, field):
    with pytest.raises(ValueError, match=f"^{field}:") as bad:
        call(stripe_gateway)
    assert bad.value.field == field
    assert stripe_fake.requests == []


def test_a_charge_leads_to_its_invoice_through_its_payment_intent(stripe_gateway, stripe_fake, draft):
    stripe_gateway.finalize_and_send(draft.id, idempotency_key=KEY)
    stripe_fake.pay_on_hosted_page(draft.id)
    (paid,) = stripe_gateway.list_invoice_payments(invoice_id=draft.id)
    assert (paid.invoice_id, paid.status, paid.amount_paid_cents) == (draft.id, "paid", 647_880)
    (charge,) = stripe_fake.objects("charge")
    assert stripe_gateway.list_invoice_payments(payment_intent_id=charge["payment_intent"]) == (paid,)
    stripe_fake.refund(charge["id"], 47_880)
    now = stripe_gateway.retrieve_charge(charge["id"])
    assert (now.amount_cents, now.amount_refunded_cents, now.payment_intent_id) == (
        647_880, 47_880, paid.payment_intent_id)
    listed = stripe_fake.requests[-2]
    assert (listed.method, listed.path, listed.query["payment"]) == (
        "GET", "/v1/invoice_payments", {"type": "payment_intent", "payment_intent": charge["payment_intent"]})
    assert stripe_gateway.retrieve_invoice(draft.id).attempt_count == 1


def test_listing_payments_needs_an_invoice_or_a_payment_intent(stripe_gateway, stripe_fake):
    with pytest.raises(ValueError, match="^invoice_id:"):
        stripe_gateway.list_invoice_payments()
    with pytest.raises(ValueError, match="^payment_intent_id:"):
        stripe_gateway.list_invoice_payments(payment_intent_id="ch_1")
    with pytest.raises(ValueError, match="^charge_id:"):
        stripe_gateway.retrieve_charge("pi_1")
    assert stripe_fake.requests == []


def test_the_offline_twin_has_no_charges_and_no_stripe_payments():
    offline = OfflineGateway()
    assert offline.list_invoice_payments(invoice_id="in_offline_1") == ()
    with pytest.raises(GatewayRequestError):
        offline.retrieve_charge("ch_1")


def test_the_vendors_country_comes_from_stripe(stripe_gateway, stripe_fake, vendor_account):
    assert stripe_gateway.retrieve_account(vendor_account).country == "US"
    stripe_fake.update_account(vendor_account, country="ca")
    assert stripe_gateway.retrieve_account(vendor_account).country == "CA"
