"""What the payments pages read: invoice lists by role, totals, CSV, quarterly fee statements.

Reads only. Totals are summed from the invoices themselves (a consortium has hundreds, not
millions), so every page and the CSV agree to the cent.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from consortium.accounts.models import Organisation
from consortium.clock import add_months, local_date, now
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.payments.models import Invoice, Payment
from consortium.payments.states import InvoiceStatus, PaymentMethod

ISSUED = (InvoiceStatus.open, InvoiceStatus.paid, InvoiceStatus.uncollectible)


@dataclass
class PaymentSummary:
    """Invoiced, paid, overdue, voided, refunded and the fee earned, in cents."""

    invoices: int = 0
    waiting: int = 0  # drafts not issued yet
    invoiced: int = 0
    paid: int = 0
    outstanding: int = 0
    overdue: int = 0
    overdue_count: int = 0
    voided: int = 0
    refunded: int = 0
    fee_earned: int = 0

    def add(self, invoice: Invoice, at: datetime) -> None:
        self.invoices += 1
        if invoice.status == InvoiceStatus.draft:
            self.waiting += 1
        elif invoice.status == InvoiceStatus.void:
            self.voided += invoice.total_cents
        else:
            self.invoiced += invoice.total_cents
            self.outstanding += invoice.balance_cents
        if invoice.phase(at) == "overdue":
            self.overdue += invoice.balance_cents
            self.overdue_count += 1
        self.paid += invoice.amount_paid_cents
        self.refunded += invoice.refunded_cents
        self.fee_earned += invoice.fee_earned_cents


def summarise(invoices: Iterable[Invoice], at: datetime | None = None) -> PaymentSummary:
    at = at or now()
    summary = PaymentSummary()
    for invoice in invoices:
        summary.add(invoice, at)
    return summary


def _listed(*where) -> list[Invoice]:
    stmt = select(Invoice).where(*where).order_by(Invoice.created_at.desc(), Invoice.id.desc())
    return list(db.session.scalars(stmt))


def consortium_invoices(consortium_id: int, *, award_id: int | None = None,
                        vendor_id: int | None = None, district_id: int | None = None
                        ) -> list[Invoice]:
    """A consortium's invoices, narrowed to one award, vendor or district."""
    where = [Invoice.consortium_id == consortium_id]
    for column, value in ((Invoice.award_id, award_id), (Invoice.vendor_id, vendor_id),
                          (Invoice.district_id, district_id)):
        if value is not None:
            where.append(column == value)
    return _listed(*where)


def district_invoices(district_id: int) -> list[Invoice]:
    return _listed(Invoice.district_id == district_id)


def vendor_invoices(vendor_id: int) -> list[Invoice]:
    return _listed(Invoice.vendor_id == vendor_id)


def contract_invoices(contract_id: int) -> list[Invoice]:
    """A contract's invoices, year by year (its page lists them)."""
    stmt = select(Invoice).where(Invoice.contract_id == contract_id).order_by(Invoice.contract_year)
    return list(db.session.scalars(stmt))


@dataclass
class Breakdown:
    """One row of the overview: an award, vendor or district and its totals."""

    key: int
    label: str
    summary: PaymentSummary = field(default_factory=PaymentSummary)


def breakdowns(invoices: list[Invoice], at: datetime) -> dict[str, list[Breakdown]]:
    """The consortium's totals by award, by vendor and by district."""
    views = {"awards": lambda i: (i.award_id, i.solicitation.title),
             "vendors": lambda i: (i.vendor_id, i.vendor.name),
             "districts": lambda i: (i.district_id, i.district.name)}
    result = {}
    for name, key_of in views.items():
        rows: dict[int, Breakdown] = {}
        for invoice in invoices:
            key, label = key_of(invoice)
            rows.setdefault(key, Breakdown(key, label)).summary.add(invoice, at)
        result[name] = sorted(rows.values(), key=lambda row: row.label)
    return result


CSV_COLUMNS = (
    "invoice", "solicitation", "district", "vendor", "contract_year", "period_start",
    "period_end", "issued", "due", "status", "currency", "total", "paid", "refunded", "balance",
    "admin_fee_rate_pct", "admin_fee", "fee_earned", "purchase_order", "stripe_invoice",
)


