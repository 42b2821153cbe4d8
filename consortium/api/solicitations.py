"""Solicitations: the public list, detail and momentum; managers create, update, publish, cancel.

Visibility is the pages': a published solicitation is public, a draft exists only for its
consortium's staff (404 for everyone else), and changing one needs its consortium's staff.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import marshmallow as ma
from flask_login import current_user
from sqlalchemy import or_, select

from consortium.accounts.models import OrgKind
from consortium.api.core import (
    ID,
    ApiBlueprint,
    PageArgs,
    Schema,
    UtcDateTime,
    page_schema,
    paginate,
    text,
    whole,
)
from consortium.api.errors import refusal_answer
from consortium.api.me import org_ref
from consortium.api.schemas import Grouping, Momentum, Requirements, Solicitation
from consortium.bids.demand import public_demand
from consortium.clock import now
from consortium.commit_point import on_refusal
from consortium.errors import conflict
from consortium.extensions import db
from consortium.policy import can_manage_solicitation, require_managed_consortium
from consortium.procurement import services
from consortium.procurement.grouping import PolicyChoices
from consortium.procurement.loaders import get_solicitation
from consortium.procurement.models import ADMIN_FEE_BPS_MAX, CURRENCIES, SolicitationStatus, phase
from consortium.procurement.models import Solicitation as SolicitationRow

blp = ApiBlueprint("solicitations", tag="Solicitations",
                   description="Calls for one product category, with deadlines and policy.")
F = ma.fields
# The services name form fields; the API's are these.
ALIASES = {"admin_fee": "admin_fee_bps"}


class SolicitationFilter(PageArgs):
    status = F.String(validate=ma.validate.OneOf([s.value for s in SolicitationStatus]),
                      metadata={"description": "Only solicitations in this stored status."})
    consortium_id = whole(1, metadata={"description": "Only this consortium's."})


class SolicitationIn(Schema):
    """A draft solicitation: every field a manager sets on the page."""

    title = text(200, minimum=1, required=True)
    category = text(100, minimum=1, required=True)
    unit = text(50, minimum=1, load_default="seat per year")
    description = text(10_000, load_default="")
    term_months = whole(1, 120, load_default=12)
    requirements = F.Nested(Requirements, load_default=lambda: Requirements().load({}))
    grouping = F.Nested(Grouping, load_default=lambda: Grouping().load({}))
    opt_in_deadline = UtcDateTime(required=True)
    bid_deadline = UtcDateTime(required=True)
    acceptance_window_days = whole(1, 365, load_default=30)
    admin_fee_bps = whole(0, ADMIN_FEE_BPS_MAX, load_default=100)
    currency = F.String(validate=ma.validate.OneOf(CURRENCIES), load_default="usd")
    clause_ids = F.List(whole(1), load_default=list, validate=ma.validate.Length(max=100),
                        metadata={"description": "Clauses of your consortium's library, in order."})

    @ma.validates_schema
    def _deadlines_in_order(self, data, **kwargs) -> None:
        opt_in, bid = data.get("opt_in_deadline"), data.get("bid_deadline")
        if opt_in is not None and bid is not None and bid < opt_in:
            raise ma.ValidationError("Cannot be before the opt-in deadline.", "bid_deadline")


class SolicitationPatch(SolicitationIn):
    """Any fields of a draft; of a published solicitation only its deadlines, and only later."""

    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name, field_obj) -> None:
        field_obj.required = False
        field_obj.load_default = ma.missing


SolicitationPage = page_schema(Solicitation, "SolicitationPage")


def solicitation_data(solicitation: SolicitationRow) -> dict[str, Any]:
    """A solicitation as the `Solicitation` schema."""
    choices = PolicyChoices.from_policy(solicitation.policy)
    return {
        **{name: getattr(solicitation, name) for name in (
            "id", "title", "category", "unit", "description", "term_months",
            "opt_in_deadline", "bid_deadline", "acceptance_window_days", "admin_fee_bps",
            "currency", "created_at", "published_at", "bids_opened_at", "cancelled_at")},
        "consortium": org_ref(solicitation.consortium),
        "requirements": {"dpa_required": False, "certifications": [], "accessibility": None,
                         **(solicitation.requirements or {})},
        "grouping": asdict(choices),
        "status": solicitation.status.value,
        "phase": phase(solicitation, now()),
        "clauses": solicitation.clauses,
    }


def _values(data: dict[str, Any]) -> dict[str, Any]:
    """The service's values from the schema's (grouping -> the optimiser's policy object)."""
    values = {key: data[key] for key in data if key not in ("grouping", "clause_ids")}
    values["policy"] = PolicyChoices(**data["grouping"]).as_policy()
    return values


def visible_solicitations():
    """What the caller may see: published ones, and drafts of consortia they are staff of."""
    staff_of = [m.organisation_id for m in getattr(current_user, "memberships", [])
                if m.organisation.kind == OrgKind.consortium]
    return select(SolicitationRow).where(or_(
        SolicitationRow.status != SolicitationStatus.draft,
        SolicitationRow.consortium_id.in_(staff_of),
    ))


@blp.operation("/solicitations", "GET", anonymous=True)
@blp.arguments(SolicitationFilter, location="query")
@blp.response(200, SolicitationPage)
def list_solicitations(args):
    """Solicitations you may see, newest first."""
    query = visible_solicitations()
    if "status" in args:
        query = query.where(SolicitationRow.status == args["status"])
    if "consortium_id" in args:
        query = query.where(SolicitationRow.consortium_id == args["consortium_id"])
    query = query.order_by(SolicitationRow.created_at.desc(), SolicitationRow.id.desc())
    return paginate(query, args, solicitation_data)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>", "GET", anonymous=True, errors=[404])
@blp.response(200, Solicitation)
def get_solicitation_(solicitation_id: int):
    """One solicitation (a draft only for its consortium's staff)."""
    return solicitation_data(get_solicitation(solicitation_id))


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/momentum", "GET", anonymous=True,
               errors=[404])
