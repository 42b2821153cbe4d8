"""Live progress: the events a run keeps, how often they are written, what the panel shows."""

from __future__ import annotations

import pytest

from consortium.allocation import progress, services
from consortium.allocation.models import AllocationRun
from consortium.extensions import db
from tests.consortium.allocation.fakes import fake_solve, progressing_solve


@pytest.fixture
def scenario(make, clock):
    return make.allocation_scenario()


def committed_run(scenario, **policy) -> AllocationRun:
    run = services.start_run(scenario.solicitation, scenario.manager.user, label="live", policy=policy)
    db.session.commit()
    return run


def event(t: float, served: int, total: int = 100) -> dict:
    return {"t": t, "phase": "exact", "served": served, "total": total, "bound": 90,
            "served_bound": 50, "gap": 0.1}


def test_thinning_keeps_the_first_and_the_newest_in_time_order():
    events = [event(float(i), i) for i in range(1_000)]
    kept = progress.thin(events, limit=200)
    assert len(kept) <= 200 and kept[0]["t"] == 0.0 and kept[-1]["t"] == 999.0
    assert [e["t"] for e in kept] == sorted(e["t"] for e in kept)


def test_the_log_writes_at_most_every_two_seconds(scenario, monkeypatch):
    run = committed_run(scenario)
    commits = []
    monkeypatch.setattr(progress, "commit_now", lambda: commits.append(len(run.progress_events)))
    now = [0.0]
    log = progress.ProgressLog(run, clock=lambda: now[0])
    for i in range(30):  # 30 events over 3 seconds
        now[0] = i * 0.1
        log(event(i * 0.1, i))
    assert commits == [1, 21]  # the first at once, then 2 s later
    assert len(log.events) == 30


def test_events_never_go_back_in_time_and_unknown_fields_are_dropped(scenario, monkeypatch):
    run = committed_run(scenario)
    monkeypatch.setattr(progress, "commit_now", lambda: None)
    log = progress.ProgressLog(run)
    log({**event(5.0, 1), "secret": object()})
    log(event(3.0, 2))  # a clock that stepped back: held at the previous time
    assert [e["t"] for e in log.events] == [5.0, 5.0]
    assert set(log.events[0]) == {"t", "phase", "served", "total", "bound", "served_bound", "gap"}


def test_a_run_stores_its_events_in_time_order_ending_on_its_result(scenario, monkeypatch):
    monkeypatch.setattr(services, "default_solve", lambda: progressing_solve(steps=8))
    run = services.perform_run(committed_run(scenario).id)
    events = run.progress_events
    assert len(events) == 9
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    last = events[-1]
    assert last["phase"] == "done"
    assert (last["served"], last["total"], last["bound"], last["served_bound"], last["gap"]) == (
        run.served_quantity, run.total_amount, run.bound, run.served_bound, run.gap)
    assert run.served_bound == 1_000 and run.asked_quantity == 6_000


def test_a_solver_that_reports_nothing_still_gets_a_last_event_from_its_result(scenario, monkeypatch):
    monkeypatch.setattr(services, "default_solve", lambda: fake_solve)
    run = services.perform_run(committed_run(scenario).id)
    [only] = run.progress_events
    assert only["served"] == run.served_quantity == 1_000 and only["total"] == run.total_amount


def test_the_run_page_keeps_the_convergence_chart_after_the_run(client, login, scenario, monkeypatch):
    monkeypatch.setattr(services, "default_solve", lambda: progressing_solve(steps=4))
    run = services.perform_run(committed_run(scenario).id)
    login(client, scenario.manager)
    page = client.get(f"/allocation/runs/{run.id}").get_data(as_text=True)
    assert "How the search converged" in page and page.count("<svg") == 2
    assert "Spend of the best allocation found, and the proven bound" in page
    assert "Seats served by the best allocation, and the most that can be served" in page
    assert "Serves 1,000 of 6,000 seats asked for; at most 1,000 can be served (proven): no allocation serves more." in page
    assert "optimal: proven" in page
    panel = client.get(f"/allocation/runs/{run.id}/progress").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in panel and 'target="_top"' in panel and "Open the result" in panel


def test_the_panel_shows_the_best_allocation_so_far(client, login, scenario):
    run = committed_run(scenario)
    run.status = "running"
    run.started_at = run.created_at
    run.asked_quantity = 6_000  # set when the instance is built, before the solve
    run.progress_events = [event(1.0, 10, 200), {**event(2.5, 40, 150), "gap": 0.4}]
    db.session.commit()
    login(client, scenario.manager)
    panel = client.get(f"/allocation/runs/{run.id}/progress").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in panel
    assert "Best so far: Serves 40 of 6,000 seats asked for; at most 50 can be served (proven), 10 more than this." in panel
    assert "80.0%" in panel  # 40 of the 50 that can be served
    assert "$1.50" in panel and "$0.90" in panel and "40%" in panel  # spend, bound, gap
    assert "searching every possible grouping" in panel
    assert panel.count("<svg") == 2
