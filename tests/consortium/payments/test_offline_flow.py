"""Offline mode end to end through the test client: no Stripe keys, every role's part.

A district accepts and is invoiced (application-numbered), records a purchase order, the
manager records the check that paid it; another invoice is voided; the overdue one is
reminded; each role sees what it should, and the vendor's fee statement adds up.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from consortium.audit.models import AuditEvent
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from consortium.payments.models import Invoice, Payment
from tests.consortium.payments.conftest import invoice_of


def _subjects(email: str) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.to == email)))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_accepting_issues_the_first_years_invoice_offline(client, login, awarded, clock):
    s = awarded.scenario
    contract = awarded.contract(s.district_a)
    login(client, s.district_a)
    assert client.post(f"/contracts/{contract.id}/decision", data={"decision": "accept"}).status_code == 303
    invoice = invoice_of(contract)
    assert invoice.status == "open"
    assert invoice.number == f"INV-2026-{invoice.id:06d}"
    assert invoice.gateway_invoice_id.startswith("in_offline_") and not invoice.in_stripe
    assert (invoice.total_cents, invoice.fee_bps, invoice.fee_cents) == (600_000, 150, 9_000)
    assert [(line.quantity, line.unit_amount_cents) for line in invoice.lines] == [(400, 1_500)]
    assert invoice.issued_at == clock.now and invoice.due_at == clock.now + timedelta(days=30)
    assert invoice.hosted_invoice_url is None
    assert [a for a in _actions() if a.startswith("invoice.")] == ["invoice.created", "invoice.issued"]
    issued = f"Invoice {invoice.number}: $6,000.00 due Apr 1, 2026"  # in America/Chicago
    assert issued in _subjects(s.district_a.email)

    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert invoice.number in page and "$6,000.00" in page and "Apr 1, 2026" in page
    listing = client.get("/invoices").get_data(as_text=True)
    assert invoice.number in listing and s.solicitation.title in listing
    shown = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Record a purchase order" in shown and "by card or ACH" not in shown


def test_a_purchase_order_then_a_check_pays_the_invoice(client, login, awarded):
    s = awarded.scenario
    invoice = awarded.accept(s.district_a)
    login(client, s.district_a)
    response = client.post(f"/invoices/{invoice.id}/purchase-order", data={"po_number": "PO-2026-0457"})
    assert response.status_code == 303
    assert invoice.po_number == "PO-2026-0457"
    assert "PO-2026-0457" in client.get(f"/invoices/{invoice.id}/print").get_data(as_text=True)
    assert f"Purchase order PO-2026-0457 for invoice {invoice.number}" in _subjects(s.vendor_a.email)
    assert client.post(f"/invoices/{invoice.id}/payments", data={"amount": "6000"}).status_code == 403
    client.post("/logout")

    login(client, awarded.manager)
    form = {"amount": "2,000.00", "received_on": "2026-03-02", "method": "check",
            "reference": "Check 10442", "expected_paid": "0"}
    assert client.post(f"/invoices/{invoice.id}/payments", data=form).status_code == 303
    assert (invoice.status, invoice.amount_paid_cents, invoice.balance_cents) == ("open", 200_000, 400_000)
    rest = {**form, "amount": "4000", "reference": "Check 10519", "expected_paid": "200000"}
    assert client.post(f"/invoices/{invoice.id}/payments", data=rest).status_code == 303
    assert invoice.status == "paid" and invoice.paid_at is not None
    assert [(p.method, p.amount_cents, p.reference) for p in invoice.payments] == [
        ("check", 200_000, "Check 10442"), ("check", 400_000, "Check 10519")]
    assert f"Paid: invoice {invoice.number}, $6,000.00" in _subjects(s.district_a.email)
    printed = client.get(f"/invoices/{invoice.id}/print").get_data(as_text=True)
    assert "paid" in printed and "$0.00" in printed and "<nav" not in printed


def test_a_double_click_on_mark_paid_records_one_payment(client, login, awarded):
    invoice = awarded.accept(awarded.scenario.district_b)
    login(client, awarded.manager)
    form = {"amount": "9000", "received_on": "2026-03-02", "method": "ach",
            "reference": "ACH 0210-77", "expected_paid": "0"}
    assert client.post(f"/invoices/{invoice.id}/payments", data=form).status_code == 303
    again = client.post(f"/invoices/{invoice.id}/payments", data=form)
    assert again.status_code == 409 and "no payment can be recorded" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Payment.id))) == 1


def test_void_with_a_reason_tells_both_sides(client, login, awarded):
    s = awarded.scenario
    invoice = awarded.accept(s.district_b)
    login(client, awarded.manager)
    refused = client.post(f"/invoices/{invoice.id}/void", data={"reason": "  "})
    assert refused.status_code == 400 and "Say why the invoice is voided" in refused.get_data(as_text=True)
    assert invoice.status == "open"
    assert client.post(f"/invoices/{invoice.id}/void", data={"reason": "Duplicate of PO 88"}).status_code == 303
    assert (invoice.status, invoice.void_reason, invoice.balance_cents) == ("void", "Duplicate of PO 88", 0)
    for email in (s.district_b.email, s.vendor_a.email):
        assert f"Voided: invoice {invoice.number}" in _subjects(email)
    again = client.post(f"/invoices/{invoice.id}/void", data={"reason": "again"})
    assert again.status_code == 409


def test_the_manager_reminds_an_overdue_invoice_once_a_day(client, login, awarded, clock):
    s = awarded.scenario
    invoice = awarded.accept(s.district_a)
    login(client, awarded.manager)
    early = client.post(f"/invoices/{invoice.id}/reminder")
    assert early.status_code == 303  # flashed refusal: it is not overdue
    assert not any(x.startswith("Overdue") for x in _subjects(s.district_a.email))
    clock.advance(days=31)
    assert invoice.phase(clock.now) == "overdue"
    assert "Send Apple Creek CUSD a reminder" in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert client.post(f"/invoices/{invoice.id}/reminder").status_code == 303
    client.post(f"/invoices/{invoice.id}/reminder")  # the second click of the day sends nothing
    overdue = [x for x in _subjects(s.district_a.email) if x.startswith("Overdue")]
    assert overdue == [f"Overdue: invoice {invoice.number}, $6,000.00"]
    assert _actions().count("invoice.reminded") == 1


def test_each_role_sees_only_its_own_invoices(client, login, awarded, make):
    s = awarded.scenario
    a, b = awarded.accept(s.district_a), awarded.accept(s.district_b)
    login(client, s.district_b)
    assert client.get(f"/invoices/{a.id}").status_code == 404
    assert client.get(f"/invoices/{a.id}/print").status_code == 404
    assert a.number not in client.get("/invoices").get_data(as_text=True)
    client.post("/logout")
    login(client, s.vendor_a)
    listing = client.get("/invoices").get_data(as_text=True)
    assert a.number in listing and b.number in listing and "$90.00" in listing  # B's admin fee
    client.post("/logout")
    login(client, s.vendor_b)  # lost the award: no invoices
    assert client.get(f"/invoices/{a.id}").status_code == 404
    client.post("/logout")
    login(client, make.manager(make.consortium(name="Elsewhere Cooperative")))
    assert client.get(f"/invoices/{a.id}").status_code == 404
    assert a.number not in client.get("/manage/payments").get_data(as_text=True)


def test_the_managers_payments_pages_and_csv_agree(client, login, awarded):
    s = awarded.scenario
    a, b = awarded.accept(s.district_a), awarded.accept(s.district_b)
    login(client, awarded.manager)
    client.post(f"/invoices/{a.id}/payments", data={"amount": "6000.00", "received_on": "2026-03-02",
                                                    "method": "check", "reference": "Check 7"})
    client.post(f"/invoices/{b.id}/void", data={"reason": "Board rescinded"})
    page = client.get("/manage/payments").get_data(as_text=True)
    for shown in ("$6,000.00", "$9,000.00", "$90.00", s.vendor_a.org.name, "Apple Creek CUSD"):
        assert shown in page  # paid, voided, fee earned (1.5 % of $6,000), the breakdowns
    award_page = client.get(f"/manage/payments/awards/{awarded.award.id}").get_data(as_text=True)
    assert a.number in award_page and b.number in award_page
    csv = client.get(f"/manage/payments/vendors/{s.vendor_a.org.id}.csv")
    assert csv.mimetype == "text/csv"
    rows = [line.split(",") for line in csv.get_data(as_text=True).strip().splitlines()]
    header, *body = rows
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert by_number[a.number]["status"] == "paid" and by_number[a.number]["fee_earned"] == "90.00"
    assert by_number[b.number]["status"] == "void" and by_number[b.number]["balance"] == "0.00"
    assert client.get("/manage/payments/vendors/999999").status_code == 404
    assert client.get(f"/manage/payments/districts/{s.vendor_a.org.id}").status_code == 404


def test_the_vendors_quarterly_fee_statement(client, login, awarded):
    s = awarded.scenario
    a, b = awarded.accept(s.district_a), awarded.accept(s.district_b)
    login(client, awarded.manager)
    for invoice, amount, day in ((a, "6000", "2026-03-02"), (b, "9000", "2026-03-01")):
        client.post(f"/invoices/{invoice.id}/payments", data={
            "amount": amount, "received_on": day, "method": "check", "reference": "Check"})
    client.post("/logout")
    login(client, s.vendor_a)
    url = f"/fee-statements/{s.solicitation.consortium_id}/{s.vendor_a.org.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Fee statement, 2026-Q1" in page
    for shown in ("Apple Creek CUSD", "Birch Valley SD", "$15,000.00", "$225.00"):
        assert shown in page  # sales and the 1.5 % fee due (no Stripe: nothing deducted)
    assert "No payments received in 2026-Q2" in client.get(url + "?quarter=2026-Q2").get_data(as_text=True)
    bad = client.get(url + "?quarter=" + "9" * 500)
    assert bad.status_code == 400 and "like 2026-Q1" in bad.get_data(as_text=True)
    client.post("/logout")
    login(client, s.vendor_b)
    assert client.get(url).status_code == 404


def test_no_invoice_for_a_declined_contract(awarded):
    from consortium.awards import services

    contract = awarded.contract(awarded.scenario.district_a)
    services.decide_contract(contract, None, accept=False, reason="Budget not approved.")
    assert db.session.scalar(select(func.count(Invoice.id))) == 0
