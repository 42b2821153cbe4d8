"""Reading and writing the instance and result JSON of ALLOCATION.md.

`load_instance` is the only way untrusted input becomes an `Instance`: it checks every
field rule and reports all problems at once, each naming its JSON path, so a manager
fixes a file in one pass instead of one error per run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pricing.errors import InstanceError, ResultFormatError
from pricing.types import (
    Assignment,
    Buyer,
    Group,
    Instance,
    Offer,
    Policy,
    Result,
    SimilarityRule,
    Tier,
    Unassigned,
)

INSTANCE_KEYS = ("currency", "buyers", "offers", "policy")
BUYER_KEYS = ("id", "quantity", "max_unit_amount", "features", "eligible_offers")
OFFER_KEYS = ("id", "vendor", "tiers_mode", "tiers", "capacity")
TIER_KEYS = ("up_to", "unit_amount")
POLICY_KEYS = (
    "similarity",
    "min_group_size",
    "max_group_size",
    "individual_rationality",
    "time_limit_s",
    "mip_gap",
)
RULE_KINDS = ("max_ratio", "max_spread", "same")
STATUSES = ("optimal", "feasible", "infeasible", "error")


def is_int(value: object) -> bool:
    """Whether a JSON value is an integer (bool is not, although Python says so)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """Whether a JSON value is a finite number (not bool, not NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _show(value: object) -> str:
    text = json.dumps(value) if _jsonable(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def parse_json(source: object) -> object:
    """Decode a JSON string or bytes; a dict or list passes through. Raises InstanceError."""
    if isinstance(source, bytes | bytearray):
        try:
            source = bytes(source).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InstanceError([f"$: not valid JSON (not UTF-8 at byte {exc.start})"]) from None
    if isinstance(source, str):
        try:
            return json.loads(source, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise InstanceError(
                [f"$: not valid JSON (line {exc.lineno} column {exc.colno})"]
            ) from None
        except ValueError as exc:
            raise InstanceError([f"$: not valid JSON ({exc})"]) from None
    return source


def _reject_constant(name: str) -> object:
    # Python's json accepts NaN and Infinity; the format (and every other reader) does not.
    raise ValueError(f"{name} is not a JSON number")


class _Problems:
    """Collects messages `path: what is wrong`, every one of them."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")

    def unknown_keys(self, path: str, value: Mapping[str, Any], known: tuple[str, ...]) -> None:
        for key in value:
            if key not in known:
                self.add(f"{path}.{key}" if path != "$" else key, "unknown key")

    def unique_id(self, path: str, value: object, seen: set[str]) -> None:
        """`path` must be a non-empty string not already in `seen` (which it joins)."""
        if not isinstance(value, str) or not value:
            self.add(path, f"must be a non-empty string, got {_show(value)}")
        elif value in seen:
            self.add(path, f"duplicate id '{value}'")
        else:
            seen.add(value)

    def int_at_least(self, path: str, value: object, low: int) -> int | None:
        if is_int(value) and value >= low:  # type: ignore[operator]
            return value  # type: ignore[return-value]
        self.add(path, f"must be an integer >= {low}, got {_show(value)}")
        return None


def load_instance(source: object) -> Instance:
    """Parse and validate an instance from a dict, JSON string or bytes; raise InstanceError."""
    data = parse_json(source)
    problems = _Problems()
    if not isinstance(data, dict):
        raise InstanceError([f"$: must be a JSON object, got {type(data).__name__}"])
    problems.unknown_keys("$", data, INSTANCE_KEYS)
    currency = data.get("currency")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
        problems.add(
            "currency", f"must be a three-letter currency code such as 'usd', got {_show(currency)}"
        )
    offers = _offers(problems, data.get("offers"))
    policy, rules = _policy(problems, data.get("policy", {}))
    buyers = _buyers(problems, data.get("buyers"), _raw_ids(data.get("offers")))
    if isinstance(data.get("buyers"), list):
        _required_features(problems, data["buyers"], rules)
    if problems.items:
        raise InstanceError(problems.items)
    assert offers is not None and buyers is not None and policy is not None
    return Instance(currency=str(currency).lower(), buyers=buyers, offers=offers, policy=policy)


def _raw_ids(offers: object) -> set[str] | None:
    # Ids of the offers as written, so eligibility is checked even when an offer is invalid.
    if not isinstance(offers, list):
        return None
    return {raw["id"] for raw in offers if isinstance(raw, dict) and isinstance(raw.get("id"), str)}


