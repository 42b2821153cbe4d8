"""Starting, performing and comparing allocation runs.

A run is created (queued) in the manager's request and performed by a background job
(`jobs.py`) in its own transactions: one to say it is running, one to record the
instance it built, one for the outcome. A failure rolls back whatever the attempt did
and records only why the run failed on the run itself.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from consortium.accounts.models import User
from consortium.allocation import adapter
from consortium.allocation.models import AllocationRun, RunStatus
from consortium.allocation.progress import ProgressLog
from consortium.audit.services import record
from consortium.clock import now
from consortium.errors import DomainError, conflict
from consortium.extensions import db
from consortium.procurement.models import Solicitation, SolicitationStatus
from consortium.transaction import commit_now, rollback
from pricing.errors import InstanceError
from pricing.io import dumps, load_instance, result_from_dict
from pricing.types import Instance, Result

log = logging.getLogger(__name__)

Solve = Callable[..., Result]
SOLVERS = ("highs", "cbc")


def runs_allowed(solicitation: Solicitation) -> str | None:
    """Why runs may not start yet (None = they may): bids opened, opt-in deadline passed."""
    if solicitation.status == SolicitationStatus.awarded:
        return "This solicitation is already awarded."
    if solicitation.status != SolicitationStatus.bids_opened:
        return "Allocation runs start after the bids are opened."
    if now() < solicitation.opt_in_deadline:
        return "Allocation runs start after the opt-in deadline."
    return None


def start_run(
    solicitation: Solicitation,
    user: User | None,
    *,
    label: str,
    policy: dict[str, Any],
    solver: str | None = None,
) -> AllocationRun:
    """A queued run with the chosen policy; enqueue it after the commit (`jobs.run_after_commit`)."""
    refusal = runs_allowed(solicitation)
    if refusal:
        raise conflict(refusal)
    if solver is not None and solver not in SOLVERS:
        raise DomainError(f"Unknown solver {solver!r}.", field="solver")
    count = db.session.scalar(
        select(db.func.count(AllocationRun.id)).where(
            AllocationRun.solicitation_id == solicitation.id
        )
    )
    run = AllocationRun(
        solicitation=solicitation,
        created_by_id=getattr(user, "id", None),
        label=label.strip() or f"Run {count + 1}",
        policy={**(solicitation.policy or {}), **policy},
        solver=solver,
        status=RunStatus.queued,
        progress="Queued: waiting for a worker",
    )
    db.session.add(run)
    db.session.flush()
    record("allocation_run.created", run, before=None, after=run.audit_state())
    return run


class _RunFailed(Exception):
    """The solver answered, but not with an allocation that may be published."""


def default_solve() -> Solve:
    """The optimiser's entry point, imported late so the web app starts without a solver."""
    from pricing.engine import solve

    return solve


def _set_progress(run: AllocationRun, message: str) -> None:
    run.progress = message
    commit_now()  # a stage of the run: the manager's page shows it while the solver works


def perform_run(run_id: int, solve: Solve | None = None) -> AllocationRun | None:
    """Build the instance, solve it and store the outcome. Commits; never raises for a bad run.

    Only a queued run is performed, so a job delivered twice does the work once.
    """
    # Locked, so two workers handed the same job cannot both start it.
    run = db.session.get(AllocationRun, run_id, with_for_update=True, populate_existing=True)
    if run is None or run.status != RunStatus.queued:
        rollback()
        return run
    before = run.audit_state()
    run.status = RunStatus.running
    run.started_at = now()
    run.progress = "Building the instance from opt-ins and bids"
    record("allocation_run.started", run, before=before, after=run.audit_state())
    commit_now()
    clock_start = time.perf_counter()
    try:
        instance, maps = adapter.build_instance(run.solicitation, run.policy)
        text = adapter.input_text(instance)
        run.input_json = text
        run.input_sha256 = adapter.sha256_text(text)
        run.set_aside = maps.set_aside
        run.asked_quantity = sum(b.quantity for b in instance.buyers) + sum(
            entry["quantity"] for entry in maps.set_aside
        )
        _set_progress(
            run,
            f"Solving: {len(instance.buyers)} districts, {len(instance.offers)} bids"
            f" (time limit {instance.policy.time_limit_s:g} s)",
        )
        events = ProgressLog(run)
        result = (solve or default_solve())(instance, solver=run.solver, progress=events)
        events.finish(result, time.perf_counter() - clock_start)
        _store_result(run, instance, result)
    except _RunFailed as exc:
        # The solver answered: keep its result on the run so the manager can read it.
        fail_run(run_id, str(exc), clock_start)
    except InstanceError as exc:
        rollback()
        fail_run(
            run_id, "The allocation input is not valid: " + "; ".join(exc.problems), clock_start
        )
    except Exception as exc:  # noqa: BLE001 - a run must say why it failed, whatever happened
        log.exception("allocation run %s failed", run_id)
        rollback()
        fail_run(run_id, f"The run stopped with an error: {type(exc).__name__}: {exc}", clock_start)
    else:
        run.duration_s = time.perf_counter() - clock_start
        run.finished_at = now()
        record("allocation_run.finished", run, before=before, after=run.audit_state())
        commit_now()
    return db.session.get(AllocationRun, run_id)


