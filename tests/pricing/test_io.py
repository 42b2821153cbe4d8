"""Instance validation names every bad field; instances and results round-trip through JSON."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.errors import InstanceError, PricingError, ResultFormatError
from pricing.io import (
    dumps,
    instance_to_dict,
    load_instance,
    load_result,
    result_from_dict,
    result_to_dict,
)
from pricing.types import Assignment, Group, Policy, Result, Unassigned
from tests.pricing.paths import EXAMPLES_DIR

EXAMPLES = sorted(
    p for p in EXAMPLES_DIR.glob("*.json") if not p.name.endswith(".expected.json")
)


def valid() -> dict[str, Any]:
    """A small instance that obeys every field rule."""
    return {
        "currency": "usd",
        "buyers": [
            {"id": "4800001", "quantity": 1200, "max_unit_amount": 900,
             "features": {"enrollment": 1200, "mbps_per_student": 1.5, "locale": "rural"},
             "eligible_offers": ["acme"]},
            {"id": "4800002", "quantity": 300,
             "features": {"enrollment": 700, "mbps_per_student": 0.4, "locale": "rural"}},
        ],
        "offers": [
            {"id": "acme", "vendor": "Acme Learning", "tiers_mode": "volume",
             "tiers": [{"up_to": 999, "unit_amount": 1200}, {"up_to": 9999, "unit_amount": 950},
                       {"up_to": None, "unit_amount": 800}],
             "capacity": 50000},
            {"id": "bright", "vendor": "Brightpath", "tiers_mode": "graduated",
             "tiers": [{"up_to": None, "unit_amount": 1000}]},
        ],
        "policy": {"similarity": [{"feature": "enrollment", "max_ratio": 4.0},
                                  {"feature": "mbps_per_student", "max_spread": 1.0},
                                  {"feature": "locale", "same": True}]},
    }  # fmt: skip


def problems_of(data: object) -> list[str]:
    with pytest.raises(InstanceError) as caught:
        load_instance(data)
    return caught.value.problems


def test_valid_instance_loads_with_documented_defaults() -> None:
    instance = load_instance(valid())
    assert [b.id for b in instance.buyers] == ["4800001", "4800002"]
    assert instance.buyers[0].eligible_offers == ("acme",)
    assert instance.buyers[1].eligible_offers is None and instance.buyers[1].max_unit_amount is None
    assert instance.offers[1].capacity is None
    policy = instance.policy
    assert (policy.min_group_size, policy.max_group_size, policy.time_limit_s) == (1, None, 60.0)
    assert policy.individual_rationality is True and policy.mip_gap == 0.001
    assert [rule.kind for rule in policy.similarity] == ["max_ratio", "max_spread", "same"]


def test_policy_may_be_absent() -> None:
    data = valid()
    del data["policy"]
    for buyer in data["buyers"]:
        del buyer["features"]
    assert load_instance(data).policy == Policy()


def test_json_text_and_bytes_load_like_dicts() -> None:
    text = json.dumps(valid())
    assert load_instance(text) == load_instance(text.encode()) == load_instance(valid())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip(path: Path) -> None:
    instance = load_instance(path.read_bytes())
    assert load_instance(instance_to_dict(instance)) == instance
    assert load_instance(dumps(instance)) == instance


def mutate(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(valid())
    change(data)
    return data


CASES: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("negative quantity", lambda d: d["buyers"][1].update(quantity=-5),
     "buyers[1].quantity: must be an integer >= 1"),
    ("zero quantity", lambda d: d["buyers"][0].update(quantity=0),
     "buyers[0].quantity: must be an integer >= 1"),
    ("bool as int", lambda d: d["buyers"][1].update(quantity=True),
     "buyers[1].quantity: must be an integer >= 1, got true"),
    ("float quantity", lambda d: d["buyers"][0].update(quantity=12.5),
     "buyers[0].quantity: must be an integer >= 1"),
    ("string quantity", lambda d: d["buyers"][0].update(quantity="12"),
     "buyers[0].quantity: must be an integer >= 1"),
    ("missing quantity", lambda d: d["buyers"][0].pop("quantity"),
     "buyers[0].quantity: must be an integer >= 1, got null"),
    ("negative ceiling", lambda d: d["buyers"][0].update(max_unit_amount=-1),
     "buyers[0].max_unit_amount: must be an integer >= 0"),
    ("bool ceiling", lambda d: d["buyers"][0].update(max_unit_amount=False),
     "buyers[0].max_unit_amount: must be an integer >= 0"),
    ("id not a string", lambda d: d["buyers"][0].update(id=4800001),
     "buyers[0].id: must be a non-empty string"),
    ("duplicate buyer id", lambda d: d["buyers"][1].update(id="4800001"),
     "buyers[1].id: duplicate id '4800001'"),
    ("duplicate offer id", lambda d: d["offers"][1].update(id="acme"),
     "offers[1].id: duplicate id 'acme'"),
    ("unknown offer id", lambda d: d["buyers"][0].update(eligible_offers=["acme", "zz"]),
     "buyers[0].eligible_offers[1]: unknown offer id 'zz'"),
    ("eligible not a list", lambda d: d["buyers"][0].update(eligible_offers="acme"),
     "buyers[0].eligible_offers: must be a list of offer ids"),
    ("features not an object", lambda d: d["buyers"][0].update(features=[1]),
     "buyers[0].features: must be an object"),
    ("feature of a bad type", lambda d: d["buyers"][0]["features"].update(extra=[1]),
     "buyers[0].features.extra: must be a number or a string"),
    ("missing feature for a rule", lambda d: d["buyers"][1]["features"].pop("enrollment"),
     "buyers[1].features.enrollment: required by similarity rule policy.similarity[0] "
     "(max_ratio needs a number > 0)"),
    ("zero for a ratio", lambda d: d["buyers"][1]["features"].update(enrollment=0),
     "buyers[1].features.enrollment: got 0; similarity rule policy.similarity[0]"),
    ("string for a spread", lambda d: d["buyers"][1]["features"].update(mbps_per_student="1"),
     "buyers[1].features.mbps_per_student: got \"1\"; similarity rule policy.similarity[1]"),
    ("unsorted tiers", lambda d: d["offers"][0]["tiers"].__setitem__(1, {"up_to": 500, "unit_amount": 950}),
     "offers[0].tiers[1].up_to: must increase (500 after 999)"),
    ("equal up_to", lambda d: d["offers"][0]["tiers"][1].update(up_to=999),
     "offers[0].tiers[1].up_to: must increase"),
    ("rising unit price", lambda d: d["offers"][0]["tiers"][2].update(unit_amount=951),
     "offers[0].tiers[2].unit_amount: must not be higher than the tier before (951 > 950)"),
    ("negative unit price", lambda d: d["offers"][0]["tiers"][2].update(unit_amount=-1),
     "offers[0].tiers[2].unit_amount: must be an integer >= 0"),
    ("null not last", lambda d: d["offers"][0]["tiers"][0].update(up_to=None),
     "offers[0].tiers[0].up_to: only the last tier may be null"),
    ("last not null", lambda d: d["offers"][0]["tiers"][2].update(up_to=99999),
     "offers[0].tiers[2].up_to: the last tier must be null"),
    ("empty tiers", lambda d: d["offers"][0].update(tiers=[]),
     "offers[0].tiers: must be a non-empty list"),
    ("bad tiers_mode", lambda d: d["offers"][0].update(tiers_mode="tiered"),
     "offers[0].tiers_mode: must be 'volume' or 'graduated'"),
    ("zero capacity", lambda d: d["offers"][0].update(capacity=0),
     "offers[0].capacity: must be an integer >= 1"),
    ("vendor missing", lambda d: d["offers"][0].pop("vendor"),
     "offers[0].vendor: must be a string"),
    ("empty buyers", lambda d: d.update(buyers=[]), "buyers: must be a non-empty list"),
    ("buyers not a list", lambda d: d.update(buyers={}), "buyers: must be a non-empty list"),
    ("empty offers", lambda d: d.update(offers=[]), "offers: must be a non-empty list"),
    ("bad currency", lambda d: d.update(currency=840), "currency: must be a three-letter"),
    ("unknown top-level key", lambda d: d.update(polcy={}), "polcy: unknown key"),
    ("unknown buyer key", lambda d: d["buyers"][0].update(qty=3), "buyers[0].qty: unknown key"),
    ("two rule kinds", lambda d: d["policy"]["similarity"][1].update(same=True),
     "policy.similarity[1]: exactly one of max_ratio, max_spread, same"),
    ("no rule kind", lambda d: d["policy"]["similarity"].append({"feature": "x"}),
     "policy.similarity[3]: exactly one of max_ratio, max_spread, same"),
    ("ratio below one", lambda d: d["policy"]["similarity"][0].update(max_ratio=0.5),
     "policy.similarity[0].max_ratio: must be a number >= 1"),
    ("negative spread", lambda d: d["policy"]["similarity"][1].update(max_spread=-1),
     "policy.similarity[1].max_spread: must be a number >= 0"),
    ("same false", lambda d: d["policy"]["similarity"][2].update(same=False),
     "policy.similarity[2].same: must be true"),
    ("min group zero", lambda d: d["policy"].update(min_group_size=0),
     "policy.min_group_size: must be an integer >= 1"),
    ("max below min", lambda d: d["policy"].update(min_group_size=3, max_group_size=2),
     "policy.max_group_size: must be an integer >= 3"),
    ("time limit zero", lambda d: d["policy"].update(time_limit_s=0),
     "policy.time_limit_s: must be a number > 0"),
    ("negative gap", lambda d: d["policy"].update(mip_gap=-0.1), "policy.mip_gap: must be a number >= 0"),
    ("rationality not bool", lambda d: d["policy"].update(individual_rationality=1),
     "policy.individual_rationality: must be true or false"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_instance_names_the_field(
    change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    problems = problems_of(mutate(change))
    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    def break_everything(d: dict[str, Any]) -> None:
        d["buyers"][0]["quantity"] = -1
        d["buyers"][1]["id"] = "4800001"
        d["offers"][0]["tiers"][2]["unit_amount"] = 5000
        d["policy"]["mip_gap"] = "small"

    problems = problems_of(mutate(break_everything))
    assert len(problems) == 4
    assert isinstance(InstanceError(problems), PricingError)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('{\n "currency": "usd",\n "buyers": [,\n', "$: not valid JSON (line 3 column 13)"),
        (b"\xff\xfe", "$: not valid JSON (not UTF-8 at byte 0)"),
        ('{"currency": NaN}', "$: not valid JSON"),
        ("[1, 2]", "$: must be a JSON object, got list"),
        ("", "$: not valid JSON (line 1 column 1)"),
    ],
)
def test_non_json(source: str | bytes, expected: str) -> None:
    assert problems_of(source)[0].startswith(expected)


def a_result(status: str = "optimal", message: str | None = None) -> Result:
    return Result(
        status=status,  # type: ignore[arg-type]
        served_quantity=1200,
        total_amount=1140000,
        bound=1140000,
        gap=0.0,
        groups=(Group("g1", "acme", ("4800001",), 1200, 1140000),),
        assignments=(Assignment("4800001", "g1", "acme", 1200, 1140000, 1140000),),
        unassigned=(Unassigned("4800002", "no eligible offer within max_unit_amount"),),
        stats={"solver": "cbc", "build_s": 0.01, "solve_s": 0.02},
        message=message,
    )


def test_result_to_dict_uses_the_documented_key_order() -> None:
    data = result_to_dict(a_result())
    assert list(data) == [
        "status", "served_quantity", "total_amount", "bound", "gap", "served_bound",
        "groups", "assignments", "unassigned", "stats",
    ]  # fmt: skip
    assert list(data["groups"][0]) == ["id", "offer", "members", "quantity", "total_amount"]
    assert list(data["assignments"][0]) == [
        "buyer", "group", "offer", "quantity", "amount", "standalone_amount",
    ]  # fmt: skip
    assert list(data["unassigned"][0]) == ["buyer", "reason"]


def test_message_only_when_status_is_error() -> None:
    assert "message" not in result_to_dict(a_result(message="ignored"))
    error = Result("error", 0, 0, None, None, message="solver crashed")
    assert result_to_dict(error)["message"] == "solver crashed"


@pytest.mark.parametrize("result", [a_result(), Result("error", 0, 0, None, None, message="x")])
def test_result_round_trips(result: Result) -> None:
    assert result_from_dict(result_to_dict(result)) == result
    assert load_result(dumps(result)) == result


def test_dumps_is_stable_with_indent_one() -> None:
    text = dumps(a_result())
    assert text == dumps(a_result())
    assert text.startswith('{\n "status": "optimal",\n "served_quantity": 1200,')


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(status="done"), "status: must be one of"),
        (lambda d: d.update(total_amount=1.5), "total_amount: must be an integer >= 0"),
        (lambda d: d.update(bound="x"), "bound: must be an integer or null"),
        (lambda d: d.update(groups={}), "groups: must be a list"),
        (lambda d: d["groups"][0].update(members="4800001"), "groups[0].members: must be a list"),
        (lambda d: d["assignments"][0].pop("amount"), "assignments[0].amount: must be an integer"),
        (
            lambda d: d["unassigned"][0].update(reason=None),
            "unassigned[0].reason: must be a string",
        ),
        (lambda d: d.update(extra=1), "extra: unknown key"),
    ],
)
def test_malformed_result_names_the_field(
    change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    data = result_to_dict(a_result())
    change(data)
    with pytest.raises(ResultFormatError) as caught:
        result_from_dict(data)
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems


def test_load_result_reports_non_json() -> None:
    with pytest.raises(ResultFormatError) as caught:
        load_result("{")
    assert caught.value.problems[0].startswith("$: not valid JSON")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)  # fmt: skip


def leaf_paths(value: object, path: tuple = ()) -> list[tuple]:
    """Every path to a value inside nested dicts and lists."""
    paths = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += leaf_paths(item, (*path, index))
    return paths


@settings(max_examples=150, deadline=None)
@given(JSON_VALUES)
def test_arbitrary_json_never_crashes(value: object) -> None:
    try:
        load_instance(value)
    except InstanceError as exc:
        assert exc.problems and all(": " in p for p in exc.problems)
    try:
        result_from_dict(value)
    except ResultFormatError as exc:
        assert exc.problems


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_field_replaced_by_any_json_is_reported_not_crashed(data: st.DataObject) -> None:
    instance = valid()
    path = data.draw(st.sampled_from(leaf_paths(instance)[1:]))
    parent = instance
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = data.draw(JSON_VALUES)
    try:
        load_instance(instance)
    except InstanceError as exc:
        assert exc.problems


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_result_field_replaced_is_reported_not_crashed(data: st.DataObject) -> None:
    document = result_to_dict(a_result())
    path = data.draw(st.sampled_from(leaf_paths(document)[1:]))
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = data.draw(JSON_VALUES)
    try:
        result_from_dict(document)
    except ResultFormatError as exc:
        assert exc.problems