def _buyers(
    problems: _Problems, value: object, offer_ids: set[str] | None
) -> tuple[Buyer, ...] | None:
    if not isinstance(value, list) or not value:
        problems.add("buyers", "must be a non-empty list")
        return None
    before = len(problems.items)
    buyers = []
    seen: set[str] = set()
    for index, raw in enumerate(value):
        path = f"buyers[{index}]"
        if not isinstance(raw, dict):
            problems.add(path, "must be an object")
            continue
        problems.unknown_keys(path, raw, BUYER_KEYS)
        buyer_id = raw.get("id")
        problems.unique_id(f"{path}.id", buyer_id, seen)
        quantity = problems.int_at_least(f"{path}.quantity", raw.get("quantity"), 1)
        ceiling = raw.get("max_unit_amount")
        if ceiling is not None:
            ceiling = problems.int_at_least(f"{path}.max_unit_amount", ceiling, 0)
        features = raw.get("features", {})
        if not isinstance(features, dict):
            problems.add(f"{path}.features", "must be an object of numbers or strings")
            features = {}
        for name, feature in features.items():
            if not isinstance(name, str) or not name:
                problems.add(f"{path}.features", "feature names must be non-empty strings")
            elif not (is_number(feature) or isinstance(feature, str)):
                problems.add(
                    f"{path}.features.{name}", f"must be a number or a string, got {_show(feature)}"
                )
        eligible = _eligible(
            problems, f"{path}.eligible_offers", raw.get("eligible_offers"), offer_ids
        )
        if len(problems.items) == before:
            buyers.append(
                Buyer(
                    id=str(buyer_id),
                    quantity=int(quantity or 0),
                    features=dict(features),
                    max_unit_amount=ceiling,
                    eligible_offers=eligible,
                )
            )
    return tuple(buyers) if len(problems.items) == before else None


def _eligible(
    problems: _Problems, path: str, value: object, offer_ids: set[str] | None
) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        problems.add(path, "must be a list of offer ids")
        return None
    seen: set[str] = set()
    for index, offer_id in enumerate(value):
        if not isinstance(offer_id, str):
            problems.add(f"{path}[{index}]", f"must be an offer id string, got {_show(offer_id)}")
        elif offer_ids is not None and offer_id not in offer_ids:
            problems.add(f"{path}[{index}]", f"unknown offer id '{offer_id}'")
        elif offer_id in seen:
            problems.add(f"{path}[{index}]", f"duplicate offer id '{offer_id}'")
        else:
            seen.add(offer_id)
    return tuple(value)


def _offers(problems: _Problems, value: object) -> tuple[Offer, ...] | None:
    if not isinstance(value, list) or not value:
        problems.add("offers", "must be a non-empty list")
        return None
    before = len(problems.items)
    offers = []
    seen: set[str] = set()
    for index, raw in enumerate(value):
        path = f"offers[{index}]"
        if not isinstance(raw, dict):
            problems.add(path, "must be an object")
            continue
        problems.unknown_keys(path, raw, OFFER_KEYS)
        offer_id = raw.get("id")
        problems.unique_id(f"{path}.id", offer_id, seen)
        vendor = raw.get("vendor")
        if not isinstance(vendor, str):
            problems.add(f"{path}.vendor", f"must be a string, got {_show(vendor)}")
        mode = raw.get("tiers_mode")
        if mode not in ("volume", "graduated"):
            problems.add(
                f"{path}.tiers_mode", f"must be 'volume' or 'graduated', got {_show(mode)}"
            )
        tiers = _tiers(problems, f"{path}.tiers", raw.get("tiers"))
        capacity = raw.get("capacity")
        if capacity is not None:
            capacity = problems.int_at_least(f"{path}.capacity", capacity, 1)
        if len(problems.items) == before and tiers is not None:
            offers.append(Offer(str(offer_id), str(vendor), mode, tiers, capacity))  # type: ignore[arg-type]
    return tuple(offers) if len(problems.items) == before else None


