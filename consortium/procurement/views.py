"""Procurement pages: the public list and detail, district opt-ins, manager solicitations and clauses."""

from __future__ import annotations

from decimal import Decimal

import click
from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user

from consortium.accounts.affiliations import profile_gaps
from consortium.awards.services import award_outcomes, outcomes_by_district
from consortium.bids.demand import MIN_CELL, public_demand, vendor_demand
from consortium.clock import now
from consortium.commit_point import Answer, mark_field, on_refusal
from consortium.confirm import confirmation, confirmed
from consortium.context import current_org
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.filters import quantity
from consortium.policy import (
    can_bid,
    can_edit_clause,
    can_manage_solicitation,
    can_opt_in_for,
    is_verified_member,
    require,
    require_acting_district,
    require_managed_consortium,
)
from consortium.procurement import confirmations, services
from consortium.procurement.forms import (
    CATEGORIES,
    ClauseForm,
    DeadlinesForm,
    OptInForm,
    SolicitationForm,
    WithdrawForm,
)
from consortium.procurement.loaders import get_solicitation
from consortium.procurement.models import (
    Clause,
    Solicitation,
    SolicitationStatus,
    accepts_opt_ins,
    allowed_transitions,
    phase,
)
from consortium.transaction import atomic

bp = Blueprint("procurement", __name__)

# The home page (templates/home.html includes procurement/_home_open.html) calls this.
bp.add_app_template_global(services.open_solicitations_summary, "open_solicitations_summary")
# Everyone but the consortium's managers sees momentum as vendors do: small cells withheld,
# or a vendor could read one district's quantity off the public page.
bp.add_app_template_filter(vendor_demand, "public_demand")
bp.add_app_template_global(MIN_CELL, "DEMAND_MIN_CELL")


@bp.cli.command("remind-deadlines")
def remind_deadlines_command() -> None:
    """Mail districts whose opt-in deadline is within two days (run it hourly from cron)."""
    with atomic():
        reminded = services.send_deadline_reminders()
    for solicitation in reminded:
        click.echo(f"reminded: {solicitation.id} {solicitation.title}")
    click.echo(f"{len(reminded)} solicitation(s) reminded")


# ---------------------------------------------------------------- public


@bp.get("/solicitations")
def index():
    return render_template("procurement/index.html", summaries=services.public_summaries())


def _render_detail(solicitation: Solicitation, *, form: OptInForm | None = None,
                   error: str | None = None, status: int = 200):
    at = now()
    org = current_org()
    is_district = can_opt_in_for(current_user, org)
    opt_in = services.opt_in_of(org, solicitation) if is_district else None
    if is_district and form is None:
        form = OptInForm(
            formdata=None,
            data={
                "quantity": opt_in.quantity if opt_in else None,
                "max_unit_price": (
                    Decimal(opt_in.max_unit_amount) / 100
                    if opt_in and opt_in.max_unit_amount is not None else None
                ),
                "version": str(opt_in.version if opt_in else 0),
            },
        )
    if form is not None:
        limit = services.seat_limit(org)
        if limit is not None:
            form.quantity.description = (
                f"{form.quantity.description} For {org.name}: at most {limit:,} seats."
            )
    managing = can_manage_solicitation(current_user, solicitation)
    momentum = services.momentum(solicitation)
    outcome = (award_outcomes(org.id, [solicitation.id]).get(solicitation.id)
               if opt_in is not None and opt_in.is_live else None)
    return render_template(
        "procurement/detail.html",
        solicitation=solicitation,
        tz=solicitation.consortium.timezone,
        phase=phase(solicitation, at),
        momentum=momentum if managing else public_demand(solicitation, momentum),
        policy_words=services.describe_policy(solicitation.policy),
        requirement_words=services.describe_requirements(solicitation.requirements),
        is_district=is_district,
        district=org if is_district else None,
        verified=is_district and is_verified_member(org, solicitation.consortium_id),
        profile_gaps=profile_gaps(org) if is_district else [],
        accepting=accepts_opt_ins(solicitation, at),
        opt_in=opt_in,
        outcome=outcome,
        form=form,
        withdraw_form=WithdrawForm(formdata=None, data={"version": str(opt_in.version)}) if opt_in else None,
        error=error,
        managing=managing,
        may_bid=can_bid(current_user, solicitation),
        transitions=allowed_transitions(solicitation, at) if managing else frozenset(),
        Status=SolicitationStatus,
    ), status


@bp.get("/solicitations/<int:solicitation_id>")
def detail(solicitation_id: int):
    return _render_detail(get_solicitation(solicitation_id, with_clauses=True))


