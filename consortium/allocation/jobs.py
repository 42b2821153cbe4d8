"""Where allocation runs execute: in this process, on an RQ worker, or inline for tests.

The mode is `JOBS_MODE` in the app config: "rq" (queue "allocation" on REDIS_URL),
"thread" (a small in-process pool, each job in its own app context and session) or
"sync" (inline, in the caller's context). Unset: "sync" under TESTING, "rq" when
REDIS_URL is set, otherwise "thread". Views call `run_after_commit`: a job never sees a run
its request did not commit.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from threading import Lock

from flask import Flask, current_app, has_app_context

from consortium.extensions import db
from consortium.transaction import after_commit

log = logging.getLogger(__name__)

QUEUE_NAME = "allocation"
JOB_TIMEOUT_S = 3600
MODES = ("sync", "thread", "rq")

_executor: ThreadPoolExecutor | None = None
_executor_lock = Lock()


def jobs_mode(app: Flask) -> str:
    mode = app.config.get("JOBS_MODE")
    if mode:
        if mode not in MODES:
            raise ValueError(f"JOBS_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        return mode
    if app.testing:
        return "sync"
    return "rq" if app.config.get("REDIS_URL") else "thread"


def run_after_commit(run_id: int) -> None:
    """Enqueue the run once the transaction that created it has committed (never before)."""
    after_commit(partial(enqueue_run, run_id))


def enqueue_run(run_id: int) -> Future | object | None:
    """Start the run in the configured mode; returns the Future, RQ job or None (sync)."""
    app = current_app._get_current_object()
    mode = jobs_mode(app)
    if mode == "sync":
        execute_run(run_id)
        return None
    if mode == "thread":
        return _pool().submit(_run_in_app, app, run_id)
    from redis.exceptions import RedisError

    try:
        return allocation_queue(app).enqueue(
            execute_run, run_id, job_timeout=JOB_TIMEOUT_S, description=f"allocation run {run_id}"
        )
    except RedisError as exc:
        # Otherwise the run would wait forever for a worker that never hears of it.
        from consortium.allocation.services import fail_run

        log.exception("could not enqueue allocation run %s", run_id)
        fail_run(
            run_id,
            f"The job queue could not be reached ({type(exc).__name__}); start the run again.",
        )
        return None


def execute_run(run_id: int) -> None:
    """The job: perform one run by id. RQ workers call it without an app; it makes one."""
    from consortium.allocation.services import perform_run

    if has_app_context():
        perform_run(run_id)
        return
    from consortium import create_app

    _run_in_app(create_app(), run_id)


def _run_in_app(app: Flask, run_id: int) -> None:
    from consortium.allocation.services import perform_run

    with app.app_context():
        try:
            perform_run(run_id)
        except Exception:  # pragma: no cover - perform_run records failures itself
            log.exception("allocation job %s crashed", run_id)
            raise
        finally:
            db.session.remove()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            # One worker: solver runs are CPU-bound and the web process shares the machine.
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="allocation")
        return _executor


def allocation_queue(app: Flask):
    """The RQ queue runs go to (imported lazily: rq is only needed with Redis)."""
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"]))


def work(app: Flask, *, burst: bool = False) -> None:
    """Run an RQ worker on the allocation queue inside `app` (used by `flask worker`)."""
    from rq import Worker

    queue = allocation_queue(app)
    with app.app_context():
        Worker([queue], connection=queue.connection).work(burst=burst)
