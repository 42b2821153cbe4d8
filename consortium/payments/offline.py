"""The gateway without Stripe keys: same calls, same records, no network.

Offline, invoices are numbered by the application and paid by hand or by purchase order.
Ids derive from the caller's idempotency key (`in_offline_<digest>`), so a retried call
lands on the same object, as Stripe's replay would. Invoice state lives in `invoices`, a
mapping the caller may back with its own table; the default dict lasts as long as the
process. State changes are idempotent by state (voiding a void invoice returns it), which
keeps a retry harmless even after a restart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, MutableMapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from consortium.payments.records import (
    ConnectedAccount,
    ConnectNotConfigured,
    GatewayCharge,
    GatewayInvoice,
    GatewayInvoicePayment,
    GatewayRequestError,
    IdempotencyKeyReused,
    InvoiceRequest,
    InvoiceStatus,
    OnboardingLink,
    check_idempotency_key,
    check_stripe_id,
    check_text,
)

# The states each change may start from; the target is the key's value in TARGET.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "finalize": frozenset({"draft"}),
    "void": frozenset({"open", "uncollectible"}),
    "mark_uncollectible": frozenset({"open"}),
    "pay": frozenset({"open", "uncollectible"}),
}
TARGET: dict[str, InvoiceStatus] = {
    "finalize": "open", "void": "void", "mark_uncollectible": "uncollectible", "pay": "paid",
}


NO_CONNECT = "Stripe Connect needs STRIPE_SECRET_KEY; offline, vendors are paid outside the app"


def offline_id(prefix: str, idempotency_key: str) -> str:
    """A stable id for the object a key creates: the offline twin of Stripe's replay."""
    digest = hashlib.sha256(check_idempotency_key(idempotency_key).encode()).hexdigest()
    return f"{prefix}_offline_{digest[:24]}"


class OfflineGateway:
    """The no-keys mode: the application's records are the invoices; nothing leaves."""

    online = False

    def __init__(
        self, *, invoices: MutableMapping[str, GatewayInvoice] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.invoices: MutableMapping[str, GatewayInvoice] = {} if invoices is None else invoices
        self._now = now

    def close(self) -> None:
        """Nothing to close; here so both gateways tear down alike."""

    def ensure_customer(self, *, customer_id: str | None, name: str, email: str | None,
                        metadata: dict[str, str] | None = None, idempotency_key: str) -> str:
        """The stored id, or one derived from the key (no customer object exists offline)."""
        if customer_id is not None:
            return check_stripe_id(customer_id, "customer_id", "cus_")
        check_text(name, "name")
        return offline_id("cus", idempotency_key)

    def create_connected_account(self, **_: object) -> ConnectedAccount:
        """Vendors onboard with Stripe only."""
        raise ConnectNotConfigured(NO_CONNECT)

    def create_onboarding_link(self, account_id: str, **_: object) -> OnboardingLink:
        """Vendors onboard with Stripe only."""
        raise ConnectNotConfigured(NO_CONNECT)

    def retrieve_account(self, account_id: str) -> ConnectedAccount:
        """Vendors onboard with Stripe only."""
        raise ConnectNotConfigured(NO_CONNECT)

    def create_invoice(self, request: InvoiceRequest, *, idempotency_key: str) -> GatewayInvoice:
        """A draft invoice under an id derived from the key; the same key returns it again."""
        invoice_id = offline_id("in", idempotency_key)
        existing = self.invoices.get(invoice_id)
        if existing is not None:
            if (existing.customer_id, existing.total_cents, existing.application_fee_cents) != (
                request.customer_id, request.total_cents, request.application_fee_cents
            ):
                raise IdempotencyKeyReused(
                    f"key {idempotency_key!r} already made a different invoice",
                    code="idempotency_error", http_status=400,
                )
            return existing
        created = self._now()
        invoice = GatewayInvoice(
            id=invoice_id,
            status="draft",
            customer_id=request.customer_id,
            currency=request.currency,
            total_cents=request.total_cents,
            amount_due_cents=request.total_cents,
            amount_paid_cents=0,
            amount_remaining_cents=request.total_cents,
            number=request.number,
            due_at=created + timedelta(days=request.days_until_due),
            application_fee_cents=request.application_fee_cents,
            destination_account_id=request.destination_account_id,
            metadata=request.metadata,
        )
        self.invoices[invoice_id] = invoice
        return invoice

    def _change(self, invoice_id: str, change: str, idempotency_key: str) -> GatewayInvoice:
        check_idempotency_key(idempotency_key)
        invoice = self.retrieve_invoice(invoice_id)
        target = TARGET[change]
        if invoice.status == target:
            return invoice
        if invoice.status not in ALLOWED_FROM[change]:
            raise GatewayRequestError(
                f"a {invoice.status} invoice cannot become {target}",
                code="invoice_unexpected_state", http_status=400, param="invoice",
            )
        changed = replace(invoice, status=target)
        if change == "finalize":
            changed = replace(changed, number=invoice.number or self._number(invoice))
        elif change == "pay":
            changed = replace(changed, amount_paid_cents=invoice.amount_due_cents,
                              amount_remaining_cents=0, paid_out_of_band=True)
        self.invoices[invoice_id] = changed
        return changed

    def _number(self, invoice: GatewayInvoice) -> str:
        # Deterministic, so a retried finalize gives the same number; services that need a
        # gapless sequence hand theirs in through InvoiceRequest.number.
        suffix = invoice.id.removeprefix("in_offline_")[:8].upper()
        return f"INV-{self._now().year}-{suffix}"

    def finalize_and_send(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice:
        """Open the draft and give it a number; sending is the application's own mail."""
        return self._change(invoice_id, "finalize", idempotency_key)

    def void_invoice(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice:
        """Void an open or uncollectible invoice."""
        return self._change(invoice_id, "void", idempotency_key)

    def mark_uncollectible(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice:
        """Write an open invoice off as uncollectible."""
        return self._change(invoice_id, "mark_uncollectible", idempotency_key)

    def mark_paid_out_of_band(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice:
        """Record the check, ACH transfer or purchase order that paid the invoice."""
        return self._change(invoice_id, "pay", idempotency_key)

    def retrieve_invoice(self, invoice_id: str) -> GatewayInvoice:
        """The invoice as `invoices` holds it."""
        check_stripe_id(invoice_id, "invoice_id", "in_")
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise GatewayRequestError(
                f"No such invoice: {invoice_id!r}", code="resource_missing", http_status=404,
                param="id",
            )
        return invoice

    def list_invoice_payments(self, *, invoice_id: str | None = None,
                              payment_intent_id: str | None = None
                              ) -> tuple[GatewayInvoicePayment, ...]:
        """None offline: every payment is recorded in the application itself."""
        return ()

    def retrieve_charge(self, charge_id: str) -> GatewayCharge:
        """No charges offline (nobody pays by card without Stripe)."""
        check_stripe_id(charge_id, "charge_id", "ch_")
        raise GatewayRequestError(f"No such charge: {charge_id!r}", code="resource_missing",
                                  http_status=404, param="id")
