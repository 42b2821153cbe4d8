"""The fake itself, over plain HTTP: encoding, errors, idempotency, lifecycle, pages, signing."""

from __future__ import annotations

import json
import time

import pytest
import requests
import stripe

from tests.stripe_fake import webhooks
from tests.stripe_fake.forms import decode_form
from tests.stripe_fake.store import FIXTURES_FILE, build_event, fixture

AUTH = {"Authorization": "Bearer sk_test_raw"}


@pytest.fixture
def http(stripe_fake):
    """POST/GET helpers against the fake that return (status, json, headers)."""
    session = requests.Session()

    def call(method: str, path: str, data=None, key: str | None = None, headers=None):
        sent = {**AUTH, **({"Idempotency-Key": key} if key else {}), **(headers or {})}
        response = session.request(method, stripe_fake.base_url + path, data=data, headers=sent)
        return response.status_code, response.json(), response.headers

    yield call
    session.close()


def ok(result):
    status, body, _ = result
    assert status == 200, body
    return body


@pytest.fixture
def invoice(http):
    customer = ok(http("POST", "/v1/customers", {"name": "Maple ISD"}))
    account = ok(http("POST", "/v1/accounts", {"type": "express"}))
    draft = ok(http("POST", "/v1/invoices", {
        "customer": customer["id"], "collection_method": "send_invoice", "days_until_due": "30",
        "transfer_data[destination]": account["id"], "application_fee_amount": "150",
    }))
    return ok(http("POST", f"/v1/invoices/{draft['id']}/add_lines", {
        "lines[0][description]": "Paper", "lines[0][quantity]": "2",
        "lines[0][price_data][currency]": "usd", "lines[0][price_data][unit_amount]": "5000",
        "lines[0][price_data][product_data][name]": "Paper",
    }))


def test_the_fixtures_ship_with_the_tests_not_from_shared():
    assert FIXTURES_FILE.parent.name == "stripe_fake" and FIXTURES_FILE.is_file()
    assert (FIXTURES_FILE.parent / "LICENSE").read_text().startswith("The MIT License")
    assert fixture("invoice")["object"] == "invoice"


def test_stripe_form_encoding_decodes_to_nested_data():
    body = (b"customer=cus_1&metadata[award]=12&lines[1][quantity]=3&lines[0][quantity]=2"
            b"&lines[0][price_data][unit_amount]=5&expand[]=lines&expand[]=customer&empty=")
    assert decode_form(body) == {
        "customer": "cus_1", "metadata": {"award": "12"}, "empty": "",
        "lines": [{"quantity": "2", "price_data": {"unit_amount": "5"}}, {"quantity": "3"}],
        "expand": ["lines", "customer"],
    }


def test_requests_need_a_test_key(stripe_fake):
    with requests.Session() as session:
        response = session.post(stripe_fake.base_url + "/v1/customers", data={"name": "x"})
    assert response.status_code == 401
    assert stripe_fake.objects("customer") == []


def test_unknown_urls_and_objects_answer_as_stripe_does(http):
    status, body, _ = http("POST", "/v1/subscriptions", {})
    assert status == 404 and "Unrecognized request URL" in body["error"]["message"]
    status, body, _ = http("GET", "/v1/invoices/in_nope")
    assert (status, body["error"]["code"]) == (404, "resource_missing")
    status, body, _ = http("POST", "/v1/invoices", {"customer": "cus_nope"})
    assert (status, body["error"]["param"]) == (400, "customer")


def test_every_request_is_recorded(http, stripe_fake):
    http("POST", "/v1/customers", {"name": "Maple ISD", "metadata[district_id]": "40"}, key="k1")
    (recorded,) = stripe_fake.requests
    assert (recorded.method, recorded.path, recorded.idempotency_key, recorded.status) == (
        "POST", "/v1/customers", "k1", 200)
    assert recorded.form == {"name": "Maple ISD", "metadata": {"district_id": "40"}}
    assert recorded.api_key == "sk_test_raw"


def test_the_same_key_and_parameters_replay_the_first_answer(http, stripe_fake):
    first = ok(http("POST", "/v1/customers", {"name": "Maple ISD"}, key="k"))
    status, again, headers = http("POST", "/v1/customers", {"name": "Maple ISD"}, key="k")
    assert (status, again) == (200, first)
    assert headers["Idempotent-Replayed"] == "true"
    assert len(stripe_fake.objects("customer")) == 1


@pytest.mark.parametrize(("path", "data", "fragment"), [
    ("/v1/customers", {"name": "Oak ISD"}, "same parameters"),
    ("/v1/accounts", {"name": "Maple ISD"}, "same endpoint"),
])
def test_the_same_key_for_another_request_is_an_idempotency_error(http, stripe_fake, path, data, fragment):
    ok(http("POST", "/v1/customers", {"name": "Maple ISD"}, key="k"))
    status, body, _ = http("POST", path, data, key="k")
    assert (status, body["error"]["type"]) == (400, "idempotency_error")
    assert fragment in body["error"]["message"]
    assert len(stripe_fake.objects("customer")) == 1 and stripe_fake.objects("account") == []


