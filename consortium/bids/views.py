"""Vendor pages (products, declarations, demand, sealed bids) and the manager's bid opening."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from consortium.allocation.adapter import version_offer
from consortium.bids.demand import demand_of, open_for_bids
from consortium.bids.eligibility import declaration_gaps, vendor_declarations
from consortium.bids.forms import BidForm, ProductForm, ScheduleUploadForm
from consortium.bids.loaders import get_bidding
from consortium.bids.models import Bid, BidVersion, Product
from consortium.bids.opening import open_bids, opened_bids, opening_lines, openings
from consortium.bids.products import delete_product, save_product, vendor_products
from consortium.bids.schedule_csv import TEMPLATE, parse_schedule
from consortium.bids.schedules import schedule_preview
from consortium.bids.sealed import (
    bid_deadline_passed,
    counting_version,
    submit_bid,
    vendor_bids,
    withdraw_bid,
)
from consortium.commit_point import flash_and_redirect, mark_field, on_refusal
from consortium.confirm import confirmation, confirmed
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.filters import localtime
from consortium.policy import (
    can_bid,
    can_edit_product,
    can_see_nonces,
    can_view_bid,
    can_view_demand,
    require,
    require_acting_vendor,
    require_managed_consortium,
)
from consortium.procurement.loaders import get_solicitation
from consortium.procurement.models import Solicitation, bids_are_open
from consortium.procurement.services import describe_requirements, momentum

bp = Blueprint("bids", __name__, url_prefix="/bids")


def get_bid(public_id: str) -> Bid:
    """Load a bid the current user may read; 404 otherwise, so a sealed bid's existence never leaks."""
    bid = db.session.scalars(select(Bid).where(Bid.public_id == public_id[:32])).first()
    if bid is None or not can_view_bid(current_user, bid):
        abort(404)
    return bid


# --- products -------------------------------------------------------------------------


@bp.get("/products")
def products():
    vendor = require_acting_vendor()
    return render_template(
        "bids/products.html", vendor=vendor, products=vendor_products(vendor.id)
    )


@bp.route("/products/new", methods=["GET", "POST"])
@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_form(product_id: int | None = None):
    vendor = require_acting_vendor()
    product = None
    if product_id is not None:
        product = db.session.get(Product, product_id)
        require(product is not None and can_edit_product(current_user, product), not_found=True)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        save_product(
            vendor,
            product,
            name=form.name.data,
            category=form.category.data,
            sku=form.sku.data,
            description=form.description.data,
        )
        flash("Product saved.", "success")
        return redirect(url_for("bids.products"))
    status = 400 if request.method == "POST" else 200
    return render_template("bids/product_form.html", form=form, product=product), status


@bp.post("/products/<int:product_id>/delete")
def product_delete(product_id: int):
    require_acting_vendor()
    product = db.session.get(Product, product_id)
    require(product is not None and can_edit_product(current_user, product), not_found=True)
    on_refusal(flash_and_redirect(url_for("bids.products")))
    delete_product(product)
    flash("Product deleted.", "success")
    return redirect(url_for("bids.products"))


# --- demand ---------------------------------------------------------------------------


@bp.get("/demand")
def demand():
    require(can_view_demand(current_user))
    vendor = require_acting_vendor()
    declarations = vendor_declarations(vendor.id)
    rows = [
        (
            solicitation,
            demand,
            describe_requirements(solicitation.requirements),
            declaration_gaps(solicitation.requirements, declarations),
            # The same rule as the bid form's POST (get_bidding): offer the button only then.
            can_bid(current_user, solicitation),
            vendor.affiliation_with(solicitation.consortium_id),
        )
        for solicitation, demand in demand_of(open_for_bids())
    ]
    return render_template("bids/demand.html", rows=rows, declarations=declarations,
                           vendor=vendor)


# --- sealed bids ----------------------------------------------------------------------


@bp.get("/")
def my_bids():
    vendor = require_acting_vendor()
    return render_template("bids/my_bids.html", bids=vendor_bids(vendor.id))


