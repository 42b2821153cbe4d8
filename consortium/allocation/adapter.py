"""The one place ORM rows become `pricing` types and a `pricing` Result becomes award rows.

Buyer ids are district organisation ids as strings, offer ids are bid ids as strings
(`offer_id`), so a stored instance or result maps back to rows without a side table, and an
outsider reading input.json sees stable, meaningful ids. A bid version becomes an Offer
here (`version_offer`) for the bid pages too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from consortium.accounts.models import DistrictProfile, Organisation
from consortium.awards.models import Award, AwardGroup, Contract, ContractStatus
from consortium.bids.eligibility import bid_is_eligible
from consortium.bids.models import Bid, BidVersion
from consortium.bids.schedules import tiers_json
from consortium.bids.sealed import counting_bids
from consortium.extensions import db
from consortium.procurement.models import Solicitation
from consortium.procurement.optins import live_opt_ins
from pricing.errors import InstanceError
from pricing.io import dumps, instance_to_dict, load_instance
from pricing.tiers import tier_index
from pricing.types import Instance, Offer, Result, Tier

# Features every buyer carries; a similarity rule may name any of them.
FEATURES = ("enrollment", "mbps_per_student", "locale", "state")


@dataclass(frozen=True, slots=True)
class IdMaps:
    """How the instance's string ids map back to rows, and the names people read."""

    districts: dict[str, int] = field(default_factory=dict)  # buyer id -> organisation id
    bids: dict[str, int] = field(default_factory=dict)  # offer id -> bid id
    vendors: dict[str, int] = field(default_factory=dict)  # offer id -> vendor organisation id
    names: dict[str, str] = field(default_factory=dict)  # buyer or offer id -> display name


def buyer_id(district_id: int) -> str:
    return str(district_id)


def district_features(profile: DistrictProfile | None) -> dict[str, Any]:
    """The features of ALLOCATION.md for one district; unknown values are left out."""
    if profile is None:
        return {}
    values: dict[str, Any] = {
        "enrollment": profile.enrollment,
        # Rounded so that the stored input is stable text, not float noise.
        "mbps_per_student": (
            round(profile.mbps_per_student, 6) if profile.mbps_per_student is not None else None
        ),
        "locale": profile.locale,
        "state": profile.state,
    }
    return {name: value for name, value in values.items() if value is not None}


def offer_id(bid: Bid) -> str:
    """The id of a bid as an ALLOCATION.md offer: its opaque public id (never the sequence)."""
    return bid.public_id


def bid_for_offer(offer_id: str) -> Bid | None:
    """The bid an offer id names (a public id; runs stored before public ids used the key)."""
    if offer_id.isdigit():
        return db.session.get(Bid, int(offer_id))
    return db.session.scalars(select(Bid).where(Bid.public_id == offer_id)).first()


def version_offer(bid: Bid, version: BidVersion) -> Offer:
    """A bid version as a `pricing` Offer (id from `offer_id`)."""
    return Offer(
        offer_id(bid),
        bid.vendor.name,
        version.tiers_mode,  # type: ignore[arg-type]
        tuple(Tier(t["up_to"], t["unit_amount"]) for t in version.tiers),
        version.capacity,
    )


def eligible_offer_ids(
    solicitation: Solicitation, district: Organisation | DistrictProfile
) -> list[str]:
    """Offer ids of the counting bids this district may buy from (refused before the deadline)."""
    return _eligible(counting_bids(solicitation), district)


def _eligible(
    pairs: list[tuple[Bid, BidVersion]], district: Organisation | DistrictProfile
) -> list[str]:
    return [offer_id(bid) for bid, _version in pairs if bid_is_eligible(bid, district)]


