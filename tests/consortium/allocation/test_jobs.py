"""The three ways a run executes: inline (tests), an in-process thread, an RQ worker."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consortium.allocation import jobs, services
from consortium.allocation.models import AllocationRun
from consortium.extensions import db
from tests.consortium.allocation.fakes import fake_solve

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"  # a database of its own: no real worker listens here


@pytest.fixture
def queued_run(make, clock, monkeypatch):
    """A committed queued run (through the service, as the view does), solved by the fake."""
    monkeypatch.setattr(services, "default_solve", lambda: fake_solve)
    scenario = make.allocation_scenario()
    run = services.start_run(scenario.solicitation, scenario.manager.user, label="job", policy={})
    db.session.commit()
    return run


def test_default_mode_follows_config(app, monkeypatch):
    assert jobs.jobs_mode(app) == "sync"  # TESTING
    monkeypatch.setattr(app, "testing", False)
    assert jobs.jobs_mode(app) == "thread"
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://example.invalid:6379/0")
    assert jobs.jobs_mode(app) == "rq"
    monkeypatch.setitem(app.config, "JOBS_MODE", "nonsense")
    with pytest.raises(ValueError, match="JOBS_MODE"):
        jobs.jobs_mode(app)


def test_thread_mode_runs_in_its_own_app_context(app, queued_run, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "thread")
    future = jobs.enqueue_run(queued_run.id)
    future.result(timeout=60)
    db.session.expire_all()
    run = db.session.get(AllocationRun, queued_run.id)
    assert run.status == "succeeded" and run.total_amount == 1_500_000


def test_a_run_is_performed_once(app, queued_run):
    jobs.execute_run(queued_run.id)
    first = db.session.get(AllocationRun, queued_run.id).finished_at
    jobs.execute_run(queued_run.id)  # delivered twice: the second does nothing
    assert db.session.get(AllocationRun, queued_run.id).finished_at == first


def _redis_or_skip():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    connection = Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except RedisConnectionError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379: the RQ mode cannot be tested here")
    return connection


def test_rq_mode_enqueues_the_run_id_and_a_worker_performs_it(app, queued_run, monkeypatch):
    from rq import SimpleWorker

    connection = _redis_or_skip()
    monkeypatch.setitem(app.config, "JOBS_MODE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_TEST_URL)
    queue = jobs.allocation_queue(app)
    queue.empty()
    job = jobs.enqueue_run(queued_run.id)
    assert job.origin == "allocation" and job.args == (queued_run.id,)
    assert job.func_name == "consortium.allocation.jobs.execute_run"
    assert db.session.get(AllocationRun, queued_run.id).status == "queued"
    SimpleWorker([queue], connection=connection).work(burst=True)
    db.session.expire_all()
    run = db.session.scalars(select(AllocationRun).where(AllocationRun.id == queued_run.id)).one()
    assert run.status == "succeeded" and run.result_status == "optimal"
    queue.empty()


def test_unreachable_queue_fails_the_run_instead_of_leaving_it_queued(app, queued_run, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    assert jobs.enqueue_run(queued_run.id) is None
    run = db.session.get(AllocationRun, queued_run.id)
    assert run.status == "failed" and "job queue could not be reached" in run.error
