"""Publishing an award, accepting or declining contracts, and the reports built on them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from consortium.accounts.models import User
from consortium.allocation import adapter
from consortium.allocation.models import AllocationRun
from consortium.allocation.services import (
    run_instance,
    run_result,
    runs_allowed,
    summarise,
)
from consortium.audit.services import record
from consortium.awards.models import (
    DECLINE_REASON_MAX,
    Award,
    AwardGroup,
    Contract,
    ContractStatus,
    next_contract_status,
)
from consortium.clock import add_months, local_date, now
from consortium.errors import DomainError, conflict
from consortium.extensions import db
from consortium.filters import group_name, localdate, localtime, money, plain_reason, quantity
from consortium.notifications.services import notify_members
from consortium.payments.invoicing import invoice_accepted
from consortium.procurement.models import Solicitation, SolicitationStatus
from pricing.types import Instance, Offer, Result


def award_for(solicitation: Solicitation) -> Award | None:
    return db.session.scalar(select(Award).where(Award.solicitation_id == solicitation.id))


def publish_award(run: AllocationRun, user: User | None) -> Award:
    """Publish a successful run: award rows, solicitation -> awarded, audit, mail to everyone."""
    # Serialise publishers of one solicitation: the second sees the first's award and stops.
    solicitation = db.session.get(
        Solicitation, run.solicitation_id, with_for_update=True, populate_existing=True
    )
    refusal = runs_allowed(solicitation)
    if refusal:
        raise conflict(refusal)
    if not run.publishable:
        raise conflict("Only a run that succeeded with an allocation can be published.")
    if award_for(solicitation) is not None:
        raise conflict("This solicitation already has an award.")
    instance, result = run_instance(run), run_result(run)
    published = now()
    starts_on = local_date(published, solicitation.consortium.timezone)
    award = Award(
        solicitation=solicitation,
        run=run,
        published_at=published,
        published_by_id=getattr(user, "id", None),
        input_sha256=run.input_sha256,
    )
    db.session.add(award)
    contracts = adapter.apply_result(
        award,
        instance,
        result,
        accept_by=published + timedelta(days=solicitation.acceptance_window_days),
        starts_on=starts_on,
        expires_on=add_months(starts_on, solicitation.term_months),
    )
    before = {"status": solicitation.status}
    solicitation.status = SolicitationStatus.awarded
    record("solicitation.awarded", solicitation, before=before, after={"status": "awarded"})
    record(
        "award.published",
        award,
        before=None,
        after={
            "run_id": run.id,
            "input_sha256": award.input_sha256,
            "groups": len(result.groups),
            "contracts": len(contracts),
            "total_amount": result.total_amount,
        },
    )
    _notify_award(award, instance, result)
    return award


def _notify_award(award: Award, instance: Instance, result: Result) -> None:
    title = award.solicitation.title
    by_district = {c.district_id: c for c in award.contracts}
    reasons = {u.buyer: u.reason for u in result.unassigned}
    for buyer in instance.buyers:
        contract = by_district.get(int(buyer.id))
        if contract is not None:
            body = (
                f"The award of '{title}' is published. Your district is in "
                f"{group_name(contract.group)}: {_seats(contract)} for "
                f"{_money(contract, contract.amount)} (alone: "
                f"{_money(contract, contract.standalone_amount)}). "
                f"Please accept or decline by {_accept_by(contract)}."
            )
        else:
            reason = plain_reason(reasons.get(buyer.id)).rstrip(".")
            body = (
                f"The award of '{title}' is published. Your district was not placed in a group. "
                f"{reason}."
            )
        notify_members(int(buyer.id), f"Award published: {title}", body)
    for entry in award.run.set_aside or []:  # opted in, but kept out of the instance
        notify_members(
            int(entry["buyer"]),
            f"Award published: {title}",
            f"The award of '{title}' is published. Your district was not placed in a group: "
            f"{entry['reason']}",
        )
    groups_by_vendor: dict[int, list[AwardGroup]] = {}
    for group in award.groups:
        groups_by_vendor.setdefault(group.vendor_id, []).append(group)
    for offer in instance.offers:
        bid_vendor = adapter.bid_for_offer(offer.id).vendor_id
        won = groups_by_vendor.get(bid_vendor, [])
        districts = sum(len(g.contracts) for g in won)
        body = f"The award of '{title}' is published. You won {quantity(len(won), 'group')}"
        if won:
            cents = sum(g.total_amount for g in won)
            body += (
                f" with {quantity(districts, 'district')}, "
                f"{money(cents, award.solicitation.currency)} in all: "
                + "; ".join(
                    f"{group_name(g)}, {quantity(g.quantity, award.solicitation.unit)}"
                    for g in won
                )
            )
        body += "."
        notify_members(bid_vendor, f"Award published: {title}", body)


def _accept_by(contract: Contract) -> str:
    """The end of the acceptance window as pages show it, in the consortium's timezone."""
    return localtime(contract.accept_by, contract.award.solicitation.consortium.timezone)