@bp.route("/solicitation/<int:solicitation_id>", methods=["GET", "POST"])
def bid_form(solicitation_id: int):
    solicitation, vendor, bid = get_bidding(solicitation_id)
    latest = bid.latest if bid else None
    form = BidForm(data=_form_data(latest) if request.method == "GET" else None)
    form.product.choices = product_choices(vendor.id)
    closed = bid_deadline_passed(solicitation)
    upload = _upload_form(vendor.id, latest, formdata=None)

    def page(status: int = 200, preview: dict | None = None):
        return _bid_page(solicitation, bid, form, upload, status, preview=preview)

    if request.method != "POST":
        return page()
    if closed:
        flash("The bid deadline has passed: bids can no longer be submitted or changed.", "error")
        return page(409)
    if not form.validate_on_submit():
        return page(400)
    schedule = form.schedule()
    if form.preview.data:
        return page(preview=_preview(schedule.as_offer(), solicitation))

    def refused(error: DomainError):
        mark_field(form, error)  # e.g. a product of another category: named at the field
        flash(error.message, "error")
        return page(error.status)

    on_refusal(refused)
    product = db.session.get(Product, form.product.data)
    version = submit_bid(
        solicitation, vendor, current_user, product=product, schedule=schedule
    )
    flash(f"Bid received: version {version.number}.", "success")
    return redirect(url_for("bids.receipt", public_id=bid_public_id(version), number=version.number))


def bid_public_id(version: BidVersion) -> str:
    return version.bid.public_id


def _bid_page(solicitation: Solicitation, bid: Bid | None, form: BidForm,
              upload: ScheduleUploadForm, status: int, **extra):
    """The bid form's page: the form, the CSV upload, and what the vendor last submitted."""
    return render_template(
        "bids/bid_form.html", form=form, upload_form=upload, solicitation=solicitation,
        requirements=describe_requirements(solicitation.requirements), bid=bid,
        latest=bid.latest if bid else None, closed=bid_deadline_passed(solicitation), **extra,
    ), status


def _upload_form(vendor_id: int, latest: BidVersion | None, **kwargs) -> ScheduleUploadForm:
    data = _form_data(latest) or {}
    # Prefixed: its fields sit on the bid form's page beside that form's own of the same names.
    form = ScheduleUploadForm(
        prefix="upload", data={k: v for k, v in data.items() if k != "tiers"}, **kwargs
    )
    form.product.choices = product_choices(vendor_id)
    return form


def product_choices(vendor_id: int) -> list[SelectChoice]:
    """The vendor's products by name and category (a bid must name one of the solicitation's)."""
    return [SelectChoice(p.id, f"{p.name} ({p.category})" if p.category else p.name)
            for p in vendor_products(vendor_id)]


@bp.post("/solicitation/<int:solicitation_id>/schedule")
def schedule_upload(solicitation_id: int):
    """A tier schedule from a CSV file: previewed, or submitted as the next sealed version."""
    solicitation, vendor, bid = get_bidding(solicitation_id)
    latest = bid.latest if bid else None
    upload = _upload_form(vendor.id, latest)
    form = BidForm(formdata=None, data=_form_data(latest))
    form.product.choices = upload.product.choices

    def page(status: int, line_errors=(), preview: dict | None = None):
        return _bid_page(solicitation, bid, form, upload, status, preview=preview,
                         line_errors=line_errors)

    if not upload.validate_on_submit():
        return page(400)
    raw = upload.file.data.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # spreadsheets saved in the old Windows encoding
    schedule, line_errors = parse_schedule(text, upload.tiers_mode.data, upload.capacity.data)
    if schedule is None:
        return page(400, line_errors)
    if upload.preview.data:
        return page(200, preview=_preview(schedule.as_offer(), solicitation))

    def refused(error: DomainError):
        flash(error.message, "error")
        return page(error.status)

    on_refusal(refused)
    product = db.session.get(Product, upload.product.data)
    version = submit_bid(solicitation, vendor, current_user, product=product, schedule=schedule)
    flash(f"Bid received from your file: version {version.number}.", "success")
    return redirect(url_for("bids.receipt", public_id=bid_public_id(version), number=version.number))


