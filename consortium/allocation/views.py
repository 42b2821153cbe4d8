"""Manager pages: start runs, watch them, compare them and publish one as the award."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from consortium import charts
from consortium.allocation import jobs, services
from consortium.allocation.forms import ConfirmForm, RunForm
from consortium.allocation.models import AllocationRun
from consortium.awards.services import award_for, publish_award
from consortium.commit_point import flash_and_redirect, on_refusal
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.policy import (
    can_view_run,
    require,
    require_managed_consortium,
)
from consortium.procurement.loaders import get_solicitation

bp = Blueprint("allocation", __name__)


def _run(run_id: int) -> AllocationRun:
    run = db.get_or_404(AllocationRun, run_id)
    require(can_view_run(current_user, run))
    return run


@bp.get("/allocation")
def index():
    org = require_managed_consortium()
    return render_template(
        "allocation/index.html", consortium=org, lines=services.consortium_overview(org.id)
    )


@bp.route("/solicitations/<int:solicitation_id>/allocation", methods=["GET", "POST"])
def runs(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)
    form = RunForm(data=RunForm.data_from_policy(solicitation.policy))

    def page(status: int = 200):
        return render_template(
            "allocation/runs.html",
            solicitation=solicitation,
            form=form,
            runs=services.solicitation_runs(solicitation),
            refusal=services.runs_allowed(solicitation),
            award=award_for(solicitation),
        ), status

    def refused(error: DomainError):
        flash(error.message, "error")
        return page(error.status)

    status = 200
    if request.method == "POST":
        if form.validate():
            on_refusal(refused)
            run = services.start_run(
                solicitation,
                current_user,
                label=form.label.data or "",
                policy=form.policy(),
                solver=form.solver_choice(),
            )
            jobs.run_after_commit(run.id)
            return redirect(url_for("allocation.run", run_id=run.id), code=303)
        status = 400
    return page(status)


@bp.get("/allocation/runs/<int:run_id>")
def run(run_id: int):
    run = _run(run_id)
    return render_template(
        "allocation/run.html",
        run=run,
        summary=services.summarise(run),
        publish_form=ConfirmForm(),
        award=award_for(run.solicitation),
        refusal=services.runs_allowed(run.solicitation),
    )


@bp.get("/solicitations/<int:solicitation_id>/allocation/compare")
def compare(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)
    chosen = set(request.args.getlist("run", type=int))
    runs = [
        r
        for r in services.solicitation_runs(solicitation)
        if (r.id in chosen if chosen else r.done)
    ]
    summaries = [services.summarise(r) for r in reversed(runs)]
    answered = [s.run for s in summaries if s.run.total_amount is not None]
    figure = (
        charts.bar_chart(
            [(r.label, 100 * (r.savings_rate or 0)) for r in answered],
            title="Savings against buying alone, by scenario",
            value_label="savings (%)",
            category_label="scenario",
            percent=True,
        )
        if answered
        else None
    )
    return render_template(
        "allocation/compare.html",
        solicitation=solicitation,
        summaries=summaries,
        figure=figure,
        publish_form=ConfirmForm(),
        award=award_for(solicitation),
    )


@bp.post("/allocation/runs/<int:run_id>/rerun")
def rerun(run_id: int):
    """Run the same policy and solver again (same opt-ins and bids give the same input hash)."""
    original = _run(run_id)
    form = ConfirmForm()
    if not form.validate():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("allocation.run", run_id=original.id), code=303)
    on_refusal(flash_and_redirect(url_for("allocation.run", run_id=original.id), code=303))
    run = services.start_run(
        original.solicitation,
        current_user,
        label=f"{original.label} (re-run)"[:120],
        policy=original.policy,
        solver=original.solver if original.solver in services.SOLVERS else None,
    )
    jobs.run_after_commit(run.id)
    return redirect(url_for("allocation.run", run_id=run.id), code=303)


@bp.post("/allocation/runs/<int:run_id>/publish")
def publish(run_id: int):
    run = _run(run_id)
    form = ConfirmForm()
    if not form.validate():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("allocation.run", run_id=run.id), code=303)
    on_refusal(flash_and_redirect(url_for("allocation.run", run_id=run.id), code=303))
    award = publish_award(run, current_user)
    flash("The award is published; districts and vendors have been notified.", "success")
    return redirect(url_for("awards.manage", award_id=award.id), code=303)


def json_download(text: str | None, filename: str) -> Response:
    """Serve stored JSON text exactly as stored, so its bytes hash to the recorded SHA-256."""
    require(text is not None, not_found=True)
    return Response(
        text.encode("utf-8"),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/allocation/runs/<int:run_id>/input.json")
def run_input(run_id: int):
    run = _run(run_id)
    return json_download(run.input_json, f"run-{run.id}-input.json")


@bp.get("/allocation/runs/<int:run_id>/result.json")
def run_result(run_id: int):
    run = _run(run_id)
    return json_download(run.result_json, f"run-{run.id}-result.json")
