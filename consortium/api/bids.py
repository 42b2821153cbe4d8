"""Sealed bids: a vendor's own (submit a version, withdraw, read its receipts), and opening.

Sealed as on the pages (bids.sealed, policy.can_view_bid): before the bid deadline a bid is
its vendor's alone, for the consortium too, and even whether another vendor bid stays
unknown (404); the consortium's staff read bids once they opened them after the deadline.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort
from flask_login import current_user
from sqlalchemy import select
from webargs.flaskparser import abort as input_error

from consortium.api.core import (
    ID,
    PUBLIC_ID,
    ApiBlueprint,
    PageArgs,
    Schema,
    page_schema,
    paginate,
    whole,
)
from consortium.api.errors import refusal_answer
from consortium.api.me import org_ref
from consortium.api.schemas import Bid, Product, Tier
from consortium.bids.loaders import get_bidding
from consortium.bids.models import TIERS_MODES
from consortium.bids.models import Bid as BidRow
from consortium.bids.models import Product as ProductRow
from consortium.bids.opening import open_bids
from consortium.bids.schedules import Schedule
from consortium.bids.sealed import (
    bid_deadline_passed,
    counting_version,
    submit_bid,
    withdraw_bid,
)
from consortium.bounds import MAX_SEATS
from consortium.commit_point import on_refusal
from consortium.extensions import db
from consortium.policy import can_see_nonces, can_view_bid, require, require_acting_vendor
from consortium.procurement.loaders import get_solicitation
from pricing.types import Tier as TierValue

blp = ApiBlueprint("bids", tag="Bids", description="Vendors' sealed tiered bids and receipts.")
BidPage = page_schema(Bid, "BidPage")
ProductPage = page_schema(Product, "ProductPage")


def _alias(field: str) -> str:
    """The service's form names (`tiers-0-unit_price`, `product`) as the API's fields."""
    if field.startswith("tiers-"):
        _, index, name = field.split("-", 2)
        return f"tiers.{index}.{'unit_amount' if name == 'unit_price' else name}"
    return {"product": "product_id"}.get(field, field)


class BidIn(Schema):
    product_id = whole(1, required=True, metadata={"description": "One of your products."})
    tiers_mode = ma.fields.String(required=True, validate=ma.validate.OneOf(TIERS_MODES))
    tiers = ma.fields.List(ma.fields.Nested(Tier), required=True,
                           validate=ma.validate.Length(1, 20))
    capacity = whole(1, MAX_SEATS, allow_none=True, load_default=None,
                     metadata={"description": "Most seats you can serve (null: no limit)."})


def bid_data(bid: BidRow) -> dict[str, Any]:
    """A bid as the `Bid` schema, nonces only for who may see them."""
    nonces = can_see_nonces(current_user, bid)
    counting = counting_version(bid) if bid_deadline_passed(bid.solicitation) else None
    return {
        "id": bid.public_id,
        "solicitation_id": bid.solicitation_id,
        "vendor": org_ref(bid.vendor),
        "currency": bid.solicitation.currency,
        "sealed_until": bid.solicitation.bid_deadline,
        "counting_version": counting.number if counting is not None else None,
        "versions": [
            {
                **{name: getattr(v, name) for name in (
                    "number", "submitted_at", "withdrawn", "product_id", "tiers_mode", "tiers",
                    "capacity", "content_hash")},
                "nonce": (v.nonce or None) if nonces else None,
            }
            for v in bid.versions
        ],
    }


@blp.operation("/bids", "GET", errors=[403, 422])
@blp.arguments(PageArgs, location="query")
@blp.response(200, BidPage)
def list_own(args):
    """The acting vendor's bids, newest first."""
    vendor = require_acting_vendor()
    query = select(BidRow).where(BidRow.vendor_id == vendor.id).order_by(BidRow.id.desc())
    return paginate(query, args, bid_data)


@blp.operation("/products", "GET", errors=[403, 422])
@blp.arguments(PageArgs, location="query")
@blp.response(200, ProductPage)
def products(args):
    """The acting vendor's products (a bid names one)."""
    vendor = require_acting_vendor()
    query = select(ProductRow).where(ProductRow.vendor_id == vendor.id).order_by(ProductRow.name)
    return paginate(query, args)


@blp.operation(f"/bids/<{PUBLIC_ID}:bid_id>", "GET", errors=[404])
@blp.response(200, Bid)
def get_bid(bid_id: str):
    """A bid by its opaque `id`: its vendor's always, the consortium's staff once bids are
    opened (else 404)."""
    bid = db.session.scalars(select(BidRow).where(BidRow.public_id == bid_id)).first()
    require(bid is not None and can_view_bid(current_user, bid), not_found=True)
    return bid_data(bid)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/bid", "GET", errors=[403, 404])
@blp.response(200, Bid)
def get_own(solicitation_id: int):
    """The acting vendor's bid on this solicitation (404 if it has none)."""
    _solicitation, _vendor, bid = get_bidding(solicitation_id)
    if bid is None:
        abort(404, "You have not bid on this solicitation.")
    return bid_data(bid)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/bid", "PUT",
               errors=[403, 404, 409, 422])
@blp.arguments(BidIn)
@blp.response(200, Bid)
def submit(data, solicitation_id: int):
    """Submit a new sealed version (the last before the deadline counts); a receipt is mailed."""
    solicitation, vendor, _bid = get_bidding(solicitation_id)
    product = db.session.get(ProductRow, data["product_id"])
    on_refusal(refusal_answer(_alias))
    if product is None or product.vendor_id != vendor.id:
        input_error(422, messages={"product_id": ["Choose one of your own products."]})
    schedule = Schedule(
        data["tiers_mode"],
        tuple(TierValue(t["up_to"], t["unit_amount"]) for t in data["tiers"]),
        data["capacity"],
    )
    version = submit_bid(solicitation, vendor, current_user, product=product, schedule=schedule)
    return bid_data(version.bid)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/bid", "DELETE", errors=[403, 404, 409])
@blp.response(200, Bid)
def withdraw(solicitation_id: int):
    """Withdraw before the deadline: a withdrawn version is appended; submit again to count."""
    _solicitation, _vendor, bid = get_bidding(solicitation_id)
    if bid is None:
        abort(404, "You have not bid on this solicitation.")
    withdraw_bid(bid, current_user)
    return bid_data(bid)


class OpenedBids(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(Bid), required=True)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/bid-opening", "POST",
               errors=[403, 404, 409])
@blp.response(200, OpenedBids)
def open_(solicitation_id: int):
    """Open the bids after the bid deadline (the consortium's staff): every receipt shows."""
    solicitation = get_solicitation(solicitation_id, manage=True)
    open_bids(solicitation)
    bids = db.session.scalars(
        select(BidRow).where(BidRow.solicitation_id == solicitation.id).order_by(BidRow.id)
    )
    return {"items": [bid_data(bid) for bid in bids]}
