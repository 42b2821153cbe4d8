"""Payments pages: a district's and a vendor's invoices, one invoice (and its printable
copy), its actions, fee statements, the vendor's Stripe payouts, and the Stripe webhook.

The manager's overview, CSV export and payment terms are `manage_views` (a blueprint
nested in this one: endpoints `payments.manage.*`).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from consortium.accounts.models import Organisation
from consortium.clock import now
from consortium.commit_point import flash_and_redirect, mark_field, on_refusal
from consortium.errors import DomainError
from consortium.extensions import csrf, db
from consortium.forms import AppForm
from consortium.payments import connect, lifecycle, reports, webhooks
from consortium.payments.forms import ActionForm, PaymentForm, PurchaseOrderForm, VoidForm
from consortium.payments.manage_views import bp as manage_bp
from consortium.payments.models import Invoice
from consortium.payments.records import GatewayUnavailable, WebhookVerificationError
from consortium.payments.states import METHOD_LABELS
from consortium.payments.wiring import payment_gateway
from consortium.policy import (
    can_manage_consortium,
    can_manage_invoice,
    can_manage_payouts,
    can_record_purchase_order,
    can_view_fee_statement,
    can_view_invoice,
    require,
    require_acting_org,
    require_acting_vendor,
)

bp = Blueprint("payments", __name__)
bp.register_blueprint(manage_bp)
bp.add_app_template_global(reports.contract_invoices, "contract_invoices")
bp.add_app_template_global(connect.payout_status, "payout_status")


def _invoice(invoice_id: int) -> Invoice:
    invoice = db.get_or_404(Invoice, invoice_id)
    # Another district's (or vendor's) invoice does not exist as far as this user can tell.
    require(can_view_invoice(current_user, invoice), not_found=True)
    return invoice


@bp.get("/invoices")
def invoices():
    org = require_acting_org()
    if org.is_consortium:
        return redirect(url_for(".manage.index"))
    listed = (reports.district_invoices if org.is_district else reports.vendor_invoices)(org.id)
    return render_template(
        "payments/invoices.html", org=org, invoices=listed, summary=reports.summarise(listed),
        statements=reports.statement_consortia(org) if org.is_vendor else [],
    )


def _page(invoice: Invoice, *, status: int = 200, error: str | None = None, **forms):
    tz = invoice.consortium.timezone
    today = reports.today_in(tz)
    managing = can_manage_invoice(current_user, invoice)
    forms.setdefault("payment_form", PaymentForm(formdata=None, data={
        "amount": f"{invoice.balance_cents // 100}.{invoice.balance_cents % 100:02d}",
        "received_on": today, "expected_paid": str(invoice.amount_paid_cents)}))
    forms.setdefault("void_form", VoidForm(formdata=None))
    forms.setdefault("po_form", PurchaseOrderForm(formdata=None, data={"po_number": invoice.po_number}))
    return render_template(
        "payments/invoice.html", invoice=invoice, tz=tz, phase=invoice.phase(now()),
        managing=managing, is_district=can_record_purchase_order(current_user, invoice),
        online=payment_gateway().online, action_form=ActionForm(formdata=None),
        method_labels=METHOD_LABELS, error=error, **forms,
    ), status


def _refusal(invoice: Invoice, form_name: str, form):
    def answer(refusal: DomainError):
        shown = mark_field(form, refusal, aliases={"amount_cents": "amount"})
        return _page(invoice, status=refusal.status, error=None if shown else refusal.message,
                     **{form_name: form})
    return answer


@bp.get("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    return _page(_invoice(invoice_id))


@bp.get("/invoices/<int:invoice_id>/print")
def print_invoice(invoice_id: int):
    invoice = _invoice(invoice_id)
    return render_template("payments/print.html", invoice=invoice, tz=invoice.consortium.timezone)


def _act(invoice_id: int, may: Callable[..., bool], form_name: str, form: AppForm,
         act: Callable[[Invoice], object], done: Callable[[Invoice], str]):
    """An invoice form's POST: allowed?, valid?, the service (refusals shown on the page), back."""
    invoice = _invoice(invoice_id)
    require(may(current_user, invoice))
    if not form.validate():
        return _page(invoice, status=400, **{form_name: form})
    on_refusal(_refusal(invoice, form_name, form))
    act(invoice)
    flash(done(invoice), "success")
    return redirect(url_for(".invoice", invoice_id=invoice.id), code=303)


