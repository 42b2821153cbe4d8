"""Webhook deliveries as Stripe sends them, and the bad copies an endpoint must refuse.

The signature is computed here from Stripe's documented scheme, not with the SDK's helper,
so tests of `verify_webhook` check the SDK against an independent signer:
`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

TOLERANCE_SECONDS = 300  # what Stripe's libraries accept by default, and the app uses
KINDS = ("signed", "unsigned", "forged", "stale", "tampered")


def encode(event: dict[str, Any]) -> bytes:
    """The body Stripe posts: the event as pretty-printed JSON."""
    return json.dumps(event, indent=2).encode()


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `payload` at `timestamp` (now by default)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class Delivery:
    """One POST to the webhook endpoint: the raw body and its signature header."""

    kind: str
    event_id: str
    payload: bytes
    signature: str | None

    @property
    def headers(self) -> dict[str, str]:
        """Headers for a test client's `post(..., data=payload, headers=...)`."""
        headers = {"Content-Type": "application/json"}
        if self.signature is not None:
            headers["Stripe-Signature"] = self.signature
        return headers

    @property
    def genuine(self) -> bool:
        return self.kind == "signed"


def _tamper(event: dict[str, Any]) -> dict[str, Any]:
    # What an attacker would change: the money, or failing that the object's metadata.
    changed = json.loads(json.dumps(event))
    snapshot = changed["data"]["object"]
    for field in ("amount_paid", "amount", "amount_due"):
        if isinstance(snapshot.get(field), int):
            snapshot[field] += 100_00
            return changed
    snapshot["metadata"] = {**(snapshot.get("metadata") or {}), "tampered": "true"}
    return changed


def delivery(event: dict[str, Any], secret: str, kind: str = "signed", *,
             now: int | None = None) -> Delivery:
    """`event` delivered as `kind`: signed, unsigned, forged, stale or tampered."""
    now = int(time.time()) if now is None else now
    payload = encode(event)
    if kind == "signed":
        signature = sign(payload, secret, timestamp=now)
    elif kind == "unsigned":
        signature = None
    elif kind == "forged":  # signed, but not with the endpoint's secret
        signature = sign(payload, secret + "-forged", timestamp=now)
    elif kind == "stale":  # a genuine signature replayed after the tolerance
        signature = sign(payload, secret, timestamp=now - TOLERANCE_SECONDS - 60)
    elif kind == "tampered":  # a genuine signature over a body changed afterwards
        signature = sign(payload, secret, timestamp=now)
        payload = encode(_tamper(event))
    else:
        raise ValueError(f"unknown delivery kind {kind!r}; one of {KINDS}")
    return Delivery(kind=kind, event_id=event["id"], payload=payload, signature=signature)


def deliveries(event: dict[str, Any], secret: str, *, now: int | None = None) -> list[Delivery]:
    """The genuine delivery and each bad copy of it, in KINDS order."""
    return [delivery(event, secret, kind, now=now) for kind in KINDS]
