"""The shared helpers every domain relies on: filters, the aware datetime type, the clock."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from consortium import clock as server_clock
from consortium.accounts.models import Organisation
from consortium.db import utcnow
from consortium.extensions import db
from consortium.filters import countdown, duration, localtime, money, number, pct


@pytest.mark.parametrize(
    ("cents", "text"),
    [(123456, "$1,234.56"), (5, "$0.05"), (0, "$0.00"), (-250, "-$2.50"), (None, "—")],
)
def test_money(cents, text):
    assert money(cents) == text


def test_money_other_currencies():
    assert money(100000, "CAD") == "CA$1,000.00"


def test_pct_and_number():
    assert pct(0.125) == "12.5%"
    assert pct(0.4, 0) == "40%"
    assert pct(None) == "—"
    assert number(1234567) == "1,234,567"
    assert number(2.5, 1) == "2.5"


def test_localtime_uses_the_given_zone_or_the_setting(app):
    at = datetime(2026, 7, 1, 17, 30, tzinfo=UTC)
    assert localtime(at, "America/New_York") == "Jul 1, 2026, 1:30 PM EDT"
    assert localtime(at) == "Jul 1, 2026, 12:30 PM CDT"  # TIMEZONE default America/Chicago
    assert localtime(at, "Nowhere/Special", "%H:%M %Z") == "17:30 UTC"


def test_countdown_is_rendered_from_the_server_clock(clock):
    assert countdown(clock.now + timedelta(days=3, hours=4, minutes=10)) == "closes in 3 days 4 h"
    assert countdown(clock.now + timedelta(hours=5)) == "closes in 5 h"
    assert countdown(clock.now + timedelta(seconds=20)) == "closes in less than a minute"
    assert countdown(clock.now - timedelta(hours=2)) == "closed 2 h ago"
    assert countdown(None) == "no deadline"
    assert duration(timedelta(days=1)) == "1 day"


def test_clock_freezes_and_advances(clock):
    start = clock.now
    assert server_clock.now() == start == utcnow()
    clock.advance(hours=2)
    assert server_clock.now() == start + timedelta(hours=2)
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose


def test_timestamps_round_trip_aware_in_utc(app, make, clock):
    org = make.consortium()
    db.session.expire_all()
    stored = db.session.execute(select(Organisation.created_at).filter_by(id=org.id)).scalar_one()
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == clock.now


def test_naive_datetimes_are_refused(app, make):
    org = make.consortium()
    org.created_at = datetime(2026, 1, 1, 12, 0)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(Exception, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_home_page_shows_momentum(client, make):
    consortium = make.consortium()
    make.district(consortium=consortium, enrollment=1500)
    make.district(consortium=consortium, enrollment=500)
    make.district(consortium=consortium, enrollment=9000, status="pending")  # not counted yet
    page = client.get("/")
    assert page.status_code == 200
    assert "2,000" in page.text  # students in verified districts
    assert "Register your district" in page.text


def test_home_tells_a_pending_district_what_comes_next(client, make, login):
    consortium = make.consortium(name="Great Lakes Cooperative")
    district = make.district(consortium=consortium, status="pending")
    login(client, district)
    page = client.get("/").text
    assert "Great Lakes Cooperative" in page and ">pending<" in page
    assert "A manager verifies you before you can opt in" in page


def test_config_changes_do_not_leak_between_tests_part_1(app, client, make, login):
    """A test may change the config for itself: its requests see the change (part 2: undone)."""
    assert app.config["DEMO_MODE"] is False
    district = make.district()
    login(client, district)
    assert client.get("/outbox/").status_code == 403
    app.config["DEMO_MODE"] = True  # in demo mode everyone signed in reads their own mail
    assert client.get("/outbox/").status_code == 200


def test_config_changes_do_not_leak_between_tests_part_2(app, client, make, login):
    assert app.config["DEMO_MODE"] is False
    district = make.district()
    login(client, district)
    assert client.get("/outbox/").status_code == 403
