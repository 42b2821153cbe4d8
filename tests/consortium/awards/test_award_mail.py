"""Award mail reads like the pages: local time with its zone, dollars, units and group names."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consortium.allocation import services as allocation_services
from consortium.awards import services
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from tests.consortium.allocation.fakes import fake_solve


@pytest.fixture
def published(make, clock, monkeypatch):
    """The factory scenario's award, published at the frozen Mar 2, 2026, 15:00 UTC."""
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = make.allocation_scenario()
    run = allocation_services.start_run(scenario.solicitation, scenario.manager.user, label="r", policy={})
    db.session.flush()
    allocation_services.perform_run(run.id)
    return services.publish_award(run, scenario.manager.user), scenario


def bodies(email: str) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.to == email)))


def test_a_placed_district_reads_its_group_seats_dollars_and_local_deadline(published):
    award, scenario = published
    vendor = scenario.vendor_a.org.name
    (body,) = bodies(scenario.district_a.email)
    assert f"Your district is in Group 1 · {vendor}, tier 2: 400 seats per year" in body
    assert "for $6,000.00 (alone: $8,000.00)" in body
    # 14 days after Mar 2, 15:00 UTC, after the switch to daylight time: 10 AM CDT in Chicago.
    assert "Please accept or decline by Mar 16, 2026, 10:00 AM CDT." in body
    assert "UTC" not in body and "g1" not in body and not re.search(r"\d{4}-\d\d-\d\d", body)


def test_a_left_out_district_reads_the_reason_in_words(published):
    _award, scenario = published
    (body,) = bodies(scenario.district_c.email)
    assert "was not placed in a group. No eligible offer within" in body


def test_the_winning_vendor_reads_its_groups_and_their_total(published):
    _award, scenario = published
    vendor = scenario.vendor_a.org.name
    (body,) = bodies(scenario.vendor_a.email)
    assert (f"You won 1 group with 2 districts, $15,000.00 in all: "
            f"Group 1 · {vendor}, tier 2, 1,000 seats per year.") in body
    (other,) = bodies(scenario.vendor_b.email)
    assert other.endswith("You won 0 groups.")


def test_decisions_and_reminders_use_the_same_formats(published, clock):
    award, scenario = published
    a = next(c for c in award.contracts if c.district_id == scenario.district_a.org.id)
    services.decide_contract(a, scenario.district_a.user, accept=True)
    assert any("(400 seats per year, $6,000.00)." in b for b in bodies(scenario.district_a.email))
    clock.advance(days=12)
    services.send_reminders()
    reminder = [b for b in bodies(scenario.district_b.email) if b.startswith("Please accept")]
    assert reminder == [f"Please accept or decline your contract for '{award.solicitation.title}' "
                        "by Mar 16, 2026, 10:00 AM CDT."]
