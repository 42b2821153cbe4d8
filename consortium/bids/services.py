"""Bids: products, sealed submissions, eligibility, opening, and what allocation reads.

Services add and flush; the view commits once. Deadlines come from the server
clock (`consortium.clock.now`), never from the request.

For the allocation engine: `counting_bids(solicitation)`, `offer_id(bid)`,
`bid_is_eligible(bid, district)` and `eligible_offer_ids(solicitation, district)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consortium import clock
from consortium.accounts.models import DistrictProfile, Organisation, User, VendorProfile
from consortium.audit.services import record
from consortium.bids.demand import Demand, demand_of, open_for_bids, vendor_demand
from consortium.bids.eligibility import ACCESSIBILITY_LEVELS, eligibility_problems
from consortium.bids.models import Bid, BidVersion, Product, content_hash, new_nonce
from consortium.bids.schedules import (
    Schedule,
    default_quantities,
    price_table,
    schedule_preview,
    schedule_problems,
    tiers_json,
)
from consortium.errors import DomainError, conflict
from consortium.extensions import db
from consortium.notifications.services import notify
from consortium.procurement import services as procurement
from consortium.procurement.models import Solicitation, SolicitationStatus
from pricing.types import Offer, Tier

# --- eligibility -----------------------------------------------------------------------


def _district_state(district: Organisation | DistrictProfile) -> str | None:
    if isinstance(district, DistrictProfile):
        return district.state
    profile = district.district_profile
    return profile.state if profile else None


def vendor_declarations(vendor_id: int) -> VendorProfile | None:
    """The vendor's compliance declarations (its VendorProfile), if it has one."""
    return db.session.get(VendorProfile, vendor_id)


def bid_is_eligible(bid: Bid, district: Organisation | DistrictProfile) -> bool:
    """Whether `bid`'s vendor meets its solicitation's requirements for this district."""
    return not eligibility_problems(
        bid.solicitation.requirements,
        vendor_declarations(bid.vendor_id),
        _district_state(district),
    )


def offer_id(bid: Bid) -> str:
    """The id of a bid as an ALLOCATION.md offer: the bid's primary key as a string."""
    return str(bid.id)


def eligible_offer_ids(
    solicitation: Solicitation, district: Organisation | DistrictProfile
) -> list[str]:
    """Offer ids (see `offer_id`) of the counting bids this district may buy from.

    Only after the bid deadline (refused before, like `counting_bids`).
    """
    state = _district_state(district)
    return [
        offer_id(bid)
        for bid, _version in counting_bids(solicitation)
        if not eligibility_problems(
            solicitation.requirements, vendor_declarations(bid.vendor_id), state
        )
    ]


def version_offer(bid: Bid, version: BidVersion) -> Offer:
    """A bid version as a `pricing` Offer (id from `offer_id`)."""
    return Offer(
        offer_id(bid),
        bid.vendor.name,
        version.tiers_mode,  # type: ignore[arg-type]
        tuple(Tier(t["up_to"], t["unit_amount"]) for t in version.tiers),
        version.capacity,
    )


# --- products -------------------------------------------------------------------------


def save_product(vendor: Organisation, product: Product | None, **fields: str) -> Product:
    """Create (product None) or update one of the vendor's products."""
    before = _product_snapshot(product) if product else None
    if product is None:
        product = Product(vendor_id=vendor.id)
        db.session.add(product)
    for name in ("name", "category", "description", "sku"):
        setattr(product, name, (fields.get(name) or "").strip())
    db.session.flush()
    record(
        "product.updated" if before else "product.created",
        product,
        before=before,
        after=_product_snapshot(product),
    )
    return product


def delete_product(product: Product) -> None:
    """Delete a product no bid names (bids keep what they were submitted with)."""
    used = db.session.scalar(
        select(func.count()).select_from(BidVersion).where(BidVersion.product_id == product.id)
    )
    if used:
        raise conflict("this product is named in a bid and cannot be deleted", field="product")
    record("product.deleted", product, before=_product_snapshot(product), after=None)
    db.session.delete(product)
    db.session.flush()


