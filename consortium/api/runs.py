"""Allocation runs: start one (queued, performed by a worker), watch its progress, read its
exact input and result JSON, and publish it as the award. The consortium's staff only."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, abort
from flask_login import current_user
from sqlalchemy import select

from consortium.allocation import jobs
from consortium.allocation import services as allocation
from consortium.allocation.models import AllocationRun, RunStatus
from consortium.api.core import (
    ID,
    ApiBlueprint,
    PageArgs,
    Schema,
    UtcDateTime,
    page_schema,
    paginate,
    text,
)
from consortium.api.schemas import Grouping
from consortium.awards.services import publish_award
from consortium.extensions import db
from consortium.policy import can_view_run, require
from consortium.procurement.grouping import PolicyChoices
from consortium.procurement.loaders import get_solicitation

blp = ApiBlueprint("runs", tag="Allocation runs",
                   description="Optimiser runs: scenarios of the grouping, one published.")
F = ma.fields


class Run(ma.Schema):
    id = F.Integer(required=True)
    solicitation_id = F.Integer(required=True)
    label = F.String(required=True)
    status = F.String(required=True, metadata={"enum": [s.value for s in RunStatus]})
    progress = F.String(required=True, metadata={"description": "What the run is doing now."})
    done = F.Boolean(required=True)
    publishable = F.Boolean(required=True)
    solver = F.String(allow_none=True, required=True)
    solver_version = F.String(allow_none=True, required=True)
    result_status = F.String(allow_none=True, required=True,
                             metadata={"description": "optimal, feasible, infeasible, ..."})
    currency = F.String(required=True)
    total_amount = F.Integer(allow_none=True, required=True)
    standalone_amount = F.Integer(allow_none=True, required=True,
                                  metadata={"description": "What the served districts would pay alone."})
    savings_amount = F.Integer(allow_none=True, required=True)
    bound_amount = F.Integer(allow_none=True, required=True,
                             metadata={"description": "Proven lower bound of the total."})
    gap = F.Float(allow_none=True, required=True)
    served_quantity = F.Integer(allow_none=True, required=True)
    input_sha256 = F.String(allow_none=True, required=True)
    duration_s = F.Float(allow_none=True, required=True)
    error = F.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    started_at = UtcDateTime(allow_none=True, required=True)
    finished_at = UtcDateTime(allow_none=True, required=True)


RunPage = page_schema(Run, "RunPage")


class RunFilter(PageArgs):
    status = F.String(validate=ma.validate.OneOf([s.value for s in RunStatus]))


class RunIn(Schema):
    label = text(120, load_default="")
    grouping = F.Nested(Grouping, load_default=None, allow_none=True,
                        metadata={"description": "This scenario's policy (default: the solicitation's)."})
    solver = F.String(allow_none=True, load_default=None,
                      validate=ma.validate.OneOf(allocation.SOLVERS))


class AwardCreated(ma.Schema):
    id = F.Integer(required=True)
    solicitation_id = F.Integer(required=True)
    run_id = F.Integer(required=True)
    published_at = UtcDateTime(required=True)


def run_data(run: AllocationRun) -> dict[str, Any]:
    """A run as the `Run` schema."""
    return {
        **{name: getattr(run, name) for name in (
            "id", "solicitation_id", "label", "progress", "done", "publishable", "solver",
            "solver_version", "result_status", "total_amount", "gap", "served_quantity",
            "input_sha256", "duration_s", "error", "created_at", "started_at", "finished_at")},
        "status": run.status.value,
        "currency": run.solicitation.currency,
        "standalone_amount": run.standalone_total,
        "savings_amount": run.savings,
        "bound_amount": run.bound,
    }


def _run(run_id: int) -> AllocationRun:
    run = db.session.get(AllocationRun, run_id)
    if run is None:
        abort(404)
    require(can_view_run(current_user, run))
    return run


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/runs", "GET", errors=[403, 404, 422])
@blp.arguments(RunFilter, location="query")
@blp.response(200, RunPage)
def list_runs(args, solicitation_id: int):
    """The solicitation's runs, newest first."""
    solicitation = get_solicitation(solicitation_id, manage=True)
    query = (
        select(AllocationRun)
        .where(AllocationRun.solicitation_id == solicitation.id)
        .order_by(AllocationRun.id.desc())
    )
    if "status" in args:
        query = query.where(AllocationRun.status == args["status"])
    return paginate(query, args, run_data)


@blp.operation(f"/solicitations/<{ID}:solicitation_id>/runs", "POST",
               errors=[403, 404, 409, 422])
@blp.arguments(RunIn)
@blp.response(202, Run)
def start(data, solicitation_id: int):
    """Start a run (after the bids are opened); poll GET /runs/{id} until `done`."""
    solicitation = get_solicitation(solicitation_id, manage=True)
    grouping = data["grouping"]
    policy = PolicyChoices(**grouping).as_policy() if grouping is not None else {}
    run = allocation.start_run(
        solicitation, current_user, label=data["label"], policy=policy, solver=data["solver"]
    )
    jobs.run_after_commit(run.id)
    return run_data(run)


@blp.operation(f"/runs/<{ID}:run_id>", "GET", errors=[403, 404])
@blp.response(200, Run)
def get_run(run_id: int):
    """A run's status and progress, and once done its totals."""
    return run_data(_run(run_id))


def _document(text_: str | None) -> Response:
    if text_ is None:
        abort(404, "Not there yet: the run has not built it.")
    # The stored text as is, so its bytes hash to the run's input_sha256.
    return Response(text_.encode("utf-8"), mimetype="application/json")


JSON_DOCUMENT = {"type": "object", "description": "ALLOCATION.md's JSON, byte for byte as stored."}


@blp.operation(f"/runs/<{ID}:run_id>/input", "GET", errors=[403, 404])
@blp.alt_response(200, schema=JSON_DOCUMENT, success=True, description="The exact input.")
def run_input(run_id: int):
    """The instance the run solved (its SHA-256 is `input_sha256`)."""
    return _document(_run(run_id).input_json)


@blp.operation(f"/runs/<{ID}:run_id>/result", "GET", errors=[403, 404])
@blp.alt_response(200, schema=JSON_DOCUMENT, success=True, description="The solver's result.")
def run_result(run_id: int):
    """The solver's result: groups, assignments, and why districts were left out."""
    return _document(_run(run_id).result_json)


@blp.operation(f"/runs/<{ID}:run_id>/publish", "POST", errors=[403, 404, 409])
@blp.response(201, AwardCreated)
def publish(run_id: int):
    """Publish this run as the award: contracts for every placed district, mail to all."""
    award = publish_award(_run(run_id), current_user)
    return award
