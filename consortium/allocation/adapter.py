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
from pricing.io import dumps, instance_to_dict, is_number, load_instance
from pricing.rules import FEATURE_WORDS
from pricing.rules import describe as describe_rule
from pricing.tiers import tier_index
from pricing.types import Instance, Offer, Result, SimilarityRule, Tier

# Features every buyer carries; a similarity rule may name any of them.
FEATURES = ("enrollment", "mbps_per_student", "locale", "state")


@dataclass(frozen=True, slots=True)
class IdMaps:
    """How the instance's string ids map back to rows, and the names people read."""

    districts: dict[str, int] = field(default_factory=dict)  # buyer id -> organisation id
    bids: dict[str, int] = field(default_factory=dict)  # offer id -> bid id
    vendors: dict[str, int] = field(default_factory=dict)  # offer id -> vendor organisation id
    names: dict[str, str] = field(default_factory=dict)  # buyer or offer id -> display name
    # Districts left out of the instance, each with why: {"buyer", "name", "quantity", "reason"}.
    set_aside: list[dict[str, Any]] = field(default_factory=list)


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


# What a district's profile must hold for a rule on each feature, in a manager's words.
_PROFILE_FIELDS = {
    "enrollment": "its enrollment",
    "mbps_per_student": "its enrollment or its broadband (Mbps)",
    "locale": "its locale",
    "state": "its state",
}


def policy_rules(policy: dict[str, Any]) -> list[SimilarityRule]:
    """The well-formed similarity rules of a raw policy (`load_instance` reports the others)."""
    found = []
    for raw in policy.get("similarity") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("feature"), str):
            continue
        ratio, spread, same = raw.get("max_ratio"), raw.get("max_spread"), raw.get("same") is True
        if [ratio is not None, spread is not None, same].count(True) != 1:
            continue
        if not all(v is None or is_number(v) for v in (ratio, spread)):
            continue
        found.append(SimilarityRule(raw["feature"], max_ratio=ratio, max_spread=spread, same=same))
    return found


def set_aside_reason(features: dict[str, Any], rules: list[SimilarityRule]) -> str | None:
    """Why a district cannot take part under these rules (None: it can), in plain words.

    A rule compares a feature of every member, so a district whose profile lacks it, or whose
    figure is 0 under a ratio rule, cannot be in any group; it is left out with this reason
    rather than failing the whole run.
    """
    for rule in rules:
        value = features.get(rule.feature)
        if value is None:
            missing = _PROFILE_FIELDS.get(rule.feature, f"a value for {rule.feature}")
            return (
                f"Its district profile does not give {missing}, which the rule"
                f" “{describe_rule(rule)}” compares; complete the profile and run again to"
                " include it."
            )
        if rule.max_ratio is not None and (not is_number(value) or value <= 0):
            return (
                f"Its {FEATURE_WORDS.get(rule.feature, rule.feature)} is"
                f" {f'{value:g}' if is_number(value) else value}, and the rule"
                f" “{describe_rule(rule)}” only compares figures above 0; correct the profile"
                " and run again to include it."
            )
    return None


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
    policy = {**(solicitation.policy or {}), **(policy_overrides or {})}
    rules = policy_rules(policy)
    buyers = []
    for opt_in in live_opt_ins(solicitation):
        district = opt_in.district
        key = buyer_id(district.id)
        features = district_features(district.district_profile)
        reason = set_aside_reason(features, rules)
        if reason is not None:
            maps.set_aside.append(
                {"buyer": key, "name": district.name, "quantity": opt_in.quantity, "reason": reason}
            )
            continue
        maps.districts[key] = district.id
        maps.names[key] = district.name
        buyer: dict[str, Any] = {"id": key, "quantity": opt_in.quantity}
        if opt_in.max_unit_amount is not None:
            buyer["max_unit_amount"] = opt_in.max_unit_amount
        buyer["features"] = features
        buyer["eligible_offers"] = _eligible(pairs, district)
        buyers.append(buyer)
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
    which profile to fix. Districts the rules cannot compare are in `maps.set_aside`; when
    that is every district, there is nothing to solve and the error lists them.
    """
    document, maps = instance_document(solicitation, policy_overrides)
    if not document["buyers"] and maps.set_aside:
        raise InstanceError(
            [f"{entry['name']}: {entry['reason']}" for entry in maps.set_aside]
        )
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
