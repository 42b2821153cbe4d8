"""Customers, Connect accounts and onboarding links, as Stripe answers and changes them."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from tests.stripe_fake.errors import param_invalid, param_missing
from tests.stripe_fake.forms import as_bool
from tests.stripe_fake.store import COLLECTIONS, Origin, Store, fixture

ONBOARDING_LINK_SECONDS = 300  # Stripe's account links expire after a few minutes


def _metadata(params: dict[str, Any]) -> dict[str, str]:
    metadata = params.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise param_invalid("metadata", "Invalid hash")
    return {key: value for key, value in metadata.items() if value != ""}


def create_customer(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    customer = fixture("customer")
    customer.update(
        id=store.new_id("cus", 14),
        created=store.now(),
        name=params.get("name"),
        email=params.get("email"),
        description=params.get("description"),
        metadata=_metadata(params),
        discount=None,
        # Stripe numbers a customer's invoices <prefix>-0001, <prefix>-0002, ...
        invoice_prefix=secrets.token_hex(4).upper(),
        next_invoice_sequence=1,
    )
    store.add(customer)
    store.emit("customer.created", customer, origin=origin)
    return customer


def create_account(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    country = params.get("country", "US")
    if not (isinstance(country, str) and len(country) == 2):
        raise param_invalid("country", f"Invalid country: {country}")
    account = fixture("account")
    account_id = store.new_id("acct", 16)
    requested = params.get("capabilities") or {}
    for name, settings in requested.items():
        if not isinstance(settings, dict) or "requested" not in settings:
            raise param_missing(f"capabilities[{name}][requested]")
        as_bool(settings["requested"], f"capabilities[{name}][requested]")
    controller = params.get("controller")
    account.update(
        id=account_id,
        created=store.now(),
        country=country,
        email=params.get("email"),
        metadata=_metadata(params),
        # A new account can do nothing until its holder finishes onboarding.
        charges_enabled=False,
        payouts_enabled=False,
        details_submitted=False,
        capabilities={name: "inactive" for name in requested},
        type=params.get("type", "none" if controller else "standard"),
    )
    if controller:
        account["controller"] = {**controller, "type": "application", "is_controller": True}
    if "business_profile" in params:
        account["business_profile"].update(params["business_profile"])
    account["external_accounts"]["url"] = f"/v1/accounts/{account_id}/external_accounts"
    store.add(account)
    return account


def create_account_link(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    for name in ("account", "type"):
        if not params.get(name):
            raise param_missing(name)
    if params["type"] not in ("account_onboarding", "account_update"):
        raise param_invalid("type", f"Invalid type: {params['type']}")
    account = store.get(params["account"], "account", param="account")
    link = fixture("account_link")
    now = store.now()
    token = secrets.token_urlsafe(12)
    store.onboarding[token] = (account["id"], params.get("return_url"))
    link.update(
        created=now,
        expires_at=now + ONBOARDING_LINK_SECONDS,
        url=f"{store.base_url}/connect/onboarding/{account['id']}/{token}",
    )
    return link


def retrieve(store: Store, collection: str, object_id: str) -> dict[str, Any]:
    return store.get(object_id, COLLECTIONS[collection])


def update_account(store: Store, account_id: str, **changes: Any) -> dict[str, Any]:
    """Change an account outside the API (Stripe's review) and emit `account.updated`."""
    with store.lock:
        account = store.get(account_id, "account")
        previous = {key: copy.deepcopy(account.get(key)) for key in changes}
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(account.get(key), dict):
                account[key].update(value)
            else:
                account[key] = value
        store.emit("account.updated", account, previous=previous, account=account_id)
        return copy.deepcopy(account)


def complete_onboarding(store: Store, account_id: str) -> dict[str, Any]:
    """The vendor finished Stripe's onboarding: charges and payouts enabled, nothing due."""
    with store.lock:
        capabilities = {name: "active" for name in store.get(account_id, "account")["capabilities"]}
    return update_account(
        store, account_id, charges_enabled=True, payouts_enabled=True, details_submitted=True,
        capabilities=capabilities,
        requirements={"currently_due": [], "eventually_due": [], "past_due": [],
                      "disabled_reason": None},
    )