def _tiers(problems: _Problems, path: str, value: object) -> tuple[Tier, ...] | None:
    if not isinstance(value, list) or not value:
        problems.add(path, "must be a non-empty list")
        return None
    before = len(problems.items)
    tiers = []
    previous_up_to: int | None = 0
    previous_amount: int | None = None
    last = len(value) - 1
    for index, raw in enumerate(value):
        here = f"{path}[{index}]"
        if not isinstance(raw, dict):
            problems.add(here, "must be an object with up_to and unit_amount")
            previous_up_to = previous_amount = None
            continue
        problems.unknown_keys(here, raw, TIER_KEYS)
        if "up_to" not in raw:
            problems.add(f"{here}.up_to", "required (an integer, or null for the last tier)")
        up_to = raw.get("up_to")
        if up_to is None:
            if index != last:
                problems.add(f"{here}.up_to", "only the last tier may be null (unbounded)")
        elif not is_int(up_to) or up_to < 1:
            problems.add(f"{here}.up_to", f"must be an integer >= 1 or null, got {_show(up_to)}")
            up_to = None
        else:
            if index == last:
                problems.add(f"{here}.up_to", "the last tier must be null (unbounded)")
            if previous_up_to is not None and up_to <= previous_up_to:
                problems.add(f"{here}.up_to", f"must increase ({up_to} after {previous_up_to})")
        amount = problems.int_at_least(f"{here}.unit_amount", raw.get("unit_amount"), 0)
        if amount is not None and previous_amount is not None and amount > previous_amount:
            problems.add(
                f"{here}.unit_amount",
                f"must not be higher than the tier before ({amount} > {previous_amount})",
            )
        previous_up_to = up_to if up_to is not None else previous_up_to
        previous_amount = amount if amount is not None else previous_amount
        tiers.append(Tier(up_to, amount if amount is not None else 0))
    return tuple(tiers) if len(problems.items) == before else None


def _policy(
    problems: _Problems, value: object
) -> tuple[Policy | None, tuple[tuple[int, SimilarityRule], ...]]:
    """The policy (None if invalid) and the similarity rules that are valid."""
    if not isinstance(value, dict):
        problems.add("policy", "must be an object")
        return None, ()
    before = len(problems.items)
    problems.unknown_keys("policy", value, POLICY_KEYS)
    rules = _similarity(problems, value.get("similarity", []))
    low = problems.int_at_least("policy.min_group_size", value.get("min_group_size", 1), 1)
    high = value.get("max_group_size")
    if high is not None:
        high = problems.int_at_least("policy.max_group_size", high, low or 1)
    rationality = value.get("individual_rationality", True)
    if not isinstance(rationality, bool):
        problems.add(
            "policy.individual_rationality", f"must be true or false, got {_show(rationality)}"
        )
    time_limit = value.get("time_limit_s", 60)
    if not is_number(time_limit) or time_limit <= 0:
        problems.add("policy.time_limit_s", f"must be a number > 0, got {_show(time_limit)}")
    gap = value.get("mip_gap", 0.001)
    if not is_number(gap) or gap < 0:
        problems.add("policy.mip_gap", f"must be a number >= 0, got {_show(gap)}")
    if len(problems.items) != before:
        return None, rules
    similarity = tuple(rule for _, rule in rules)
    policy = Policy(similarity, int(low or 1), high, rationality, float(time_limit), float(gap))
    return policy, rules


def _similarity(problems: _Problems, value: object) -> tuple[tuple[int, SimilarityRule], ...]:
    """The valid rules with their positions; each invalid one adds a problem instead."""
    if not isinstance(value, list):
        problems.add("policy.similarity", "must be a list of rules")
        return ()
    rules = []
    for index, raw in enumerate(value):
        path = f"policy.similarity[{index}]"
        if not isinstance(raw, dict):
            problems.add(path, "must be an object")
            continue
        problems.unknown_keys(path, raw, ("feature", *RULE_KINDS))
        feature = raw.get("feature")
        if not isinstance(feature, str) or not feature:
            problems.add(f"{path}.feature", f"must be a non-empty string, got {_show(feature)}")
        kinds = [kind for kind in RULE_KINDS if kind in raw]
        if len(kinds) != 1:
            problems.add(path, "exactly one of max_ratio, max_spread, same")
            continue
        kind, bound = kinds[0], raw[kinds[0]]
        if kind == "max_ratio" and not (is_number(bound) and bound >= 1):
            problems.add(f"{path}.max_ratio", f"must be a number >= 1, got {_show(bound)}")
        elif kind == "max_spread" and not (is_number(bound) and bound >= 0):
            problems.add(f"{path}.max_spread", f"must be a number >= 0, got {_show(bound)}")
        elif kind == "same" and bound is not True:
            problems.add(f"{path}.same", f"must be true, got {_show(bound)}")
        else:
            rules.append(
                (
                    index,
                    SimilarityRule(
                        feature=str(feature),
                        max_ratio=float(bound) if kind == "max_ratio" else None,
                        max_spread=float(bound) if kind == "max_spread" else None,
                        same=kind == "same",
                    ),
                )
            )
    return tuple(rules)


