"""One format for times, dates, counts, group names and reasons, on pages and in mail."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from consortium.filters import (
    daterange,
    group_name,
    localdate,
    localtime,
    plain_reason,
    plural,
    quantity,
    timetag,
)

CHICAGO = "America/Chicago"


@pytest.mark.parametrize(
    ("at", "shown"),
    [
        # Spring forward (Mar 8, 2026, 2:00 AM local): the zone's name changes with it.
        (datetime(2026, 3, 8, 7, 59, tzinfo=UTC), "Mar 8, 2026, 1:59 AM CST"),
        (datetime(2026, 3, 8, 8, 0, tzinfo=UTC), "Mar 8, 2026, 3:00 AM CDT"),
        # Fall back (Nov 1, 2026): 1:30 AM happens twice, told apart by the zone.
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "Nov 1, 2026, 1:30 AM CDT"),
        (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), "Nov 1, 2026, 1:30 AM CST"),
        (datetime(2026, 12, 20, 21, 0, tzinfo=UTC), "Dec 20, 2026, 3:00 PM CST"),
    ],
)
def test_localtime_is_one_format_in_the_consortiums_zone_across_dst(app, at, shown):
    assert localtime(at, CHICAGO) == shown


def test_localtime_defaults_to_the_timezone_setting_and_survives_an_unknown_zone(app):
    at = datetime(2026, 7, 1, 17, 30, tzinfo=UTC)
    assert localtime(at) == "Jul 1, 2026, 12:30 PM CDT"
    assert localtime(at, "Nowhere/Special") == "Jul 1, 2026, 5:30 PM UTC"
    assert localtime(None) == "—"


def test_dates_are_the_day_in_the_consortiums_zone(app):
    # 3 AM UTC on Dec 21 is still the evening of Dec 20 in Chicago.
    assert localdate(datetime(2026, 12, 21, 3, 0, tzinfo=UTC), CHICAGO) == "Dec 20, 2026"
    assert localdate(date(2029, 11, 5)) == "Nov 5, 2029"
    assert daterange(date(2026, 11, 5), date(2029, 11, 5)) == "Nov 5, 2026 to Nov 5, 2029"
    assert localdate(None) == "—"


def test_timetag_keeps_the_exact_instant_for_machines(app):
    at = datetime(2026, 11, 29, 20, 45, 40, tzinfo=UTC)
    tag = str(timetag(at, CHICAGO))
    assert tag == '<time datetime="2026-11-29T20:45:40+00:00">Nov 29, 2026, 2:45 PM CST</time>'


@pytest.mark.parametrize(
    ("count", "unit", "shown"),
    [
        (63_665, "seat per year", "63,665 seats per year"),
        (1, "seat per year", "1 seat per year"),
        (2, "student license", "2 student licenses"),
        (3, "copy", "3 copies"),
        (4, "class", "4 classes"),
        (5, "day", "5 days"),
        (0, "district", "0 districts"),
    ],
)
def test_counts_read_as_english(count, unit, shown):
    assert quantity(count, unit) == shown


def test_plural_of_a_range_is_plural():
    assert plural("seat per year") == "seats per year"
    assert plural("seat per year", 1) == "seat per year"


def test_groups_have_one_name():
    group = SimpleNamespace(label="g11", vendor=SimpleNamespace(name="Acme LMS"), tier_index=1)
    assert group_name(group) == "Group 11 · Acme LMS, tier 2"
    assert group_name(group, tier=False) == "Group 11 · Acme LMS"
    other = SimpleNamespace(label="north", vendor_name="Acme LMS", tier_index=0)
    assert group_name(other) == "Group north · Acme LMS, tier 1"


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("max_unit_amount: no bid within $9.00 per seat", "Price ceiling: no bid within $9.00 per seat"),
        ("eligibility: none of the bids may serve this district",
         "Eligibility: none of the bids may serve this district"),
        ("price ceiling and no dearer than alone: no bid can price it",
         "Price ceiling and no dearer than alone: no bid can price it"),
        ("min_group_size: fewer than 3", "Group size: fewer than 3"),
        ("no signed DPA for WI", "No signed DPA for WI"),
        (None, "No reason recorded."),
    ],
)
def test_reasons_never_start_with_a_code(reason, shown):
    assert plain_reason(reason) == shown
