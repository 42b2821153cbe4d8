"""Manager pages: start runs, watch them, compare them and publish one as the award."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from consortium.allocation import compare as comparison
from consortium.allocation import jobs, progress, services, words
from consortium.allocation.forms import ConfirmForm, PublishForm, RunForm
from consortium.allocation.models import AllocationRun
from consortium.awards.services import award_for, publish_award
from consortium.clock import now
from consortium.commit_point import flash_and_redirect, on_refusal
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.policy import (
    can_view_run,
    require,
    require_managed_consortium,
)
from consortium.procurement.loaders import get_solicitation
from consortium.security import CONTENT_SECURITY_POLICY

bp = Blueprint("allocation", __name__)


# The allocation pages' plain words (`words.py`), for every template that shows a run.
for _name in ("policy_summary", "gap_percent", "result_words", "served_sentence"):
    bp.add_app_template_global(getattr(words, _name), _name)


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
        convergence=progress.convergence_charts(run.progress_events) if run.done else None,
        publish_form=ConfirmForm(),
        award=award_for(run.solicitation),
        refusal=services.runs_allowed(run.solicitation),
    )


# The live panel is framed by its own run page only: this one response may be framed by
# pages of the same origin, everything else keeps `frame-ancestors 'none'`.
FRAMED_BY_SELF = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


@bp.get("/allocation/runs/<int:run_id>/progress")
def run_progress(run_id: int):
    """The run page's live panel (in an iframe, refreshing itself while the run works)."""
    run = _run(run_id)
    started = run.started_at or run.created_at
    response = make_response(render_template(
        "allocation/progress.html",
        run=run,
        snapshot=progress.latest(run),
        elapsed=((run.finished_at or now()) - started) if started else None,
        convergence=progress.convergence_charts(run.progress_events),
    ))
    response.headers["Content-Security-Policy"] = FRAMED_BY_SELF
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/solicitations/<int:solicitation_id>/allocation/compare")
def compare(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)
    columns = comparison.columns(solicitation, set(request.args.getlist("run", type=int)))
    return render_template(
        "allocation/compare.html",
        solicitation=solicitation,
        columns=columns,
        figure=comparison.savings_chart(columns),
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


@bp.route("/allocation/runs/<int:run_id>/publish", methods=["GET", "POST"])
def publish(run_id: int):
    """Publishing mails every district and cannot be undone: GET says what it will do, and
    only a POST that carries the confirmation's `confirm` field publishes."""
    run = _run(run_id)
    back = url_for("allocation.run", run_id=run.id)
    confirm_page = url_for("allocation.publish", run_id=run.id)
    refusal = services.runs_allowed(run.solicitation) or (
        None if run.publishable else "Only a run that succeeded with an allocation can be published."
    )
    if refusal:
        flash(refusal, "error")
        return redirect(back, code=303)
    form = PublishForm()
    if request.method == "GET":
        return render_template(
            "allocation/publish.html", preview=comparison.publish_preview(run), form=form
        )
    if not form.validate():
        flash("The form expired; please try again.", "error")
        return redirect(confirm_page, code=303)
    if form.confirm.data != PublishForm.CONFIRMED:
        return redirect(confirm_page, code=303)  # the button on the run page: confirm first
    on_refusal(flash_and_redirect(back, code=303))
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
