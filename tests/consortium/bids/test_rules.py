"""Pure rules of the bids domain: eligibility, schedule checks, content hashes, price tables."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from consortium.bids.eligibility import eligibility_problems
from consortium.bids.models import content_hash
from consortium.bids.schedules import (
    Schedule,
    price_table,
    schedule_preview,
    schedule_problems,
)
from pricing.types import Tier

FULL = SimpleNamespace(
    dpa_states=["IL", "NY"],
    certifications=["OneRoster 1.2", "LTI 1.3"],
    accessibility="WCAG 2.1 AA",
)
BARE = SimpleNamespace(dpa_states=[], certifications=[], accessibility="none")
OLD_WCAG = SimpleNamespace(
    dpa_states=["IL"], certifications=["OneRoster 1.2"], accessibility="WCAG 2.0 AA"
)


@pytest.mark.parametrize(
    ("requirements", "declarations", "state", "eligible"),
    [
        ({}, BARE, "IL", True),
        (None, None, None, True),
        ({"dpa_required": True}, FULL, "IL", True),
        ({"dpa_required": True}, FULL, "il", True),
        ({"dpa_required": True}, FULL, "TX", False),
        ({"dpa_required": True}, BARE, "IL", False),
        ({"dpa_required": True}, None, "IL", False),
        ({"dpa_required": True}, FULL, None, False),
        ({"dpa_required": False}, BARE, "TX", True),
        ({"certifications": ["OneRoster 1.2"]}, FULL, "TX", True),
        ({"certifications": ["OneRoster 1.2", "LTI 1.3"]}, FULL, "TX", True),
        ({"certifications": ["OneRoster 1.2", "LTI 1.3"]}, OLD_WCAG, "IL", False),
        ({"certifications": ["QTI 3.0"]}, FULL, "IL", False),
        ({"accessibility": "WCAG 2.1 AA"}, FULL, "IL", True),
        ({"accessibility": "WCAG 2.0 AA"}, FULL, "IL", True),
        ({"accessibility": "WCAG 2.1 AA"}, OLD_WCAG, "IL", False),
        ({"accessibility": "WCAG 2.0 AA"}, OLD_WCAG, "IL", True),
        ({"accessibility": "WCAG 2.0 AA"}, BARE, "IL", False),
        ({"accessibility": "none"}, BARE, "IL", True),
        (
            {
                "dpa_required": True,
                "certifications": ["OneRoster 1.2"],
                "accessibility": "WCAG 2.0 AA",
            },
            OLD_WCAG,
            "IL",
            True,
        ),
        (
            {
                "dpa_required": True,
                "certifications": ["OneRoster 1.2"],
                "accessibility": "WCAG 2.0 AA",
            },
            OLD_WCAG,
            "NY",
            False,
        ),
    ],
)
def test_eligibility_table(requirements, declarations, state, eligible):
    problems = eligibility_problems(requirements, declarations, state)
    assert (not problems) is eligible, problems


def test_eligibility_names_every_missing_requirement():
    problems = eligibility_problems(
        {"dpa_required": True, "certifications": ["LTI 1.3"], "accessibility": "WCAG 2.1 AA"},
        BARE,
        "TX",
    )
    assert problems == [
        "no signed DPA for TX",
        "missing certification: LTI 1.3",
        "accessibility none is below WCAG 2.1 AA",
    ]


def _schedule(*tiers, mode="volume", capacity=None):
    return Schedule(mode, tuple(Tier(u, a) for u, a in tiers), capacity)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (_schedule((999, 1200), (None, 900)), []),
        (_schedule((None, 900), mode="graduated"), []),
        (_schedule(), [("tiers-0-unit_price", "enter at least one tier")]),
        (
            _schedule((999, 1200), (500, 900), (None, 800)),
            [("tiers-1-up_to", "must be more than tier 1's")],
        ),
        (
            _schedule((999, 1200), (1999, 1300), (None, 800)),
            [("tiers-1-unit_price", "must not be higher than tier 1's")],
        ),
        (
            _schedule((999, 1200), (1999, 900)),
            [("tiers-1-up_to", "the last tier is unbounded: leave it empty")],
        ),
        (
            _schedule((None, 1200), (None, 900)),
            [("tiers-0-up_to", "required on every tier but the last")],
        ),
        (_schedule((None, 900), mode="flat"), [("tiers_mode", "must be volume or graduated")]),
        (
            _schedule((None, 900), capacity=0),
            [("capacity", "must be at least 1 (or empty for no limit)")],
        ),
    ],
)
def test_schedule_problems_name_the_field(schedule, expected):
    assert schedule_problems(schedule) == expected


def test_content_hash_is_canonical():
    a = content_hash({"b": 1, "a": [1, {"y": None, "x": 2}]})
    b = content_hash({"a": [1, {"x": 2, "y": None}], "b": 1})
    assert a == b and len(a) == 64
    assert content_hash({"a": 1}) != content_hash({"a": 2})


def test_price_table_uses_the_schedule_semantics():
    volume = _schedule((100, 1000), (None, 800)).as_offer()
    graduated = _schedule((100, 1000), (None, 800), mode="graduated").as_offer()
    assert price_table(volume, [100, 101]) == [
        {"quantity": 100, "total": 100_000, "average": 1000},
        {"quantity": 101, "total": 80_800, "average": 800},
    ]
    assert price_table(graduated, [101]) == [{"quantity": 101, "total": 100_800, "average": 998}]
    preview = schedule_preview(volume, 150)
    assert preview["chart"].rows == (("1–100", "$10.00", ""), ("101 and more", "$8.00", "yes"))
    assert {"quantity": 150, "total": 120_000, "average": 800} in preview["costs"]
