"""Solicitations as OCDS 1.1.5 releases: a consortium's joint purchase, as OCDS models one.

- The consortium is the `procuringEntity` (in `parties` and `tender`).
- Each opted-in district is a party with role `buyer`; with several there is no top-level
  `buyer` (with exactly one, it is that district).
- The tender carries its item (the unit bought, the committed seats), periods (bids open
  until the bid deadline, the opt-in deadline as a milestone), documents (the clauses, the
  public page) and, once awarded, its value.
- Each purchasing group is an award and, through the lots extension, a lot (`relatedLots`),
  with its supplier, unit price and quantity.
- Each accepted contract is a `contract` whose `buyer` is its district (contract-buyer
  extension), with its period and value.

What is public follows the pages. Before the award nothing about bids (not even who bid or
how many) and nothing about single districts appears: the tender and aggregate demand only,
withheld like the public momentum when fewer than three districts are in. Money is in major
units (OCDS amounts are numbers), currencies upper case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from sqlalchemy import select

from consortium.accounts.models import Organisation
from consortium.awards.models import ContractStatus
from consortium.awards.results import AwardResults, award_results
from consortium.awards.services import award_for
from consortium.bids.demand import public_demand
from consortium.clock import now
from consortium.extensions import db
from consortium.procurement.models import Solicitation, SolicitationStatus
from consortium.procurement.momentum import momentum
from consortium.procurement.optins import live_opt_ins

OCID_PREFIX = "ocds-cnsrt1"  # register a prefix with the Open Contracting Partnership to publish
EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_contract_buyer_extension/master/extension.json",
)
PUBLISHED = (
    SolicitationStatus.open, SolicitationStatus.closed, SolicitationStatus.bids_opened,
    SolicitationStatus.awarded, SolicitationStatus.cancelled,
)


def ocid(solicitation: Solicitation) -> str:
    return f"{OCID_PREFIX}-{solicitation.id}"


def stamp(at: datetime | None) -> str | None:
    """An OCDS date-time: ISO 8601, UTC, Z."""
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def day_start(day: date, timezone: str) -> str:
    """A contract's first (or last) day as the midnight it starts in the consortium's zone."""
    return stamp(datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)))


def value(cents: int, currency: str) -> dict[str, Any]:
    return {"amount": cents / 100, "currency": currency.upper()}


def party_ref(org: Organisation) -> dict[str, str]:
    return {"id": f"org-{org.id}", "name": org.name}


def published_solicitations() -> list[Solicitation]:
    """Every solicitation that was ever published (drafts never are), oldest first."""
    return list(
        db.session.scalars(
            select(Solicitation)
            .where(Solicitation.status.in_(PUBLISHED))
            .order_by(Solicitation.id)
        )
    )


def release_package(solicitations: list[Solicitation], uri: str) -> dict[str, Any]:
    """One OCDS release package of `solicitations`' current releases."""
    releases = [release(s) for s in solicitations]
    latest = max((r["date"] for r in releases), default=stamp(now()))
    return {
        "uri": uri,
        "version": "1.1",
        "extensions": list(EXTENSIONS),
        "publishedDate": latest,
        "publisher": {"name": "Consortium group-purchasing marketplace",
                      "uri": url_for("main.home", _external=True)},
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "publicationPolicy": url_for("opendata.index", _external=True),
        "releases": releases,
    }


def release(solicitation: Solicitation) -> dict[str, Any]:
    """The current release of one published solicitation."""
    award = award_for(solicitation)
    results = award_results(award) if award is not None else None
    accepted = [] if award is None else [
        c for c in award.contracts if c.status == ContractStatus.accepted
    ]
    dates = [solicitation.published_at, solicitation.bids_opened_at, solicitation.cancelled_at,
             award.published_at if award else None, *(c.decided_at for c in accepted)]
    data: dict[str, Any] = {
        "ocid": ocid(solicitation),
        "date": stamp(max(d for d in dates if d is not None)),
        "tag": _tags(solicitation, results, accepted),
        "initiationType": "tender",
        "language": "en",
        "parties": _parties(solicitation, results),
        "tender": _tender(solicitation, results),
    }
    data["id"] = f"{data['ocid']}-{data['date']}"
    buyers = [p for p in data["parties"] if "buyer" in p["roles"]]
    if len(buyers) == 1:
        data["buyer"] = {"id": buyers[0]["id"], "name": buyers[0]["name"]}
    if results is not None:
        data["awards"] = [_award(solicitation, g) for g in results.groups]
        data["contracts"] = [_contract(solicitation, c) for c in accepted]
    return data


def _tags(solicitation, results, accepted) -> list[str]:
    if solicitation.status == SolicitationStatus.cancelled:
        return ["tenderCancellation"]
    tags = ["tender"]
    if results is not None:
        tags.append("award")
    if accepted:
        tags.append("contract")
    return tags


def _parties(solicitation: Solicitation, results: AwardResults | None) -> list[dict[str, Any]]:
    parties = [{**party_ref(solicitation.consortium), "roles": ["procuringEntity"]}]
    if results is None:
        return parties  # who opted in is district-level data: public once the award is
    for opt_in in live_opt_ins(solicitation):
        district = opt_in.district
        profile = district.district_profile
        party = {**party_ref(district), "roles": ["buyer"]}
        if profile is not None and profile.state:
            party["address"] = {"region": profile.state}
        parties.append(party)
    suppliers = {g.group.vendor.id: g.group.vendor for g in results.groups}
    for vendor in sorted(suppliers.values(), key=lambda org: org.id):
        parties.append({**party_ref(vendor), "roles": ["supplier"]})
    return parties