def test_a_request_refused_for_its_parameters_leaves_the_key_free(http):
    status, body, _ = http("POST", "/v1/invoices", {}, key="k")
    assert (status, body["error"]["code"]) == (400, "parameter_missing")
    customer = ok(http("POST", "/v1/customers", {"name": "x"}))
    assert ok(http("POST", "/v1/invoices", {"customer": customer["id"]}, key="k"))["status"] == "draft"


def test_a_state_error_is_kept_like_any_answer(http, invoice):
    path = f"/v1/invoices/{invoice['id']}/void"
    assert http("POST", path, {}, key="v")[0] == 400  # a draft cannot be voided
    ok(http("POST", f"/v1/invoices/{invoice['id']}/finalize", {}))
    status, _, headers = http("POST", path, {}, key="v")
    assert (status, headers["Idempotent-Replayed"]) == (400, "true")


def test_lines_set_the_totals_and_the_post_sets_the_connect_fields(invoice):
    assert (invoice["total"], invoice["amount_due"], invoice["amount_remaining"]) == (10_000, 10_000, 10_000)
    (line,) = invoice["lines"]["data"]
    assert (line["amount"], line["quantity"], line["invoice"]) == (10_000, 2, invoice["id"])
    assert invoice["application_fee_amount"] == 150
    assert invoice["transfer_data"]["destination"].startswith("acct_")
    assert invoice["due_date"] - invoice["created"] == 30 * 86_400
    assert invoice["id"].startswith("in_") and invoice["customer"].startswith("cus_")


@pytest.mark.parametrize(("steps", "status"), [
    (["finalize"], "open"),
    (["finalize", "pay"], "paid"),
    (["finalize", "void"], "void"),
    (["finalize", "mark_uncollectible"], "uncollectible"),
    (["finalize", "mark_uncollectible", "pay"], "paid"),
    (["finalize", "mark_uncollectible", "void"], "void"),
])
def test_an_invoice_moves_through_stripes_lifecycle(http, invoice, steps, status):
    for step in steps:
        data = {"paid_out_of_band": "true"} if step == "pay" else {}
        body = ok(http("POST", f"/v1/invoices/{invoice['id']}/{step}", data))
    assert body["status"] == status
    assert body["number"] and body["hosted_invoice_url"].endswith(f"/i/{invoice['id']}")
    stamp = {"open": "finalized_at", "paid": "paid_at", "void": "voided_at",
             "uncollectible": "marked_uncollectible_at"}[status]
    assert body["status_transitions"][stamp]


@pytest.mark.parametrize(("steps", "refused"), [
    ([], "void"), ([], "mark_uncollectible"), ([], "send"), (["finalize"], "finalize"),
    (["finalize", "void"], "pay"), (["finalize", "void"], "mark_uncollectible"),
    (["finalize", "pay"], "void"), (["finalize", "pay"], "pay"),
])
def test_a_change_the_state_does_not_allow_is_refused(http, stripe_fake, invoice, steps, refused):
    for step in [*steps, refused]:
        data = {"paid_out_of_band": "true"} if step == "pay" else {}
        status, body, _ = http("POST", f"/v1/invoices/{invoice['id']}/{step}", data)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"


def test_numbers_follow_the_customers_prefix(http, invoice):
    first = ok(http("POST", f"/v1/invoices/{invoice['id']}/finalize", {}))
    prefix, sequence = first["number"].rsplit("-", 1)
    assert sequence == "0001" and prefix == ok(http("GET", f"/v1/customers/{invoice['customer']}"))[
        "invoice_prefix"]


def test_changes_emit_stripes_events_with_the_request_behind_them(http, stripe_fake, invoice):
    ok(http("POST", f"/v1/invoices/{invoice['id']}/finalize", {}, key="fin"))
    stripe_fake.pay_on_hosted_page(invoice["id"])
    types = [e["type"] for e in stripe_fake.events()]
    assert types == ["customer.created", "invoice.created", "invoice.updated", "invoice.finalized",
                     "charge.succeeded", "invoice.paid", "invoice.payment_succeeded"]
    (finalized,) = stripe_fake.events("invoice.finalized")
    assert finalized["request"]["idempotency_key"] == "fin"
    assert finalized["data"]["object"]["status"] == "open"
    assert finalized["data"]["previous_attributes"]["status"] == "draft"
    assert finalized["api_version"] == stripe.api_version
    assert ok(http("GET", f"/v1/events/{finalized['id']}")) == finalized


