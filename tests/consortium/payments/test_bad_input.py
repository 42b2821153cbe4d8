"""Bad input on every payments form: a clear error naming the field, and nothing changed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consortium.audit.models import AuditEvent
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from consortium.payments.forms import dollars_to_cents
from consortium.payments.models import Payment, PaymentTerms


def _state(invoice) -> tuple:
    db.session.expire_all()
    count = db.session.scalar
    return (
        count(select(func.count(Payment.id))), count(select(func.count(AuditEvent.id))),
        count(select(func.count(OutboxMessage.id))), count(select(func.count(PaymentTerms.solicitation_id))),
        invoice.status, invoice.amount_paid_cents, invoice.po_number, invoice.void_reason,
    )


@pytest.fixture
def invoice(awarded):
    return awarded.accept(awarded.scenario.district_a)  # $6,000.00, open


PAYMENT = {"received_on": "2026-03-02", "method": "check", "reference": "Check 1", "expected_paid": "0"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("amount", "-5", "cannot be negative"),
    ("amount", "-0.01", "cannot be negative"),
    ("amount", "0", "more than zero"),
    ("amount", "NaN", "dollars and cents"),
    ("amount", "Infinity", "dollars and cents"),
    ("amount", "1e30", "dollars and cents"),
    ("amount", "1" + "0" * 30, "too large"),
    ("amount", "12.345", "dollars and cents"),
    ("amount", "6000.01", "more than the balance of $6,000.00"),
    ("amount", "9" * 500, "At most 30 characters"),
    ("amount", "", "Enter the amount"),
    ("received_on", "2026-03-03", "between Jan 1, 2000 and today"),
    ("received_on", "1999-12-31", "between Jan 1, 2000 and today"),
    ("received_on", "not a date", "Not a valid date"),
    ("reference", "x" * 500, "At most 100 characters"),
    ("reference", "", "Enter the reference"),
    ("reference", "Check\x07 12", "control characters"),
    ("method", "stripe", "Not a valid choice"),
])
def test_a_bad_payment_names_its_field_and_records_nothing(client, login, awarded, invoice, field, value, message):
    login(client, awarded.manager)
    before = _state(invoice)
    response = client.post(f"/invoices/{invoice.id}/payments",
                           data={**PAYMENT, "amount": "6000", field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert message in page
    assert f'id="{field}-error"' in page  # shown next to the field, which is named
    assert _state(invoice) == before


@pytest.mark.parametrize(("value", "message"), [
    ("P" * 500, "At most 64 characters"),
    ("   ", "Enter the purchase order number"),
    ("PO\x00 1", "control characters"),
])
def test_a_bad_purchase_order_number_is_refused(client, login, awarded, invoice, value, message):
    login(client, awarded.scenario.district_a)
    before = _state(invoice)
    response = client.post(f"/invoices/{invoice.id}/purchase-order", data={"po_number": value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert 'id="po_number-error"' in response.get_data(as_text=True)
    assert _state(invoice) == before


@pytest.mark.parametrize(("path", "who", "field", "other"), [
    ("purchase-order", "district", "po_number", {}),
    ("void", "manager", "reason", {}),
    ("payments", "manager", "reference", {**PAYMENT, "amount": "6000"}),
])
def test_a_text_field_posted_as_a_file_is_a_form_error(client, login, awarded, invoice, path, who,
                                                        field, other):
    """Issue 10's AppForm covers the payments forms: a file part is no text (it was a 500)."""
    import io

    login(client, awarded.manager if who == "manager" else awarded.scenario.district_a)
    before = _state(invoice)
    data = {**other, field: (io.BytesIO(b"PO-1"), "po.txt")}
    response = client.post(f"/invoices/{invoice.id}/{path}", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _state(invoice) == before


def test_a_500_character_void_reason_is_refused(client, login, awarded, invoice):
    login(client, awarded.manager)
    before = _state(invoice)
    response = client.post(f"/invoices/{invoice.id}/void", data={"reason": "r" * 501})
    assert response.status_code == 400 and 'id="reason-error"' in response.get_data(as_text=True)
    assert _state(invoice) == before


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"days_until_due": "1e30"}, "days_until_due", "Not a valid integer"),
    ({"days_until_due": "NaN"}, "days_until_due", "Not a valid integer"),
    ({"days_until_due": "-1"}, "days_until_due", "From 0 to 365"),
    ({"days_until_due": "366"}, "days_until_due", "From 0 to 365"),
    ({"days_until_due": str(2**63)}, "days_until_due", "From 0 to 365"),
    ({"reminder_days": "soon"}, "reminder_days", "whole numbers of days"),
    ({"reminder_days": "1, 2, 3, 4, 5, 6"}, "reminder_days", "Up to 5"),
    ({"reminder_days": "0"}, "reminder_days", "from 1 to 365"),
    ({"reminder_days": "7" * 500}, "reminder_days", "At most 100 characters"),
])
def test_bad_payment_terms_name_their_field(client, login, awarded, invoice, data, field, message):
    login(client, awarded.manager)
    url = f"/manage/solicitations/{awarded.scenario.solicitation.id}/payment-terms"
    before = _state(invoice)
    response = client.post(url, data={"days_until_due": "30", "reminder_days": "7", **data})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _state(invoice) == before


@pytest.mark.parametrize("path", [
    "/invoices/9223372036854775808", "/invoices/9223372036854775808/print", "/invoices/0",
    "/manage/payments/awards/9223372036854775808", "/manage/payments/vendors/-1",
    "/manage/payments/planets/1", "/fee-statements/9223372036854775808/1",
    "/manage/solicitations/9223372036854775808/payment-terms",
])
def test_ids_out_of_range_are_not_found(client, login, awarded, path):
    login(client, awarded.manager)
    assert client.get(path).status_code == 404


def test_a_huge_id_posted_is_not_found(client, login, awarded):
    login(client, awarded.manager)
    assert client.post("/invoices/9223372036854775808/payments", data=PAYMENT).status_code == 404


@pytest.mark.parametrize(("text", "cents"), [("1,250.50", 125_050), ("$1250", 125_000), ("1250.5", 125_050),
                                             ("0.07", 7), (" 12 ", 1_200)])
def test_dollars_are_read_to_the_cent_without_floats(text, cents):
    assert dollars_to_cents(text) == cents


@pytest.mark.parametrize("text", ["1,25.00", "1.2.3", "$-5", "12,", ".5", "1_000", "١٢"])
def test_odd_amounts_are_refused(text):
    with pytest.raises(ValueError):
        dollars_to_cents(text)
