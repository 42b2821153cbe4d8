"""Award pages: public verification, district contracts, vendor groups, manager reports."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from consortium import charts
from consortium.allocation.forms import ConfirmForm
from consortium.allocation.views import json_download
from consortium.awards import reports as award_reports
from consortium.awards import services
from consortium.awards.forms import DeclineForm
from consortium.awards.models import Award, AwardGroup, Contract, ContractStatus
from consortium.awards.results import award_results
from consortium.clock import now
from consortium.commit_point import mark_field, on_refusal
from consortium.confirm import confirmation, confirmed
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.filters import group_name, localtime, money
from consortium.policy import (
    can_decide_contract,
    can_manage_award,
    can_view_award_group,
    can_view_contract,
    require,
    require_acting_district,
    require_acting_vendor,
    require_managed_consortium,
)

bp = Blueprint("awards", __name__)


def _award(award_id: int, *, manage: bool = False) -> Award:
    award = db.get_or_404(Award, award_id)
    if manage:
        require(can_manage_award(current_user, award))
    return award


def _contract(contract_id: int) -> Contract:
    contract = db.get_or_404(Contract, contract_id)
    # Another district's contract does not exist as far as this user can tell.
    require(can_view_contract(current_user, contract), not_found=True)
    return contract


def _ladder(group: AwardGroup, contract: Contract | None = None) -> charts.Chart:
    """The group's tiers; on a contract, also what the district would pay per seat alone."""
    offer = services.group_offer(group)
    alone = None
    if contract is not None and contract.quantity:
        alone = (contract.quantity, round(contract.standalone_amount / contract.quantity))
    return charts.tier_ladder(
        [(t.up_to, t.unit_amount) for t in offer.tiers],
        group.quantity,
        title=f"Price tiers: {group_name(group)}",
        mode=offer.tiers_mode,
        alone=alone,
    )


@bp.get("/awards/")
def index():
    return render_template("awards/index.html", awards=services.published_awards())


@bp.get("/awards/reports")
def reports():
    org = require_managed_consortium()
    awards = services.published_awards(org.id)
    return render_template(
        "awards/reports.html",
        consortium=org,
        lines=[(award, award_reports.acceptance(award)) for award in awards],
    )


@bp.get("/awards/<int:award_id>")
def verify(award_id: int):
    award = _award(award_id)
    return render_template(
        "awards/verify.html",
        award=award,
        run=award.run,
        results=award_results(award),
        can_manage=can_manage_award(current_user, award),
    )


@bp.get("/awards/<int:award_id>/input.json")
def input_json(award_id: int):
    award = _award(award_id)
    return json_download(award.run.input_json, f"award-{award.id}-input.json")


@bp.get("/awards/<int:award_id>/result.json")
def result_json(award_id: int):
    award = _award(award_id)
    return json_download(award.run.result_json, f"award-{award.id}-result.json")


@bp.get("/awards/<int:award_id>/manage")
def manage(award_id: int):
    award = _award(award_id, manage=True)
    return render_template(
        "awards/manage.html",
        award=award,
        acceptance=award_reports.acceptance(award),
        unassigned=services.unassigned_of(award),
    )


@bp.get("/awards/<int:award_id>/report")
def report(award_id: int):
    award = _award(award_id, manage=True)
    report = award_reports.savings_report(award)
    figures = [
        charts.bar_chart(
            [(r.label, 100 * r.savings_rate) for r in report.by_band],
            title="Savings by district enrollment",
            value_label="savings against buying alone (%)",
            category_label="enrollment",
            percent=True,
        ),
        charts.bar_chart(
            [(r.label.capitalize(), 100 * r.savings_rate) for r in report.by_locale],
            title="Savings by locale",
            value_label="savings against buying alone (%)",
            category_label="locale",
            percent=True,
        ),
        charts.scatter(
            [charts.Point(x, y, group, name) for name, group, x, y in report.points],
            title="Groups over enrollment and broadband per student",
            x_label="enrollment",
            y_label="Mbps per student",
            series=[group_name(g) for g in award.groups],
        ),
    ]
    return render_template("awards/report.html", award=award, report=report, figures=figures)


