"""Contracts: a district's own (accept or decline within the window), all of a consortium's
awards for its staff. Another district's contract does not exist for you (404)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_login import current_user
from sqlalchemy import select

from consortium.api.core import ID, ApiBlueprint, PageArgs, UtcDateTime, page_schema, paginate
from consortium.api.me import org_ref
from consortium.api.schemas import OrganisationRef
from consortium.awards import services
from consortium.awards.models import DECLINE_REASON_MAX, Award, Contract, ContractStatus
from consortium.clock import now
from consortium.context import current_org
from consortium.extensions import db
from consortium.policy import (
    can_decide_contract,
    can_manage_consortium,
    can_opt_in_for,
    can_view_contract,
    require,
)
from consortium.procurement.models import Solicitation

blp = ApiBlueprint("contracts", tag="Contracts",
                   description="Each placed district's contract: amount, window, decision.")
F = ma.fields


class ContractOut(ma.Schema):
    id = F.Integer(required=True)
    award_id = F.Integer(required=True)
    solicitation_id = F.Integer(required=True)
    group_id = F.Integer(required=True)
    district = F.Nested(OrganisationRef, required=True)
    vendor = F.Nested(OrganisationRef, required=True)
    quantity = F.Integer(required=True)
    currency = F.String(required=True)
    unit_amount = F.Integer(required=True, metadata={"description": "The group's price per seat."})
    amount = F.Integer(required=True)
    standalone_amount = F.Integer(required=True)
    savings_amount = F.Integer(required=True)
    status = F.String(required=True, metadata={
        "enum": [s.value for s in ContractStatus],
        "description": "As of now: a pending contract past its window is lapsed."})
    accept_by = UtcDateTime(required=True)
    decided_at = UtcDateTime(allow_none=True, required=True)
    starts_on = F.Date(required=True)
    expires_on = F.Date(required=True)


ContractPage = page_schema(ContractOut, "ContractPage")


class ContractFilter(PageArgs):
    status = F.String(validate=ma.validate.OneOf([s.value for s in ContractStatus]),
                      metadata={"description": "Stored status (a lapsed window shows once the "
                                               "daily job has stored it)."})


def contract_data(contract: Contract) -> dict[str, Any]:
    group = contract.group
    return {
        **{name: getattr(contract, name) for name in (
            "id", "award_id", "group_id", "quantity", "amount", "standalone_amount", "accept_by",
            "decided_at", "starts_on", "expires_on")},
        "solicitation_id": contract.award.solicitation_id,
        "district": org_ref(contract.district),
        "vendor": org_ref(group.vendor),
        "currency": contract.award.solicitation.currency,
        "unit_amount": group.unit_amount,
        "savings_amount": contract.savings,
        "status": contract.phase(now()).value,
    }


@blp.operation("/contracts", "GET", errors=[403, 422])
@blp.arguments(ContractFilter, location="query")
@blp.response(200, ContractPage)
def list_contracts(args):
    """A district's own contracts; for a consortium's staff, every contract of its awards."""
    org = current_org()
    query = select(Contract).join(Award, Award.id == Contract.award_id)
    if can_opt_in_for(current_user, org):
        query = query.where(Contract.district_id == org.id)
    else:
        require(can_manage_consortium(current_user, org))
        query = query.join(Solicitation, Solicitation.id == Award.solicitation_id).where(
            Solicitation.consortium_id == org.id
        )
    if "status" in args:
        query = query.where(Contract.status == args["status"])
    return paginate(query.order_by(Award.published_at.desc(), Contract.id), args, contract_data)


def _contract(contract_id: int) -> Contract:
    contract = db.session.get(Contract, contract_id)
    require(contract is not None and can_view_contract(current_user, contract), not_found=True)
    return contract


@blp.operation(f"/contracts/<{ID}:contract_id>", "GET", errors=[404])
@blp.response(200, ContractOut)
def get_contract(contract_id: int):
    """A contract: its district's staff and the consortium's."""
    return contract_data(_contract(contract_id))


class DeclineIn(ma.Schema):
    reason = F.String(required=True, validate=ma.validate.Length(min=1, max=DECLINE_REASON_MAX),
                      metadata={"description": "Why the district declines (its consortium's "
                                               "managers read it)."})


def _decide(contract_id: int, *, accept: bool, reason: str | None = None) -> dict[str, Any]:
    contract = _contract(contract_id)
    require(can_decide_contract(current_user, contract))
    decided = services.decide_contract(contract, current_user, accept=accept, reason=reason)
    return contract_data(decided)


@blp.operation(f"/contracts/<{ID}:contract_id>/accept", "POST", errors=[403, 404, 409])
@blp.response(200, ContractOut)
def accept(contract_id: int):
    """Accept (sign) within the acceptance window: the district's staff only."""
    return _decide(contract_id, accept=True)


@blp.operation(f"/contracts/<{ID}:contract_id>/decline", "POST", errors=[403, 404, 409, 422])
@blp.arguments(DeclineIn)
@blp.response(200, ContractOut)
def decline(data, contract_id: int):
    """Decline within the window, saying why (final); nobody else's price changes."""
    return _decide(contract_id, accept=False, reason=data["reason"])
