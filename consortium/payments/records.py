"""What crosses the gateway: frozen requests in, frozen records out, typed errors.

Nothing here imports `stripe`, so services, views and templates can use these types in
both modes (Stripe and offline) without knowing which one is configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from consortium.bounds import MAX_DAYS_UNTIL_DUE
from consortium.payments.money import (
    DEFAULT_CURRENCY,
    InvalidPaymentInput,
    check_cents,
    check_currency,
    check_whole,
)

InvoiceStatus = Literal["draft", "open", "paid", "void", "uncollectible"]

# Stripe's own limits, checked here so a bad value names our field, not Stripe's param.
MAX_LINES = 250
MAX_IDEMPOTENCY_KEY = 255
MAX_DESCRIPTION = 500
MAX_METADATA_KEYS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 50, 40, 500


class GatewayError(Exception):
    """The payment service could not do what was asked."""


class GatewayRequestError(GatewayError):
    """The service refused the request (Stripe's 4xx, or an offline state rule)."""

    def __init__(
        self, message: str, *, code: str | None = None, http_status: int | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.http_status, self.param = code, http_status, param


class IdempotencyKeyReused(GatewayRequestError):
    """The key was first used for a different request (Stripe's `idempotency_error`)."""


class GatewayUnavailable(GatewayError):
    """Stripe could not be reached after the retries; retry later with the same key."""


class ConnectNotConfigured(GatewayError):
    """Connected accounts need Stripe: the offline gateway has none."""


class WebhookVerificationError(GatewayError):
    """A webhook delivery that is unsigned, forged, stale, tampered or not an event."""


def check_text(value: object, field: str, *, max_length: int = MAX_DESCRIPTION) -> str:
    """A non-blank string of at most `max_length` characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidPaymentInput(field, "must not be blank")
    if len(value) > max_length:
        raise InvalidPaymentInput(field, f"must be at most {max_length} characters")
    return value


def check_stripe_id(value: object, field: str, prefix: str) -> str:
    """A Stripe object id with the right prefix (`cus_`, `acct_`, `in_`)."""
    if not isinstance(value, str) or not value.startswith(prefix) or len(value) <= len(prefix):
        raise InvalidPaymentInput(field, f"must be a Stripe id starting {prefix!r}, not {value!r}")
    return value


def check_idempotency_key(value: object) -> str:
    """The caller's key for one outbound call; Stripe accepts up to 255 characters."""
    return check_text(value, "idempotency_key", max_length=MAX_IDEMPOTENCY_KEY)


def frozen_metadata(value: Mapping[str, str] | None, field: str = "metadata") -> Mapping[str, str]:
    """Stripe metadata (string keys and values, within Stripe's limits), read-only."""
    value = dict(value or {})
    if len(value) > MAX_METADATA_KEYS:
        raise InvalidPaymentInput(field, f"must have at most {MAX_METADATA_KEYS} keys")
    for key, item in value.items():
        check_text(key, f"{field} key", max_length=MAX_METADATA_KEY)
        if not isinstance(item, str) or len(item) > MAX_METADATA_VALUE:
            raise InvalidPaymentInput(
                f"{field}[{key}]", f"must be a string of at most {MAX_METADATA_VALUE} characters"
            )
    return MappingProxyType(value)


@dataclass(frozen=True)
class InvoiceLine:
    """One contract on an invoice: what, how many, at the awarded unit price."""

    description: str
    quantity: int
    unit_amount_cents: int

    def __post_init__(self) -> None:
        check_text(self.description, "description")
        check_whole(self.quantity, "quantity", 1)
        check_cents(self.unit_amount_cents, "unit_amount_cents")

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_amount_cents


@dataclass(frozen=True)
class InvoiceRequest:
    """A send_invoice invoice for one contract year, as the services decide it."""

    customer_id: str
    lines: tuple[InvoiceLine, ...]
    days_until_due: int
    currency: str = DEFAULT_CURRENCY
    destination_account_id: str | None = None  # the vendor's connected account
    application_fee_cents: int = 0  # the consortium's admin fee, already rounded
    on_behalf_of: bool = False  # settle as the vendor (its name on the statement)
    description: str | None = None
    number: str | None = None  # the application's number; when None Stripe numbers at finalizing
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_stripe_id(self.customer_id, "customer_id", "cus_")
        object.__setattr__(self, "lines", tuple(self.lines))
        if not self.lines:
            raise InvalidPaymentInput("lines", "an invoice needs at least one line")
        if len(self.lines) > MAX_LINES:
            raise InvalidPaymentInput("lines", f"Stripe takes at most {MAX_LINES} lines an invoice")
        for index, line in enumerate(self.lines):
            if not isinstance(line, InvoiceLine):
                raise InvalidPaymentInput(f"lines[{index}]", "must be an InvoiceLine")
        check_whole(self.days_until_due, "days_until_due", 0, MAX_DAYS_UNTIL_DUE)
        object.__setattr__(self, "currency", check_currency(self.currency))
        if self.total_cents <= 0:
            raise InvalidPaymentInput("lines", "the invoice total must be more than zero cents")
        check_cents(self.application_fee_cents, "application_fee_cents")
        fee, total = self.application_fee_cents, self.total_cents
        if fee > total:
            raise InvalidPaymentInput("application_fee_cents",
                                      f"the fee ({fee}) exceeds the invoice total ({total})")
        if self.destination_account_id is not None:
            check_stripe_id(self.destination_account_id, "destination_account_id", "acct_")
        elif self.application_fee_cents or self.on_behalf_of:
            # A fee or on_behalf_of only means something when a vendor account receives the money.
            raise InvalidPaymentInput("destination_account_id",
                                      "a fee or on_behalf_of needs the vendor's connected account")
        if self.description is not None:
            check_text(self.description, "description")
        if self.number is not None:
            check_text(self.number, "number", max_length=26)  # Stripe's limit for invoice numbers
        object.__setattr__(self, "metadata", frozen_metadata(self.metadata))

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


@dataclass(frozen=True)
class ConnectedAccount:
    """A vendor's Stripe account as its organisation page shows it."""

    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    currently_due: tuple[str, ...]
    disabled_reason: str | None = None
    country: str = "US"  # where the vendor's account is: abroad, invoices go on_behalf_of it

    @property
    def ready(self) -> bool:
        return self.charges_enabled and self.payouts_enabled


@dataclass(frozen=True)
class OnboardingLink:
    """A single-use Stripe-hosted onboarding page; it expires within minutes."""

    url: str
    expires_at: datetime


@dataclass(frozen=True)
class GatewayInvoice:
    """An invoice as Stripe (or the offline twin) holds it now."""

    id: str
    status: InvoiceStatus
    customer_id: str
    currency: str
    total_cents: int
    amount_due_cents: int
    amount_paid_cents: int
    amount_remaining_cents: int
    number: str | None = None
    hosted_invoice_url: str | None = None
    due_at: datetime | None = None
    application_fee_cents: int | None = None
    destination_account_id: str | None = None
    paid_out_of_band: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)
    attempt_count: int = 0  # payment attempts on the hosted page, failed ones included


@dataclass(frozen=True)
class GatewayInvoicePayment:
    """One payment Stripe applied to an invoice (a card or ACH payment intent)."""

    id: str
    invoice_id: str
    status: str  # "paid", "open" (attempt in progress) or "canceled"
    amount_paid_cents: int
    currency: str
    payment_intent_id: str | None


@dataclass(frozen=True)
class GatewayCharge:
    """A charge as Stripe holds it now: what was paid and how much of it was refunded."""

    id: str
    amount_cents: int
    amount_refunded_cents: int
    currency: str
    payment_intent_id: str | None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook delivery; `object` is the event's snapshot as plain JSON data."""

    id: str
    type: str
    created: datetime
    object_type: str
    object_id: str | None
    account_id: str | None  # set on events from connected accounts (account.updated)
    object: Mapping[str, Any]
    previous_attributes: Mapping[str, Any] | None = None