@bp.get("/contracts")
def my_contracts():
    org = require_acting_district()
    return render_template(
        "awards/contracts.html",
        district=org,
        contracts=services.district_contracts(org.id),
        left_out=services.district_left_out(org.id),
        at=now(),
    )


def _contract_page(contract: Contract, form: ConfirmForm, status: int = 200):
    page = render_template(
        "awards/contract.html",
        contract=contract,
        group=contract.group,
        ladder=_ladder(contract.group, contract),
        form=form,
        can_decide=can_decide_contract(current_user, contract),
        phase=contract.phase(now()),
    )
    return page, status


@bp.get("/contracts/<int:contract_id>")
def contract(contract_id: int):
    return _contract_page(_contract(contract_id), ConfirmForm())


@bp.post("/contracts/<int:contract_id>/decision")
def decide(contract_id: int):
    contract = _contract(contract_id)
    require(can_decide_contract(current_user, contract))
    form = ConfirmForm()
    decision = request.form.get("decision")
    if not form.validate() or decision not in ("accept", "decline"):
        flash("Choose accept or decline.", "error")
        return redirect(url_for("awards.contract", contract_id=contract.id), code=303)

    def refused(error: DomainError):
        flash(error.message, "error")
        return _contract_page(contract, form, error.status)

    on_refusal(refused)
    if decision == "decline":
        decline = DeclineForm()
        if not confirmed() and contract.phase(now()) == ContractStatus.pending:
            return _decline_page(contract, decline, status=200)  # nothing changes yet
        if confirmed() and not decline.validate():
            return _decline_page(contract, decline, status=400)
        on_refusal(lambda error: _decline_page(contract, decline, error.status)
                   if mark_field(decline, error) else refused(error))
        services.decide_contract(contract, current_user, accept=False, reason=decline.reason.data)
        flash(f"Contract declined. {contract.award.solicitation.consortium.name} sees your reason.",
              "success")
        return redirect(url_for("awards.contract", contract_id=contract.id), code=303)
    services.decide_contract(contract, current_user, accept=True)
    flash(f"Contract {contract.status}.", "success")
    return redirect(url_for("awards.contract", contract_id=contract.id), code=303)


def _decline_page(contract: Contract, form: DeclineForm, status: int):
    """The decline's confirmation: final, and the reason is asked (nothing changes before)."""
    tz = contract.award.solicitation.consortium.timezone
    title = contract.award.solicitation.title
    return confirmation(
        title=f"Decline {contract.district.name}'s contract for {title}?",
        consequences=[
            f"This is final: {contract.district.name} will not buy its {contract.quantity:,} seats "
            f"({money(contract.amount, contract.award.solicitation.currency)}) and cannot accept "
            "later, even before the window closes on "
            f"{localtime(contract.accept_by, tz)}.",
            f"The other districts of group {contract.group.label} keep their price.",
            "Your reason is stored with the decision; the consortium's managers read it.",
        ],
        action=url_for("awards.decide", contract_id=contract.id), button="Decline the contract",
        back_url=url_for("awards.contract", contract_id=contract.id),
        back_label="Go back, decide later", hidden={"decision": "decline"},
        form=form, fields=["reason"], status=status,
    )


@bp.get("/vendor/groups")
def my_groups():
    org = require_acting_vendor()
    return render_template("awards/groups.html", vendor=org, groups=services.vendor_groups(org.id))


@bp.get("/awards/groups/<int:group_id>")
def group(group_id: int):
    group = db.get_or_404(AwardGroup, group_id)
    require(can_view_award_group(current_user, group), not_found=True)
    return render_template("awards/group.html", group=group, ladder=_ladder(group), at=now())
