"""The one class that talks to Stripe, its offline twin, and webhook verification.

Nothing outside this module imports `stripe`: callers pass and receive the frozen records of
`consortium.payments.records`. Every write takes an idempotency key derived by the caller
from the object (`invoice:award-12:district-40:year-1`); a call that needs two requests
suffixes it (`...:lines`, `...:finalize`, `...:send`), so a retry or a double click replays
Stripe's first answers instead of making a second object. Stripe keeps keys for 24 hours:
the ids the services store under unique constraints are what guard beyond that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Protocol

import stripe

from consortium.payments.money import InvalidPaymentInput
from consortium.payments.offline import OfflineGateway
from consortium.payments.records import (
    ConnectedAccount,
    GatewayCharge,
    GatewayInvoice,
    GatewayInvoicePayment,
    GatewayRequestError,
    GatewayUnavailable,
    IdempotencyKeyReused,
    InvoiceRequest,
    OnboardingLink,
    WebhookEvent,
    WebhookVerificationError,
    check_idempotency_key,
    check_stripe_id,
    check_text,
    frozen_metadata,
)

WEBHOOK_TOLERANCE_SECONDS = 300
# Capabilities a vendor needs: transfers for destination charges; card and ACH payments
# because invoices are paid `on_behalf_of` the vendor when the services ask for it.
VENDOR_CAPABILITIES = ("card_payments", "transfers", "us_bank_account_ach_payments")


class PaymentGateway(Protocol):
    """What services may ask of a payment gateway, in Stripe and offline mode alike."""

    online: bool

    def ensure_customer(self, *, customer_id: str | None, name: str, email: str | None,
                        metadata: dict[str, str] | None = None, idempotency_key: str) -> str: ...
    def create_connected_account(self, *, email: str | None, business_name: str,
                                 country: str = "US", metadata: dict[str, str] | None = None,
                                 idempotency_key: str) -> ConnectedAccount: ...
    def create_onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str,
                               idempotency_key: str | None = None) -> OnboardingLink: ...
    def retrieve_account(self, account_id: str) -> ConnectedAccount: ...
    def create_invoice(self, request: InvoiceRequest, *,
                       idempotency_key: str) -> GatewayInvoice: ...
    def finalize_and_send(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice: ...
    def void_invoice(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice: ...
    def mark_uncollectible(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice: ...
    def mark_paid_out_of_band(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice: ...
    def retrieve_invoice(self, invoice_id: str) -> GatewayInvoice: ...
    def list_invoice_payments(self, *, invoice_id: str | None = None,
                              payment_intent_id: str | None = None
                              ) -> tuple[GatewayInvoicePayment, ...]: ...
    def retrieve_charge(self, charge_id: str) -> GatewayCharge: ...
    def close(self) -> None: ...


def build_gateway(secret_key: str | None, *, api_base: str | None = None) -> PaymentGateway:
    """Stripe when a secret key is configured, the offline twin otherwise."""
    return StripeGateway(secret_key, api_base=api_base) if secret_key else OfflineGateway()


def _timestamp(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _id_of(value: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    return value.get("id") if isinstance(value, dict) else value


def account_from_stripe(data: dict[str, Any]) -> ConnectedAccount:
    """The fields of a Stripe `account` the organisation page shows."""
    requirements = data.get("requirements") or {}
    return ConnectedAccount(
        id=data["id"],
        charges_enabled=bool(data.get("charges_enabled")),
        payouts_enabled=bool(data.get("payouts_enabled")),
        details_submitted=bool(data.get("details_submitted")),
        currently_due=tuple(requirements.get("currently_due") or ()),
        disabled_reason=requirements.get("disabled_reason"),
        country=(data.get("country") or "US").upper(),
    )


def invoice_from_stripe(data: dict[str, Any]) -> GatewayInvoice:
    """The fields of a Stripe `invoice` the application keeps."""
    # SDK 16's typed Invoice no longer lists transfer_data/application_fee_amount although
    # the create call takes them: read them when Stripe sends them, never require them.
    transfer = data.get("transfer_data") or {}
    return GatewayInvoice(
        id=data["id"],
        status=data["status"],
        customer_id=_id_of(data.get("customer")),
        currency=data["currency"],
        total_cents=data["total"],
        amount_due_cents=data["amount_due"],
        amount_paid_cents=data["amount_paid"],
        amount_remaining_cents=data["amount_remaining"],
        number=data.get("number"),
        hosted_invoice_url=data.get("hosted_invoice_url"),
        due_at=_timestamp(data.get("due_date")),
        application_fee_cents=data.get("application_fee_amount"),
        destination_account_id=_id_of(transfer.get("destination")),
        paid_out_of_band=bool(data.get("paid_out_of_band")),
        metadata=MappingProxyType(dict(data.get("metadata") or {})),
        attempt_count=int(data.get("attempt_count") or 0),
    )


def invoice_payment_from_stripe(data: dict[str, Any]) -> GatewayInvoicePayment:
    """The fields of a Stripe `invoice_payment` that link a payment intent to its invoice."""
    payment = data.get("payment") or {}
    return GatewayInvoicePayment(
        id=data["id"],
        invoice_id=_id_of(data["invoice"]),
        status=data.get("status") or "open",
        amount_paid_cents=int(data.get("amount_paid") or 0),
        currency=data["currency"],
        payment_intent_id=_id_of(payment.get("payment_intent")),
    )


def charge_from_stripe(data: dict[str, Any]) -> GatewayCharge:
    """The fields of a Stripe `charge` a refund handler compares with."""
    return GatewayCharge(
        id=data["id"],
        amount_cents=int(data["amount"]),
        amount_refunded_cents=int(data.get("amount_refunded") or 0),
        currency=data["currency"],
        payment_intent_id=_id_of(data.get("payment_intent")),
    )


class StripeGateway:
    """Stripe through its SDK; the key and base URL come from the caller, never os.environ."""

    online = True

    def __init__(
        self, secret_key: str, *, api_base: str | None = None, max_network_retries: int = 2,
        timeout_seconds: float = 30,
    ) -> None:
        check_text(secret_key, "secret_key", max_length=255)
        self.api_base = api_base or stripe.DEFAULT_API_BASE
        # A local base URL replaces every Stripe host, so a test cannot leak to stripe.com
        # through the files or connect hosts either.
        hosts = {"api": api_base, "files": api_base, "connect": api_base, "meter_events": api_base}
        self._http = stripe.RequestsClient(timeout=timeout_seconds)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses=hosts if api_base else {},
            max_network_retries=max_network_retries,
            http_client=self._http,
        )

    def close(self) -> None:
        """Close this thread's HTTP connections (tests; a process exit does the same)."""
        self._http.close()

    @contextmanager
    def _stripe_errors(self) -> Iterator[None]:
        try:
            yield
        except stripe.IdempotencyError as error:
            raise IdempotencyKeyReused(
                error.user_message or str(error), code="idempotency_error",
                http_status=error.http_status,
            ) from error
        except stripe.APIConnectionError as error:
            raise GatewayUnavailable(str(error)) from error
        except stripe.StripeError as error:
            raise GatewayRequestError(
                error.user_message or str(error), code=error.code,
                http_status=error.http_status, param=getattr(error, "param", None),
            ) from error

    def _post(self, call: Callable[..., Any], *args: Any, params: dict, key: str) -> dict:
        with self._stripe_errors():
            return call(*args, params=params, options={"idempotency_key": key}).to_dict()

    def _get(self, call: Callable[..., Any], object_id: str) -> dict:
        with self._stripe_errors():
            return call(object_id).to_dict()

    def ensure_customer(self, *, customer_id: str | None, name: str, email: str | None,
                        metadata: dict[str, str] | None = None, idempotency_key: str) -> str:
        """The district's customer id: `customer_id` when stored already, else a new one."""
        if customer_id is not None:
            return check_stripe_id(customer_id, "customer_id", "cus_")
        params: dict[str, Any] = {"name": check_text(name, "name"),
                                  "metadata": dict(frozen_metadata(metadata))}
        if email:
            params["email"] = email
        key = check_idempotency_key(idempotency_key)
        return self._post(self._client.v1.customers.create, params=params, key=key)["id"]

    def create_connected_account(self, *, email: str | None, business_name: str,
                                 country: str = "US", metadata: dict[str, str] | None = None,
                                 idempotency_key: str) -> ConnectedAccount:
        """A vendor's connected account: Express dashboard, Stripe collects requirements."""
        # `type=express` is deprecated in favour of controller properties; these are the
        # Express equivalents (platform pays fees and owns losses, Stripe onboards).
        params: dict[str, Any] = {
            "country": check_text(country, "country", max_length=2),
            "business_profile": {"name": check_text(business_name, "business_name")},
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "stripe",
                "stripe_dashboard": {"type": "express"},
            },
            "capabilities": {name: {"requested": True} for name in VENDOR_CAPABILITIES},
            "metadata": dict(frozen_metadata(metadata)),
        }
        if email:
            params["email"] = email
        key = check_idempotency_key(idempotency_key)
        created = self._post(self._client.v1.accounts.create, params=params, key=key)
        return account_from_stripe(created)

    def create_onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str,
                               idempotency_key: str | None = None) -> OnboardingLink:
        """A fresh onboarding link (single use, minutes long: do not pass a stable key)."""
        # A stable key would replay a link the vendor already used or let expire, so the
        # default is the SDK's random key; pass one only to dedupe a double click.
        params = {
            "account": check_stripe_id(account_id, "account_id", "acct_"),
            "refresh_url": check_text(refresh_url, "refresh_url", max_length=2048),
            "return_url": check_text(return_url, "return_url", max_length=2048),
            "type": "account_onboarding",
        }
        options = {}
        if idempotency_key is not None:
            options["idempotency_key"] = check_idempotency_key(idempotency_key)
        with self._stripe_errors():
            link = self._client.v1.account_links.create(params=params, options=options).to_dict()
        return OnboardingLink(url=link["url"], expires_at=_timestamp(link["expires_at"]))

    def retrieve_account(self, account_id: str) -> ConnectedAccount:
        """The account as Stripe holds it now (what `account.updated` handlers compare with)."""
        check_stripe_id(account_id, "account_id", "acct_")
        return account_from_stripe(self._get(self._client.v1.accounts.retrieve, account_id))

    def create_invoice(self, request: InvoiceRequest, *, idempotency_key: str) -> GatewayInvoice:
        """A draft send_invoice invoice with one line per contract (two calls, two keys)."""
        key = check_idempotency_key(idempotency_key)
        params: dict[str, Any] = {
            "customer": request.customer_id,
            "collection_method": "send_invoice",
            "days_until_due": request.days_until_due,
            "currency": request.currency,
            # Explicit steps only: Stripe must not finalize on its own an hour later.
            "auto_advance": False,
            # Only the lines added below, never a stray pending invoice item.
            "pending_invoice_items_behavior": "exclude",
            "metadata": dict(request.metadata),
        }
        if request.destination_account_id:
            params["transfer_data"] = {"destination": request.destination_account_id}
            params["application_fee_amount"] = request.application_fee_cents
            if request.on_behalf_of:
                params["on_behalf_of"] = request.destination_account_id
        if request.description:
            params["description"] = request.description
        if request.number:
            params["number"] = request.number
        draft = self._post(self._client.v1.invoices.create, params=params, key=key)
        # Inline product_data: no Product objects to create and keep in step per contract.
        lines = [
            {
                "description": line.description,
                "quantity": line.quantity,
                "price_data": {
                    "currency": request.currency,
                    "product_data": {"name": line.description},
                    "unit_amount": line.unit_amount_cents,
                },
            }
            for line in request.lines
        ]
        invoices = self._client.v1.invoices
        return invoice_from_stripe(
            self._post(invoices.add_lines, draft["id"], params={"lines": lines}, key=f"{key}:lines")
        )

    def finalize_and_send(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice:
        """Finalize a draft (Stripe numbers it, opens the hosted page) and email it."""
        check_stripe_id(invoice_id, "invoice_id", "in_")
        key = check_idempotency_key(idempotency_key)
        invoices = self._client.v1.invoices
        self._post(invoices.finalize_invoice, invoice_id, params={"auto_advance": False},
                   key=f"{key}:finalize")
        return invoice_from_stripe(self._post(invoices.send_invoice, invoice_id, params={},
                                              key=f"{key}:send"))

    def _transition(self, call: Callable[..., Any], invoice_id: str, key: str,
                    params: dict | None = None) -> GatewayInvoice:
        check_stripe_id(invoice_id, "invoice_id", "in_")
        key = check_idempotency_key(key)
        return invoice_from_stripe(self._post(call, invoice_id, params=params or {}, key=key))

    def void_invoice(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice:
        """Void an open or uncollectible invoice."""
        return self._transition(self._client.v1.invoices.void_invoice, invoice_id, idempotency_key)

    def mark_uncollectible(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice:
        """Write an open invoice off as uncollectible (it can still be paid or voided)."""
        return self._transition(self._client.v1.invoices.mark_uncollectible, invoice_id,
                                idempotency_key)

    def mark_paid_out_of_band(self, invoice_id: str, *, idempotency_key: str) -> GatewayInvoice:
        """Record a payment made outside Stripe (check, ACH trace, purchase order)."""
        return self._transition(self._client.v1.invoices.pay, invoice_id, idempotency_key,
                                {"paid_out_of_band": True})

    def retrieve_invoice(self, invoice_id: str) -> GatewayInvoice:
        """The invoice as Stripe holds it now (what webhook handlers compare with)."""
        check_stripe_id(invoice_id, "invoice_id", "in_")
        return invoice_from_stripe(self._get(self._client.v1.invoices.retrieve, invoice_id))

    def list_invoice_payments(self, *, invoice_id: str | None = None,
                              payment_intent_id: str | None = None
                              ) -> tuple[GatewayInvoicePayment, ...]:
        """The payments of an invoice, or the invoice payment of one payment intent."""
        params: dict[str, Any] = {"limit": 100}  # an invoice has a handful, never a page more
        if invoice_id is not None:
            params["invoice"] = check_stripe_id(invoice_id, "invoice_id", "in_")
        if payment_intent_id is not None:
            params["payment"] = {"type": "payment_intent", "payment_intent": check_stripe_id(
                payment_intent_id, "payment_intent_id", "pi_")}
        if len(params) == 1:
            raise InvalidPaymentInput("invoice_id", "name an invoice or a payment intent")
        with self._stripe_errors():
            page = self._client.v1.invoice_payments.list(params=params).to_dict()
        return tuple(invoice_payment_from_stripe(item) for item in page["data"])

    def retrieve_charge(self, charge_id: str) -> GatewayCharge:
        """The charge as Stripe holds it now (what `charge.refunded` handlers compare with)."""
        check_stripe_id(charge_id, "charge_id", "ch_")
        return charge_from_stripe(self._get(self._client.v1.charges.retrieve, charge_id))


def verify_webhook(payload: bytes, sig_header: str | None, secret: str) -> WebhookEvent:
    """The event in a delivery whose Stripe-Signature matches the raw body, at most 300 s old."""
    if not isinstance(payload, bytes | bytearray):
        # A re-serialised body never matches its signature: insist on the raw bytes.
        raise TypeError("verify_webhook needs the raw request body as bytes")
    try:
        event = stripe.Webhook.construct_event(
            bytes(payload), sig_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        ).to_dict()
        data = event["data"]
        snapshot = data["object"]
        return WebhookEvent(
            id=event["id"],
            type=event["type"],
            created=_timestamp(event["created"]),
            object_type=snapshot["object"],
            object_id=snapshot.get("id"),
            account_id=event.get("account"),
            object=snapshot,
            previous_attributes=data.get("previous_attributes"),
        )
    except stripe.SignatureVerificationError as error:
        raise WebhookVerificationError(str(error)) from error
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as error:
        # Signed, yet not a v1 event (bad UTF-8 or JSON, a thin event, missing fields).
        raise WebhookVerificationError(f"not a Stripe event: {error}") from error
