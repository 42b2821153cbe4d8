"""Manager runs: start, progress, failure, compare, and who may do it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from consortium.allocation import services
from consortium.allocation.models import AllocationRun
from consortium.audit.models import AuditEvent
from consortium.awards.models import Award, Contract
from consortium.bids.models import Bid
from consortium.extensions import db
from tests.consortium.allocation.fakes import error_solve, fake_solve


@pytest.fixture
def solve(monkeypatch):
    """Runs use the tiny fake optimiser (the real one is tested in pricing/)."""
    monkeypatch.setattr(services, "default_solve", lambda: fake_solve)
    return fake_solve


@pytest.fixture
def scenario(make, clock):
    return make.allocation_scenario()


def start(client, scenario, **form):
    data = {"label": "", "min_group_size": "1", "time_limit_s": "10", "mip_gap_pct": "0.1",
            "individual_rationality": "y", "solver": ""}
    data.update(form)
    return client.post(f"/solicitations/{scenario.solicitation.id}/allocation", data=data)


def test_manager_starts_a_run_and_sees_its_result(client, login, scenario, solve):
    login(client, scenario.manager)
    response = start(client, scenario, label="Baseline")
    assert response.status_code == 303
    run = db.session.scalars(select(AllocationRun)).one()
    assert response.headers["Location"].endswith(f"/allocation/runs/{run.id}")
    assert run.status == "succeeded" and run.result_status == "optimal"
    assert run.total_amount == 1_000 * 1_500  # A and B together reach Acme's second tier
    assert run.standalone_total == 1_000 * 2_000
    assert run.served_quantity == 1_000
    assert run.solver == "fake" and run.solver_version == "0.0"
    page = client.get(f"/allocation/runs/{run.id}").get_data(as_text=True)
    assert "Baseline" in page and "succeeded" in page
    assert "$5,000.00" in page  # savings
    assert "Cedar City Public Schools" in page and "max_unit_amount" in page  # left out, with why
    assert 'http-equiv="refresh"' not in page  # done: no more refreshing


def test_stored_input_is_the_exact_instance(client, login, scenario, solve):
    login(client, scenario.manager)
    start(client, scenario, same_locale="y")
    run = db.session.scalars(select(AllocationRun)).one()
    data = json.loads(run.input_json)
    by_id = {b["id"]: b for b in data["buyers"]}
    a = by_id[str(scenario.district_a.org.id)]
    assert a["quantity"] == 400 and "max_unit_amount" not in a
    assert a["features"] == {"enrollment": 800, "mbps_per_student": 0.5, "locale": "rural", "state": "IL"}
    assert by_id[str(scenario.district_b.org.id)]["max_unit_amount"] == 1_900
    bids = db.session.scalars(select(Bid).order_by(Bid.id)).all()
    assert [o["id"] for o in data["offers"]] == [b.public_id for b in bids]  # opaque, bid order
    assert data["offers"][0]["vendor"] == scenario.vendor_a.org.name
    assert {"feature": "locale", "same": True} in data["policy"]["similarity"]
    assert run.input_sha256 == __import__("hashlib").sha256(run.input_json.encode()).hexdigest()
    download = client.get(f"/allocation/runs/{run.id}/input.json")
    assert download.data == run.input_json.encode()


def test_queued_run_page_frames_a_panel_that_refreshes_itself(client, login, scenario, solve, app, monkeypatch):
    monkeypatch.setattr("consortium.allocation.jobs.enqueue_run", lambda run_id: None)
    login(client, scenario.manager)
    start(client, scenario)
    run = db.session.scalars(select(AllocationRun)).one()
    assert run.status == "queued"
    page = client.get(f"/allocation/runs/{run.id}").get_data(as_text=True)
    # The outer page never reloads (the reader keeps their place); only the framed panel does.
    assert 'http-equiv="refresh"' not in page
    assert f'<iframe class="live-frame" id="live-panel" src="/allocation/runs/{run.id}/progress"' in page
    panel = client.get(f"/allocation/runs/{run.id}/progress")
    text = panel.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in text and "queued" in text
    assert "Waiting for the optimiser" in text
    assert "frame-ancestors 'self'" in panel.headers["Content-Security-Policy"]
    assert panel.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get(f"/allocation/runs/{run.id}").headers["X-Frame-Options"] == "DENY"


def test_ineligible_districts_only_see_eligible_bids(client, login, make, clock, solve):
    scenario = make.allocation_scenario()
    scenario.vendor_b.org.vendor_profile.dpa_states = ["IN"]  # no DPA for Illinois
    db.session.flush()
    login(client, scenario.manager)
    start(client, scenario)
    data = json.loads(db.session.scalars(select(AllocationRun)).one().input_json)
    a_bid = str(next(o["id"] for o in data["offers"] if o["vendor"] == scenario.vendor_a.org.name))
    assert all(b["eligible_offers"] == [a_bid] for b in data["buyers"])


def test_a_district_the_rules_cannot_compare_is_left_out_with_its_reason(client, login, scenario, solve):
    login(client, scenario.manager)
    scenario.district_b.org.district_profile.broadband_mbps = 0  # real files have zero bandwidths
    db.session.flush()
    start(client, scenario, mbps_max_ratio="4")
    run = db.session.scalars(select(AllocationRun)).one()
    assert run.status == "succeeded"
    assert [e["name"] for e in run.set_aside] == ["Birch Valley SD"]
    assert str(scenario.district_b.org.id) not in {b["id"] for b in json.loads(run.input_json)["buyers"]}
    assert run.asked_quantity == 400 + 600 + 5_000  # the set-aside district still asked
    page = client.get(f"/allocation/runs/{run.id}").get_data(as_text=True)
    assert "Birch Valley SD" in page and "Its broadband per student is 0" in page
    assert "Serves 400 of 6,000 seats asked for" in page


def test_invalid_instance_fails_with_reasons_and_changes_nothing(client, login, scenario, solve):
    login(client, scenario.manager)
    events_before = db.session.scalar(select(func.count(AuditEvent.id)))
    run = services.start_run(scenario.solicitation, scenario.manager.user, label="bad",
                             policy={"time_limit_s": 0})
    db.session.commit()
    services.perform_run(run.id)
    run = db.session.get(AllocationRun, run.id)
    assert run.status == "failed"
    assert "time_limit_s" in run.error and "not valid" in run.error
    assert run.result_json is None and run.finished_at is not None
    assert scenario.solicitation.status == "bids_opened"
    assert db.session.scalar(select(func.count(Award.id))) == 0
    assert db.session.scalar(select(func.count(Contract.id))) == 0
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.id > 0)).all()
    assert db.session.scalar(select(func.count(AuditEvent.id))) - events_before == 3
    assert "allocation_run.failed" in actions
    page = client.get(f"/allocation/runs/{run.id}").get_data(as_text=True)
    assert "Why it failed" in page and "time_limit_s" in page
    assert "Publish this run" not in page


def test_solver_error_fails_the_run(client, login, scenario, monkeypatch):
    monkeypatch.setattr(services, "default_solve", lambda: error_solve)
    login(client, scenario.manager)
    start(client, scenario)
    run = db.session.scalars(select(AllocationRun)).one()
    assert run.status == "failed" and "out of licences" in run.error
    assert run.result_status == "error" and run.result_json is not None
    assert client.post(f"/allocation/runs/{run.id}/publish").status_code == 303
    assert db.session.scalar(select(func.count(Award.id))) == 0


def test_solver_crash_fails_the_run(client, login, scenario, monkeypatch):
    def crash(instance, **kwargs):
        raise RuntimeError("segfault in the MIP")

    monkeypatch.setattr(services, "default_solve", lambda: crash)
    login(client, scenario.manager)
    start(client, scenario)
    run = db.session.scalars(select(AllocationRun)).one()
    assert run.status == "failed" and "segfault in the MIP" in run.error


def test_bad_form_names_the_field_and_starts_nothing(client, login, scenario, solve):
    login(client, scenario.manager)
    response = start(client, scenario, min_group_size="3", max_group_size="2")
    assert response.status_code == 400
    assert "Cannot be smaller than the smallest group." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AllocationRun.id))) == 0


def test_runs_wait_for_bid_opening(client, login, scenario, solve):
    scenario.solicitation.status = "closed"
    db.session.flush()
    login(client, scenario.manager)
    page = client.get(f"/solicitations/{scenario.solicitation.id}/allocation")
    assert "after the bids are opened" in page.get_data(as_text=True)
    assert start(client, scenario).status_code == 409
    assert db.session.scalar(select(func.count(AllocationRun.id))) == 0


def test_compare_runs_side_by_side(client, login, scenario, solve):
    login(client, scenario.manager)
    start(client, scenario, label="Together")
    start(client, scenario, label="Pairs only", max_group_size="1")
    ids = db.session.scalars(select(AllocationRun.id).order_by(AllocationRun.id)).all()
    page = client.get(
        f"/solicitations/{scenario.solicitation.id}/allocation/compare?run={ids[0]}&run={ids[1]}"
    ).get_data(as_text=True)
    assert "Together" in page and "Pairs only" in page
    for measure in ("Policy", "Total spend", "Buying alone", "Savings", "Seats served", "Groups",
                    "Districts left out", "Gap", "Solver", "Time used"):
        assert measure in page
    assert "$15,000.00" in page and "25.0%" in page
    assert "Savings against buying alone, by scenario" in page and page.count("<svg") == 1
    assert "groups of any size; nobody pays more than alone; gap target 0.1%; time limit 10 s" in page
    assert "<details><summary>1 district</summary>" in page  # the left-out list, collapsed


@pytest.mark.parametrize("who", ["district_a", "vendor_a", "other_manager"])
def test_only_the_consortium_managers_run_allocations(client, login, make, scenario, solve, who):
    actor = make.manager(make.consortium()) if who == "other_manager" else getattr(scenario, who)
    login(client, actor)
    assert client.get(f"/solicitations/{scenario.solicitation.id}/allocation").status_code == 403
    assert start(client, scenario).status_code == 403
    assert db.session.scalar(select(func.count(AllocationRun.id))) == 0


def test_anonymous_is_sent_to_sign_in(client, scenario):
    response = client.get(f"/solicitations/{scenario.solicitation.id}/allocation")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_manager_overview_lists_solicitations_ready_for_allocation(client, login, make, scenario, solve):
    login(client, scenario.manager)
    start(client, scenario, label="First look")
    page = client.get("/allocation").get_data(as_text=True)
    assert scenario.solicitation.title in page and "First look" in page
    client.post("/logout")
    login(client, make.manager(make.consortium()))
    assert scenario.solicitation.title not in client.get("/allocation").get_data(as_text=True)
    client.post("/logout")
    login(client, scenario.district_a)
    assert client.get("/allocation").status_code == 403


def test_a_rerun_reproduces_the_input_and_the_allocation(client, login, scenario, solve):
    login(client, scenario.manager)
    start(client, scenario, label="Baseline", same_locale="y")
    first = db.session.scalars(select(AllocationRun)).one()
    response = client.post(f"/allocation/runs/{first.id}/rerun")
    assert response.status_code == 303
    second = db.session.scalars(select(AllocationRun).where(AllocationRun.id != first.id)).one()
    assert second.label == "Baseline (re-run)" and second.policy == first.policy
    assert second.input_sha256 == first.input_sha256
    assert without_timings(second.result_json) == without_timings(first.result_json)


def without_timings(result_json: str) -> dict:
    """A result without `stats`, the only part ALLOCATION.md lets differ between runs."""
    return {k: v for k, v in json.loads(result_json).items() if k != "stats"}