@bp.post("/invoices/<int:invoice_id>/purchase-order")
def purchase_order(invoice_id: int):
    form = PurchaseOrderForm()
    return _act(invoice_id, can_record_purchase_order, "po_form", form,
                lambda invoice: lifecycle.record_purchase_order(invoice, form.po_number.data),
                lambda i: f"Purchase order {i.po_number} recorded on invoice {i.number}.")


@bp.post("/invoices/<int:invoice_id>/payments")
def record_payment(invoice_id: int):
    form = PaymentForm()
    return _act(invoice_id, can_manage_invoice, "payment_form", form,
                lambda invoice: lifecycle.record_payment(invoice, user=current_user, **form.values()),
                lambda i: f"Payment recorded on invoice {i.number}"
                          f"{': it is paid in full' if i.balance_cents == 0 else ''}.")


@bp.post("/invoices/<int:invoice_id>/void")
def void(invoice_id: int):
    form = VoidForm()
    return _act(invoice_id, can_manage_invoice, "void_form", form,
                lambda invoice: lifecycle.void(invoice, form.reason.data),
                lambda i: f"Invoice {i.number} voided; the district and the vendor are told.")


@bp.post("/invoices/<int:invoice_id>/reminder")
def remind(invoice_id: int):
    invoice = _invoice(invoice_id)
    require(can_manage_invoice(current_user, invoice))
    ActionForm().validate()
    on_refusal(flash_and_redirect(url_for(".invoice", invoice_id=invoice.id), code=303))
    lifecycle.remind(invoice)
    flash(f"Reminder sent to {invoice.district.name}.", "success")
    return redirect(url_for(".invoice", invoice_id=invoice.id), code=303)


@bp.get("/fee-statements/<int:consortium_id>/<int:vendor_id>")
def fee_statement(consortium_id: int, vendor_id: int):
    consortium = db.get_or_404(Organisation, consortium_id)
    vendor = db.get_or_404(Organisation, vendor_id)
    require(consortium.is_consortium and can_view_fee_statement(current_user, consortium, vendor),
            not_found=True)
    quarter = reports.Quarter.parse(request.args.get("quarter"), reports.today_in(consortium.timezone))
    return render_template(
        "payments/statement.html", statement=reports.fee_statement(consortium, vendor, quarter),
        managing=can_manage_consortium(current_user, consortium),
    )


# ------------------------------------------------------------------ vendor payouts (Connect)


def _payouts_vendor() -> Organisation:
    vendor = require_acting_vendor()
    require(can_manage_payouts(current_user, vendor))
    on_refusal(flash_and_redirect(url_for("accounts.profile"), code=303))
    return vendor


def _urls() -> dict[str, str]:
    return {"refresh_url": url_for(".refresh_onboarding", _external=True),
            "return_url": url_for("accounts.profile", _external=True, payouts="returned")}


@bp.post("/org/payouts")
def start_onboarding():
    vendor = _payouts_vendor()
    ActionForm().validate()
    link = connect.onboarding_link(vendor, **_urls())
    return redirect(link.url, code=303)


@bp.get("/org/payouts/refresh")
def refresh_onboarding():
    """Stripe's refresh_url: the link expired or was used; a fresh one (nothing is stored)."""
    vendor = _payouts_vendor()
    link = connect.onboarding_link(vendor, create=False, **_urls())
    return redirect(link.url, code=303)


@bp.post("/org/payouts/status")
def refresh_payouts():
    vendor = _payouts_vendor()
    ActionForm().validate()
    account = connect.refresh(vendor)
    flash("Stripe payouts are ready." if account.ready else
          "Stripe still needs: " + (", ".join(account.currently_due) or "its review to finish") + ".",
          "success" if account.ready else "info")
    return redirect(url_for("accounts.profile"), code=303)


# ------------------------------------------------------------------ the Stripe webhook


@bp.post("/webhooks/stripe")  # public: see policy.py's payments section
@csrf.exempt
def stripe_webhook():
    try:
        receipt = webhooks.receive(request.get_data(), request.headers.get("Stripe-Signature"))
    except WebhookVerificationError as error:
        return jsonify(error=f"refused: {error}"), 400
    except GatewayUnavailable:
        # Nothing is kept (the answer rolls back): Stripe delivers it again later.
        return jsonify(error="Stripe could not be reached to check the event; retry."), 503
    return jsonify(received=receipt.event_id, type=receipt.type, outcome=receipt.outcome)
