"""OfflineGateway: the same calls and records as Stripe's, numbered locally, with no network."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from consortium.payments.offline import ALLOWED_FROM, TARGET, OfflineGateway, offline_id
from consortium.payments.records import (
    ConnectNotConfigured,
    GatewayRequestError,
    IdempotencyKeyReused,
    InvoiceLine,
    InvoiceRequest,
)

NOW = datetime(2025, 8, 1, 15, 0, tzinfo=UTC)
KEY = "invoice:award-12:district-40:year-1"
STATES = ("draft", "open", "paid", "void", "uncollectible")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the offline gateway opened a connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def gateway() -> OfflineGateway:
    return OfflineGateway(now=lambda: NOW)


def request(customer_id: str, **changes) -> InvoiceRequest:
    fields = dict(customer_id=customer_id, lines=(InvoiceLine("Copy paper, case", 120, 4_599),),
                  days_until_due=30)
    return InvoiceRequest(**{**fields, **changes})


@pytest.fixture
def draft(gateway):
    customer = gateway.ensure_customer(customer_id=None, name="Maple ISD", email=None,
                                       idempotency_key="customer:district-40")
    return gateway.create_invoice(request(customer), idempotency_key=KEY)


def test_ids_derive_from_the_key_so_a_retry_lands_on_the_same_object(gateway, draft):
    assert gateway.ensure_customer(customer_id=None, name="Maple ISD", email=None,
                                   idempotency_key="customer:district-40") == draft.customer_id
    assert draft.customer_id == offline_id("cus", "customer:district-40")
    assert draft.id == offline_id("in", KEY)
    assert gateway.create_invoice(request(draft.customer_id), idempotency_key=KEY) == draft
    assert list(gateway.invoices) == [draft.id]


def test_a_draft_has_the_totals_and_due_date_of_its_request(draft):
    assert (draft.status, draft.total_cents, draft.amount_due_cents, draft.amount_paid_cents) == (
        "draft", 551_880, 551_880, 0)
    assert draft.due_at == NOW + timedelta(days=30)
    assert draft.hosted_invoice_url is None  # offline, the application's printable page


def test_the_same_key_for_another_invoice_is_refused(gateway, draft):
    with pytest.raises(IdempotencyKeyReused):
        gateway.create_invoice(request(draft.customer_id, lines=(InvoiceLine("Toner", 1, 100),)),
                               idempotency_key=KEY)


def test_finalizing_numbers_the_invoice_deterministically(gateway, draft):
    invoice = gateway.finalize_and_send(draft.id, idempotency_key=KEY)
    assert invoice.status == "open"
    assert invoice.number == f"INV-2025-{draft.id.removeprefix('in_offline_')[:8].upper()}"
    assert OfflineGateway(now=lambda: NOW, invoices={draft.id: draft}).finalize_and_send(
        draft.id, idempotency_key=KEY).number == invoice.number


def test_a_number_handed_in_is_kept(gateway):
    customer = gateway.ensure_customer(customer_id=None, name="Oak ISD", email=None, idempotency_key="c")
    draft = gateway.create_invoice(request(customer, number="INV-2025-0007"), idempotency_key="i")
    assert gateway.finalize_and_send(draft.id, idempotency_key="i").number == "INV-2025-0007"


def test_a_payment_by_check_pays_the_whole_balance(gateway, draft):
    gateway.finalize_and_send(draft.id, idempotency_key=KEY)
    paid = gateway.mark_paid_out_of_band(draft.id, idempotency_key="paid:1")
    assert (paid.status, paid.amount_paid_cents, paid.amount_remaining_cents, paid.paid_out_of_band) == (
        "paid", 551_880, 0, True)
    assert gateway.retrieve_invoice(draft.id) == paid


def _put_in(gateway: OfflineGateway, invoice_id: str, status: str) -> None:
    gateway.invoices[invoice_id] = replace(gateway.invoices[invoice_id], status=status)


@pytest.mark.parametrize("change", sorted(TARGET))
@pytest.mark.parametrize("start", STATES)
def test_every_change_from_every_state(gateway, draft, change, start):
    _put_in(gateway, draft.id, start)
    method = {"finalize": "finalize_and_send", "void": "void_invoice",
              "mark_uncollectible": "mark_uncollectible", "pay": "mark_paid_out_of_band"}[change]
    act = getattr(gateway, method)
    if start in ALLOWED_FROM[change] or start == TARGET[change]:
        assert act(draft.id, idempotency_key="k").status == TARGET[change]
    else:
        with pytest.raises(GatewayRequestError, match=f"a {start} invoice cannot become"):
            act(draft.id, idempotency_key="k")
        assert gateway.retrieve_invoice(draft.id).status == start


def test_the_table_is_stripes_lifecycle():
    lifecycle = {
        "finalize": {"draft"}, "void": {"open", "uncollectible"},
        "mark_uncollectible": {"open"}, "pay": {"open", "uncollectible"},
    }
    assert lifecycle == ALLOWED_FROM


def test_invoices_live_in_the_mapping_the_caller_gives(draft):
    table: dict = {}
    gateway = OfflineGateway(invoices=table, now=lambda: NOW)
    customer = gateway.ensure_customer(customer_id=None, name="Oak ISD", email=None, idempotency_key="c")
    invoice = gateway.create_invoice(request(customer), idempotency_key="i")
    assert table == {invoice.id: invoice}


def test_an_unknown_invoice_is_missing(gateway):
    with pytest.raises(GatewayRequestError) as missing:
        gateway.retrieve_invoice("in_offline_nothing")
    assert missing.value.code == "resource_missing"


@pytest.mark.parametrize("call", [
    lambda g: g.create_connected_account(email=None, business_name="PaperCo", idempotency_key="a"),
    lambda g: g.create_onboarding_link("acct_1", refresh_url="https://x", return_url="https://y"),
    lambda g: g.retrieve_account("acct_1"),
])
def test_connect_needs_stripe(gateway, call):
    with pytest.raises(ConnectNotConfigured):
        call(gateway)
