"""What each role's dashboard lists, and the manager's acceptance reminder.

Read-only queries, one function per panel, each ordered by what is most urgent; the one
write is `remind_undecided`, which mails the districts that have not decided an award's
contracts (at most once a day per award, counted from the audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from consortium.accounts.affiliations import affiliations_of
from consortium.accounts.models import Affiliation, AffiliationStatus, Organisation
from consortium.allocation.models import PUBLISHABLE_RESULTS, AllocationRun, RunStatus
from consortium.audit.models import AuditEvent
from consortium.audit.services import record
from consortium.awards.models import Award, Contract, ContractStatus
from consortium.bids.models import Bid
from consortium.clock import now
from consortium.errors import conflict
from consortium.extensions import db
from consortium.filters import localtime
from consortium.notifications.services import notify_members
from consortium.payments.models import Invoice
from consortium.payments.states import InvoiceStatus
from consortium.procurement.models import OptIn, Solicitation, SolicitationStatus

EXPIRING_WITHIN = timedelta(days=90)
REMINDER_EVERY = timedelta(days=1)
REMINDED = "award.acceptance_reminded"


# ---------------------------------------------------------------- district


@dataclass(frozen=True)
class OpenBuy:
    """A solicitation a district may still join, with its own opt-in (None: not yet)."""

    solicitation: Solicitation
    opt_in: OptIn | None
    verified: bool


def district_open_buys(district: Organisation) -> list[OpenBuy]:
    """Open solicitations of the consortia the district applied to, soonest deadline first."""
    standing = {a.consortium_id: a.status for a in district.affiliations
                if a.status != AffiliationStatus.rejected}
    if not standing:
        return []
    solicitations = db.session.scalars(
        select(Solicitation)
        .where(Solicitation.status == SolicitationStatus.open,
               Solicitation.opt_in_deadline > now(),
               Solicitation.consortium_id.in_(standing))
        .order_by(Solicitation.opt_in_deadline, Solicitation.id)
    ).all()
    opt_ins = {
        o.solicitation_id: o
        for o in db.session.scalars(
            select(OptIn).where(OptIn.district_id == district.id,
                                OptIn.solicitation_id.in_([s.id for s in solicitations]))
        )
    }
    return [
        OpenBuy(s, opt_ins.get(s.id), standing[s.consortium_id] == AffiliationStatus.verified)
        for s in solicitations
    ]


def contracts_to_sign(district: Organisation) -> list[Contract]:
    """Pending contracts still inside their acceptance window, the closest accept-by first."""
    return list(db.session.scalars(
        select(Contract)
        .where(Contract.district_id == district.id, Contract.status == ContractStatus.pending,
               Contract.accept_by > now())
        .order_by(Contract.accept_by, Contract.id)
    ))


def invoices_due(district: Organisation) -> list[Invoice]:
    """Issued invoices the district still owes, the earliest due first."""
    invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.district_id == district.id,
               Invoice.status.in_((InvoiceStatus.open, InvoiceStatus.uncollectible)))
        .order_by(Invoice.due_at, Invoice.id)
    )
    return [i for i in invoices if i.balance_cents > 0]


# ---------------------------------------------------------------- vendor


@dataclass(frozen=True)
class BidOpening:
    """A solicitation open for bids to this vendor, with its bid (None: not yet)."""

    solicitation: Solicitation
    bid: Bid | None


def vendor_open_for_bids(vendor: Organisation) -> list[BidOpening]:
    """Open solicitations of the consortia that verified the vendor, soonest bid deadline first."""
    verified = [a.consortium_id for a in vendor.affiliations
                if a.status == AffiliationStatus.verified]
    if not verified:
        return []
    solicitations = db.session.scalars(
        select(Solicitation)
        .where(Solicitation.status == SolicitationStatus.open, Solicitation.bid_deadline > now(),
               Solicitation.consortium_id.in_(verified))
        .order_by(Solicitation.bid_deadline, Solicitation.id)
    ).all()
    bids = {
        b.solicitation_id: b
        for b in db.session.scalars(
            select(Bid).where(Bid.vendor_id == vendor.id,
                              Bid.solicitation_id.in_([s.id for s in solicitations]))
        )
    }
    return [BidOpening(s, bids.get(s.id)) for s in solicitations]


# ---------------------------------------------------------------- manager


def pending_verifications(consortium: Organisation) -> list[Affiliation]:
    return affiliations_of(consortium, AffiliationStatus.pending)


def bids_to_open(consortium: Organisation) -> list[Solicitation]:
    """Published solicitations past their bid deadline whose bids are still sealed."""
    return list(db.session.scalars(
        select(Solicitation)
        .where(Solicitation.consortium_id == consortium.id,
               Solicitation.status.in_((SolicitationStatus.open, SolicitationStatus.closed)),
               Solicitation.bid_deadline <= now())
        .order_by(Solicitation.bid_deadline, Solicitation.id)
    ))


def to_allocate(consortium: Organisation) -> list[tuple[Solicitation, int]]:
    """Solicitations with opened bids and no award yet, with how many runs they have."""
    runs = (
        select(AllocationRun.solicitation_id, func.count().label("runs"))
        .group_by(AllocationRun.solicitation_id).subquery()
    )
    rows = db.session.execute(
        select(Solicitation, func.coalesce(runs.c.runs, 0))
        .outerjoin(runs, runs.c.solicitation_id == Solicitation.id)
        .where(Solicitation.consortium_id == consortium.id,
               Solicitation.status == SolicitationStatus.bids_opened)
        .order_by(Solicitation.bids_opened_at, Solicitation.id)
    ).all()
    return [(s, int(n)) for s, n in rows]


def finished_runs(consortium: Organisation, limit: int = 10) -> list[AllocationRun]:
    """Runs that found an allocation to publish, on solicitations not yet awarded, newest first."""
    return list(db.session.scalars(
        select(AllocationRun)
        .join(Solicitation, Solicitation.id == AllocationRun.solicitation_id)
        .where(Solicitation.consortium_id == consortium.id,
               Solicitation.status == SolicitationStatus.bids_opened,
               AllocationRun.status == RunStatus.succeeded,
               AllocationRun.result_status.in_(PUBLISHABLE_RESULTS))
        .order_by(AllocationRun.finished_at.desc(), AllocationRun.id.desc())
        .limit(limit)
    ))


@dataclass(frozen=True)
class Outstanding:
    """An award whose contracts some districts have not decided yet."""

    award: Award
    undecided: int
    contracts: int
    closes: datetime  # the last accept-by among the undecided
    reminded_at: datetime | None

    @property
    def may_remind_at(self) -> datetime | None:
        """When the next reminder may go (None: now)."""
        if self.reminded_at is None or self.reminded_at + REMINDER_EVERY <= now():
            return None
        return self.reminded_at + REMINDER_EVERY


def _undecided(award_ids) -> select:
    return (
        select(Contract)
        .where(Contract.award_id.in_(award_ids), Contract.status == ContractStatus.pending,
               Contract.accept_by > now())
        .order_by(Contract.id)
    )


def last_reminded(award: Award) -> datetime | None:
    return db.session.scalar(
        select(func.max(AuditEvent.at))
        .where(AuditEvent.action == REMINDED, AuditEvent.object_type == Award.__tablename__,
               AuditEvent.object_id == str(award.id))
    )


def acceptance_outstanding(consortium: Organisation) -> list[Outstanding]:
    awards = db.session.scalars(
        select(Award).join(Award.solicitation)
        .where(Solicitation.consortium_id == consortium.id)
        .order_by(Award.published_at.desc())
    ).all()
    undecided: dict[int, list[Contract]] = {}
    for contract in db.session.scalars(_undecided([a.id for a in awards])):
        undecided.setdefault(contract.award_id, []).append(contract)
    return [
        Outstanding(award, len(undecided[award.id]), len(award.contracts),
                    max(c.accept_by for c in undecided[award.id]), last_reminded(award))
        for award in awards if award.id in undecided
    ]


def contracts_expiring(consortium: Organisation, today: date) -> list[Contract]:
    """Accepted contracts ending within EXPIRING_WITHIN of `today`, the soonest first."""
    return list(db.session.scalars(
        select(Contract)
        .join(Award, Award.id == Contract.award_id)
        .join(Solicitation, Solicitation.id == Award.solicitation_id)
        .where(Solicitation.consortium_id == consortium.id,
               Contract.status == ContractStatus.accepted,
               Contract.expires_on >= today,
               Contract.expires_on <= today + EXPIRING_WITHIN)
        .order_by(Contract.expires_on, Contract.id)
    ))


def remind_undecided(award: Award) -> list[Organisation]:
    """Mail each district whose contract of `award` is still undecided; once a day per award."""
    db.session.refresh(award, with_for_update=True)  # two clicks at once send one reminder
    tz = award.solicitation.consortium.timezone
    reminded_at = last_reminded(award)
    if reminded_at is not None and reminded_at + REMINDER_EVERY > now():
        raise conflict(
            f"A reminder for {award.solicitation.title} went out on {localtime(reminded_at, tz)}; "
            f"the next one can go from {localtime(reminded_at + REMINDER_EVERY, tz)}."
        )
    contracts = list(db.session.scalars(_undecided([award.id])))
    if not contracts:
        raise conflict(f"Every district has decided its contract for {award.solicitation.title}.")
    title = award.solicitation.title
    for contract in contracts:
        notify_members(
            contract.district,
            f"Please decide your contract: {title}",
            f"{award.solicitation.consortium.name} reminds {contract.district.name} to accept or "
            f"decline its contract for '{title}' ({contract.quantity:,} seats) by "
            f"{localtime(contract.accept_by, tz)}. Without a decision by then it lapses.\n",
        )
    districts = [c.district for c in contracts]
    record(REMINDED, award, before=None,
           after={"districts": [d.name for d in districts], "count": len(districts)})
    return districts