def _store_result(run: AllocationRun, instance: Instance, result: Result) -> None:
    from pricing.check import check_result

    run.result_json = dumps(result)
    run.result_status = result.status
    stats = dict(result.stats)
    run.solver_version = _text_or_none(stats.get("solver_version"))
    if stats.get("solver"):
        run.solver = str(stats["solver"])[:40]
    run.bound = result.bound
    run.served_bound = result.served_bound
    run.gap = result.gap
    run.total_amount = result.total_amount
    run.served_quantity = result.served_quantity
    run.standalone_total = adapter.standalone_total(result)
    if result.status in ("infeasible", "error"):
        raise _RunFailed(result.message or f"The solver reported the instance {result.status}.")
    violations = check_result(instance, result)
    if violations:
        raise _RunFailed("The solver's answer breaks the rules: " + "; ".join(violations[:10]))
    run.status = RunStatus.succeeded
    run.progress = f"Done: {result.status}"


def _text_or_none(value: object) -> str | None:
    return None if value in (None, "") else str(value)[:80]


def fail_run(run_id: int, reason: str, clock_start: float | None = None) -> None:
    """Record why a run failed, on the run alone, and commit."""
    run = db.session.get(AllocationRun, run_id)
    before = run.audit_state()
    run.status = RunStatus.failed
    run.error = reason
    run.progress = "Failed"
    run.finished_at = now()
    if clock_start is not None:
        run.duration_s = time.perf_counter() - clock_start
    record("allocation_run.failed", run, before=before, after=run.audit_state())
    commit_now()


@dataclass(frozen=True, slots=True)
class ReadySolicitation:
    """A line of the manager's allocation overview."""

    solicitation: Solicitation
    runs: int
    latest: AllocationRun | None


def consortium_overview(consortium_id: int) -> list[ReadySolicitation]:
    """The consortium's solicitations whose bids are opened or awarded, with their runs."""
    solicitations = db.session.scalars(
        select(Solicitation)
        .where(
            Solicitation.consortium_id == consortium_id,
            Solicitation.status.in_([SolicitationStatus.bids_opened, SolicitationStatus.awarded]),
        )
        .order_by(Solicitation.bid_deadline.desc())
    )
    lines = []
    for solicitation in solicitations:
        runs = solicitation_runs(solicitation)
        lines.append(ReadySolicitation(solicitation, len(runs), runs[0] if runs else None))
    return lines


def solicitation_runs(solicitation: Solicitation) -> list[AllocationRun]:
    return list(
        db.session.scalars(
            select(AllocationRun)
            .where(AllocationRun.solicitation_id == solicitation.id)
            .order_by(AllocationRun.id.desc())
        )
    )


def run_instance(run: AllocationRun) -> Instance:
    """The instance a run solved, read back from its stored text."""
    return load_instance(run.input_json)


def run_result(run: AllocationRun) -> Result:
    return result_from_dict(json.loads(run.result_json))


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run's pages show of its result."""

    run: AllocationRun
    groups: int
    served_districts: int
    # (buyer id, district name, reason): the solver's left-out districts, then those set aside
    unassigned: list[tuple[str, str, str]]
    served_buyers: frozenset[str] = frozenset()

    @property
    def savings(self) -> int | None:
        return self.run.savings

    @property
    def savings_rate(self) -> float | None:
        return self.run.savings_rate


def summarise(run: AllocationRun) -> RunSummary:
    """A run's result in figures; failed or unfinished runs show only what was set aside."""
    set_aside = [(e["buyer"], e["name"], e["reason"]) for e in run.set_aside or []]
    if not run.result_json:
        return RunSummary(run, 0, 0, set_aside)
    data = json.loads(run.result_json)
    left = data.get("unassigned", [])
    names = adapter.district_names([u["buyer"] for u in left])
    served = frozenset(a["buyer"] for a in data.get("assignments", []))
    return RunSummary(
        run=run,
        groups=len(data.get("groups", [])),
        served_districts=len(served),
        unassigned=[(u["buyer"], names.get(u["buyer"], u["buyer"]), u["reason"]) for u in left]
        + set_aside,
        served_buyers=served,
    )
