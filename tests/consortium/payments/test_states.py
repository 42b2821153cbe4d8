"""The invoice and payment state machines, as tables: every (status, action) pair is decided."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from consortium.payments.states import (
    INVOICE_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    InvoiceStatus,
    PaymentStatus,
    invoice_path,
    invoice_phase,
    next_invoice_status,
    next_payment_status,
    payable,
    refund_action,
)

D, OPEN, P, V, U = (InvoiceStatus.draft, InvoiceStatus.open, InvoiceStatus.paid, InvoiceStatus.void,
                 InvoiceStatus.uncollectible)
INVOICE_TABLE = {
    # status: {action: next status or None (refused)}
    D: {"issue": OPEN, "pay": None, "void": V, "write_off": None},
    OPEN: {"issue": None, "pay": P, "void": V, "write_off": U},
    P: {"issue": None, "pay": None, "void": None, "write_off": None},
    V: {"issue": None, "pay": None, "void": None, "write_off": None},
    U: {"issue": None, "pay": P, "void": V, "write_off": None},
}


@pytest.mark.parametrize(("status", "action"), list(product(InvoiceStatus, ("issue", "pay", "void", "write_off"))))
def test_invoice_transitions_are_the_table(status, action):
    assert next_invoice_status(status, action) == INVOICE_TABLE[status][action]


def test_the_table_has_no_other_moves():
    listed = {(s, a): t for s, row in INVOICE_TABLE.items() for a, t in row.items() if t}
    assert listed == INVOICE_TRANSITIONS


PAYMENT_TABLE = [
    (None, "record", PaymentStatus.succeeded),
    (None, "refund_part", None),
    (PaymentStatus.succeeded, "record", None),
    (PaymentStatus.succeeded, "refund_part", PaymentStatus.partially_refunded),
    (PaymentStatus.succeeded, "refund_all", PaymentStatus.refunded),
    (PaymentStatus.partially_refunded, "refund_part", PaymentStatus.partially_refunded),
    (PaymentStatus.partially_refunded, "refund_all", PaymentStatus.refunded),
    (PaymentStatus.refunded, "refund_part", None),
    (PaymentStatus.refunded, "refund_all", None),
    (PaymentStatus.refunded, "record", None),
]


@pytest.mark.parametrize(("status", "action", "expected"), PAYMENT_TABLE)
def test_payment_transitions_are_the_table(status, action, expected):
    assert next_payment_status(status, action) == expected


def test_the_payment_table_has_no_other_moves():
    assert {(s, a): t for s, a, t in PAYMENT_TABLE if t} == PAYMENT_TRANSITIONS


@pytest.mark.parametrize(("amount", "refunded", "action"), [(100, 1, "refund_part"), (100, 99, "refund_part"),
                                                            (100, 100, "refund_all")])
def test_a_refund_is_whole_only_when_all_of_it_is_back(amount, refunded, action):
    assert refund_action(amount, refunded) == action


@pytest.mark.parametrize(("start", "goal", "path"), [
    (D, D, []), (D, OPEN, ["issue"]), (D, P, ["issue", "pay"]), (D, U, ["issue", "write_off"]),
    (OPEN, P, ["pay"]), (U, P, ["pay"]), (OPEN, V, ["void"]), (D, V, ["void"]),
    (P, OPEN, None), (V, OPEN, None), (P, V, None), (U, OPEN, None),
])
def test_a_webhook_replays_the_shortest_path(start, goal, path):
    assert invoice_path(start, goal) == path


NOON = datetime(2026, 4, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(("status", "due", "phase"), [
    (OPEN, NOON + timedelta(seconds=1), "open"), (OPEN, NOON, "open"), (OPEN, NOON - timedelta(seconds=1), "overdue"),
    (P, NOON - timedelta(days=9), "paid"), (U, NOON - timedelta(days=9), "uncollectible"),
    (D, None, "draft"), (V, NOON - timedelta(days=9), "void"),
])
def test_only_an_open_invoice_past_its_due_date_is_overdue(status, due, phase):
    assert invoice_phase(status, due, NOON) == phase


@pytest.mark.parametrize(("status", "expected"), [(D, False), (OPEN, True), (P, False), (V, False), (U, True)])
def test_what_a_district_can_still_pay(status, expected):
    assert payable(status) is expected