@bp.get("/schedule-template.csv")
def schedule_template():
    require_acting_vendor()
    return Response(TEMPLATE, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="tier-schedule.csv"'})


def _form_data(version: BidVersion | None) -> dict | None:
    if version is None:
        return None
    rows = [
        {"up_to": t["up_to"], "unit_price": Decimal(t["unit_amount"]) / 100} for t in version.tiers
    ]
    return {
        "product": version.product_id,
        "tiers_mode": version.tiers_mode,
        "capacity": version.capacity,
        "tiers": rows,
    }


def _preview(offer, solicitation: Solicitation, *, manager: bool = False):
    """The tier ladder (committed seats marked, when they may be shown) and a price table."""
    # After opening the consortium sees its own opt-ins anyway; vendors see aggregate demand.
    seats = momentum(solicitation).seats if manager else demand_of([solicitation])[0][1].seats
    return schedule_preview(offer, seats)


@bp.post("/solicitation/<int:solicitation_id>/withdraw")
def bid_withdraw(solicitation_id: int):
    solicitation, _vendor, bid = get_bidding(solicitation_id)
    if bid is None:
        abort(404)
    on_refusal(flash_and_redirect(url_for("bids.bid_form", solicitation_id=solicitation.id)))
    if not confirmed():
        tz = solicitation.consortium.timezone
        return confirmation(
            title=f"Withdraw your bid on {solicitation.title}?",
            consequences=[
                "A withdrawn version is sealed and receipted like any other: your bid stops "
                "counting, and the consortium sees at opening that you withdrew.",
                "You can submit it again (a new version) until the bid deadline, "
                f"{localtime(solicitation.bid_deadline, tz)}; after it, a withdrawn bid is final.",
            ],
            action=url_for("bids.bid_withdraw", solicitation_id=solicitation.id),
            button="Withdraw the bid",
            back_url=url_for("bids.bid_form", solicitation_id=solicitation.id),
            back_label="Keep the bid",
        )
    withdraw_bid(bid, current_user)
    flash(
        "Bid withdrawn. It will not count unless you submit it again before the deadline.",
        "success",
    )
    return redirect(url_for("bids.bid_detail", public_id=bid.public_id))


@bp.get("/<public_id>")
def bid_detail(public_id: str):
    bid = get_bid(public_id)
    counting = (
        counting_version(bid) if bid_deadline_passed(bid.solicitation) else None
    )
    return render_template(
        "bids/bid_detail.html",
        bid=bid,
        counting=counting,
        deadline_passed=bid_deadline_passed(bid.solicitation),
        opened=bids_are_open(bid.solicitation),
        show_nonce=can_see_nonces(current_user, bid),
    )


@bp.get("/<public_id>/receipt/<int:number>")
def receipt(public_id: str, number: int):
    bid = get_bid(public_id)
    version = next((v for v in bid.versions if v.number == number), None)
    if version is None:
        abort(404)
    offer = version_offer(bid, version)
    return render_template(
        "bids/receipt.html",
        bid=bid,
        version=version,
        preview=_preview(offer, bid.solicitation),
        show_nonce=can_see_nonces(current_user, bid),
    )


# --- opening --------------------------------------------------------------------------


@bp.get("/opening")
def opening_index():
    """The manager's list: solicitations whose bids wait to be opened, and opened ones."""
    consortium = require_managed_consortium()
    return render_template(
        "bids/opening_index.html", rows=openings(consortium), consortium=consortium
    )


@bp.route("/opening/<int:solicitation_id>", methods=["GET", "POST"])
def opening(solicitation_id: int):
    solicitation = get_solicitation(solicitation_id, manage=True)  # its managers open bids
    deadline_passed = bid_deadline_passed(solicitation)
    if request.method == "POST":
        on_refusal(flash_and_redirect(url_for("bids.opening", solicitation_id=solicitation.id)))
        open_bids(solicitation)
        flash("Bids opened.", "success")
        return redirect(url_for("bids.opening", solicitation_id=solicitation.id))
    opened = opened_bids(solicitation) if bids_are_open(solicitation) else None
    return render_template(
        "bids/opening.html",
        solicitation=solicitation,
        deadline_passed=deadline_passed,
        opened=opened,
        lines=opening_lines(solicitation, opened) if opened else [],
        preview=lambda offer: _preview(offer, solicitation, manager=True),
    )
