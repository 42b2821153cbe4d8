"""Opt-ins: a district's own (make, change, withdraw), and every opt-in for the managers.

The rules are the pages' (procurement.optins): only until the opt-in deadline (409 after),
only a district verified by the consortium (403), and with the `version` the caller last saw
(409 when a colleague changed it since: read it again, then send).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort
from sqlalchemy import select

from consortium.api.core import ID, ApiBlueprint, PageArgs, Schema, page_schema, paginate, whole
from consortium.api.errors import refusal_answer
from consortium.api.me import org_ref
from consortium.api.schemas import OptIn
from consortium.bounds import MAX_ID, MAX_SEATS, MAX_UNIT_CENTS, SEATS_PER_STUDENT
from consortium.commit_point import on_refusal
from consortium.context import current_org
from consortium.errors import DomainError, Refusal
from consortium.extensions import db
from consortium.policy import require_acting_district
from consortium.procurement import services
from consortium.procurement.loaders import get_solicitation
from consortium.procurement.models import OptIn as OptInRow
from consortium.procurement.models import OptInStatus, Solicitation

blp = ApiBlueprint("optins", tag="Opt-ins",
                   description="Districts' conditional commitments to buy.")
ALIASES = {"max_unit_price": "max_unit_amount"}
OptInPage = page_schema(OptIn, "OptInPage")


class OptInIn(Schema):
    quantity = whole(1, MAX_SEATS, required=True, metadata={
        "description": f"Units committed (at most {SEATS_PER_STUDENT} per enrolled student)."})
    # A ceiling of 0 would commit to nothing yet count as demand: refused, as on the page.
    max_unit_amount = whole(1, MAX_UNIT_CENTS, allow_none=True, load_default=None,
                            metadata={"description": "Price ceiling in cents per unit (null: none)."})
    version = whole(0, required=True,
                    metadata={"description": "The opt-in's version you last read (0: none yet)."})


class VersionArgs(Schema):
    version = ma.fields.Integer(required=True, validate=ma.validate.Range(1, MAX_ID),
                                metadata={"description": "The opt-in's current version."})


class OptInFilter(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in OptInStatus]))


def _refused(solicitation_id: int, expected: int):
    """The refusal in JSON; a stale version (the service names no field) is `version`'s fault."""
    answer = refusal_answer(ALIASES)

    def refused(error: DomainError):
        district = current_org()
        solicitation = db.session.get(Solicitation, solicitation_id)
        opt_in = services.opt_in_of(district, solicitation) if solicitation else None
        if error.kind == Refusal.conflict and error.field is None and (
            (opt_in.version if opt_in else 0) != expected
        ):
            error.field = "version"
        return answer(error)

    return refused


def opt_in_data(opt_in: OptInRow) -> dict[str, Any]:
    """An opt-in as the `OptIn` schema."""
    return {
        **{name: getattr(opt_in, name) for name in (
            "id", "solicitation_id", "quantity", "max_unit_amount", "version", "created_at",
            "updated_at")},
        "district": org_ref(opt_in.district),
        "currency": opt_in.solicitation.currency,
        "status": opt_in.status.value,
    }


@blp.operation("/opt-ins", "GET", errors=[403, 422])
@blp.arguments(OptInFilter, location="query")
@blp.response(200, OptInPage)
def list_own(args):
    """The acting district's opt-ins, soonest deadline first."""
    district = require_acting_district()
    query = (
        select(OptInRow)
        .join(Solicitation, Solicitation.id == OptInRow.solicitation_id)
        .where(OptInRow.district_id == district.id)
        .order_by(Solicitation.opt_in_deadline, OptInRow.id)
    )
    if "status" in args:
        query = query.where(OptInRow.status == args["status"])
    return paginate(query, args, opt_in_data)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/opt-in", "GET", errors=[403, 404])
@blp.response(200, OptIn)
def get_own(solicitation_id: int):
    """The acting district's opt-in to this solicitation (404 if it has none)."""
    solicitation = get_solicitation(solicitation_id)
    opt_in = services.opt_in_of(require_acting_district(), solicitation)
    if opt_in is None:
        abort(404, "Your district has not opted in to this solicitation.")
    return opt_in_data(opt_in)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/opt-in", "PUT",
               errors=[403, 404, 409, 422])
@blp.arguments(OptInIn)
@blp.response(200, OptIn)
def put_own(data, solicitation_id: int):
    """Opt in, change the quantity or ceiling, or opt in again after withdrawing."""
    solicitation = get_solicitation(solicitation_id)
    district = require_acting_district()
    on_refusal(_refused(solicitation_id, data["version"]))
    opt_in = services.upsert_opt_in(
        district, solicitation, data["quantity"], data["max_unit_amount"],
        expected_version=data["version"],
    )
    return opt_in_data(opt_in)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/opt-in", "DELETE",
               errors=[403, 404, 409, 422])
@blp.arguments(VersionArgs, location="query")
@blp.response(200, OptIn)
def withdraw_own(args, solicitation_id: int):
    """Withdraw before the opt-in deadline (the opt-in stays, withdrawn: opt in again later)."""
    solicitation = get_solicitation(solicitation_id)
    district = require_acting_district()
    if services.opt_in_of(district, solicitation) is None:
        abort(404, "Your district has not opted in to this solicitation.")
    on_refusal(_refused(solicitation_id, args["version"]))
    opt_in = services.withdraw_opt_in(district, solicitation, expected_version=args["version"])
    return opt_in_data(opt_in)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/opt-ins", "GET",
               errors=[403, 404, 422])
@blp.arguments(OptInFilter, location="query")
@blp.response(200, OptInPage)
def list_all(args, solicitation_id: int):
    """Every district's opt-in: the consortium's staff only, as on its opt-ins page."""
    solicitation = get_solicitation(solicitation_id, manage=True)
    query = (
        select(OptInRow)
        .where(OptInRow.solicitation_id == solicitation.id)
        .order_by(OptInRow.id)
    )
    if "status" in args:
        query = query.where(OptInRow.status == args["status"])
    return paginate(query, args, opt_in_data)
