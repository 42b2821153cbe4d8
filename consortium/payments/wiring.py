"""Which gateway this application talks to, and the invoice table behind the offline one.

`payment_gateway()` is Stripe when STRIPE_SECRET_KEY is set (at STRIPE_API_BASE, if given),
the offline twin otherwise; a test may put its own in `app.extensions["payment_gateway"]`.
Offline, the twin keeps its invoices in `InvoiceTable`: the `invoices` rows themselves, so
there is one record of each invoice and every change the twin makes goes through the state
machine (audit events and mail included) like a change Stripe reports.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from types import MappingProxyType

from flask import current_app
from sqlalchemy import func, select

from consortium import clock
from consortium.config import Settings
from consortium.extensions import db
from consortium.payments.gateway import PaymentGateway, StripeGateway
from consortium.payments.models import OFFLINE_PREFIX, Invoice
from consortium.payments.offline import OfflineGateway, offline_id
from consortium.payments.records import GatewayInvoice
from consortium.payments.sync import apply_gateway_state

EXTENSION = "payment_gateway"
_CACHE = "payment_gateways"


def payment_gateway() -> PaymentGateway:
    """The gateway of this application (one per configuration, reused across requests)."""
    custom = current_app.extensions.get(EXTENSION)
    if custom is not None:
        return custom
    settings: Settings = current_app.config["SETTINGS"]
    key = (settings.stripe_secret_key, settings.stripe_api_base)
    gateways = current_app.extensions.setdefault(_CACHE, {})
    if key not in gateways:
        gateways[key] = (
            StripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base)
            if settings.stripe_secret_key
            else OfflineGateway(invoices=InvoiceTable(), now=clock.now)
        )
    return gateways[key]


def customer_key(district_id: int) -> str:
    """The idempotency key of a district's Stripe customer (created once per district)."""
    return f"customer:district-{district_id}"


class InvoiceTable(MutableMapping[str, GatewayInvoice]):
    """The offline twin's invoices, read from and written to the `invoices` rows."""

    def _row(self, invoice_id: str) -> Invoice | None:
        return db.session.scalar(select(Invoice).where(Invoice.gateway_invoice_id == invoice_id))

    def __getitem__(self, invoice_id: str) -> GatewayInvoice:
        row = self._row(invoice_id)
        if row is None:
            raise KeyError(invoice_id)
        return GatewayInvoice(
            id=invoice_id,
            status=row.status.value,
            customer_id=offline_id("cus", customer_key(row.district_id)),
            currency=row.currency,
            total_cents=row.total_cents,
            amount_due_cents=row.total_cents,
            amount_paid_cents=row.amount_paid_cents,
            amount_remaining_cents=row.balance_cents,
            number=row.number,
            due_at=row.due_at,
            application_fee_cents=0,  # offline the vendor pays the fee on its statement
            metadata=MappingProxyType({"invoice_id": str(row.id)}),
        )

    def __setitem__(self, invoice_id: str, invoice: GatewayInvoice) -> None:
        row = self._row(invoice_id)
        if row is None:
            # A new draft: the row it stands for is named in its metadata.
            row = db.session.get(Invoice, int(invoice.metadata["invoice_id"]))
        if row is None:
            raise KeyError(f"no invoice row for {invoice_id}")
        apply_gateway_state(row, invoice, payment_gateway())

    def __delitem__(self, invoice_id: str) -> None:
        raise TypeError("invoices are voided, never deleted")

    def __iter__(self) -> Iterator[str]:
        ids = select(Invoice.gateway_invoice_id).where(
            Invoice.gateway_invoice_id.startswith(OFFLINE_PREFIX)
        )
        return iter(list(db.session.scalars(ids)))

    def __len__(self) -> int:
        return db.session.scalar(
            select(func.count(Invoice.id)).where(Invoice.gateway_invoice_id.startswith(OFFLINE_PREFIX))
        )