@blp.response(200, Momentum)
def momentum(solicitation_id: int):
    """Districts and seats committed. Outside the consortium's staff small cells are withheld
    and, while opt-ins are open, seats are only a range (`seats_range`), as on the pages."""
    solicitation = get_solicitation(solicitation_id)
    figures = services.momentum(solicitation)
    if can_manage_solicitation(current_user, solicitation):
        return figures
    return public_demand(solicitation, figures)


@blp.operation("/solicitations", "POST", errors=[403, 409, 422])
@blp.arguments(SolicitationIn)
@blp.response(201, Solicitation)
def create_solicitation(data):
    """Create a draft in the consortium you act for."""
    consortium = require_managed_consortium()
    on_refusal(refusal_answer(ALIASES))
    solicitation = services.create_solicitation(consortium, _values(data), data["clause_ids"])
    db.session.flush()
    return solicitation_data(solicitation)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>", "PATCH", errors=[403, 404, 409, 422])
@blp.arguments(SolicitationPatch)
@blp.response(200, Solicitation)
def update_solicitation(data, solicitation_id: int):
    """Change a draft; extend a published solicitation's deadlines."""
    solicitation = get_solicitation(solicitation_id, manage=True)
    on_refusal(refusal_answer(ALIASES))
    if solicitation.status == SolicitationStatus.open:
        moved = set(data) - {"opt_in_deadline", "bid_deadline"}
        if moved:
            raise conflict("A published solicitation can only extend its deadlines.",
                           field=sorted(moved)[0])
        services.extend_deadlines(
            solicitation,
            data.get("opt_in_deadline", solicitation.opt_in_deadline),
            data.get("bid_deadline", solicitation.bid_deadline),
        )
    else:
        merged = {**_current(solicitation), **data}
        if merged["bid_deadline"] < merged["opt_in_deadline"]:
            raise conflict("The bid deadline cannot be before the opt-in deadline.",
                           field="bid_deadline")
        services.update_draft(solicitation, _values(merged), merged["clause_ids"])
    return solicitation_data(solicitation)


def _current(solicitation: SolicitationRow) -> dict[str, Any]:
    """A draft's values as `SolicitationIn` loads them (what a PATCH leaves unchanged)."""
    data = {key: getattr(solicitation, key) for key in services.EDITABLE_FIELDS}
    data["grouping"] = asdict(PolicyChoices.from_policy(data.pop("policy")))
    data["clause_ids"] = [link.clause_id for link in solicitation.clause_links]
    return data


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/publish", "POST",
               errors=[403, 404, 409])
@blp.response(200, Solicitation)
def publish(solicitation_id: int):
    """Open a draft to opt-ins and bids (both deadlines must lie ahead)."""
    solicitation = get_solicitation(solicitation_id, manage=True)
    services.publish(solicitation)
    return solicitation_data(solicitation)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/cancel", "POST",
               errors=[403, 404, 409])
@blp.response(200, Solicitation)
def cancel(solicitation_id: int):
    """Cancel a draft or an open solicitation; opted-in districts are told."""
    solicitation = get_solicitation(solicitation_id, manage=True)
    services.cancel(solicitation)
    return solicitation_data(solicitation)
