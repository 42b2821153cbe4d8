"""Publishing an award and what each role sees and may do afterwards."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consortium.allocation import services as allocation_services
from consortium.allocation.models import AllocationRun
from consortium.audit.models import AuditEvent
from consortium.awards.models import Award, Contract
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from pricing.check import check_result
from pricing.io import load_instance, load_result
from tests.consortium.allocation.fakes import fake_solve


@pytest.fixture
def scenario(make, clock, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    return make.allocation_scenario()


DECLINE = {"decision": "decline", "confirm": "yes", "reason": "The board did not approve it."}


def run_and_publish(client, login, scenario) -> Award:
    login(client, scenario.manager)
    client.post(
        f"/solicitations/{scenario.solicitation.id}/allocation",
        data={"label": "Baseline", "min_group_size": "1", "time_limit_s": "10",
              "mip_gap_pct": "0.1", "individual_rationality": "y"},
    )
    run = db.session.scalars(select(AllocationRun)).one()
    assert run.status == "succeeded"
    compare = client.get(f"/solicitations/{scenario.solicitation.id}/allocation/compare")
    assert 'Publish<span class="visually-hidden"> Baseline</span>' in compare.get_data(as_text=True)
    response = client.post(f"/allocation/runs/{run.id}/publish", data={"confirm": "yes"})
    award = db.session.scalars(select(Award)).one()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/awards/{award.id}/manage")
    client.post("/logout")
    return award


def contract_of(award: Award, actor) -> Contract:
    return next(c for c in award.contracts if c.district_id == actor.org.id)


def test_publish_awards_locks_prices_and_notifies_everyone(client, login, scenario, clock):
    award = run_and_publish(client, login, scenario)
    assert scenario.solicitation.status == "awarded"
    assert [(g.quantity, g.unit_amount, g.tier_index) for g in award.groups] == [(1_000, 1_500, 1)]
    assert award.groups[0].vendor_id == scenario.vendor_a.org.id
    a = contract_of(award, scenario.district_a)
    assert (a.quantity, a.amount, a.standalone_amount, a.status) == (400, 600_000, 800_000, "pending")
    assert a.accept_by == clock.now + timedelta(days=14)
    assert (a.expires_on - a.starts_on).days in (365, 366)
    assert {c.district_id for c in award.contracts} == {scenario.district_a.org.id, scenario.district_b.org.id}
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"award.published", "solicitation.awarded"} <= actions
    mailed = {m.to for m in db.session.scalars(select(OutboxMessage))}
    everyone = {getattr(scenario, r).email for r in ("district_a", "district_b", "district_c", "vendor_a", "vendor_b")}
    assert everyone <= mailed
    outbox = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == scenario.district_c.email)).one()
    assert "not placed in a group" in outbox.body


def test_a_second_publish_is_refused(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    login(client, scenario.manager)
    assert client.post(f"/allocation/runs/{award.run_id}/publish").status_code == 303
    assert "already awarded" in client.get(f"/allocation/runs/{award.run_id}").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Award.id))) == 1


def test_district_sees_its_award_and_accepts(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    contract = contract_of(award, scenario.district_a)
    login(client, scenario.district_a)
    listing = client.get("/contracts").get_data(as_text=True)
    assert scenario.solicitation.title in listing and "$6,000.00" in listing
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    for shown in (scenario.vendor_a.org.name, "$15.00", "$6,000.00", "$8,000.00", "$2,000.00", "25.0%"):
        assert shown in page
    assert "<svg" in page and "<table" in page  # tier ladder with its data table
    response = client.post(f"/contracts/{contract.id}/decision", data={"decision": "accept"})
    assert response.status_code == 303
    assert contract.status == "accepted" and contract.decided_at is not None
    assert "accepted" in client.get("/contracts").get_data(as_text=True)


def test_decline_changes_nobody_elses_price_and_the_manager_sees_it(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    a, b = contract_of(award, scenario.district_a), contract_of(award, scenario.district_b)
    login(client, scenario.district_b)
    client.post(f"/contracts/{b.id}/decision", data=DECLINE)
    client.post("/logout")
    assert b.status == "declined"
    assert (a.amount, a.status, award.groups[0].unit_amount) == (600_000, "pending", 1_500)
    login(client, scenario.manager)
    page = client.get(f"/awards/{award.id}/manage").get_data(as_text=True)
    assert "Birch Valley SD" in page and "declined" in page
    assert "Cedar City Public Schools" in page  # left out, with its reason


def test_decision_after_the_window_is_refused_and_changes_nothing(client, login, scenario, clock):
    award = run_and_publish(client, login, scenario)
    contract = contract_of(award, scenario.district_a)
    clock.advance(days=15)
    login(client, scenario.district_a)
    response = client.post(f"/contracts/{contract.id}/decision", data={"decision": "accept"})
    assert response.status_code == 409
    assert "acceptance window closed" in response.get_data(as_text=True)
    assert contract.status == "pending" and contract.decided_at is None
    assert contract.phase(clock.now) == "lapsed"
    assert "lapsed" in client.get("/contracts").get_data(as_text=True)


def test_district_cannot_decide_twice(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    contract = contract_of(award, scenario.district_a)
    login(client, scenario.district_a)
    client.post(f"/contracts/{contract.id}/decision", data=DECLINE)
    response = client.post(f"/contracts/{contract.id}/decision", data={"decision": "accept"})
    assert response.status_code == 409 and "already declined" in response.get_data(as_text=True)
    assert contract.status == "declined"


def test_district_b_cannot_see_or_decide_district_a_contract(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    contract = contract_of(award, scenario.district_a)
    login(client, scenario.district_b)
    assert client.get(f"/contracts/{contract.id}").status_code == 404
    assert client.post(f"/contracts/{contract.id}/decision", data=DECLINE).status_code == 404
    assert contract.status == "pending"
    assert "Apple Creek" not in client.get("/contracts").get_data(as_text=True)
    assert client.get(f"/awards/{award.id}/manage").status_code == 403


def test_vendor_sees_its_groups_and_their_districts(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    group = award.groups[0]
    login(client, scenario.vendor_a)
    listing = client.get("/vendor/groups").get_data(as_text=True)
    assert scenario.solicitation.title in listing and "$15,000.00" in listing
    page = client.get(f"/awards/groups/{group.id}").get_data(as_text=True)
    for shown in ("Apple Creek CUSD", "Birch Valley SD", "$6,000.00", "$9,000.00", "400", "600"):
        assert shown in page
    assert "Cedar City" not in page


def test_vendor_b_cannot_see_vendor_a_groups(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    login(client, scenario.vendor_b)
    assert client.get(f"/awards/groups/{award.groups[0].id}").status_code == 404
    assert "Apple Creek" not in client.get("/vendor/groups").get_data(as_text=True)
    assert client.get(f"/contracts/{award.contracts[0].id}").status_code == 404


def test_manager_of_another_consortium_sees_no_award_internals(client, login, make, scenario):
    award = run_and_publish(client, login, scenario)
    login(client, make.manager(make.consortium()))
    assert client.get(f"/awards/{award.id}/manage").status_code == 403
    assert client.get(f"/awards/{award.id}/report").status_code == 403
    assert client.get(f"/contracts/{award.contracts[0].id}").status_code == 404


def test_public_verification_downloads_hash_to_the_shown_sha256(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    page = client.get(f"/awards/{award.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for shown in (award.input_sha256, "fake", "0.0", "optimal", "input.json", "result.json"):
        assert shown in text
    input_bytes = client.get(f"/awards/{award.id}/input.json").data
    result_bytes = client.get(f"/awards/{award.id}/result.json").data
    assert hashlib.sha256(input_bytes).hexdigest() == award.input_sha256
    assert input_bytes == award.run.input_json.encode() and result_bytes == award.run.result_json.encode()
    assert check_result(load_instance(input_bytes), load_result(result_bytes)) == []
    assert client.get("/awards/").status_code == 200


def test_savings_and_equity_report(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    login(client, scenario.manager)
    page = client.get(f"/awards/{award.id}/report").get_data(as_text=True)
    assert "500–2,499" in page and "10,000 and more" in page  # A and B; C left out
    assert "Rural" in page and "Urban" in page
    assert "$5,000.00" in page and "25.0%" in page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(svgs) == 3  # savings by enrollment band, by locale, and the map of groups
    for svg in svgs:
        ET.fromstring(svg)  # well-formed XML, inline in the page
    assert page.count("Data table:") == 3


def test_manager_reports_list_the_consortiums_awards(client, login, make, scenario):
    award = run_and_publish(client, login, scenario)
    login(client, scenario.manager)
    page = client.get("/awards/reports").get_data(as_text=True)
    assert scenario.solicitation.title in page and f"/awards/{award.id}/report" in page
    client.post("/logout")
    login(client, make.manager(make.consortium()))
    assert scenario.solicitation.title not in client.get("/awards/reports").get_data(as_text=True)
    client.post("/logout")
    login(client, scenario.vendor_a)
    assert client.get("/awards/reports").status_code == 403
    public = client.get("/awards/").get_data(as_text=True)
    assert f"/awards/{award.id}" in public


def test_district_left_out_sees_why(client, login, scenario):
    run_and_publish(client, login, scenario)
    login(client, scenario.district_c)
    page = client.get("/contracts").get_data(as_text=True)
    assert "No awarded contracts yet." in page
    assert scenario.solicitation.title in page and "max_unit_amount" in page
    client.post("/logout")
    login(client, scenario.district_a)
    assert "left Apple Creek CUSD out" not in client.get("/contracts").get_data(as_text=True)