def _money(contract: Contract, cents: int) -> str:
    return money(cents, contract.award.solicitation.currency)


def _seats(contract: Contract) -> str:
    return quantity(contract.quantity, contract.award.solicitation.unit)


def decide_contract(contract: Contract, user: User | None, *, accept: bool,
                    reason: str | None = None) -> Contract:
    """Accept or decline within the window; refused after it or once decided.

    A decline is final and needs a reason, which the consortium's managers read.
    """
    db.session.refresh(contract, with_for_update=True)  # a concurrent decision is seen, not lost
    at = now()
    if at > contract.accept_by:
        raise conflict(
            f"The acceptance window closed on {_accept_by(contract)}: "
            "this contract can no longer be accepted or declined."
        )
    action = "accept" if accept else "decline"
    status = next_contract_status(contract.status, action)
    if status is None:
        raise conflict(f"This contract is already {contract.status}.")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError("Say why your district declines: the consortium's managers read it.",
                          field="reason")
    if len(reason) > DECLINE_REASON_MAX:
        raise DomainError(f"Keep the reason under {DECLINE_REASON_MAX:,} characters.",
                          field="reason")
    before = contract.audit_state()
    contract.status = status
    contract.decided_at = at
    contract.decided_by_id = getattr(user, "id", None)
    if not accept:
        contract.decline_reason = reason
    record(f"contract.{status}", contract, before=before, after=contract.audit_state())
    title = contract.award.solicitation.title
    notify_members(
        contract.district_id,
        f"Contract {status}: {title}",
        f"{contract.district.name} {status} "
        f"its contract for '{title}' ({_seats(contract)}, {_money(contract, contract.amount)}).",
    )
    if status == ContractStatus.accepted:
        invoice_accepted(contract)  # the first contract year's invoice (later years: daily)
    return contract


SIGNATURE_REMINDER_DAYS = 3
EXPIRY_REMINDER_DAYS = 60


def lapse_overdue_contracts() -> list[Contract]:
    """Store `lapsed` on pending contracts past their window (pages already show it so)."""
    at = now()
    overdue = list(
        db.session.scalars(
            select(Contract)
            .where(Contract.status == ContractStatus.pending, Contract.accept_by < at)
            .order_by(Contract.id)
            .with_for_update(skip_locked=True)  # two overlapping daily runs never lapse twice
        )
    )
    for contract in overdue:
        before = contract.audit_state()
        contract.status = next_contract_status(contract.status, "lapse")
        record("contract.lapsed", contract, before=before, after=contract.audit_state())
        title = contract.award.solicitation.title
        notify_members(
            contract.district_id,
            f"Contract lapsed: {title}",
            f"The acceptance window of your contract for "
            f"'{title}' closed on {_accept_by(contract)} without a decision.",
        )
    return overdue


def send_reminders() -> int:
    """Mail 'signature due' and 'contract expiring' reminders, each once per contract."""
    at = now()
    sent = 0
    due = db.session.scalars(
        select(Contract).where(
            Contract.status == ContractStatus.pending,
            Contract.signature_reminded_at.is_(None),
            Contract.accept_by >= at,
            Contract.accept_by <= at + timedelta(days=SIGNATURE_REMINDER_DAYS),
        )
        .order_by(Contract.id)
        .with_for_update(skip_locked=True)  # two overlapping daily runs never mail twice
    )
    for contract in due:
        title = contract.award.solicitation.title
        notify_members(
            contract.district_id,
            f"Signature due: {title}",
            f"Please accept or decline your contract for "
            f"'{title}' by {_accept_by(contract)}.",
        )
        contract.signature_reminded_at = at
        sent += 1
    today = local_date(at, "UTC")
    expiring = db.session.scalars(
        select(Contract)
        .where(
            Contract.status == ContractStatus.accepted,
            Contract.expiry_reminded_at.is_(None),
            Contract.expires_on >= today,  # an already expired contract is not "expiring"
            Contract.expires_on <= today + timedelta(days=EXPIRY_REMINDER_DAYS),
        )
        .order_by(Contract.id)
        .with_for_update(skip_locked=True)
    )
    for contract in expiring:
        title = contract.award.solicitation.title
        notify_members(
            contract.district_id,
            f"Contract expiring: {title}",
            f"Your contract for '{title}' with "
            f"{contract.group.vendor.name} expires on {localdate(contract.expires_on)}.",
        )
        contract.expiry_reminded_at = at
        sent += 1
    db.session.flush()
    return sent