def _required_features(
    problems: _Problems, raw_buyers: list[object], rules: tuple[tuple[int, SimilarityRule], ...]
) -> None:
    for index, raw in enumerate(raw_buyers):
        features = raw.get("features", {}) if isinstance(raw, dict) else {}
        if not isinstance(features, dict):
            continue
        for number, rule in rules:
            path = f"buyers[{index}].features.{rule.feature}"
            where = f"similarity rule policy.similarity[{number}]"
            need = {
                "max_ratio": "max_ratio needs a number > 0",
                "max_spread": "max_spread needs a number",
                "same": "same needs a string or a number",
            }[rule.kind]
            if rule.feature not in features:
                problems.add(path, f"required by {where} ({need})")
                continue
            value = features[rule.feature]
            fits = {
                "max_ratio": is_number(value) and value > 0,
                "max_spread": is_number(value),
                "same": is_number(value) or isinstance(value, str),
            }[rule.kind]
            if not fits:
                problems.add(path, f"got {_show(value)}; {where} ({need})")


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """The instance as JSON-ready data that `load_instance` reads back to an equal Instance."""
    return {
        "currency": instance.currency,
        "buyers": [_buyer_dict(buyer) for buyer in instance.buyers],
        "offers": [_offer_dict(offer) for offer in instance.offers],
        "policy": _policy_dict(instance.policy),
    }


def _buyer_dict(buyer: Buyer) -> dict[str, Any]:
    data: dict[str, Any] = {"id": buyer.id, "quantity": buyer.quantity}
    if buyer.max_unit_amount is not None:
        data["max_unit_amount"] = buyer.max_unit_amount
    data["features"] = dict(buyer.features)
    if buyer.eligible_offers is not None:
        data["eligible_offers"] = list(buyer.eligible_offers)
    return data


def _offer_dict(offer: Offer) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": offer.id,
        "vendor": offer.vendor,
        "tiers_mode": offer.tiers_mode,
        "tiers": [{"up_to": tier.up_to, "unit_amount": tier.unit_amount} for tier in offer.tiers],
    }
    if offer.capacity is not None:
        data["capacity"] = offer.capacity
    return data


def _policy_dict(policy: Policy) -> dict[str, Any]:
    rules = []
    for rule in policy.similarity:
        bound: object = {"max_ratio": rule.max_ratio, "max_spread": rule.max_spread, "same": True}
        rules.append({"feature": rule.feature, rule.kind: bound[rule.kind]})  # type: ignore[index]
    return {
        "similarity": rules,
        "min_group_size": policy.min_group_size,
        "max_group_size": policy.max_group_size,
        "individual_rationality": policy.individual_rationality,
        "time_limit_s": policy.time_limit_s,
        "mip_gap": policy.mip_gap,
    }


def dumps(obj: object) -> str:
    """Stable JSON text (indent 1, keys in the documented order) of an Instance, Result or dict."""
    if isinstance(obj, Instance):
        obj = instance_to_dict(obj)
    elif isinstance(obj, Result):
        obj = result_to_dict(obj)
    return json.dumps(obj, indent=1, ensure_ascii=False, allow_nan=False)


def result_to_dict(result: Result) -> dict[str, Any]:
    """The result in ALLOCATION.md's result JSON, keys in the documented order."""
    data: dict[str, Any] = {
        "status": result.status,
        "served_quantity": result.served_quantity,
        "total_amount": result.total_amount,
        "bound": result.bound,
        "gap": result.gap,
        "served_bound": result.served_bound,
        "groups": [
            {
                "id": group.id,
                "offer": group.offer,
                "members": list(group.members),
                "quantity": group.quantity,
                "total_amount": group.total_amount,
            }
            for group in result.groups
        ],
        "assignments": [
            {
                "buyer": a.buyer,
                "group": a.group,
                "offer": a.offer,
                "quantity": a.quantity,
                "amount": a.amount,
                "standalone_amount": a.standalone_amount,
            }
            for a in result.assignments
        ],
        "unassigned": [{"buyer": u.buyer, "reason": u.reason} for u in result.unassigned],
        "stats": dict(result.stats),
    }
    if result.status == "error":
        data["message"] = result.message or ""
    return data