def _dollars(cents: int) -> str:
    """Cents as dollars, exactly (integer arithmetic, no float)."""
    whole, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{rest:02d}"


def to_csv(invoices: Iterable[Invoice], tz: str) -> str:
    """The invoices as CSV: dollars with cents, dates in the consortium's timezone."""
    at = now()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for i in invoices:
        writer.writerow([
            i.number, i.solicitation.title, i.district.name, i.vendor.name, i.contract_year,
            i.period_start.isoformat(), i.period_end.isoformat(),
            local_date(i.issued_at, tz).isoformat() if i.issued_at else "",
            local_date(i.due_at, tz).isoformat() if i.due_at else "", i.phase(at),
            i.currency.upper(), _dollars(i.total_cents), _dollars(i.amount_paid_cents),
            _dollars(i.refunded_cents), _dollars(i.balance_cents), f"{i.fee_bps / 100:.2f}",
            _dollars(i.fee_cents), _dollars(i.fee_earned_cents), i.po_number or "",
            i.gateway_invoice_id if i.in_stripe else "",
        ])
    return out.getvalue()


# ------------------------------------------------------------------ quarterly fee statements

QUARTER = re.compile(r"^(?P<year>\d{4})-Q(?P<q>[1-4])$")


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str | None, today: date) -> Quarter:
        """'2026-Q1' (None: the quarter of `today`); a DomainError names the field otherwise."""
        if not text:
            return cls(today.year, (today.month - 1) // 3 + 1)
        match = QUARTER.match(text.strip())
        if not match or not 2000 <= int(match["year"]) <= 2100:
            raise DomainError("A quarter is written like 2026-Q1.", field="quarter")
        return cls(int(match["year"]), int(match["q"]))

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def next(self) -> Quarter:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    @property
    def end(self) -> date:
        """The first day after the quarter."""
        return add_months(self.first_day, 3)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


@dataclass
class StatementRow:
    """One district's sales in the quarter and the fee on them."""

    district: str
    invoices: set[str] = field(default_factory=set)
    sales: int = 0
    fee_applied: int = 0
    fee_collected: int = 0  # deducted by Stripe as the application fee

    @property
    def fee_due(self) -> int:
        return self.fee_applied - self.fee_collected


@dataclass
class FeeStatement:
    consortium: Organisation
    vendor: Organisation
    quarter: Quarter
    rows: list[StatementRow]
    currency: str = "usd"

    def total(self, name: str) -> int:
        return sum(getattr(row, name) for row in self.rows)


def fee_statement(consortium: Organisation, vendor: Organisation, quarter: Quarter) -> FeeStatement:
    """Sales by district received in the quarter (net of refunds), the fee applied, the fee due."""
    payments = db.session.scalars(
        select(Payment).join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Invoice.consortium_id == consortium.id, Invoice.vendor_id == vendor.id,
               Payment.received_on >= quarter.first_day, Payment.received_on < quarter.end)
        .order_by(Payment.received_on, Payment.id)
    )
    rows: dict[int, StatementRow] = {}
    currency = "usd"
    for payment in payments:
        invoice = payment.invoice
        currency = invoice.currency
        row = rows.setdefault(invoice.district_id, StatementRow(invoice.district.name))
        row.invoices.add(invoice.number)
        fee = invoice.share_of_fee(payment.net_cents)
        row.sales += payment.net_cents
        row.fee_applied += fee
        if payment.method == PaymentMethod.stripe:
            row.fee_collected += fee
    ordered = sorted(rows.values(), key=lambda row: row.district)
    return FeeStatement(consortium, vendor, quarter, ordered, currency)


def statement_consortia(vendor: Organisation) -> list[Organisation]:
    """The consortia a vendor has invoices with (a statement each)."""
    ids = db.session.scalars(
        select(Invoice.consortium_id).where(Invoice.vendor_id == vendor.id).distinct()
    )
    return [db.session.get(Organisation, i) for i in ids]


def today_in(tz: str) -> date:
    return local_date(now(), tz)
