"""How the trail names what each event is about: "Opt-in of Springfield USD to Math 2027",
with a link to its page, rather than "opt_ins #204".

Objects are loaded per table in one query each (a page of 50 events costs a few queries,
not 50). A row deleted since (a product, say) is named by its table and number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import select

from consortium.accounts.models import (
    Affiliation,
    DistrictProfile,
    Membership,
    Organisation,
    User,
    VendorProfile,
)
from consortium.allocation.models import AllocationRun
from consortium.audit.models import AuditEvent
from consortium.awards.models import Award, AwardGroup, Contract
from consortium.bids.models import Bid, BidVersion, Product
from consortium.extensions import db
from consortium.payments.models import Invoice, Payment
from consortium.procurement.models import Clause, OptIn, Solicitation, bids_are_open


@dataclass(frozen=True)
class Item:
    """What an event is about, in words, and where it is (None: no page to link)."""

    label: str
    url: str | None = None


def _org(org: Organisation) -> Item:
    return Item(org.name, url_for("accounts.organisation", slug=org.slug))


def _bid(bid: Bid) -> Item:
    shown = bids_are_open(bid.solicitation)  # a sealed bid's page is its vendor's alone
    return Item(f"Bid of {bid.vendor.name} on {bid.solicitation.title}",
                url_for("bids.bid_detail", public_id=bid.public_id) if shown else None)


# table -> (model, how to name one row)
NAMERS: dict[str, tuple[Any, Callable[[Any], Item]]] = {
    "solicitations": (Solicitation, lambda s: Item(
        s.title, url_for("procurement.detail", solicitation_id=s.id))),
    "opt_ins": (OptIn, lambda o: Item(
        f"Opt-in of {o.district.name} to {o.solicitation.title}",
        url_for("procurement.opt_ins", solicitation_id=o.solicitation_id))),
    "clauses": (Clause, lambda c: Item(
        f"Clause “{c.title}”", url_for("procurement.edit_clause", clause_id=c.id))),
    "contracts": (Contract, lambda c: Item(
        f"Contract of {c.district.name} for {c.award.solicitation.title}",
        url_for("awards.contract", contract_id=c.id))),
    "awards": (Award, lambda a: Item(
        f"Award of {a.solicitation.title}", url_for("awards.manage", award_id=a.id))),
    "award_groups": (AwardGroup, lambda g: Item(
        f"Group {g.label} of {g.award.solicitation.title}",
        url_for("awards.group", group_id=g.id))),
    "allocation_runs": (AllocationRun, lambda r: Item(
        f"Run “{r.label or r.id}” of {r.solicitation.title}", url_for("allocation.run", run_id=r.id))),
    "bids": (Bid, _bid),
    "bid_versions": (BidVersion, lambda v: Item(
        f"Version {v.number} of the {_bid(v.bid).label[0].lower()}{_bid(v.bid).label[1:]}",
        _bid(v.bid).url)),
    "products": (Product, lambda p: Item(f"Product {p.name} of {p.vendor.name}")),
    "affiliations": (Affiliation, lambda a: Item(
        f"Standing of {a.member.name} with {a.consortium.name}",
        url_for("accounts.verification", status="all") + f"#affiliation-{a.id}")),
    "organisations": (Organisation, _org),
    "district_profiles": (DistrictProfile, lambda p: Item(
        f"Profile of {p.organisation.name}", _org(p.organisation).url)),
    "vendor_profiles": (VendorProfile, lambda p: Item(
        f"Profile of {p.organisation.name}", _org(p.organisation).url)),
    "memberships": (Membership, lambda m: Item(
        f"Membership of {m.user.name} in {m.organisation.name}")),
    "users": (User, lambda u: Item(f"{u.name} <{u.email}>")),
    "invoices": (Invoice, lambda i: Item(
        f"Invoice {i.number or i.id} of {i.district.name}",
        url_for("payments.invoice", invoice_id=i.id))),
    "payments": (Payment, lambda p: Item(
        f"Payment on invoice {p.invoice.number or p.invoice_id}",
        url_for("payments.invoice", invoice_id=p.invoice_id))),
}


def _key(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None  # composite keys ("3-7") have no page of their own


def describe(events: Iterable[AuditEvent]) -> dict[tuple[str, str | None], Item]:
    """(object_type, object_id) -> Item for every event's object."""
    wanted: dict[str, set[int]] = {}
    events = list(events)
    for e in events:
        key = _key(e.object_id)
        if e.object_type in NAMERS and key is not None:
            wanted.setdefault(e.object_type, set()).add(key)
    found: dict[tuple[str, str | None], Item] = {}
    for table, ids in wanted.items():
        model, name = NAMERS[table]
        primary = model.__mapper__.primary_key[0]
        for row in db.session.scalars(select(model).where(primary.in_(ids))):
            found[(table, str(getattr(row, primary.key)))] = name(row)
    for e in events:
        if (e.object_type, e.object_id) not in found:
            words = e.object_type.replace("_", " ")
            found[(e.object_type, e.object_id)] = Item(
                f"{words} {e.object_id}" if e.object_id else words)
    return found