def instance_document(
    solicitation: Solicitation, policy_overrides: dict[str, Any] | None = None
) -> tuple[dict[str, Any], IdMaps]:
    """The instance as ALLOCATION.md JSON data (not yet validated) and its id maps."""
    maps = IdMaps()
    offers = []
    pairs = counting_bids(solicitation)
    for bid, version in pairs:
        offer = version_offer(bid, version)
        maps.bids[offer.id] = bid.id
        maps.vendors[offer.id] = bid.vendor_id
        maps.names[offer.id] = offer.vendor
        data: dict[str, Any] = {
            "id": offer.id,
            "vendor": offer.vendor,
            "tiers_mode": offer.tiers_mode,
            "tiers": tiers_json(offer.tiers),
        }
        if offer.capacity is not None:
            data["capacity"] = offer.capacity
        offers.append(data)
    buyers = []
    for opt_in in live_opt_ins(solicitation):
        district = opt_in.district
        key = buyer_id(district.id)
        maps.districts[key] = district.id
        maps.names[key] = district.name
        buyer: dict[str, Any] = {"id": key, "quantity": opt_in.quantity}
        if opt_in.max_unit_amount is not None:
            buyer["max_unit_amount"] = opt_in.max_unit_amount
        buyer["features"] = district_features(district.district_profile)
        buyer["eligible_offers"] = _eligible(pairs, district)
        buyers.append(buyer)
    policy = {**(solicitation.policy or {}), **(policy_overrides or {})}
    document = {
        "currency": solicitation.currency,
        "buyers": buyers,
        "offers": offers,
        "policy": policy,
    }
    return document, maps


def build_instance(
    solicitation: Solicitation, policy_overrides: dict[str, Any] | None = None
) -> tuple[Instance, IdMaps]:
    """Validated Instance from the live opt-ins, counting bids and policy; raises InstanceError.

    Problems about `buyers[i]` are reworded with the district's name so a manager knows
    which profile to fix.
    """
    document, maps = instance_document(solicitation, policy_overrides)
    try:
        return load_instance(document), maps
    except InstanceError as exc:
        named = [_name_buyer(problem, document, maps) for problem in exc.problems]
        raise InstanceError(named) from exc


def _name_buyer(problem: str, document: dict[str, Any], maps: IdMaps) -> str:
    match = re.match(r"buyers\[(\d+)\]", problem)
    if not match:
        return problem
    buyers = document.get("buyers") or []
    index = int(match.group(1))
    if index >= len(buyers):
        return problem
    name = maps.names.get(buyers[index]["id"], buyers[index]["id"])
    return f"{problem} (district {name})"


def input_text(instance: Instance) -> str:
    """The exact text stored, hashed and served as input.json."""
    return dumps(instance_to_dict(instance))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def standalone_total(result: Result) -> int:
    """What the served districts would have paid buying alone, together."""
    return sum(a.standalone_amount for a in result.assignments)


def apply_result(
    award: Award,
    instance: Instance,
    result: Result,
    *,
    accept_by: datetime,
    starts_on: date,
    expires_on: date,
) -> list[Contract]:
    """Award rows for a Result: one AwardGroup per group, one pending Contract per assignment.

    Amounts are copied from the result, never recomputed: the award locks each group's
    tier and price.
    """
    offers = {offer.id: offer for offer in instance.offers}
    groups: dict[str, AwardGroup] = {}
    for group in result.groups:
        offer = offers[group.offer]
        index = tier_index(offer, group.quantity)
        if offer.tiers_mode == "volume":
            unit = offer.tiers[index].unit_amount
        else:
            unit = (2 * group.total_amount + group.quantity) // (2 * group.quantity)
        bid = bid_for_offer(group.offer)
        row = AwardGroup(
            award=award,
            label=group.id,
            bid_id=bid.id,
            vendor_id=bid.vendor_id,
            quantity=group.quantity,
            total_amount=group.total_amount,
            unit_amount=unit,
            tiers_mode=offer.tiers_mode,
            tier_index=index,
        )
        db.session.add(row)
        groups[group.id] = row
    contracts = []
    for assignment in result.assignments:
        contract = Contract(
            award=award,
            group=groups[assignment.group],
            district_id=int(assignment.buyer),
            quantity=assignment.quantity,
            amount=assignment.amount,
            standalone_amount=assignment.standalone_amount,
            status=ContractStatus.pending,
            accept_by=accept_by,
            starts_on=starts_on,
            expires_on=expires_on,
        )
        db.session.add(contract)
        contracts.append(contract)
    db.session.flush()
    return contracts


def district_names(ids: list[str]) -> dict[str, str]:
    """Display names for buyer ids (district organisation ids as strings)."""
    numbers = [int(i) for i in ids if i.isdigit()]
    if not numbers:
        return {}
    rows = db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(numbers))
    )
    return {str(row.id): row.name for row in rows}