def _tender(solicitation: Solicitation, results: AwardResults | None) -> dict[str, Any]:
    # As the public sees it: the quantity only once opt-ins closed (before, a range would
    # not be a number, and an exact one could be differenced).
    demand = public_demand(solicitation, momentum(solicitation))
    item: dict[str, Any] = {
        "id": "1",
        "description": f"{solicitation.category}: {solicitation.title}",
        "unit": {"name": solicitation.unit},
    }
    if demand.seats is not None:
        item["quantity"] = demand.seats
    tender: dict[str, Any] = {
        "id": str(solicitation.id),
        "title": solicitation.title,
        "description": solicitation.description or solicitation.title,
        "status": _tender_status(solicitation),
        "procuringEntity": party_ref(solicitation.consortium),
        "items": [item],
        "procurementMethod": "selective",
        "procurementMethodDetails": (
            "Joint purchase: districts opt in with a quantity and a price ceiling; vendors "
            "verified by the consortium submit sealed tiered bids; an optimiser forms "
            "purchasing groups of similar districts."
        ),
        "mainProcurementCategory": "services",
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": stamp(solicitation.published_at),
                         "endDate": stamp(solicitation.bid_deadline)},
        "contractPeriod": {"durationInDays": round(solicitation.term_months * 365.25 / 12)},
        "milestones": [{
            "id": "opt-in-deadline",
            "title": "Opt-in deadline: districts commit (or withdraw) until then",
            "type": "engagement",
            "dueDate": stamp(solicitation.opt_in_deadline),
            "status": "met" if now() >= solicitation.opt_in_deadline else "scheduled",
        }],
        "documents": _documents(solicitation),
    }
    if results is not None:
        award = results.award
        tender["value"] = value(results.total_amount, solicitation.currency)
        tender["awardPeriod"] = {"startDate": stamp(solicitation.bid_deadline),
                                 "endDate": stamp(award.published_at)}
        tender["lots"] = [
            {"id": f"lot-{g.group.id}", "title": g.name, "status": "complete",
             "value": value(g.group.total_amount, solicitation.currency)}
            for g in results.groups
        ]
        bidders = {g.group.bid.vendor for g in results.groups}
        tender["numberOfTenderers"] = len(bidders)
        tender["tenderers"] = [party_ref(v) for v in sorted(bidders, key=lambda org: org.id)]
    return tender


def _tender_status(solicitation: Solicitation) -> str:
    return {
        SolicitationStatus.cancelled: "cancelled",
        SolicitationStatus.awarded: "complete",
    }.get(solicitation.status, "active")


def _documents(solicitation: Solicitation) -> list[dict[str, Any]]:
    documents = [{
        "id": "notice",
        "documentType": "tenderNotice",
        "title": solicitation.title,
        "url": url_for("procurement.detail", solicitation_id=solicitation.id, _external=True),
        "format": "text/html",
        "language": "en",
    }]
    for position, clause in enumerate(solicitation.clauses, start=1):
        documents.append({
            "id": f"clause-{position}",
            "documentType": "contractDraft",
            "title": clause.shown_title,
            "description": clause.shown_body,
            "language": "en",
        })
    award = award_for(solicitation)
    if award is not None:
        documents.append({
            "id": "award-notice",
            "documentType": "awardNotice",
            "title": f"Award of {solicitation.title}",
            "url": url_for("awards.verify", award_id=award.id, _external=True),
            "format": "text/html",
            "datePublished": stamp(award.published_at),
            "language": "en",
        })
    return documents


def _item(solicitation: Solicitation, quantity: int, unit_amount: int, note: str = "") -> dict:
    """The one item bought: seats of the solicitation's unit at a unit price."""
    return {
        "id": "1",
        "description": f"{solicitation.category}: {solicitation.title}{note}",
        "quantity": quantity,
        "unit": {"name": solicitation.unit, "value": value(unit_amount, solicitation.currency)},
    }


def _award(solicitation: Solicitation, result) -> dict[str, Any]:
    group = result.group
    tz = solicitation.consortium.timezone
    contracts = group.contracts
    return {
        "id": f"award-{group.id}",
        "title": result.name,
        "status": "active",
        "date": stamp(group.award.published_at),
        "value": value(group.total_amount, solicitation.currency),
        "suppliers": [party_ref(group.vendor)],
        "items": [_item(solicitation, group.quantity, group.unit_amount, f", tier {result.tier}")],
        "relatedLots": [f"lot-{group.id}"],
        "contractPeriod": {
            "startDate": day_start(min(c.starts_on for c in contracts), tz),
            "endDate": day_start(max(c.expires_on for c in contracts), tz),
        } if contracts else {},
    }


def _contract(solicitation: Solicitation, contract) -> dict[str, Any]:
    tz = solicitation.consortium.timezone
    group = contract.group
    return {
        "id": f"contract-{contract.id}",
        "awardID": f"award-{group.id}",
        "title": f"{solicitation.title}: {contract.district.name}",
        "status": "terminated" if contract.expires_on < now().date() else "active",
        "buyer": party_ref(contract.district),
        "period": {"startDate": day_start(contract.starts_on, tz),
                   "endDate": day_start(contract.expires_on, tz)},
        "value": value(contract.amount, solicitation.currency),
        "items": [_item(solicitation, contract.quantity, group.unit_amount)],
        "dateSigned": stamp(contract.decided_at),
    }