def district_contracts(district_id: int) -> list[Contract]:
    return list(
        db.session.scalars(
            select(Contract)
            .join(Award, Award.id == Contract.award_id)
            .where(Contract.district_id == district_id)
            .order_by(Award.published_at.desc())
        )
    )


def district_left_out(district_id: int) -> list[tuple[Award, str]]:
    """Awards the district opted in to but was not placed in, with the optimiser's reason."""
    from consortium.procurement.models import OptIn, OptInStatus

    awards = db.session.scalars(
        select(Award)
        .join(OptIn, OptIn.solicitation_id == Award.solicitation_id)
        .where(OptIn.district_id == district_id, OptIn.status == OptInStatus.live)
        .where(~Award.contracts.any(Contract.district_id == district_id))
        .order_by(Award.published_at.desc())
    )
    return [(award, left_out_reason(award, district_id)) for award in awards]


def left_out_reason(award: Award, district_id: int) -> str:
    """Why the optimiser placed the district in no group of `award` (its own words)."""
    reasons = {u["buyer"]: u["reason"] for u in json.loads(award.run.result_json)["unassigned"]}
    return reasons.get(adapter.buyer_id(district_id), "not placed in a group")


@dataclass(frozen=True)
class AwardOutcome:
    """What an award means for one opted-in district: its contract, or why it has none."""

    award: Award
    contract: Contract | None
    reason: str | None = None


def outcomes_by_district(solicitation: Solicitation) -> dict[int, AwardOutcome]:
    """Every opted-in district's outcome of the solicitation's award (empty before it)."""
    award = award_for(solicitation)
    if award is None:
        return {}
    reasons = {u["buyer"]: u["reason"] for u in json.loads(award.run.result_json)["unassigned"]}
    placed = {c.district_id: AwardOutcome(award, c) for c in award.contracts}
    return {
        o.district_id: placed.get(o.district_id) or AwardOutcome(
            award, None, reasons.get(adapter.buyer_id(o.district_id), "not placed in a group"))
        for o in solicitation.opt_ins if o.is_live
    }


def award_outcomes(district_id: int, solicitation_ids: Iterable[int]) -> dict[int, AwardOutcome]:
    """For each awarded solicitation among `solicitation_ids`: the district's outcome."""
    ids = list(solicitation_ids)
    if not ids:
        return {}
    awards = list(db.session.scalars(select(Award).where(Award.solicitation_id.in_(ids))))
    contracts = {
        c.award_id: c for c in db.session.scalars(
            select(Contract).where(Contract.district_id == district_id,
                                   Contract.award_id.in_([a.id for a in awards])))
    }
    return {
        a.solicitation_id: AwardOutcome(a, contracts[a.id]) if a.id in contracts
        else AwardOutcome(a, None, left_out_reason(a, district_id))
        for a in awards
    }


def vendor_groups(vendor_id: int) -> list[AwardGroup]:
    return list(
        db.session.scalars(
            select(AwardGroup)
            .where(AwardGroup.vendor_id == vendor_id)
            .order_by(AwardGroup.award_id.desc(), AwardGroup.id)
        )
    )


def published_awards(consortium_id: int | None = None) -> list[Award]:
    """Every published award, newest first (or only one consortium's)."""
    stmt = select(Award).order_by(Award.published_at.desc())
    if consortium_id is not None:
        stmt = stmt.join(Award.solicitation).where(Solicitation.consortium_id == consortium_id)
    return list(db.session.scalars(stmt))


def group_offer(group: AwardGroup) -> Offer:
    """The schedule the group was awarded on, as stored in the run's input."""
    instance = run_instance(group.award.run)
    # Runs made before bids had public ids named offers by the bid's primary key.
    names = {group.bid.public_id, str(group.bid_id)}
    return next(o for o in instance.offers if o.id in names)


def unassigned_of(award: Award) -> list[tuple[str, str]]:
    """(district name, reason) for every opted-in district the award left out."""
    return [(name, reason) for _id, name, reason in summarise(award.run).unassigned]
