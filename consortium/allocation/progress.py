"""A run's live progress: the solver's events kept on the run, and what the page reads from them.

The engine calls `ProgressLog` with each event of ALLOCATION.md's "Progress" section, in the
job's thread and session. The log keeps at most `MAX_POINTS` events (thinned evenly, the
first and the newest always kept), writes them to the run at most every `WRITE_EVERY_S`
seconds so the database is not hammered by a fast search, and `finish` adds the result's
own figures as the last event, so the stored series always ends where the result is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consortium import charts
from consortium.allocation.models import AllocationRun
from consortium.charts import Chart
from consortium.transaction import commit_now, rollback
from pricing.types import Result

log = logging.getLogger(__name__)

MAX_POINTS = 200
WRITE_EVERY_S = 2.0
FIGURES = ("served", "total", "bound", "served_bound", "gap")

PHASE_WORDS = {
    "start": "starting",
    "baselines": "trying simple groupings first",
    "exact": "searching every possible grouping",
    "done": "finished",
}


def phase_words(phase: object) -> str:
    return PHASE_WORDS.get(str(phase), str(phase).replace("_", " "))


def thin(events: list[dict[str, Any]], limit: int = MAX_POINTS) -> list[dict[str, Any]]:
    """Every other event until at most `limit` remain; the first and the last always stay."""
    while len(events) > limit:
        events = events[:-1:2] + [events[-1]]
    return events


def _clean(event: dict[str, Any], after: float) -> dict[str, Any]:
    """The event's known fields, JSON-safe, its time never before the previous event's."""
    t = event.get("t")
    t = float(t) if isinstance(t, int | float) else after
    cleaned: dict[str, Any] = {"t": round(max(t, after), 3), "phase": str(event.get("phase") or "")}
    for name in FIGURES:
        value = event.get(name)
        cleaned[name] = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    return cleaned


def result_event(result: Result, t: float) -> dict[str, Any]:
    """The figures of a finished result as a progress event."""
    return {"t": round(t, 3), "phase": "done", "served": result.served_quantity,
            "total": result.total_amount, "bound": result.bound,
            "served_bound": result.served_bound, "gap": result.gap}


class ProgressLog:
    """The callback the engine is given for one run (see the module docstring)."""

    def __init__(self, run: AllocationRun, *, clock: Callable[[], float] = time.monotonic):
        self.run = run
        self.clock = clock
        self.events: list[dict[str, Any]] = []
        self.last_write: float | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        after = self.events[-1]["t"] if self.events else 0.0
        self.events = thin([*self.events, _clean(event, after)])
        if self.last_write is None or self.clock() - self.last_write >= WRITE_EVERY_S:
            self.write()

    def write(self) -> None:
        """Store the events on the run and commit, so the run page sees them while it works."""
        self.run.progress_events = list(self.events)
        self.last_write = self.clock()
        try:
            commit_now()
        except Exception:  # noqa: BLE001 - a lost progress write must not stop the solve
            log.exception("could not store the progress of allocation run %s", self.run.id)
            rollback()

    def finish(self, result: Result, elapsed: float) -> None:
        """End the series on the result's figures (not committed: the outcome's commit does)."""
        after = self.events[-1]["t"] if self.events else 0.0
        last = result_event(result, max(elapsed, after))
        if not self.events or any(self.events[-1][k] != last[k] for k in FIGURES):
            self.events = thin([*self.events, last])
        self.run.progress_events = list(self.events)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The newest figures of a run in progress, as the live panel shows them."""

    phase: str
    served: int | None
    total: int | None
    bound: int | None
    served_bound: int | None
    gap: float | None
    at_s: float


def latest(run: AllocationRun) -> Snapshot | None:
    """The run's newest event, or None before the solver reported anything."""
    if not run.progress_events:
        return None
    event = run.progress_events[-1]
    return Snapshot(phase_words(event.get("phase")), event.get("served"), event.get("total"),
                    event.get("bound"), event.get("served_bound"), event.get("gap"),
                    float(event.get("t") or 0.0))


def convergence_charts(events: list[dict[str, Any]]) -> tuple[Chart, Chart] | None:
    """Spend against its proven bound, and seats served against the served bound, over time."""
    if not events:
        return None

    def line(name: str) -> list[tuple[float, float | None]]:
        return [(float(e["t"]), e.get(name)) for e in events]

    spend = charts.step_lines(
        [("spend of the best allocation", line("total")), ("proven lower bound", line("bound"))],
        title="Spend of the best allocation found, and the proven bound", y_label="spend",
        money=True,
    )
    seats = charts.step_lines(
        [("seats served", line("served")), ("most that can be served", line("served_bound"))],
        title="Seats served by the best allocation, and the most that can be served",
        y_label="seats",
    )
    return spend, seats
