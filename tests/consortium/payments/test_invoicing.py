"""What an invoice is for: contract years, lines that add up, the fee, and the database's rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError, StatementError

from consortium import daily
from consortium.extensions import db
from consortium.payments.invoicing import contract_years, invoice_due_years, year_lines
from consortium.payments.models import Invoice, InvoiceLine, InvoiceLinesMismatch
from consortium.payments.money import admin_fee_cents
from tests.consortium.payments.conftest import invoice_of, publish


def test_a_30_month_term_is_two_years_and_a_half(make, clock, fake_solver):
    awarded = publish(make, term_months=30)
    contract = awarded.contract(awarded.scenario.district_a)
    years = contract_years(contract)
    assert [(y.number, y.months) for y in years] == [(1, 12), (2, 12), (3, 6)]
    assert years[1].starts_on == date(2026, 3, 2) + timedelta(days=365)
    assert years[0].ends_on == years[1].starts_on - timedelta(days=1)
    assert years[2].ends_on == contract.expires_on - timedelta(days=1)
    # The last six months pay half the yearly $6,000.00.
    assert sum(line.amount_cents for line in year_lines(contract, years[2])) == 300_000


@pytest.mark.parametrize(("amount", "quantity", "lines"), [
    (600_000, 400, [(400, 1_500)]),
    (600_007, 400, [(400, 1_500), (1, 7)]),  # graduated tiers: the cents left over
    (1_999, 3, [(3, 666), (1, 1)]),
])
def test_lines_add_up_to_the_contract(awarded, amount, quantity, lines):
    contract = awarded.contract(awarded.scenario.district_a)
    contract.amount, contract.quantity = amount, quantity
    made = year_lines(contract, contract_years(contract)[0])
    assert [(line.quantity, line.unit_amount_cents) for line in made] == lines
    assert sum(line.amount_cents for line in made) == amount


@pytest.mark.parametrize(("total", "bps", "fee"), [(600_000, 150, 9_000), (33, 150, 0), (34, 150, 1),
                                                   (100, 10_000, 100), (1_000_001, 125, 12_500)])
def test_the_admin_fee_rounds_half_up_and_never_exceeds_the_total(total, bps, fee):
    assert admin_fee_cents(total, bps) == fee <= total


def test_later_years_are_invoiced_on_their_anniversary_once(make, clock, fake_solver, runner):
    awarded = publish(make, term_months=24)
    first = awarded.accept(awarded.scenario.district_a)
    contract = first.contract
    assert invoice_due_years() == 0
    clock.set(clock.now + timedelta(days=364))
    assert invoice_due_years() == 0  # the day before the anniversary
    clock.set(clock.now + timedelta(days=1))
    assert invoice_due_years() == 1 and invoice_due_years() == 0
    second = invoice_of(contract, 2)
    assert (second.status, second.total_cents, second.period_start) == ("open", 600_000, date(2027, 3, 2))
    assert second.number != first.number
    db.session.flush()
    result = runner.invoke(args=["daily"])
    assert "0  invoices made for a new contract year" in result.output


def test_an_invoice_whose_lines_do_not_add_up_is_never_stored(awarded):
    invoice = awarded.accept(awarded.scenario.district_a)
    clone = Invoice(**{c: getattr(invoice, c) for c in (
        "consortium_id", "solicitation_id", "award_id", "contract_id", "district_id", "vendor_id",
        "period_start", "period_end", "currency", "fee_bps", "fee_cents", "days_until_due")},
        contract_year=9, total_cents=600_000, status="draft", reminders_sent=[],
        lines=[InvoiceLine(description="x", quantity=1, unit_amount_cents=599_999, amount_cents=599_999)])
    db.session.add(clone)
    with pytest.raises(InvoiceLinesMismatch):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("change", [
    {"fee_cents": 600_001},  # a fee above its invoice
    {"amount_paid_cents": -1},
    {"amount_paid_cents": 600_001},
    {"refunded_cents": 1},  # refunds above what was paid
    {"status": "paid"},  # paid, but not in full
    {"status": "void", "void_reason": None},
    {"currency": "us"},
])
def test_the_database_refuses_impossible_invoices(awarded, change):
    invoice = awarded.accept(awarded.scenario.district_a)
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        for name, value in change.items():
            setattr(invoice, name, value)
        db.session.flush()


def test_the_database_refuses_a_line_that_is_not_quantity_times_price(awarded):
    invoice = awarded.accept(awarded.scenario.district_a)
    line = invoice.lines[0]
    with pytest.raises(IntegrityError), db.session.begin_nested():
        line.amount_cents += 1
        db.session.flush()


def test_one_invoice_per_contract_year(awarded):
    from consortium.payments.invoicing import invoice_year

    invoice = awarded.accept(awarded.scenario.district_a)
    assert invoice_year(invoice.contract, contract_years(invoice.contract)[0]) is None
    assert db.session.scalar(select(func.count(Invoice.id))) == 1


def test_daily_lists_the_payments_steps():
    names = [name for name, _step in daily.STEPS]
    assert names[-3:] == ["invoices made for a new contract year",
                          "invoice reminders (due soon, overdue)",
                          "invoices settled with Stripe (waiting or failed before)"]


def test_an_unknown_status_never_reaches_the_database(awarded):
    invoice = awarded.accept(awarded.scenario.district_a)
    db.session.flush()
    with pytest.raises(StatementError), db.session.begin_nested():  # the model refuses it
        db.session.execute(update(Invoice).where(Invoice.id == invoice.id).values(status="settled"))
    with pytest.raises(IntegrityError), db.session.begin_nested():  # and so does the database
        db.session.execute(text("UPDATE invoices SET status = 'settled' WHERE id = :id"),
                           {"id": invoice.id})
