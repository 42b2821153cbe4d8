"""Money and invoice requests: integer cents, the fee's rounding, and errors that name the field."""

from __future__ import annotations

import pytest

from consortium.payments.money import InvalidPaymentInput, admin_fee_cents, check_cents
from consortium.payments.records import InvoiceLine, InvoiceRequest

LINE = InvoiceLine("Copy paper, case", 10, 4_599)


@pytest.mark.parametrize(("total", "bps", "fee"), [
    (45_990, 150, 690),  # 689.85 -> 690
    (10_000, 150, 150),
    (33, 150, 0),  # 0.495 -> 0
    (34, 150, 1),  # 0.51 -> 1
    (100, 50, 1),  # exactly half a cent rounds up
    (0, 150, 0),
    (12_345, 0, 0),
    (12_345, 10_000, 12_345),
])
def test_the_admin_fee_rounds_half_up_to_the_cent(total, bps, fee):
    assert admin_fee_cents(total, bps) == fee


@pytest.mark.parametrize(("args", "field"), [
    ((-1, 150), "total_cents"), ((10.0, 150), "total_cents"), ((100, -1), "fee_bps"),
    ((100, 10_001), "fee_bps"), ((100, 1.5), "fee_bps"),
])
def test_a_bad_fee_input_names_the_field(args, field):
    with pytest.raises(InvalidPaymentInput) as bad:
        admin_fee_cents(*args)
    assert bad.value.field == field


def test_true_is_not_a_cent():
    with pytest.raises(InvalidPaymentInput):
        check_cents(True, "amount")


def request(**changes) -> InvoiceRequest:
    fields = dict(customer_id="cus_1", lines=(LINE,), days_until_due=30,
                  destination_account_id="acct_1", application_fee_cents=690)
    return InvoiceRequest(**{**fields, **changes})


def test_a_good_request_totals_its_lines():
    two = request(lines=[LINE, InvoiceLine("Toner", 2, 100)])
    assert (two.total_cents, two.lines[1].amount_cents, two.currency) == (46_190, 200, "usd")
    assert isinstance(two.lines, tuple)


@pytest.mark.parametrize(("build", "field"), [
    (lambda: InvoiceLine("Paper", 0, 100), "quantity"),
    (lambda: InvoiceLine("Paper", -3, 100), "quantity"),
    (lambda: InvoiceLine("Paper", 1.5, 100), "quantity"),
    (lambda: InvoiceLine("Paper", 1, -100), "unit_amount_cents"),
    (lambda: InvoiceLine("Paper", 1, 99.99), "unit_amount_cents"),
    (lambda: InvoiceLine("", 1, 100), "description"),
    (lambda: InvoiceLine("x" * 501, 1, 100), "description"),
    (lambda: request(lines=()), "lines"),
    (lambda: request(lines=(InvoiceLine("Free sample", 1, 0),), application_fee_cents=0), "lines"),
    (lambda: request(lines=("paper",)), "lines[0]"),
    (lambda: request(application_fee_cents=45_991), "application_fee_cents"),
    (lambda: request(application_fee_cents=-1), "application_fee_cents"),
    (lambda: request(days_until_due=-1), "days_until_due"),
    (lambda: request(days_until_due=366), "days_until_due"),
    (lambda: request(currency="dollars"), "currency"),
    (lambda: request(customer_id="acct_1"), "customer_id"),
    (lambda: request(destination_account_id="cus_1"), "destination_account_id"),
    (lambda: request(destination_account_id=None), "destination_account_id"),
    (lambda: request(destination_account_id=None, application_fee_cents=0, on_behalf_of=True),
     "destination_account_id"),
    (lambda: request(number="N" * 27), "number"),
    (lambda: request(metadata={"k": 5}), "metadata[k]"),
    (lambda: request(metadata={"x" * 41: "v"}), "metadata key"),
])
def test_a_bad_request_names_the_field(build, field):
    with pytest.raises(InvalidPaymentInput) as bad:
        build()
    assert bad.value.field == field
    assert str(bad.value).startswith(f"{field}: ")


def test_the_fee_may_equal_the_total():
    assert request(application_fee_cents=45_990).application_fee_cents == 45_990
