"""Products, sealed bids and their append-only versions.

A `Bid` is one vendor's place in one solicitation; every submission appends a
`BidVersion` with its own number and content hash, so nothing a vendor sent is
ever overwritten. The version that counts is the last one submitted before the
solicitation's bid deadline.

The receipt hash is a commitment: SHA-256 of the canonical JSON of the bid's content
(`hash_payload()`) together with a secret random `nonce` drawn for that version. Without
the nonce, a hash of a bid with one flat price could be brute-forced in a fraction of a
second (try every price up to a few hundred dollars); with 256 random bits it cannot, and
two identical bids get different hashes. The nonce is shown to the bid's own vendor only
until the bids are opened, then beside the opened bid, so anyone who can read the opening
can recompute the hash from the revealed content and nonce. It never goes into mail or the
audit trail.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.bounds import MAX_SEATS
from consortium.db import TZDateTime, utcnow
from consortium.extensions import db

TIERS_MODES = ("volume", "graduated")
NONCE_BYTES = 32  # 256 secret random bits per bid version, stored as 64 hex characters


def new_nonce() -> str:
    """A fresh secret for one bid version's receipt hash (hex, from `secrets`)."""
    return secrets.token_hex(NONCE_BYTES)


def new_public_id() -> str:
    """An opaque id for a bid (22 url-safe characters, 128 random bits)."""
    return secrets.token_urlsafe(16)


class Product(db.Model):
    """Something a vendor sells per seat per year, named in its bids."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    sku: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    vendor = relationship("Organisation")

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.name!r}>"


class Bid(db.Model):
    """A vendor's sealed bid on one solicitation: one row, many versions."""

    __tablename__ = "bids"
    __table_args__ = (UniqueConstraint("solicitation_id", "vendor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What URLs, the audit trail and exports call the bid: random, so nobody can count or
    # order other vendors' bids by their numbers (the primary key is a sequence).
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    solicitation = relationship("Solicitation")
    vendor = relationship("Organisation")
    product: Mapped[Product] = relationship()
    versions: Mapped[list[BidVersion]] = relationship(
        back_populates="bid", order_by="BidVersion.number"
    )

    @property
    def latest(self) -> BidVersion | None:
        return self.versions[-1] if self.versions else None

    def __repr__(self) -> str:
        return f"<Bid {self.id} solicitation={self.solicitation_id} vendor={self.vendor_id}>"


class BidVersion(db.Model):
    """One submission of a bid, never changed once written."""

    __tablename__ = "bid_versions"
    __table_args__ = (
        UniqueConstraint("bid_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("tiers_mode IN ('volume', 'graduated')", name="tiers_mode_known"),
        CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
        CheckConstraint(f"capacity <= {MAX_SEATS}", name="capacity_max"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    tiers_mode: Mapped[str] = mapped_column(String(16))
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # The secret that makes `content_hash` a commitment nobody can brute-force (see module doc).
    # '' only on versions stored before nonces existed: their hash covers the content alone.
    nonce: Mapped[str] = mapped_column(String(64), default="", server_default="")

    bid: Mapped[Bid] = relationship(back_populates="versions")
    product: Mapped[Product] = relationship()
    submitted_by = relationship("User")

    def __init__(self, **fields: Any) -> None:
        # Drawn at construction, so `compute_hash()` works before the row is flushed.
        fields.setdefault("nonce", new_nonce())
        super().__init__(**fields)

    def hash_payload(self) -> dict[str, Any]:
        """The bid content the receipt hash covers (without the secret nonce).

        The schedule and who bid what, where, in which version: what the opening reveals.
        """
        return {
            "solicitation": self.bid.solicitation_id,
            "vendor": self.bid.vendor_id,
            "product": self.product_id,
            "number": self.number,
            "tiers_mode": self.tiers_mode,
            "tiers": [{"up_to": t["up_to"], "unit_amount": t["unit_amount"]} for t in self.tiers],
            "capacity": self.capacity,
            "withdrawn": bool(self.withdrawn),
        }

    def commitment_payload(self) -> dict[str, Any]:
        """Exactly what is hashed: `hash_payload()` plus the secret `nonce` (hex string).

        Versions stored before nonces existed have nonce '' and hash their content alone.
        """
        payload = self.hash_payload()
        if self.nonce:
            payload["nonce"] = self.nonce
        return payload

    def hashed_json(self) -> str:
        """The bytes that are hashed (ASCII), for anyone re-checking a hash by hand."""
        return canonical_json(self.commitment_payload())

    def compute_hash(self) -> str:
        """SHA-256 hex of the canonical JSON of `commitment_payload()`, from stored data.

        Canonical JSON: keys sorted, separators "," and ":" with no spaces, ASCII only.
        """
        return content_hash(self.commitment_payload())

    def __repr__(self) -> str:
        return f"<BidVersion bid={self.bid_id} #{self.number}>"


def canonical_json(payload: dict[str, Any]) -> str:
    """Canonical JSON of `payload`: sorted keys, no spaces, ASCII only."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def content_hash(payload: dict[str, Any]) -> str:
    """SHA-256 hex digest of the canonical JSON of `payload` (see `canonical_json`)."""
    return hashlib.sha256(canonical_json(payload).encode("ascii")).hexdigest()


class AppendOnlyError(RuntimeError):
    """A stored bid version was about to be changed or deleted."""


@event.listens_for(BidVersion, "before_update")
@event.listens_for(BidVersion, "before_delete")
def _versions_are_append_only(mapper, connection, version: BidVersion) -> None:
    # What a vendor submitted is evidence: a receipt hash must stay true of the stored row.
    raise AppendOnlyError(f"bid version {version.bid_id}#{version.number} is append-only")
