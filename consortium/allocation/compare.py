"""Runs of one solicitation side by side: the order, who serves fewer seats than whom, and
what publishing a run will do.

Seats served come first (the optimiser's first objective), spend second: a run that leaves
districts out is never shown as the better scenario because it is cheaper.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from consortium import charts
from consortium.allocation.models import AllocationRun, RunStatus
from consortium.allocation.services import RunSummary, solicitation_runs, summarise
from consortium.procurement.models import Solicitation


@dataclass(frozen=True, slots=True)
class Shortfall:
    """How much less a run serves than the run of its solicitation that serves the most."""

    rival: AllocationRun
    seats: int
    districts: int  # districts the rival serves that this run leaves out


@dataclass(frozen=True, slots=True)
class Column:
    """One run of the comparison table."""

    summary: RunSummary
    shortfall: Shortfall | None

    @property
    def run(self) -> AllocationRun:
        return self.summary.run


def order_key(run: AllocationRun) -> tuple:
    """Most seats served first, then the largest savings; runs without a result last."""
    return (
        run.served_quantity is None,
        -(run.served_quantity or 0),
        -(run.savings or 0),
        run.id,
    )


def _leader(runs: list[AllocationRun]) -> AllocationRun | None:
    """The succeeded run that serves the most seats (the cheaper one on a tie)."""
    done = [r for r in runs if r.status == RunStatus.succeeded and r.served_quantity is not None]
    return min(done, key=order_key, default=None)


def shortfall(summary: RunSummary, leader: RunSummary | None) -> Shortfall | None:
    run = summary.run
    if leader is None or run.served_quantity is None or leader.run.id == run.id:
        return None
    seats = (leader.run.served_quantity or 0) - run.served_quantity
    if seats <= 0:
        return None
    return Shortfall(leader.run, seats, len(leader.served_buyers - summary.served_buyers))


def columns(solicitation: Solicitation, chosen: set[int]) -> list[Column]:
    """The chosen runs (every finished run when none is chosen), best first, each flagged
    against the best succeeded run of the whole solicitation."""
    every = solicitation_runs(solicitation)
    runs = [r for r in every if (r.id in chosen if chosen else r.done)]
    leader_run = _leader(every)
    summaries = {r.id: summarise(r) for r in runs}
    leader = None
    if leader_run is not None:
        leader = summaries.get(leader_run.id) or summarise(leader_run)
    return [
        Column(summaries[r.id], shortfall(summaries[r.id], leader))
        for r in sorted(runs, key=order_key)
    ]


def savings_chart(cols: list[Column]) -> charts.Chart | None:
    answered = [c.run for c in cols if c.run.total_amount is not None]
    if not answered:
        return None
    return charts.hbar_chart(
        [(r.label, 100 * (r.savings_rate or 0)) for r in answered],
        title="Savings against buying alone, by scenario",
        value_label="savings (%)",
        category_label="scenario",
        percent=True,
    )


@dataclass(frozen=True, slots=True)
class PublishPreview:
    """What publishing a run does, said before it is done."""

    summary: RunSummary
    districts_mailed: int
    vendors_mailed: int
    contracts: int
    groups: int
    left_out: int
    shortfall: Shortfall | None

    @property
    def run(self) -> AllocationRun:
        return self.summary.run


def publish_preview(run: AllocationRun) -> PublishPreview:
    """Counts for the confirmation page: every opted-in district and bidding vendor is mailed."""
    summary = summarise(run)
    data = json.loads(run.input_json) if run.input_json else {}
    leader_run = _leader(solicitation_runs(run.solicitation))
    leader = summarise(leader_run) if leader_run is not None else None
    return PublishPreview(
        summary=summary,
        districts_mailed=len(data.get("buyers", [])) + len(run.set_aside or []),
        vendors_mailed=len({o.get("vendor") for o in data.get("offers", [])}),
        contracts=summary.served_districts,
        groups=summary.groups,
        left_out=len(summary.unassigned),
        shortfall=shortfall(summary, leader),
    )