def _product_snapshot(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "category": product.category,
        "description": product.description,
        "sku": product.sku,
    }


def vendor_products(vendor_id: int) -> list[Product]:
    return list(
        db.session.scalars(
            select(Product).where(Product.vendor_id == vendor_id).order_by(Product.name)
        )
    )


# --- sealed bids ----------------------------------------------------------------------


def bid_deadline_passed(solicitation: Solicitation) -> bool:
    """Whether the server clock has reached the solicitation's bid deadline."""
    return clock.now() >= solicitation.bid_deadline


def find_bid(solicitation_id: int, vendor_id: int, *, lock: bool = False) -> Bid | None:
    """The vendor's bid on the solicitation; with lock=True, locked FOR UPDATE and reloaded."""
    query = select(Bid).where(Bid.solicitation_id == solicitation_id, Bid.vendor_id == vendor_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    bid = db.session.scalars(query).first()
    if lock and bid is not None:
        # Versions read before the lock may miss one a concurrent submission just committed.
        db.session.expire(bid, ["versions"])
    return bid


def _ensure_accepting_bids(solicitation: Solicitation) -> None:
    if bid_deadline_passed(solicitation):
        raise conflict("The bid deadline has passed: bids can no longer be submitted or changed.")
    if solicitation.status != SolicitationStatus.open:
        raise conflict("This solicitation is not open for bids.")


def _locked_bid(solicitation: Solicitation, vendor: Organisation, product: Product) -> Bid:
    """The vendor's bid row, created if needed, locked FOR UPDATE until the transaction ends."""
    bid = find_bid(solicitation.id, vendor.id, lock=True)
    if bid is not None:
        return bid
    try:
        with db.session.begin_nested():
            db.session.add(
                Bid(solicitation_id=solicitation.id, vendor_id=vendor.id, product_id=product.id)
            )
    except IntegrityError:
        pass  # a simultaneous first submission created it; lock that one instead
    bid = find_bid(solicitation.id, vendor.id, lock=True)
    assert bid is not None
    return bid


def _append_version(
    bid: Bid,
    user: User | None,
    *,
    product_id: int,
    tiers_mode: str,
    tiers: list[dict[str, int | None]],
    capacity: int | None,
    withdrawn: bool = False,
) -> BidVersion:
    number = (
        db.session.scalar(
            select(func.coalesce(func.max(BidVersion.number), 0)).where(BidVersion.bid_id == bid.id)
        )
        + 1
    )
    version = BidVersion(
        bid=bid,
        number=number,
        product_id=product_id,
        tiers_mode=tiers_mode,
        tiers=tiers,
        capacity=capacity,
        withdrawn=withdrawn,
        submitted_at=clock.now(),
        submitted_by_id=user.id if user else None,
        nonce=new_nonce(),  # the secret part of the receipt hash (see consortium.bids.models)
        content_hash="",
    )
    version.content_hash = version.compute_hash()
    db.session.add(version)
    db.session.flush()
    return version


def submit_bid(
    solicitation: Solicitation,
    vendor: Organisation,
    user: User | None,
    *,
    product: Product,
    schedule: Schedule,
) -> BidVersion:
    """Append a new version of the vendor's sealed bid; refused after the bid deadline.

    The bid row is locked first, so simultaneous submissions get consecutive numbers.
    """
    _ensure_accepting_bids(solicitation)
    if product.vendor_id != vendor.id:
        raise DomainError("choose one of your own products", field="product")
    problems = schedule_problems(schedule)
    if problems:
        field, message = problems[0]
        raise DomainError(f"{field}: {message}", field=field)
    bid = _locked_bid(solicitation, vendor, product)
    _ensure_accepting_bids(
        solicitation
    )  # again: waiting for the lock may have crossed the deadline
    previous = _version_snapshot(bid.latest) if bid.versions else None
    bid.product_id = product.id
    version = _append_version(
        bid,
        user,
        product_id=product.id,
        tiers_mode=schedule.tiers_mode,
        tiers=tiers_json(schedule.tiers),
        capacity=schedule.capacity,
    )
    _record_sealed("bid.submitted", bid, before=previous, after=_version_snapshot(version))
    _mail_receipt(
        user, f"Bid receipt: {solicitation.title}, version {version.number}", bid, version
    )
    return version


def withdraw_bid(bid: Bid, user: User | None) -> BidVersion:
    """Append a withdrawn version: the bid stops counting unless it is submitted again."""
    solicitation = bid.solicitation
    _ensure_accepting_bids(solicitation)
    bid = find_bid(bid.solicitation_id, bid.vendor_id, lock=True) or bid
    _ensure_accepting_bids(solicitation)
    latest = bid.latest
    if latest is None or latest.withdrawn:
        raise conflict("There is no live bid to withdraw.")
    version = _append_version(
        bid,
        user,
        product_id=latest.product_id,
        tiers_mode=latest.tiers_mode,
        tiers=latest.tiers,
        capacity=latest.capacity,
        withdrawn=True,
    )
    _record_sealed(
        "bid.withdrawn", bid, before=_version_snapshot(latest), after=_version_snapshot(version)
    )
    _mail_receipt(user, f"Bid withdrawn: {solicitation.title}", bid, version)
    return version


def _record_sealed(action: str, bid: Bid, *, before: dict | None, after: dict | None) -> None:
    """Audit a submission or withdrawal without letting any consortium read it.

    Before the deadline not even *who* bid, or when, may reach a manager. Left to itself,
    `record` files a bid's event under its solicitation's consortium (through `bid.solicitation`),
    and an event with no consortium is shown to every consortium the acting vendor belongs
    to. So the event is filed under the vendor's own organisation: it stays in the hash chain
    (proof of when the receipt existed) but no consortium's trail or CSV lists it. The
    consortium gets every version's receipt at once, in the "bids.opened" event (open_bids).
    The snapshot carries the receipt hash, never the prices or the nonce.
    """
    record(action, bid, before=before, after=after, consortium_id=bid.vendor_id)


def _mail_receipt(user: User | None, subject: str, bid: Bid, version: BidVersion) -> None:
    """Mail the receipt to the vendor's user who acted: personal, so no consortium reads it."""
    if user is not None and getattr(user, "email", None):
        notify(user.email, subject, receipt_text(bid, version), personal=True)


def _version_snapshot(version: BidVersion | None) -> dict[str, Any] | None:
    """A version's receipt for the audit trail: never its prices, never its nonce."""
    if version is None:
        return None
    return {
        "number": version.number,
        "withdrawn": version.withdrawn,
        "submitted_at": version.submitted_at.isoformat(),
        "content_hash": version.content_hash,
    }


def receipt_text(bid: Bid, version: BidVersion) -> str:
    state = "withdrawn" if version.withdrawn else "received"
    return (
        f"Your bid on {bid.solicitation.title} was {state}.\n"
        f"Version: {version.number}\n"
        f"Submitted at: {version.submitted_at.isoformat()}\n"
        f"Content hash (SHA-256): {version.content_hash}\n"
        "At bid opening this hash is shown beside your opened bid.\n"
        "The hash covers your bid and a secret random nonce, so nobody can work the bid out\n"
        "from it. The nonce is never mailed: it is shown on your bid's receipt page, and to\n"
        "the consortium beside your bid once the bids are opened.\n"
    )


def counting_version(bid: Bid) -> BidVersion | None:
    """The last version submitted before the bid deadline (None if none, or it was a withdrawal)."""
    deadline = bid.solicitation.bid_deadline
    before = [v for v in bid.versions if v.submitted_at < deadline]
    if not before or before[-1].withdrawn:
        return None
    return before[-1]


def counting_bids(solicitation: Solicitation) -> list[tuple[Bid, BidVersion]]:
    """Every bid that counts, with its counting version, in bid id order.

    Refused (409) before the bid deadline: nobody may read sealed bids.
    """
    if not bid_deadline_passed(solicitation):
        raise conflict("Bids are sealed until the bid deadline.")
    bids = db.session.scalars(
        select(Bid).where(Bid.solicitation_id == solicitation.id).order_by(Bid.id)
    )
    pairs = []
    for bid in bids:
        version = counting_version(bid)
        if version is not None:
            pairs.append((bid, version))
    return pairs


def open_bids(solicitation: Solicitation) -> None:
    """Manager opens the bids after the deadline: status -> bids_opened, audited with every hash."""
    if not bid_deadline_passed(solicitation):
        raise conflict("Bids stay sealed until the bid deadline.")
    procurement.transition(solicitation, SolicitationStatus.bids_opened)
    # Submissions were audited in each vendor's own trail (sealed: not even who bid was visible
    # to the consortium, see _record_sealed); opening publishes every version's receipt (hash,
    # time, never the nonce: that is shown on the opening page) to the consortium's trail.
    bids = db.session.scalars(
        select(Bid).where(Bid.solicitation_id == solicitation.id).order_by(Bid.id)
    )
    record(
        "bids.opened",
        solicitation,
        before=None,
        after={
            "bids": [
                {
                    "bid": bid.id,
                    "vendor": bid.vendor.name,
                    "counting_version": counting.number if counting else None,
                    "versions": [_version_snapshot(v) for v in bid.versions],
                }
                for bid in bids
                for counting in [counting_version(bid)]
            ]
        },
    )


def bids_are_open(solicitation: Solicitation) -> bool:
    """Bids were opened by the manager (they stay open once awarded)."""
    return solicitation.status in (SolicitationStatus.bids_opened, SolicitationStatus.awarded)


def openings(consortium: Organisation) -> list[tuple[Solicitation, str, int]]:
    """The consortium's solicitations past their bid deadline (or opened): (solicitation, state, bids).

    The bid count is shown only once the deadline has passed; even how many bids came in
    stays sealed before.
    """
    at = clock.now()
    solicitations = db.session.scalars(
        select(Solicitation)
        .where(
            Solicitation.consortium_id == consortium.id,
            Solicitation.status.in_(
                [
                    SolicitationStatus.open,
                    SolicitationStatus.closed,
                    SolicitationStatus.bids_opened,
                    SolicitationStatus.awarded,
                ]
            ),
        )
        .order_by(Solicitation.bid_deadline.desc(), Solicitation.id)
    )
    rows = []
    for solicitation in solicitations:
        if bids_are_open(solicitation):
            state = "opened"
        elif solicitation.bid_deadline <= at:
            state = "ready to open"
        else:
            state = "sealed"
        count = len(counting_bids(solicitation)) if solicitation.bid_deadline <= at else None
        rows.append((solicitation, state, count))
    return rows


@dataclass(frozen=True)
class OpenedBid:
    """One row of the bid-opening page."""

    bid: Bid
    version: BidVersion
    declarations: VendorProfile | None
    offer: Offer
    recomputed_hash: str

    @property
    def matches(self) -> bool:
        return self.recomputed_hash == self.version.content_hash


def opened_bids(solicitation: Solicitation) -> list[OpenedBid]:
    """Counting bids with their declarations and a hash recomputed from the stored data."""
    return [
        OpenedBid(
            bid,
            version,
            vendor_declarations(bid.vendor_id),
            version_offer(bid, version),
            version.compute_hash(),
        )
        for bid, version in counting_bids(solicitation)
    ]


def vendor_bids(vendor_id: int) -> list[Bid]:
    """The vendor's bids, newest solicitation first."""
    return list(
        db.session.scalars(select(Bid).where(Bid.vendor_id == vendor_id).order_by(Bid.id.desc()))
    )


__all__ = [  # the pure helpers this module re-exports for views and other domains
    "ACCESSIBILITY_LEVELS",
    "Demand",
    "Schedule",
    "content_hash",
    "default_quantities",
    "demand_of",
    "eligibility_problems",
    "open_for_bids",
    "price_table",
    "schedule_preview",
    "schedule_problems",
    "tiers_json",
    "vendor_demand",
]
