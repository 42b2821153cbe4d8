"""Published awards (public, as the award pages) and purchasing groups (a vendor's own)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_login import current_user
from sqlalchemy import select

from consortium.api.core import ID, ApiBlueprint, PageArgs, UtcDateTime, page_schema, paginate
from consortium.api.me import org_ref
from consortium.api.schemas import OrganisationRef
from consortium.awards.models import Award as AwardRow
from consortium.awards.models import AwardGroup
from consortium.awards.results import GroupResult, award_results
from consortium.clock import now
from consortium.extensions import db
from consortium.policy import can_view_award_group, require, require_acting_vendor

blp = ApiBlueprint("awards", tag="Awards",
                   description="Published awards, their purchasing groups and savings.")
F = ma.fields


class Member(ma.Schema):
    district = F.Nested(OrganisationRef, required=True)
    quantity = F.Integer(required=True)
    amount = F.Integer(required=True, metadata={"description": "What the district pays, cents."})
    standalone_amount = F.Integer(required=True, metadata={"description": "Alone, cents."})
    savings_amount = F.Integer(required=True)


class Group(ma.Schema):
    id = F.Integer(required=True)
    award_id = F.Integer(required=True)
    name = F.String(required=True, metadata={"description": "Who is in it, vendor and tier."})
    label = F.String(required=True, metadata={"description": "The optimiser's group id."})
    vendor = F.Nested(OrganisationRef, required=True)
    tier = F.Integer(required=True, metadata={"description": "Tier reached, from 1."})
    tiers_mode = F.String(required=True, metadata={"enum": ["volume", "graduated"]})
    unit_amount = F.Integer(required=True, metadata={
        "description": "Cents per seat (graduated: the average, rounded)."})
    quantity = F.Integer(required=True)
    currency = F.String(required=True)
    total_amount = F.Integer(required=True)
    members = F.List(F.Nested(Member), required=True)


class GroupContract(ma.Schema):
    id = F.Integer(required=True)
    district = F.Nested(OrganisationRef, required=True)
    status = F.String(required=True, metadata={"enum": ["pending", "accepted", "declined", "lapsed"]})


class VendorGroup(Group):
    contracts = F.List(F.Nested(GroupContract), required=True)


class AwardSummary(ma.Schema):
    id = F.Integer(required=True)
    solicitation_id = F.Integer(required=True)
    title = F.String(required=True)
    consortium = F.Nested(OrganisationRef, required=True)
    run_id = F.Integer(required=True)
    published_at = UtcDateTime(required=True)
    input_sha256 = F.String(required=True, metadata={"description": "Verify with the run's input."})
    currency = F.String(required=True)
    total_amount = F.Integer(required=True)
    standalone_amount = F.Integer(required=True)
    savings_amount = F.Integer(required=True)
    seats = F.Integer(required=True)
    districts = F.Integer(required=True)


class Award(AwardSummary):
    groups = F.List(F.Nested(Group), required=True)


AwardPage = page_schema(AwardSummary, "AwardPage")
VendorGroupPage = page_schema(VendorGroup, "VendorGroupPage")


def group_data(result: GroupResult) -> dict[str, Any]:
    group = result.group
    return {
        **{name: getattr(group, name) for name in (
            "id", "award_id", "label", "tiers_mode", "unit_amount", "quantity", "total_amount")},
        "name": result.name,
        "vendor": org_ref(group.vendor),
        "tier": result.tier,
        "currency": group.award.solicitation.currency,
        "members": [
            {"district": org_ref(m.district), "quantity": m.quantity, "amount": m.amount,
             "standalone_amount": m.standalone_amount, "savings_amount": m.savings}
            for m in result.members
        ],
    }


def award_data(award: AwardRow, *, groups: bool = True) -> dict[str, Any]:
    results = award_results(award)
    solicitation = award.solicitation
    data = {
        "id": award.id,
        "solicitation_id": solicitation.id,
        "title": solicitation.title,
        "consortium": org_ref(solicitation.consortium),
        "run_id": award.run_id,
        "published_at": award.published_at,
        "input_sha256": award.input_sha256,
        "currency": solicitation.currency,
        "total_amount": results.total_amount,
        "standalone_amount": results.standalone_amount,
        "savings_amount": results.savings,
        "seats": results.seats,
        "districts": results.districts,
    }
    if groups:
        data["groups"] = [group_data(g) for g in results.groups]
    return data


def _vendor_group(group: AwardGroup) -> dict[str, Any]:
    result = next(g for g in award_results(group.award).groups if g.group.id == group.id)
    at = now()
    return {
        **group_data(result),
        "contracts": [
            {"id": c.id, "district": org_ref(c.district), "status": c.phase(at).value}
            for c in group.contracts
        ],
    }


@blp.operation("/awards", "GET", anonymous=True, errors=[422])
@blp.arguments(PageArgs, location="query")
@blp.response(200, AwardPage)
def list_awards(args):
    """Every published award, newest first."""
    query = select(AwardRow).order_by(AwardRow.published_at.desc(), AwardRow.id.desc())
    return paginate(query, args, lambda award: award_data(award, groups=False))


@blp.operation(f"/awards/<{ID}:award_id>", "GET", anonymous=True, errors=[404])
@blp.response(200, Award)
def get_award(award_id: int):
    """A published award: each group with its vendor, tier, price, districts and savings."""
    return award_data(db.get_or_404(AwardRow, award_id))


@blp.operation("/award-groups", "GET", errors=[403, 422])
@blp.arguments(PageArgs, location="query")
@blp.response(200, VendorGroupPage)
def list_own_groups(args):
    """The acting vendor's purchasing groups, newest award first."""
    vendor = require_acting_vendor()
    query = (
        select(AwardGroup)
        .where(AwardGroup.vendor_id == vendor.id)
        .order_by(AwardGroup.award_id.desc(), AwardGroup.id)
    )
    return paginate(query, args, _vendor_group)


@blp.operation(f"/award-groups/<{ID}:group_id>", "GET", errors=[404])
@blp.response(200, VendorGroup)
def get_group(group_id: int):
    """A group with each district's contract status: its vendor and the consortium's staff."""
    group = db.session.get(AwardGroup, group_id)
    require(group is not None and can_view_award_group(current_user, group), not_found=True)
    return _vendor_group(group)
