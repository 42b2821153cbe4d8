"""Calls to the gateway that change something: issuing invoices, and telling Stripe of
decisions made here (a void, a payment recorded by hand).

Offline the twin answers in the caller's transaction. With Stripe each call is a side
effect: it runs after the commit (`after_commit`), each answer is stored in its own small
commit, and every call carries a key derived from the object (award, district, contract
year), so a retry or a double click replays Stripe's first answer instead of making a
second invoice. A failure is kept on the invoice (`sync_error`) and `flask daily` retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from consortium.extensions import db
from consortium.notifications.services import member_emails
from consortium.payments.gateway import PaymentGateway
from consortium.payments.models import ConnectedAccount, Invoice, StripeCustomer
from consortium.payments.records import GatewayError, InvoiceRequest
from consortium.payments.records import InvoiceLine as LineRequest
from consortium.payments.states import InvoiceStatus
from consortium.payments.sync import apply_gateway_state
from consortium.payments.transitions import locked
from consortium.payments.wiring import customer_key, payment_gateway
from consortium.transaction import after_commit, atomic, commit_now, rollback

log = logging.getLogger(__name__)
PLATFORM_COUNTRY = "US"  # the consortium platform's Stripe account
STILL_DUE = (InvoiceStatus.open, InvoiceStatus.uncollectible)


def issue(invoice: Invoice) -> None:
    """Issue a draft: offline now, in this transaction; with Stripe once it has committed."""
    gateway = payment_gateway()
    if gateway.online:
        after_commit(partial(reconcile, invoice.id))
    else:
        _issue(invoice, gateway, store=lambda: None)


def idempotency_key(invoice: Invoice) -> str:
    """The key of every call that makes or issues this invoice (gateway adds `:lines`...)."""
    return f"invoice:award-{invoice.award_id}:district-{invoice.district_id}:year-{invoice.contract_year}"


def note_failure(invoice_id: int, error: Exception) -> None:
    """Keep why a gateway call failed on the invoice, in a transaction of its own."""
    rollback()
    message = str(error) if isinstance(error, GatewayError) else f"{type(error).__name__}: {error}"
    with atomic():
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is not None:
            invoice.sync_error = message[:500]


def vendor_account(vendor_id: int) -> ConnectedAccount | None:
    return db.session.get(ConnectedAccount, vendor_id)


def tell_stripe(invoice: Invoice) -> None:
    """After the commit, bring Stripe in line with a decision made here (void, paid)."""
    if payment_gateway().online and invoice.in_stripe:
        after_commit(partial(reconcile, invoice.id))


def reconcile(invoice_id: int) -> None:
    """Compare an invoice with Stripe's and settle the difference; failures are noted."""
    try:
        # Locked: a webhook or `flask daily` settling the same invoice waits its turn.
        invoice = db.session.get(Invoice, invoice_id, with_for_update=True, populate_existing=True)
        gateway = payment_gateway()
        if invoice is None or not gateway.online:
            return
        if invoice.status == InvoiceStatus.draft:
            _issue(invoice, gateway, store=commit_now)
        elif invoice.in_stripe:
            remote = gateway.retrieve_invoice(invoice.gateway_invoice_id)
            if remote.status in STILL_DUE and invoice.status == InvoiceStatus.void:
                remote = gateway.void_invoice(remote.id, idempotency_key=f"void:invoice-{invoice.id}")
            elif remote.status in STILL_DUE and invoice.status == InvoiceStatus.paid:
                remote = gateway.mark_paid_out_of_band(
                    remote.id, idempotency_key=f"pay:invoice-{invoice.id}")
            apply_gateway_state(invoice, remote, gateway)  # and take in Stripe's own changes
        commit_now()
    except Exception as error:  # the decision committed: report it, `flask daily` retries
        log.exception("invoice %s: bringing Stripe in line failed", invoice_id)
        note_failure(invoice_id, error)


def retry_unsettled() -> int:
    """`flask daily`: issue waiting drafts and retry every call that failed (Stripe only)."""
    if not payment_gateway().online:
        return 0
    unsettled = list(db.session.scalars(
        select(Invoice.id).where(or_(Invoice.status == InvoiceStatus.draft,
                                     Invoice.sync_error.is_not(None))).order_by(Invoice.id)
    ))
    commit_now()  # each invoice in its own transactions, as after a request
    for invoice_id in unsettled:
        reconcile(invoice_id)
    return len(unsettled)


def _issue(invoice: Invoice, gateway: PaymentGateway, *, store: Callable[[], None]) -> None:
    if gateway.online:
        account = vendor_account(invoice.vendor_id)
        if account is None or not account.ready:
            # Money must reach the vendor: the invoice waits for its Connect account.
            invoice.sync_error = (f"Waiting for {invoice.vendor.name} to finish setting up "
                                  "Stripe payouts.")
            return
    else:
        account = None
    key = idempotency_key(invoice)
    if invoice.gateway_invoice_id is None:
        request = _request(invoice, _customer_id(invoice, gateway, store), account)
        apply_gateway_state(invoice, gateway.create_invoice(request, idempotency_key=key), gateway)
        store()  # the Stripe id is kept before anything else can fail
        invoice = locked(invoice)
    remote = gateway.finalize_and_send(invoice.gateway_invoice_id, idempotency_key=key)
    apply_gateway_state(invoice, remote, gateway)


def _request(invoice: Invoice, customer_id: str, account: ConnectedAccount | None) -> InvoiceRequest:
    return InvoiceRequest(
        customer_id=customer_id,
        lines=tuple(LineRequest(line.description, line.quantity, line.unit_amount_cents)
                    for line in invoice.lines),
        days_until_due=invoice.days_until_due,
        currency=invoice.currency,
        destination_account_id=account.account_id if account else None,
        application_fee_cents=invoice.fee_cents if account else 0,
        # Stripe settles on behalf of a vendor abroad (cross-border destination charges).
        on_behalf_of=bool(account) and account.country != PLATFORM_COUNTRY,
        description=f"{invoice.solicitation.title}: contract year {invoice.contract_year}",
        number=invoice.number,
        metadata={"invoice_id": str(invoice.id), "award_id": str(invoice.award_id),
                  "district_id": str(invoice.district_id),
                  "contract_year": str(invoice.contract_year)},
    )


def _customer_id(invoice: Invoice, gateway: PaymentGateway, store: Callable[[], None]) -> str:
    """The district's Stripe customer, created once and kept (offline: derived, not kept)."""
    stored = db.session.get(StripeCustomer, invoice.district_id) if gateway.online else None
    if stored is not None:
        return stored.customer_id
    emails = member_emails(invoice.district_id)
    customer_id = gateway.ensure_customer(
        customer_id=None, name=invoice.district.name, email=emails[0] if emails else None,
        metadata={"district_id": str(invoice.district_id)},
        idempotency_key=customer_key(invoice.district_id),
    )
    if gateway.online:
        try:
            with db.session.begin_nested():
                db.session.add(StripeCustomer(organisation_id=invoice.district_id,
                                              customer_id=customer_id))
        except IntegrityError:
            pass  # a concurrent push stored the same customer (same key, same id)
        store()
    return customer_id
