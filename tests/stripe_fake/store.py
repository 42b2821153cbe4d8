"""The fake's memory: Stripe's example objects, unique ids, and the events changes emit."""

from __future__ import annotations

import copy
import json
import secrets
import string
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import stripe

from tests.stripe_fake.errors import no_such

FIXTURES_FILE = Path(__file__).with_name("fixtures3.json")
_ALPHANUMERIC = string.ascii_letters + string.digits
# Where a retrieve URL's collection finds its objects.
COLLECTIONS = {
    "customers": "customer", "accounts": "account", "invoices": "invoice",
    "charges": "charge", "events": "event", "invoice_payments": "invoice_payment",
}


@cache
def _resources() -> dict[str, Any]:
    return json.loads(FIXTURES_FILE.read_text())["resources"]


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of Stripe's example object for the resource `name`."""
    return copy.deepcopy(_resources()[name])


@dataclass(frozen=True)
class Origin:
    """The API request behind a change, as Stripe echoes it in `event.request`."""

    request_id: str | None = None
    idempotency_key: str | None = None


class Store:
    """Every object the fake holds, by id; `lock` serialises requests and test-side changes."""

    def __init__(self, base_url: str = "http://127.0.0.1") -> None:
        self.base_url = base_url
        self.objects: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.onboarding: dict[str, tuple[str, str | None]] = {}  # link token -> account, return
        self.lock = threading.RLock()

    def now(self) -> int:
        return int(time.time())

    def new_id(self, prefix: str, length: int = 24) -> str:
        return f"{prefix}_{''.join(secrets.choice(_ALPHANUMERIC) for _ in range(length))}"

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id: str, kind: str, *, param: str = "id") -> dict[str, Any]:
        """The live object (not a copy), or Stripe's resource_missing answer."""
        obj = self.objects.get(object_id)
        if obj is None or obj.get("object") != kind:
            raise no_such(kind, object_id, param)
        return obj

    def snapshot(self, object_id: str) -> dict[str, Any]:
        """A copy of an object as it is now, for tests to compare with."""
        with self.lock:
            return copy.deepcopy(self.objects[object_id])

    def emit(
        self, type: str, obj: dict[str, Any], *, previous: dict[str, Any] | None = None,
        origin: Origin | None = None, account: str | None = None,
    ) -> dict[str, Any]:
        """Record the event Stripe would send for a change to `obj`."""
        event = build_event(type, obj, previous_attributes=previous, account=account,
                            origin=origin or Origin(), event_id=self.new_id("evt"))
        self.events.append(event)
        self.objects[event["id"]] = event
        return event


def build_event(
    type: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None,
    account: str | None = None, origin: Origin = Origin(), event_id: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """An `event` in the fixture's shape around a snapshot of `obj`."""
    event = fixture("event")
    event.update(
        id=event_id or f"evt_{secrets.token_hex(12)}",
        created=created or int(time.time()),
        type=type,
        api_version=stripe.api_version,
        livemode=False,
        pending_webhooks=1,
        request={"id": origin.request_id, "idempotency_key": origin.idempotency_key},
    )
    event["data"] = {"object": copy.deepcopy(obj)}
    if previous_attributes:
        event["data"]["previous_attributes"] = copy.deepcopy(previous_attributes)
    if account:
        event["account"] = account  # Connect events say which connected account they concern
    return event
