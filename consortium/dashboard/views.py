"""The dashboard: the landing page after sign-in, one per role of the acting organisation."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from consortium.allocation.forms import ConfirmForm
from consortium.awards.models import Award
from consortium.awards.services import vendor_groups
from consortium.bids.sealed import vendor_bids
from consortium.clock import local_date, now
from consortium.commit_point import flash_and_redirect, on_refusal
from consortium.dashboard import services
from consortium.extensions import db
from consortium.policy import (
    can_manage_award,
    require,
    require_acting_org,
    require_managed_consortium,
)

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
def index():
    org = require_acting_org()
    if org.is_consortium:
        require_managed_consortium()
        return render_template(
            "dashboard/manager.html",
            consortium=org,
            tz=org.timezone,
            verifications=services.pending_verifications(org),
            bids_to_open=services.bids_to_open(org),
            to_allocate=services.to_allocate(org),
            runs=services.finished_runs(org),
            outstanding=services.acceptance_outstanding(org),
            expiring=services.contracts_expiring(org, local_date(now(), org.timezone)),
            expiring_days=services.EXPIRING_WITHIN.days,
            form=ConfirmForm(),
        )
    if org.is_vendor:
        return render_template(
            "dashboard/vendor.html",
            vendor=org,
            openings=services.vendor_open_for_bids(org),
            bids=vendor_bids(org.id),
            groups=vendor_groups(org.id),
        )
    return render_template(
        "dashboard/district.html",
        district=org,
        buys=services.district_open_buys(org),
        contracts=services.contracts_to_sign(org),
        invoices=services.invoices_due(org),
        standing=org.affiliations,
    )


@bp.post("/dashboard/awards/<int:award_id>/remind")
def remind(award_id: int):
    """Mail the districts that have not decided this award's contracts (once a day)."""
    award = db.get_or_404(Award, award_id)
    require(can_manage_award(current_user, award))
    ConfirmForm().validate()
    on_refusal(flash_and_redirect(url_for(".index")))
    districts = services.remind_undecided(award)
    flash(f"Reminder sent to {len(districts)} district(s) that have not decided "
          f"{award.solicitation.title}.", "success")
    return redirect(url_for(".index"), code=303)