RESULT_KEYS = (
    "status", "served_quantity", "total_amount", "bound", "gap", "served_bound",
    "groups", "assignments", "unassigned", "stats", "message",
)  # fmt: skip
GROUP_FIELDS = {
    "id": "str",
    "offer": "str",
    "members": "ids",
    "quantity": "int",
    "total_amount": "int",
}
ASSIGNMENT_FIELDS = {
    "buyer": "str", "group": "str", "offer": "str",
    "quantity": "int", "amount": "int", "standalone_amount": "int",
}  # fmt: skip
UNASSIGNED_FIELDS = {"buyer": "str", "reason": "str"}


def load_result(source: object) -> Result:
    """Parse a result from a dict, JSON string or bytes; raise ResultFormatError."""
    try:
        data = parse_json(source)
    except InstanceError as exc:
        raise ResultFormatError(exc.problems) from None
    return result_from_dict(data)


def result_from_dict(data: object) -> Result:
    """Rebuild a Result from its JSON form, checking its shape; raise ResultFormatError."""
    problems = _Problems()
    if not isinstance(data, dict):
        raise ResultFormatError([f"$: must be a JSON object, got {type(data).__name__}"])
    problems.unknown_keys("$", data, RESULT_KEYS)
    status = data.get("status")
    if status not in STATUSES:
        problems.add("status", f"must be one of {', '.join(STATUSES)}, got {_show(status)}")
    served = problems.int_at_least("served_quantity", data.get("served_quantity"), 0)
    total = problems.int_at_least("total_amount", data.get("total_amount"), 0)
    bound = data.get("bound")
    if bound is not None and not is_int(bound):
        problems.add("bound", f"must be an integer or null, got {_show(bound)}")
    gap = data.get("gap")
    if gap is not None and not is_number(gap):
        problems.add("gap", f"must be a number or null, got {_show(gap)}")
    served_bound = data.get("served_bound")
    if served_bound is not None and not (is_int(served_bound) and served_bound >= 0):
        problems.add("served_bound", f"must be an integer >= 0 or null, got {_show(served_bound)}")
    groups = _records(problems, "groups", data.get("groups"), GROUP_FIELDS)
    assignments = _records(problems, "assignments", data.get("assignments"), ASSIGNMENT_FIELDS)
    unassigned = _records(problems, "unassigned", data.get("unassigned"), UNASSIGNED_FIELDS)
    stats = data.get("stats", {})
    if not isinstance(stats, dict):
        problems.add("stats", "must be an object")
    message = data.get("message")
    if message is not None and not isinstance(message, str):
        problems.add("message", f"must be a string, got {_show(message)}")
    if problems.items:
        raise ResultFormatError(problems.items)
    return Result(
        status=status,  # type: ignore[arg-type]
        served_quantity=int(served or 0),
        total_amount=int(total or 0),
        bound=bound,
        gap=None if gap is None else float(gap),
        served_bound=served_bound,
        groups=tuple(
            Group(g["id"], g["offer"], tuple(g["members"]), g["quantity"], g["total_amount"])
            for g in groups
        ),
        assignments=tuple(Assignment(**a) for a in assignments),
        unassigned=tuple(Unassigned(**u) for u in unassigned),
        stats=dict(stats),
        message=message,
    )


def _records(
    problems: _Problems, path: str, value: object, fields: dict[str, str]
) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        problems.add(path, "must be a list")
        return []
    records = []
    for index, raw in enumerate(value):
        here = f"{path}[{index}]"
        if not isinstance(raw, dict):
            problems.add(here, "must be an object")
            continue
        problems.unknown_keys(here, raw, tuple(fields))
        for name, kind in fields.items():
            item = raw.get(name)
            if kind == "str" and not isinstance(item, str):
                problems.add(f"{here}.{name}", f"must be a string, got {_show(item)}")
            elif kind == "int" and not is_int(item):
                problems.add(f"{here}.{name}", f"must be an integer, got {_show(item)}")
            elif kind == "ids" and not (
                isinstance(item, list) and all(isinstance(m, str) for m in item)
            ):
                problems.add(f"{here}.{name}", "must be a list of buyer id strings")
        records.append({name: raw.get(name) for name in fields})
    return records


def dump_result(result: Result) -> str:
    """The result as stable JSON text (the name pricing.types refers to)."""
    return dumps(result_to_dict(result))