def _detail_refusal(solicitation: Solicitation) -> Answer:
    """Answer a refusal with the solicitation's page, the reason on top, at its status."""
    return lambda error: _render_detail(solicitation, error=error.message, status=error.status)


@bp.post("/solicitations/<int:solicitation_id>/opt-in")
def opt_in(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id)
    district = require_acting_district()
    form = OptInForm()
    if not form.validate():
        return _render_detail(solicitation, form=form, status=400)

    def refused(error: DomainError):
        # Without a field to mark, show the opt-in as it is now (a stale form: its new version).
        shown = form if mark_field(form, error) else None
        return _render_detail(solicitation, form=shown, error=error.message, status=error.status)

    on_refusal(refused)
    services.upsert_opt_in(
        district, solicitation, form.quantity.data, form.ceiling_cents(),
        expected_version=form.expected_version(),
    )
    flash(f"{district.name} is in: {quantity(form.quantity.data, solicitation.unit)}.", "success")
    return redirect(url_for(".detail", solicitation_id=solicitation.id))


@bp.post("/solicitations/<int:solicitation_id>/withdraw")
def withdraw(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id)
    district = require_acting_district()
    form = WithdrawForm()
    form.validate()
    on_refusal(_detail_refusal(solicitation))
    opt_in = services.opt_in_of(district, solicitation)
    if not confirmed() and opt_in is not None and opt_in.is_live:  # else the service refuses
        return confirmation(
            title=f"Withdraw {district.name} from {solicitation.title}?",
            consequences=confirmations.withdraw_opt_in(opt_in),
            action=url_for(".withdraw", solicitation_id=solicitation.id),
            button="Withdraw the opt-in", hidden={"version": form.version.data or "0"},
            back_url=url_for(".detail", solicitation_id=solicitation.id),
        )
    services.withdraw_opt_in(district, solicitation, expected_version=form.expected_version())
    flash(f"{district.name} withdrew from {solicitation.title}. You can opt in again until the deadline.",
          "success")
    return redirect(url_for(".detail", solicitation_id=solicitation.id))


@bp.get("/my/opt-ins")
def my_opt_ins():
    district = require_acting_district()
    opt_ins = services.district_opt_ins(district)
    return render_template(
        "procurement/my_opt_ins.html",
        district=district,
        opt_ins=opt_ins,
        outcomes=award_outcomes(district.id, [o.solicitation_id for o in opt_ins if o.is_live]),
        at=now(),
        phase=phase,
    )


# ---------------------------------------------------------------- manager: solicitations


@bp.get("/manage/solicitations")
def manage():
    consortium = require_managed_consortium()
    solicitations = services.solicitations_of(consortium)
    return render_template(
        "procurement/manage.html",
        consortium=consortium,
        solicitations=solicitations,
        momenta=services.momenta([s.id for s in solicitations]),
        at=now(),
        phase=phase,
    )


def _solicitation_form(consortium, **kwargs) -> SolicitationForm:
    form = SolicitationForm(tz=consortium.timezone, **kwargs)
    form.clause_ids.choices = [(c.id, c.title) for c in services.clause_library(consortium)]
    return form


def _render_form(form, consortium, solicitation=None, status=200, error=None):
    return render_template(
        "procurement/form.html", form=form, consortium=consortium, solicitation=solicitation,
        categories=CATEGORIES, error=error,
    ), status


def _form_refusal(form, consortium, solicitation=None) -> Answer:
    """Answer a refusal with the form again, the refusal next to its field and on top."""

    def answer(error: DomainError):
        mark_field(form, error, aliases={"admin_fee_bps": "admin_fee"})
        return _render_form(form, consortium, solicitation, status=error.status, error=error.message)

    return answer


@bp.route("/manage/solicitations/new", methods=["GET", "POST"])
def new():
    consortium = require_managed_consortium()
    form = _solicitation_form(consortium)
    if not form.is_submitted():
        return _render_form(form, consortium)
    if not form.validate():
        return _render_form(form, consortium, status=400)
    on_refusal(_form_refusal(form, consortium))
    solicitation = services.create_solicitation(consortium, form.values(), form.clause_ids.data)
    flash("Draft saved. Review it, then publish it to open opt-ins.", "success")
    return redirect(url_for(".detail", solicitation_id=solicitation.id))


