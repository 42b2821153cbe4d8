"""The solicitation state machine as a table: stored status x deadlines x clock -> phase, transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from consortium.procurement.models import (
    OPT_IN_MOVES,
    PHASES,
    TRANSITIONS,
    SolicitationStatus,
    accepts_opt_ins,
    allowed_transitions,
    opt_in_move,
    phase,
)

OPT_IN = datetime(2026, 4, 1, 17, 0, tzinfo=UTC)
BID = datetime(2026, 4, 15, 17, 0, tzinfo=UTC)
BEFORE = OPT_IN - timedelta(days=1)
AT_OPT_IN = OPT_IN  # the deadline instant itself is already closed
BETWEEN = OPT_IN + timedelta(days=1)
AT_BID = BID
AFTER = BID + timedelta(days=1)


def sol(status: str, opt_in: datetime = OPT_IN, bid: datetime = BID) -> SimpleNamespace:
    return SimpleNamespace(status=status, opt_in_deadline=opt_in, bid_deadline=bid)


S = SolicitationStatus


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        ("draft", BEFORE, "draft"),
        ("draft", AFTER, "draft"),
        ("open", BEFORE, "open"),
        ("open", OPT_IN - timedelta(microseconds=1), "open"),
        ("open", AT_OPT_IN, "opt-ins closed"),
        ("open", BETWEEN, "opt-ins closed"),
        ("open", AT_BID, "bids closed"),
        ("open", AFTER, "bids closed"),
        ("closed", AFTER, "bids closed"),
        ("bids_opened", AFTER, "bids opened"),
        ("awarded", AFTER, "awarded"),
        ("cancelled", BEFORE, "cancelled"),
        ("cancelled", AFTER, "cancelled"),
    ],
)
def test_phase(status, now, expected):
    assert phase(sol(status), now) == expected
    assert expected in PHASES
    assert accepts_opt_ins(sol(status), now) == (expected == "open")


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        # Publishing needs both deadlines ahead (and in order).
        ("draft", BEFORE, {S.open, S.cancelled}),
        ("draft", BETWEEN, {S.cancelled}),
        ("draft", AFTER, {S.cancelled}),
        # Bids stay sealed until the bid deadline: no closing or opening before it.
        ("open", BEFORE, {S.cancelled}),
        ("open", BETWEEN, {S.cancelled}),
        ("open", AT_BID, {S.closed, S.bids_opened, S.cancelled}),
        ("open", AFTER, {S.closed, S.bids_opened, S.cancelled}),
        ("closed", AFTER, {S.bids_opened}),
        ("bids_opened", AFTER, {S.awarded}),
        ("awarded", AFTER, set()),
        ("cancelled", BEFORE, set()),
    ],
)
def test_allowed_transitions(status, now, expected):
    assert allowed_transitions(sol(status), now) == expected


def test_draft_with_deadlines_out_of_order_cannot_open():
    assert S.open not in allowed_transitions(sol("draft", opt_in=BID, bid=OPT_IN), BEFORE)


def test_every_status_has_a_row_and_terminal_states_are_final():
    assert set(TRANSITIONS) == set(SolicitationStatus)
    assert TRANSITIONS[S.awarded] == frozenset()
    assert TRANSITIONS[S.cancelled] == frozenset()
    # Nothing ever returns to draft, and a cancelled or awarded one is never reopened.
    assert all(S.draft not in targets for targets in TRANSITIONS.values())


@pytest.mark.parametrize(
    ("current", "target", "action"),
    [
        (None, "live", "opt_in.created"),
        ("live", "live", "opt_in.changed"),
        ("live", "withdrawn", "opt_in.withdrawn"),
        ("withdrawn", "live", "opt_in.rejoined"),
        (None, "withdrawn", None),  # nothing to withdraw
        ("withdrawn", "withdrawn", None),
    ],
)
def test_opt_in_moves(current, target, action):
    if action is None:
        with pytest.raises(ValueError, match="cannot go from"):
            opt_in_move(current, target)
    else:
        assert opt_in_move(current, target) == action
    assert len(OPT_IN_MOVES) == 4
