"""The manager's payments pages: the overview, one award's, vendor's or district's invoices,
the CSV export of each, and a solicitation's payment terms (endpoints `payments.manage.*`)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for

from consortium.accounts.models import Organisation
from consortium.awards.models import Award
from consortium.clock import now
from consortium.commit_point import mark_field, on_refusal
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.payments import invoicing, lifecycle, reports
from consortium.payments.forms import PaymentTermsForm
from consortium.payments.wiring import payment_gateway
from consortium.policy import require_managed_consortium
from consortium.procurement.loaders import get_solicitation

bp = Blueprint("manage", __name__)
SCOPES = ("awards", "vendors", "districts")
@bp.get("/manage/payments")
def index():
    consortium = require_managed_consortium()
    invoices = reports.consortium_invoices(consortium.id)
    return render_template(
        "payments/manage.html", consortium=consortium, summary=reports.summarise(invoices),
        breakdowns=reports.breakdowns(invoices, now()), online=payment_gateway().online,
        attention=[i for i in invoices if i.sync_error or i.phase(now()) == "overdue"],
    )


def _csv(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/manage/payments.csv")
def index_csv():
    consortium = require_managed_consortium()
    invoices = reports.consortium_invoices(consortium.id)
    return _csv(reports.to_csv(invoices, consortium.timezone), f"payments-{consortium.slug}.csv")


def _scoped(consortium: Organisation, scope: str, key: int) -> tuple[str, list]:
    """(title, invoices) of one award, vendor or district of the consortium; 404 otherwise."""
    if scope == "awards":
        award = db.session.get(Award, key)
        if award is None or award.solicitation.consortium_id != consortium.id:
            abort(404)
        return award.solicitation.title, reports.consortium_invoices(consortium.id, award_id=key)
    if scope not in SCOPES:
        abort(404)
    org = db.session.get(Organisation, key)
    kind = "vendor" if scope == "vendors" else "district"
    if org is None or org.kind != kind or org.affiliation_with(consortium) is None:
        abort(404)
    narrowed = {f"{kind}_id": key}
    return org.name, reports.consortium_invoices(consortium.id, **narrowed)


@bp.get("/manage/payments/<scope>/<int:key>")
def scope(scope: str, key: int):
    consortium = require_managed_consortium()
    title, invoices = _scoped(consortium, scope, key)
    return render_template(
        "payments/scope.html", consortium=consortium, scope=scope, key=key, title=title,
        invoices=invoices, summary=reports.summarise(invoices), at=now(),
    )


@bp.get("/manage/payments/<scope>/<int:key>.csv")
def scope_csv(scope: str, key: int):
    consortium = require_managed_consortium()
    _title, invoices = _scoped(consortium, scope, key)
    return _csv(reports.to_csv(invoices, consortium.timezone), f"payments-{scope}-{key}.csv")


@bp.route("/manage/solicitations/<int:solicitation_id>/payment-terms",
          methods=["GET", "POST"])
def terms(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)  # its consortium's staff
    current = invoicing.terms_of(solicitation)
    form = PaymentTermsForm(data={"days_until_due": current.days_until_due,
                                  "reminder_days": ", ".join(map(str, current.reminder_days))})

    def page(status: int = 200):
        return render_template("payments/terms.html", form=form, solicitation=solicitation), status

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(400)

    def refused(error: DomainError):
        mark_field(form, error)
        return page(error.status)

    on_refusal(refused)
    lifecycle.set_terms(solicitation, form.days_until_due.data, form.reminders())
    flash("Payment terms saved: they apply to invoices made from now on.", "success")
    return redirect(url_for(".terms", solicitation_id=solicitation.id), code=303)