@bp.route("/manage/solicitations/<int:solicitation_id>/edit", methods=["GET", "POST"])
def edit(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)
    consortium = solicitation.consortium
    tz = consortium.timezone
    if solicitation.status == SolicitationStatus.open:
        return _extend(solicitation, tz)
    if solicitation.status != SolicitationStatus.draft:
        flash(f"A solicitation that is {phase(solicitation, now())} can no longer be edited.", "error")
        return redirect(url_for(".detail", solicitation_id=solicitation.id))
    data = SolicitationForm.data_from(solicitation, tz)
    form = _solicitation_form(consortium, data=data)
    if not form.is_submitted():
        return _render_form(form, consortium, solicitation)
    if not form.validate():
        return _render_form(form, consortium, solicitation, status=400)
    on_refusal(_form_refusal(form, consortium, solicitation))
    services.update_draft(solicitation, form.values(), form.clause_ids.data)
    flash("Draft updated.", "success")
    return redirect(url_for(".detail", solicitation_id=solicitation.id))


def _extend(solicitation: Solicitation, tz: str):
    form = DeadlinesForm(tz=tz, data=DeadlinesForm.data_from(solicitation, tz))

    def page(status=200, error=None):
        return render_template("procurement/deadlines.html", form=form, solicitation=solicitation,
                               tz=tz, error=error), status

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(400)

    def refused(error: DomainError):
        mark_field(form, error)
        return page(error.status, error.message)

    on_refusal(refused)
    services.extend_deadlines(solicitation, *form.deadlines())
    flash("Deadlines updated.", "success")
    return redirect(url_for(".detail", solicitation_id=solicitation.id))


@bp.post("/manage/solicitations/<int:solicitation_id>/publish")
def publish(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)
    on_refusal(_detail_refusal(solicitation))
    if not confirmed():
        return confirmation(
            title=f"Publish {solicitation.title}?",
            consequences=confirmations.publish(solicitation),
            action=url_for(".publish", solicitation_id=solicitation.id), button="Publish",
            back_url=url_for(".detail", solicitation_id=solicitation.id),
            back_label="Not yet: back to the draft",
        )
    services.publish(solicitation)
    flash("Published: districts can opt in and vendors can bid until the deadlines.", "success")
    return redirect(url_for(".detail", solicitation_id=solicitation.id))


@bp.post("/manage/solicitations/<int:solicitation_id>/cancel")
def cancel(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)
    on_refusal(_detail_refusal(solicitation))
    if not confirmed():
        return confirmation(
            title=f"Cancel {solicitation.title}?",
            consequences=confirmations.cancel(solicitation),
            action=url_for(".cancel", solicitation_id=solicitation.id),
            button="Cancel the solicitation",
            back_url=url_for(".detail", solicitation_id=solicitation.id),
            back_label="Keep it",
        )
    services.cancel(solicitation)
    flash("Solicitation cancelled.", "success")
    return redirect(url_for(".detail", solicitation_id=solicitation.id))


@bp.get("/manage/solicitations/<int:solicitation_id>/opt-ins")
def opt_ins(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)
    return render_template(
        "procurement/opt_ins.html",
        solicitation=solicitation,
        opt_ins=services.all_opt_ins(solicitation),
        outcomes=outcomes_by_district(solicitation),
        momentum=services.momentum(solicitation),
        tz=solicitation.consortium.timezone,
        at=now(),
    )


@bp.get("/manage/solicitations/<int:solicitation_id>/opt-ins.csv")
def opt_ins_csv(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)
    return Response(
        services.opt_ins_csv(solicitation),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="solicitation-{solicitation.id}-opt-ins.csv"',
            "Cache-Control": "no-store",
        },
    )


# ---------------------------------------------------------------- manager: clause library


@bp.get("/manage/clauses")
def clauses():
    consortium = require_managed_consortium()
    return render_template("procurement/clauses.html", consortium=consortium,
                           clauses=services.clause_library(consortium))


@bp.route("/manage/clauses/new", methods=["GET", "POST"])
def new_clause():
    consortium = require_managed_consortium()
    form = ClauseForm()
    if form.is_submitted():
        if not form.validate():
            return render_template("procurement/clause_form.html", form=form, clause=None), 400
        services.create_clause(consortium, form.title.data, form.body.data)
        flash("Clause added to the library.", "success")
        return redirect(url_for(".clauses"))
    return render_template("procurement/clause_form.html", form=form, clause=None)


@bp.route("/manage/clauses/<int:clause_id>/edit", methods=["GET", "POST"])
def edit_clause(clause_id: int):
    clause = db.get_or_404(Clause, clause_id)
    require(can_edit_clause(current_user, clause))
    form = ClauseForm(data={"title": clause.title, "body": clause.body})
    if form.is_submitted():
        if not form.validate():
            return render_template("procurement/clause_form.html", form=form, clause=clause), 400
        services.update_clause(clause, form.title.data, form.body.data)
        flash("Clause saved.", "success")
        return redirect(url_for(".clauses"))
    return render_template("procurement/clause_form.html", form=form, clause=clause)