def test_test_side_changes_move_the_current_state(http, stripe_fake, invoice):
    ok(http("POST", f"/v1/invoices/{invoice['id']}/finalize", {}))
    assert stripe_fake.fail_payment(invoice["id"])["attempt_count"] == 1
    paid = stripe_fake.pay_on_hosted_page(invoice["id"])
    assert (paid["status"], paid["amount_paid"], paid["amount_remaining"]) == ("paid", 10_000, 0)
    (charge,) = stripe_fake.objects("charge")
    assert charge["application_fee_amount"] == 150 and charge["amount"] == 10_000
    refunded = stripe_fake.refund(charge["id"], 4_000)
    assert (refunded["amount_refunded"], refunded["refunded"]) == (4_000, False)
    assert stripe_fake.refund(charge["id"])["refunded"] is True
    assert [e["type"] for e in stripe_fake.events()][-2:] == ["charge.refunded", "charge.refunded"]


def test_an_event_of_any_type_wraps_the_current_object(http, stripe_fake, invoice):
    event = stripe_fake.event_for(invoice["customer"], "customer.updated",
                                  previous_attributes={"name": "Old name"})
    assert (event["type"], event["object"], event["id"][:4]) == ("customer.updated", "event", "evt_")
    assert event["data"]["object"] == stripe_fake.get(invoice["customer"])
    assert event not in stripe_fake.events()


def test_the_hosted_invoice_page_takes_a_payment(http, stripe_fake, invoice):
    opened = ok(http("POST", f"/v1/invoices/{invoice['id']}/finalize", {}))
    with requests.Session() as browser:
        page = browser.get(opened["hosted_invoice_url"])
        assert page.status_code == 200 and "Pay 100.00 USD" in page.text
        after = browser.post(opened["hosted_invoice_url"] + "/pay")
    assert 'class="status">paid<' in after.text
    assert stripe_fake.get(invoice["id"])["status"] == "paid"


def test_an_onboarding_link_is_single_use_and_returns_to_the_app(http, stripe_fake):
    account = ok(http("POST", "/v1/accounts", {"type": "express"}))
    link = ok(http("POST", "/v1/account_links", {
        "account": account["id"], "type": "account_onboarding",
        "refresh_url": "https://app.example/refresh", "return_url": "https://app.example/done",
    }))
    assert link["expires_at"] > link["created"]
    with requests.Session() as browser:
        done = browser.post(link["url"], allow_redirects=False)
        assert (done.status_code, done.headers["Location"]) == (303, "https://app.example/done")
        assert browser.post(link["url"], allow_redirects=False).status_code == 404
    current = stripe_fake.get(account["id"])
    assert current["charges_enabled"] and current["payouts_enabled"]
    assert current["requirements"]["currently_due"] == []


def test_the_signer_matches_stripes_scheme():
    payload = b'{"id": "evt_1", "object": "event"}'
    now = int(time.time())
    expected = stripe.WebhookSignature.generate_signature_header(payload.decode(), "whsec_x", now)
    assert webhooks.sign(payload, "whsec_x", timestamp=now) == expected


def test_bad_copies_differ_from_the_genuine_delivery_as_named(stripe_webhook_secret):
    original = build_event("invoice.paid", fixture("invoice"))
    now = int(time.time())
    signed, unsigned, forged, stale, tampered = webhooks.deliveries(original, stripe_webhook_secret, now=now)
    assert [d.kind for d in (signed, unsigned, forged, stale, tampered)] == list(webhooks.KINDS)
    assert signed.genuine and not any(d.genuine for d in (unsigned, forged, stale, tampered))
    assert "Stripe-Signature" not in unsigned.headers
    assert forged.payload == signed.payload and forged.signature != signed.signature
    assert stale.payload == signed.payload and stale.signature.startswith(f"t={now - 360},")
    assert tampered.signature == signed.signature and tampered.payload != signed.payload
    assert json.loads(tampered.payload)["data"]["object"]["amount_paid"] == 100_00


def test_invoice_payments_are_listed_by_invoice_or_payment_intent(http, stripe_fake, invoice):
    ok(http("POST", f"/v1/invoices/{invoice['id']}/finalize"))
    stripe_fake.pay_on_hosted_page(invoice["id"])
    (charge,) = stripe_fake.objects("charge")
    by_invoice = ok(http("GET", f"/v1/invoice_payments?invoice={invoice['id']}"))
    intent = charge["payment_intent"]
    by_intent = ok(http("GET", "/v1/invoice_payments?payment[type]=payment_intent"
                               f"&payment[payment_intent]={intent}"))
    assert by_invoice["data"] == by_intent["data"] and len(by_invoice["data"]) == 1
    assert by_invoice["data"][0]["payment"]["payment_intent"] == intent
    assert ok(http("GET", "/v1/invoice_payments?invoice=in_other"))["data"] == []
    status, body, _ = http("GET", "/v1/invoice_payments")
    assert status == 400 and body["error"]["code"] == "parameter_missing"
