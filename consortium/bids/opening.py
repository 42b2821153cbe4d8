"""Bid opening: after the deadline a manager opens the bids, publishing every receipt."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from consortium import clock
from consortium.accounts.models import Organisation, VendorProfile
from consortium.allocation.adapter import version_offer
from consortium.audit.services import record
from consortium.bids.eligibility import eligibility_problems, vendor_declarations
from consortium.bids.models import Bid, BidVersion
from consortium.bids.sealed import (
    bid_deadline_passed,
    counting_bids,
    counting_version,
    version_snapshot,
)
from consortium.errors import conflict
from consortium.extensions import db
from consortium.procurement import services as procurement
from consortium.procurement.models import Solicitation, SolicitationStatus, bids_are_open
from consortium.procurement.optins import live_opt_ins
from pricing.tiers import TierRange, schedule_total, tier_ranges
from pricing.types import Offer


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
                    "bid": bid.public_id,
                    "vendor": bid.vendor.name,
                    "counting_version": counting.number if counting else None,
                    "versions": [version_snapshot(v) for v in bid.versions],
                }
                for bid in bids
                for counting in [counting_version(bid)]
            ]
        },
    )


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


@dataclass(frozen=True)
class OpeningLine:
    """An opened bid as one line of the side-by-side table: price, reach and eligibility."""

    opened: OpenedBid
    tiers: tuple[TierRange, ...]
    demand: int | None  # seats the live opt-ins commit (None: nobody opted in)
    cost: int | None  # what the whole demand would cost on this schedule, in cents
    eligible_districts: int
    districts: int
    problems: tuple[str, ...]  # why some districts may not buy from it, most frequent first

    @property
    def average(self) -> int | None:
        return None if self.cost is None or not self.demand else self.cost // self.demand

    @property
    def over_capacity(self) -> bool:
        capacity = self.opened.offer.capacity
        return capacity is not None and self.demand is not None and self.demand > capacity


def opening_lines(solicitation: Solicitation, opened: list[OpenedBid]) -> list[OpeningLine]:
    """The opened bids side by side, each priced at the demand the live opt-ins commit."""
    opt_ins = live_opt_ins(solicitation)
    demand = sum(o.quantity for o in opt_ins) or None
    states = [
        o.district.district_profile.state if o.district.district_profile else None
        for o in opt_ins
    ]
    lines = []
    for row in opened:
        counts: Counter[str] = Counter()
        eligible = 0
        for state in states:
            problems = eligibility_problems(solicitation.requirements, row.declarations, state)
            counts.update(problems)
            eligible += not problems
        lines.append(
            OpeningLine(
                row,
                tier_ranges(row.offer),
                demand,
                schedule_total(row.offer, demand) if demand else None,
                eligible,
                len(states),
                tuple(problem for problem, _ in counts.most_common()),
            )
        )
    return lines
