"""Sealed bids: versions appended until the bid deadline, receipts, and which version counts.

Services add and flush; the request's commit point commits. Deadlines come from the server
clock (`consortium.clock.now`), never from the request. Nothing here shows a bid to anyone
but its vendor before the deadline: `counting_bids` refuses until then.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consortium import clock
from consortium.accounts.models import Organisation, User
from consortium.audit.services import record
from consortium.bids.models import Bid, BidVersion, Product, new_nonce
from consortium.bids.products import check_fits
from consortium.bids.schedules import Schedule, schedule_problems, tiers_json
from consortium.errors import DomainError, conflict
from consortium.extensions import db
from consortium.notifications.services import notify
from consortium.procurement.models import Solicitation, SolicitationStatus


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
    check_fits(product, solicitation.category)
    problems = schedule_problems(schedule)
    if problems:
        field, message = problems[0]
        raise DomainError(f"{field}: {message}", field=field)
    bid = _locked_bid(solicitation, vendor, product)
    _ensure_accepting_bids(
        solicitation
    )  # again: waiting for the lock may have crossed the deadline
    previous = version_snapshot(bid.latest) if bid.versions else None
    bid.product_id = product.id
    version = _append_version(
        bid,
        user,
        product_id=product.id,
        tiers_mode=schedule.tiers_mode,
        tiers=tiers_json(schedule.tiers),
        capacity=schedule.capacity,
    )
    _record_sealed("bid.submitted", bid, before=previous, after=version_snapshot(version))
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
        "bid.withdrawn", bid, before=version_snapshot(latest), after=version_snapshot(version)
    )
    _mail_receipt(user, f"Bid withdrawn: {solicitation.title}", bid, version)
    return version


def _record_sealed(action: str, bid: Bid, *, before: dict | None, after: dict | None) -> None:
    """Audit a submission or withdrawal in the solicitation's sealed chain.

    Before the deadline not even *whether* or *when* a vendor bid may reach a manager: the
    event goes to a chain of its own (`bids-<solicitation>`), which the consortium's trail
    and CSV list, whole, only from the bid deadline on; the consortium's own chain shows no
    gap meanwhile. The bid is named by its opaque public id; the snapshot carries the
    receipt hash, never the prices or the nonce.
    """
    record(action, ("bids", bid.public_id), before=before, after=after,
           sealed_until_bids_of=bid.solicitation)


def _mail_receipt(user: User | None, subject: str, bid: Bid, version: BidVersion) -> None:
    """Mail the receipt to the vendor's user who acted: personal, so no consortium reads it."""
    if user is not None and getattr(user, "email", None):
        notify(user.email, subject, receipt_text(bid, version), personal=True)


def version_snapshot(version: BidVersion | None) -> dict[str, Any] | None:
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


def vendor_bids(vendor_id: int) -> list[Bid]:
    """The vendor's bids, newest solicitation first."""
    return list(
        db.session.scalars(select(Bid).where(Bid.vendor_id == vendor_id).order_by(Bid.id.desc()))
    )
