"""Publishing a run: a confirmation that says what will happen, and only the confirmed POST publishes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consortium.allocation import services
from consortium.allocation.models import AllocationRun
from consortium.audit.models import AuditEvent
from consortium.awards.models import Award, Contract
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from tests.consortium.allocation.fakes import dropping_solve, fake_solve


@pytest.fixture
def scenario(make, clock):
    return make.allocation_scenario()


def performed(scenario, label: str, solve) -> AllocationRun:
    run = services.start_run(scenario.solicitation, scenario.manager.user, label=label, policy={})
    db.session.commit()
    return services.perform_run(run.id, solve=solve)


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count(m.id))) for m in (Award, Contract, OutboxMessage, AuditEvent))


def test_the_publish_button_leads_to_a_confirmation_that_says_what_will_happen(client, login, scenario):
    run = performed(scenario, "Baseline", fake_solve)
    login(client, scenario.manager)
    page = client.get(f"/allocation/runs/{run.id}").get_data(as_text=True)
    assert f'<form method="get" action="/allocation/runs/{run.id}/publish"' in page
    before = counts()
    confirm = client.get(f"/allocation/runs/{run.id}/publish")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and counts() == before
    assert "Publish “Baseline” as the award?" in text
    assert "<strong>3 districts</strong> are mailed now: 2 with a contract" in text
    assert "1 told they were left out" in text
    assert "<strong>1 purchasing group</strong> and <strong>2 contracts</strong>" in text
    assert "2 vendors are mailed" in text
    assert "cannot be changed or withdrawn" in text
    assert "Another run serves more" not in text  # nothing serves more than this one
    assert 'name="confirm" type="hidden" value="yes"' in text


def test_an_unconfirmed_post_publishes_nothing_and_mails_nobody(client, login, scenario):
    run = performed(scenario, "Baseline", fake_solve)
    login(client, scenario.manager)
    before = counts()
    for data in ({}, {"confirm": ""}, {"confirm": "no"}):
        response = client.post(f"/allocation/runs/{run.id}/publish", data=data)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/allocation/runs/{run.id}/publish")
    assert counts() == before
    assert scenario.solicitation.status == "bids_opened"


def test_the_confirmed_post_publishes_and_mails_every_district(client, login, scenario):
    run = performed(scenario, "Baseline", fake_solve)
    login(client, scenario.manager)
    response = client.post(f"/allocation/runs/{run.id}/publish", data={"confirm": "yes"})
    award = db.session.scalars(select(Award)).one()
    assert response.headers["Location"].endswith(f"/awards/{award.id}/manage")
    mailed = {m.to for m in db.session.scalars(select(OutboxMessage))}
    assert {scenario.district_a.email, scenario.district_b.email, scenario.district_c.email} <= mailed


def test_publishing_a_run_that_serves_fewer_seats_says_what_it_leaves_out(client, login, scenario):
    best = performed(scenario, "Everyone", fake_solve)
    fewer = performed(scenario, "Without Birch", dropping_solve(leave_out=2))
    assert (best.served_quantity, fewer.served_quantity) == (1_000, 400)
    login(client, scenario.manager)
    text = client.get(f"/allocation/runs/{fewer.id}/publish").get_data(as_text=True)
    assert "Another run serves more." in text
    assert "Compared with “Everyone”, this run serves\n  600 fewer seats and leaves out 1 district that “Everyone” serves." in text


def test_a_run_that_cannot_be_published_has_no_confirmation(client, login, scenario):
    from tests.consortium.allocation.fakes import error_solve

    run = performed(scenario, "Broken", error_solve)
    login(client, scenario.manager)
    response = client.get(f"/allocation/runs/{run.id}/publish")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/allocation/runs/{run.id}")
    assert "Only a run that succeeded" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_set_aside_districts_are_mailed_why(client, login, scenario):
    scenario.district_b.org.district_profile.locale = None
    db.session.commit()
    run = services.start_run(scenario.solicitation, scenario.manager.user, label="Locale",
                             policy={"similarity": [{"feature": "locale", "same": True}]})
    db.session.commit()
    run = services.perform_run(run.id, solve=fake_solve)
    login(client, scenario.manager)
    assert "<strong>3 districts</strong>" in client.get(f"/allocation/runs/{run.id}/publish").get_data(as_text=True)
    client.post(f"/allocation/runs/{run.id}/publish", data={"confirm": "yes"})
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == scenario.district_b.email)).one()
    assert "not placed in a group" in mail.body and "does not give its locale" in mail.body
