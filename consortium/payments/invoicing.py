"""Invoices for contract years: when, for what, how much.

A district that accepts is invoiced for the contract's first year at once; a multi-year
term gets one invoice per contract year, the later ones made by `flask daily` on each
anniversary. The row is made in the caller's transaction (its unique (contract, year) pair
is the guard against a second one), then handed to `outbound.issue`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from consortium.audit.services import record
from consortium.awards.models import Contract, ContractStatus
from consortium.clock import add_months, local_date, now
from consortium.extensions import db
from consortium.payments.models import DEFAULT_DAYS_UNTIL_DUE, Invoice, InvoiceLine, PaymentTerms
from consortium.payments.money import admin_fee_cents
from consortium.payments.outbound import issue
from consortium.payments.states import InvoiceStatus
from consortium.procurement.models import Solicitation

MONTHS_A_YEAR = 12


@dataclass(frozen=True)
class ContractYear:
    number: int
    starts_on: date
    ends_on: date  # the last day of the year (inclusive)
    months: int  # 12, or fewer for a last, partial year


def contract_years(contract: Contract) -> list[ContractYear]:
    """The contract's years: a 30-month term is two full years and a six-month one."""
    term = contract.award.solicitation.term_months
    years = []
    for number, first_month in enumerate(range(0, term, MONTHS_A_YEAR), start=1):
        months = min(MONTHS_A_YEAR, term - first_month)
        start = add_months(contract.starts_on, first_month)
        end = add_months(contract.starts_on, first_month + months) - timedelta(days=1)
        years.append(ContractYear(number, start, end, months))
    return years


def terms_of(solicitation: Solicitation) -> PaymentTerms:
    """The solicitation's payment terms (the defaults until a manager sets them)."""
    terms = db.session.get(PaymentTerms, solicitation.id)
    return terms or PaymentTerms(solicitation_id=solicitation.id,
                                 days_until_due=DEFAULT_DAYS_UNTIL_DUE, reminder_days=[7])


def year_lines(contract: Contract, year: ContractYear) -> list[InvoiceLine]:
    """One line per contract: product, seats, the awarded unit price (and any rounding)."""
    group = contract.group
    solicitation = contract.award.solicitation
    # The contract amount is a year's; a short last year pays its months, half-up.
    amount = (contract.amount * year.months + MONTHS_A_YEAR // 2) // MONTHS_A_YEAR
    years = len(contract_years(contract))
    what = f"{group.bid.product.name}, {solicitation.unit}: contract year {year.number} of {years}"
    if year.months < MONTHS_A_YEAR:
        what += f" ({year.months} months)"
    unit, rest = divmod(amount, contract.quantity)
    lines = [InvoiceLine(position=0, description=what, quantity=contract.quantity,
                         unit_amount_cents=unit, amount_cents=unit * contract.quantity)]
    if rest:
        # Graduated tiers (or a part year) do not split into whole cents a seat: the cents
        # left over make the invoice equal the contract, not the rounded unit price.
        lines.append(InvoiceLine(position=1, description="Rounding to the contract amount",
                                 quantity=1, unit_amount_cents=rest, amount_cents=rest))
    return lines


def invoice_year(contract: Contract, year: ContractYear) -> Invoice | None:
    """Make the invoice of one contract year (None when it exists), and have it issued."""
    existing = db.session.scalar(select(Invoice).where(
        Invoice.contract_id == contract.id, Invoice.contract_year == year.number))
    if existing is not None:
        return None
    solicitation = contract.award.solicitation
    terms = terms_of(solicitation)
    lines = year_lines(contract, year)
    total = sum(line.amount_cents for line in lines)
    invoice = Invoice(
        consortium_id=solicitation.consortium_id, solicitation_id=solicitation.id,
        award_id=contract.award_id, contract=contract, district_id=contract.district_id,
        vendor_id=contract.group.vendor_id, contract_year=year.number,
        period_start=year.starts_on, period_end=year.ends_on, currency=solicitation.currency,
        total_cents=total, fee_bps=solicitation.admin_fee_bps,
        fee_cents=admin_fee_cents(total, solicitation.admin_fee_bps),
        days_until_due=terms.days_until_due, status=InvoiceStatus.draft, lines=lines,
        reminders_sent=[],
    )
    db.session.add(invoice)
    db.session.flush()
    # Numbered by the application in both modes (Stripe takes it as the invoice's number).
    invoice.number = f"INV-{invoice.created_at.year}-{invoice.id:06d}"
    record("invoice.created", invoice, before=None, after=invoice.audit_state())
    issue(invoice)
    return invoice


def invoice_accepted(contract: Contract) -> Invoice | None:
    """The first contract year's invoice, when the district accepts."""
    return invoice_year(contract, contract_years(contract)[0])


def invoice_due_years() -> int:
    """`flask daily`: invoices of later contract years whose anniversary has come."""
    contracts = db.session.scalars(
        select(Contract).where(Contract.status == ContractStatus.accepted)
        .order_by(Contract.id).with_for_update(skip_locked=True)
    )
    made = 0
    at = now()
    for contract in contracts:
        today = local_date(at, contract.award.solicitation.consortium.timezone)
        for year in contract_years(contract)[1:]:
            if year.starts_on <= today and invoice_year(contract, year) is not None:
                made += 1
    return made
