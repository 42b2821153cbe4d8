"""Every endpoint of the app, with every role, against one explicit table of who may do what.

One world: consortium X (manager MX) and consortium Y (manager MY); districts A and B and
vendors A and B, all verified by X; X's solicitations in each state of the lifecycle (a draft,
one open with district A in and both vendors' bids sealed, one past its bid deadline with the
bids still sealed, one with bids opened and a finished run, one awarded with a group and a
contract for each side). Every rule of `app.url_map` is requested by every role: GET, and for
POST a valid-looking form (CSRF is off in tests). Each request runs in a SAVEPOINT that is
rolled back afterwards, so every request sees the same world.

`MATRIX` is the contract: endpoint -> method -> the objects it is asked about -> who gets
through. Everyone else is refused: anonymous visitors are sent to the login page (or get the
refusal itself on a public page), signed-in roles get 403, or 404 where the object's existence
is private (`hidden`). A denied request must also change nothing (no audit event, no mail).
A new endpoint without an entry fails `test_every_endpoint_is_in_the_matrix`.

After the matrix, a few tests read what allowed pages *show*: list pages that everybody may
open must list only the reader's own things.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import url_for
from sqlalchemy import func, select

from consortium.allocation import services as allocation_services
from consortium.audit.models import AuditEvent
from consortium.awards.services import publish_award
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from pricing.tiers import member_amounts, standalone_amount
from pricing.types import Assignment, Group, Instance, Result, Unassigned
from tests.factories import PASSWORD

# ------------------------------------------------------------------------------------ roles

ANON, DA, DB, VA, VB, MX, MY = ("anonymous", "district A", "district B", "vendor A", "vendor B",
                                "manager X", "manager Y")
ROLES = (ANON, DA, DB, VA, VB, MX, MY)
SIGNED_IN = frozenset(ROLES) - {ANON}
EVERYONE = frozenset(ROLES)
DISTRICTS = frozenset({DA, DB})
VENDORS = frozenset({VA, VB})
MANAGERS = frozenset({MX, MY})
MEMBERS = DISTRICTS | VENDORS  # districts and vendors (not consortium staff)
NOBODY: frozenset[str] = frozenset()

# -------------------------------------------------------------------------------- the world


def per_buyer_solve(instance: Instance, *, solver=None, time_limit_s=None) -> Result:
    """A valid allocation: every buyer alone in a group with its cheapest eligible offer."""
    groups, assignments, unassigned = [], [], []
    for buyer in instance.buyers:
        offers = [o for o in instance.offers if buyer.may_buy(o.id)]
        if not offers:
            unassigned.append(Unassigned(buyer.id, "no eligible offer"))
            continue
        offer = min(offers, key=lambda o: (member_amounts(o, [buyer.quantity])[0], o.id))
        total, _shares = member_amounts(offer, [buyer.quantity])
        label = f"g{buyer.id}"
        groups.append(Group(label, offer.id, (buyer.id,), buyer.quantity, total))
        alone = standalone_amount(buyer, instance.offers)
        assignments.append(Assignment(buyer.id, label, offer.id, buyer.quantity, total, alone))
    total = sum(g.total_amount for g in groups)
    return Result(
        status="optimal", served_quantity=sum(a.quantity for a in assignments),
        total_amount=total, bound=total, gap=0.0, groups=tuple(groups),
        assignments=tuple(assignments), unassigned=tuple(unassigned),
        stats={"solver": "per-buyer", "solver_version": "1"},
    )


@dataclass
class World:
    """Ids of everything the matrix asks about (plain ints, so nothing lazy-loads mid-walk)."""

    actors: dict[str, Any]
    ids: dict[str, int] = field(default_factory=dict)
    slugs: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        return self.ids[key]

    def org(self, role: str) -> int:
        return self.ids[f"org:{role}"]


def build_world(make, clock) -> World:
    now = clock.now
    x = make.consortium(name="Prairie Schools Purchasing Consortium")
    y = make.consortium(name="Lakeshore Cooperative")
    # A is in Illinois, B in Indiana; each vendor has a DPA in one state only, so the awarded
    # solicitation (DPA required) puts district A with vendor A and district B with vendor B.
    actors = {
        MX: make.manager(x, name="Morgan Prairie"),
        MY: make.manager(y, name="Lee Lakeshore"),
        DA: make.district(consortium=x, name="Apple Creek CUSD 5", state="IL", nces_id="1799001"),
        DB: make.district(consortium=x, name="Birch Valley SD 12", state="IN", nces_id="1899002"),
        VA: make.vendor(consortium=x, name="Acme Learning", dpa_states=["IL"]),
        VB: make.vendor(consortium=x, name="BrightPath Education", dpa_states=["IN"]),
    }
    world = World(actors)
    for role, actor in actors.items():
        world.ids[f"org:{role}"] = actor.org.id
        world.slugs[role] = actor.org.slug
    world.ids["consortium X"], world.ids["consortium Y"] = x.id, y.id
    world.slugs["consortium X"] = x.slug
    colleague = make.member(actors[DA].org, role="member", name="Casey Apple")
    world.ids["membership in A"] = colleague.user.memberships[0].id
    colleague = make.member(actors[VB].org, role="member", name="Robin Bright")
    world.ids["membership in vendor B"] = colleague.user.memberships[0].id
    world.ids["affiliation of A"] = actors[DA].org.affiliation_with(x).id
    applicant = make.district(consortium=x, status="pending", name="Cottonwood Applicant SD")
    world.ids["pending affiliation"] = applicant.org.affiliation_with(x).id
    world.ids["clause of X"] = make.clause(x, title="Price protection (X)").id
    world.ids["spare product of A"] = make.product(actors[VA], name="Acme Spare Reader").id
    products = {
        VA: make.product(actors[VA], name="Acme Reader"),
        VB: make.product(actors[VB], name="BrightPath Reader"),
    }
    world.ids["product of A"], world.ids["product of B"] = products[VA].id, products[VB].id

    def solicitation(key: str, **fields):
        s = make.solicitation(x, title=f"{key.capitalize()} solicitation of X", **fields)
        world.ids[key] = s.id
        world.names[key] = s.title
        return s

    def bids_by_both(s, at):
        for role, tag in ((VA, "A"), (VB, "B")):
            bid = make.bid(actors[role], s, product=products[role], submitted_at=at)
            world.ids[f"bid of {tag} on {s.title}"] = bid.id
        return s

    solicitation("draft", status="draft")
    open_ = solicitation("open")
    make.opt_in(open_, actors[DA], quantity=4_321)
    bids_by_both(open_, now - timedelta(hours=1))
    world.ids["bid of A (open)"] = world.ids[f"bid of A on {open_.title}"]
    world.ids["bid of B (open)"] = world.ids[f"bid of B on {open_.title}"]

    past = {"opt_in_days": -10, "bid_days": -2, "requirements": {"dpa_required": True},
            "policy": {"similarity": [], "min_group_size": 1, "time_limit_s": 10}}
    sealed = solicitation("sealed", **past)
    opened = solicitation("opened", status="bids_opened", bids_opened_at=now - timedelta(days=1),
                          **past)
    awarded = solicitation("awarded", status="bids_opened", bids_opened_at=now - timedelta(days=1),
                           **past)
    for s in (sealed, opened, awarded):
        make.opt_in(s, actors[DA], quantity=400)
        make.opt_in(s, actors[DB], quantity=600)
        bids_by_both(s, now - timedelta(days=3))
    world.ids["bid of A (sealed)"] = world.ids[f"bid of A on {sealed.title}"]
    world.ids["bid of B (sealed)"] = world.ids[f"bid of B on {sealed.title}"]
    world.ids["bid of A (opened)"] = world.ids[f"bid of A on {opened.title}"]
    world.ids["bid of B (opened)"] = world.ids[f"bid of B on {opened.title}"]

    for s, key in ((opened, "run (opened)"), (awarded, "run (awarded)")):
        run = allocation_services.start_run(s, actors[MX].user, label="Baseline", policy={})
        db.session.commit()
        run = allocation_services.perform_run(run.id, solve=per_buyer_solve)
        assert run.status == "succeeded", run.error
        world.ids[key] = run.id
    award = publish_award(db.session.get(type(run), world.ids["run (awarded)"]), actors[MX].user)
    db.session.commit()
    world.ids["award"] = award.id
    for group in award.groups:
        tag = "A" if group.vendor_id == actors[VA].org.id else "B"
        world.ids[f"group of vendor {tag}"] = group.id
    for contract in award.contracts:
        tag = "A" if contract.district_id == actors[DA].org.id else "B"
        world.ids[f"contract of district {tag}"] = contract.id
    expected = {"group of vendor A", "group of vendor B", "contract of district A",
                "contract of district B"}
    assert expected <= world.ids.keys(), "the award needs a group and a contract on each side"
    return world


# ------------------------------------------------------------------------------- the table

Params = Callable[[World], dict[str, Any]]
Data = Callable[[World, str], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """One request shape: `allowed` roles get through, every other role is refused."""

    what: str
    allowed: frozenset[str]
    params: Params = lambda w: {}  # noqa: E731
    data: Data | None = None  # POST form, per role
    hidden: bool = False  # refused signed-in roles get 404 (the object's existence is private)
    deny: dict[str, int] = field(default_factory=dict)  # per-role refusal codes, when not 403/404

    def refusal(self, role: str) -> int:
        return self.deny.get(role, 404 if self.hidden else 403)


def sol(key: str) -> Params:
    return lambda w: {"solicitation_id": w[key]}


def ids(**names: str) -> Params:
    return lambda w: {param: w[key] for param, key in names.items()}


def form(values: dict[str, Any]) -> Data:
    return lambda w, role: dict(values)


def solicitation_form(w: World, role: str) -> dict[str, Any]:
    return {
        "title": "Reading intervention 2026-27", "category": "Literacy", "unit": "seat per year",
        "description": "K-5 reading intervention with OneRoster rostering.", "term_months": "12",
        "acceptance_window_days": "21", "currency": "usd", "admin_fee": "1.5",
        "opt_in_deadline": "2026-03-20T17:00", "bid_deadline": "2026-03-27T17:00",
        "dpa_required": "y", "certifications": ["OneRoster 1.2"], "accessibility": "WCAG 2.1 AA",
        "enrollment_max_ratio": "4", "min_group_size": "1", "individual_rationality": "y",
        "time_limit_s": "45", "mip_gap_pct": "0.1",
    }


def profile_form(w: World, role: str) -> dict[str, Any]:
    if role in DISTRICTS:
        return {"nces_id": "1709876", "state": "IL", "enrollment": "2450", "schools": "5",
                "broadband_mbps": "800", "locale": "suburban", "sis": "Infinite Campus"}
    if role in VENDORS:
        return {"dpa_states": ["IL", "IN"], "certifications": ["LTI 1.3"],
                "accessibility": "WCAG 2.1 AA", "website": "https://example.com"}
    return {"name": "Renamed"}


def own_org(w: World, role: str) -> dict[str, Any]:
    return {"organisation_id": w.org(role) if role != ANON else w.org(DA)}


def own_login(w: World, role: str) -> dict[str, Any]:
    actor = w.actors.get(role, w.actors[DA])
    return {"email": actor.email, "password": PASSWORD}


def opt_in_form(w: World, role: str) -> dict[str, Any]:
    # District A holds version 1 of its opt-in to the open solicitation; district B has none.
    return {"quantity": "650", "max_unit_price": "18.50", "version": "1" if role == DA else "0"}


def bid_form(w: World, role: str) -> dict[str, Any]:
    product = w["product of B"] if role == VB else w["product of A"]
    data = {"product": str(product), "tiers_mode": "volume", "capacity": "", "submit": "Submit"}
    rows = [("999", "12.00"), ("", "9.50")]
    for index in range(6):
        up_to, price = rows[index] if index < len(rows) else ("", "")
        data[f"tiers-{index}-up_to"] = up_to
        data[f"tiers-{index}-unit_price"] = price
    return data


NEW_DISTRICT_CSV = "LEAID,LEA_NAME,ST,MEMBER,SCH,ULOCAL\n1712345,Heron Lake SD 12,IL,1415,2,43\n"
RUN_FORM = form({"label": "Matrix", "min_group_size": "1", "time_limit_s": "10",
                 "mip_gap_pct": "0.1", "individual_rationality": "y", "solver": ""})
PRODUCT_FORM = form({"name": "Acme Reader Pro", "category": "Literacy", "sku": "AR-2",
                     "description": "Levelled readers."})
CLAUSE_FORM = form({"title": "Termination", "body": "Either party may end with 90 days' notice."})
EXTEND_FORM = form({"opt_in_deadline": "2026-03-18T17:00", "bid_deadline": "2026-03-25T17:00"})
EMPTY = form({})

# The open solicitation's bids are sealed (before the deadline); "sealed" is past the bid
# deadline but not opened: in both, nobody but the bid's own vendor may read a bid.
MATRIX: dict[str, dict[str, list[Case]]] = {
    # --- public pages
    "static": {"GET": [Case("the stylesheet", EVERYONE, lambda w: {"filename": "app.css"})]},
    "main.home": {"GET": [Case("home page", EVERYONE)]},
    "main.healthz": {"GET": [Case("health check", EVERYONE)]},
    "accounts.login": {
        "GET": [Case("sign-in page", EVERYONE)],
        "POST": [Case("sign in (own credentials)", EVERYONE, data=own_login)],
    },
    "accounts.register": {
        "GET": [Case("registration page", EVERYONE)],
        "POST": [Case("register a district", EVERYONE, data=lambda w, role: {
            "kind": "district", "organisation_name": "Maple Valley SD 12",
            "consortium_id": w["consortium X"], "name": "Dana Reyes",
            "email": "dana@maplevalley.example", "password": "a long enough passphrase",
            "confirm": "a long enough passphrase"})],
    },
    "procurement.index": {"GET": [Case("public list", EVERYONE)]},
    "procurement.detail": {"GET": [
        Case("open solicitation", EVERYONE, sol("open")),
        Case("sealed (past bid deadline)", EVERYONE, sol("sealed")),
        Case("bids opened", EVERYONE, sol("opened")),
        Case("awarded", EVERYONE, sol("awarded")),
        Case("draft of X", {MX}, sol("draft"), hidden=True),
    ]},
    "awards.index": {"GET": [Case("published awards", EVERYONE)]},
    "awards.verify": {"GET": [Case("X's award", EVERYONE, ids(award_id="award"))]},
    "awards.input_json": {"GET": [Case("X's award input", EVERYONE, ids(award_id="award"))]},
    "awards.result_json": {"GET": [Case("X's award result", EVERYONE, ids(award_id="award"))]},
    # --- accounts
    "accounts.forgot_password": {
        "GET": [Case("forgotten password page", EVERYONE)],
        "POST": [Case("ask for a reset link", EVERYONE,
                      data=lambda w, r: {"email": w.actors[DA].email})],
    },
    "accounts.reset_password": {
        # A bad token sends everyone back to ask again; the token is the only key.
        "GET": [Case("reset with a bad token", EVERYONE, lambda w: {"token": "not-a-token"})],
        "POST": [Case("reset with a bad token", EVERYONE, lambda w: {"token": "not-a-token"},
                      data=form({"password": "a long enough passphrase",
                                 "confirm": "a long enough passphrase"}))],
    },
    "accounts.members": {
        "GET": [Case("own organisation's members", SIGNED_IN)],
        "POST": [Case("add a member to own organisation", SIGNED_IN,
                      data=form({"email": "newcomer@example.org", "name": "Newcomer",
                                 "role": "member"}))],
    },
    "accounts.remove_member": {"POST": [
        Case("a member of district A", {DA}, ids(membership_id="membership in A"), data=EMPTY,
             hidden=True),
        Case("a member of vendor B", {VB}, ids(membership_id="membership in vendor B"),
             data=EMPTY, hidden=True),
    ]},
    "accounts.logout": {"POST": [Case("sign out", SIGNED_IN, data=EMPTY)]},
    "accounts.account": {
        # No object in the URL: the page is always the signed-in person's own account.
        "GET": [Case("own account", SIGNED_IN)],
        "POST": [
            Case("change own password", SIGNED_IN, data=form({
                "current": PASSWORD, "password": "a long enough passphrase",
                "confirm": "a long enough passphrase"})),
            # Without the current password a session alone cannot change it.
            Case("change own password, wrong current one", NOBODY, data=form({
                "current": "not the password", "password": "a long enough passphrase",
                "confirm": "a long enough passphrase"}), deny={r: 400 for r in SIGNED_IN}),
        ],
    },
    "accounts.profile": {
        "GET": [Case("own organisation's profile", SIGNED_IN)],
        "POST": [Case("save own profile", SIGNED_IN, data=profile_form)],
    },
    "accounts.switch_org": {"POST": [
        Case("act for own organisation", SIGNED_IN, data=own_org),
        Case("act for district A", {DA}, data=lambda w, r: {"organisation_id": w.org(DA)},
             deny={r: 400 for r in SIGNED_IN}),
    ]},
    "accounts.consortia": {
        "GET": [Case("own standing with consortia", MEMBERS)],
        "POST": [Case("apply to consortium Y", MEMBERS,
                      data=lambda w, r: {"consortium_id": w["consortium Y"]})],
    },
    "accounts.verification": {"GET": [Case("own consortium's applicants", MANAGERS)]},
    "accounts.import_districts": {
        "GET": [Case("own consortium's CCD import", MANAGERS)],
        "POST": [Case("import a new district into own consortium", MANAGERS, data=lambda w, r: {
            "file": (io.BytesIO(NEW_DISTRICT_CSV.encode()), "districts.csv")})],
    },
    "accounts.decide": {"POST": [
        Case("pending applicant to X", {MX}, ids(affiliation_id="pending affiliation"),
             data=form({"decision": "verified"}), hidden=True),
        Case("district A's standing with X", {MX}, ids(affiliation_id="affiliation of A"),
             data=form({"decision": "rejected", "note": "test"}), hidden=True),
    ]},
    "accounts.organisation": {"GET": [
        Case("district A's page", {DA, MX}, lambda w: {"slug": w.slugs[DA]}, hidden=True),
        Case("vendor A's page", {VA, MX}, lambda w: {"slug": w.slugs[VA]}, hidden=True),
        Case("consortium X's page", {MX}, lambda w: {"slug": w.slugs["consortium X"]},
             hidden=True),
    ]},
    # --- procurement
    "procurement.opt_in": {"POST": [
        Case("opt in to the open solicitation", DISTRICTS, sol("open"), data=opt_in_form),
    ]},
    "procurement.withdraw": {"POST": [
        # District B has no opt-in to withdraw: it cannot reach district A's.
        Case("withdraw from the open solicitation", {DA}, sol("open"), data=opt_in_form,
             deny={DB: 400}),
    ]},
    "procurement.my_opt_ins": {"GET": [Case("own opt-ins", DISTRICTS)]},
    "procurement.manage": {"GET": [Case("own consortium's solicitations", MANAGERS)]},
    "procurement.new": {
        "GET": [Case("new solicitation form", MANAGERS)],
        "POST": [Case("create a draft in own consortium", MANAGERS, data=solicitation_form)],
    },
    "procurement.edit": {
        "GET": [
            Case("X's draft", {MX}, sol("draft"), hidden=True, deny={MY: 404}),
            Case("X's open solicitation (deadlines)", {MX}, sol("open")),
        ],
        "POST": [
            Case("X's draft", {MX}, sol("draft"), data=solicitation_form, hidden=True),
            Case("extend X's deadlines", {MX}, sol("open"), data=EXTEND_FORM),
        ],
    },
    "procurement.publish": {"POST": [
        Case("X's draft", {MX}, sol("draft"), data=EMPTY, hidden=True),
    ]},
    "procurement.cancel": {"POST": [
        Case("X's open solicitation", {MX}, sol("open"), data=EMPTY),
        Case("X's draft", {MX}, sol("draft"), data=EMPTY, hidden=True),
    ]},
    "procurement.opt_ins": {"GET": [
        Case("X's open solicitation", {MX}, sol("open")),
        Case("X's awarded solicitation", {MX}, sol("awarded")),
        Case("X's draft", {MX}, sol("draft"), hidden=True),
    ]},
    "procurement.opt_ins_csv": {"GET": [
        Case("X's open solicitation", {MX}, sol("open")),
        Case("X's awarded solicitation", {MX}, sol("awarded")),
    ]},
    "procurement.clauses": {"GET": [Case("own clause library", MANAGERS)]},
    "procurement.new_clause": {
        "GET": [Case("new clause form", MANAGERS)],
        "POST": [Case("add to own library", MANAGERS, data=CLAUSE_FORM)],
    },
    "procurement.edit_clause": {
        "GET": [Case("X's clause", {MX}, ids(clause_id="clause of X"))],
        "POST": [Case("X's clause", {MX}, ids(clause_id="clause of X"), data=CLAUSE_FORM)],
    },
    # --- bids
    "bids.products": {"GET": [Case("own products", VENDORS)]},
    "bids.product_form": {
        "GET": [
            Case("new product", VENDORS),
            Case("vendor A's product", {VA}, ids(product_id="spare product of A"),
                 deny={VB: 404}),
        ],
        "POST": [
            Case("new product", VENDORS, data=PRODUCT_FORM),
            Case("vendor A's product", {VA}, ids(product_id="spare product of A"),
                 data=PRODUCT_FORM, deny={VB: 404}),
        ],
    },
    "bids.product_delete": {"POST": [
        Case("vendor A's product", {VA}, ids(product_id="spare product of A"), data=EMPTY,
             deny={VB: 404}),
    ]},
    "bids.demand": {"GET": [Case("aggregate demand", VENDORS)]},
    "bids.my_bids": {"GET": [Case("own bids", VENDORS)]},
    "bids.bid_form": {
        "GET": [
            Case("open solicitation", VENDORS, sol("open")),
            Case("sealed solicitation", VENDORS, sol("sealed")),
            Case("X's draft", NOBODY, sol("draft"), hidden=True, deny={MX: 403}),
        ],
        "POST": [Case("bid on the open solicitation", VENDORS, sol("open"), data=bid_form)],
    },
    "bids.bid_withdraw": {"POST": [
        Case("own bid on the open solicitation", VENDORS, sol("open"), data=EMPTY),
    ]},
    "bids.bid_detail": {"GET": [
        Case("A's bid before the deadline", {VA}, ids(bid_id="bid of A (open)"), hidden=True),
        Case("B's bid before the deadline", {VB}, ids(bid_id="bid of B (open)"), hidden=True),
        Case("A's bid past the deadline, unopened", {VA}, ids(bid_id="bid of A (sealed)"),
             hidden=True),
        Case("A's opened bid", {VA, MX}, ids(bid_id="bid of A (opened)"), hidden=True),
        Case("B's opened bid", {VB, MX}, ids(bid_id="bid of B (opened)"), hidden=True),
    ]},
    "bids.receipt": {"GET": [
        Case("A's receipt before the deadline", {VA},
             lambda w: {"bid_id": w["bid of A (open)"], "number": 1}, hidden=True),
        Case("B's receipt before the deadline", {VB},
             lambda w: {"bid_id": w["bid of B (open)"], "number": 1}, hidden=True),
        Case("A's receipt past the deadline, unopened", {VA},
             lambda w: {"bid_id": w["bid of A (sealed)"], "number": 1}, hidden=True),
        Case("B's opened receipt", {VB, MX},
             lambda w: {"bid_id": w["bid of B (opened)"], "number": 1}, hidden=True),
    ]},
    "bids.opening_index": {"GET": [Case("own consortium's openings", MANAGERS)]},
    "bids.opening": {
        "GET": [
            Case("open (sealed: nothing shown)", {MX}, sol("open")),
            Case("past the deadline", {MX}, sol("sealed")),
            Case("opened", {MX}, sol("opened")),
            Case("X's draft", {MX}, sol("draft"), hidden=True),
        ],
        "POST": [Case("open X's bids after the deadline", {MX}, sol("sealed"), data=EMPTY)],
    },
    # --- allocation
    "allocation.index": {"GET": [Case("own consortium's allocations", MANAGERS)]},
    "allocation.runs": {
        "GET": [
            Case("X's opened solicitation", {MX}, sol("opened")),
            Case("X's awarded solicitation", {MX}, sol("awarded")),
        ],
        "POST": [Case("start a run on X's solicitation", {MX}, sol("opened"), data=RUN_FORM)],
    },
    "allocation.compare": {"GET": [Case("X's runs", {MX}, sol("opened"))]},
    "allocation.run": {"GET": [
        Case("X's run", {MX}, ids(run_id="run (opened)")),
        Case("X's published run", {MX}, ids(run_id="run (awarded)")),
    ]},
    "allocation.run_input": {"GET": [Case("X's run", {MX}, ids(run_id="run (opened)"))]},
    "allocation.run_result": {"GET": [Case("X's run", {MX}, ids(run_id="run (opened)"))]},
    "allocation.rerun": {"POST": [
        Case("re-run X's run", {MX}, ids(run_id="run (opened)"), data=EMPTY),
    ]},
    "allocation.publish": {"POST": [
        Case("publish X's run", {MX}, ids(run_id="run (opened)"), data=EMPTY),
    ]},
    # --- awards
    "awards.reports": {"GET": [Case("own consortium's reports", MANAGERS)]},
    "awards.manage": {"GET": [Case("X's award", {MX}, ids(award_id="award"))]},
    "awards.report": {"GET": [Case("X's award", {MX}, ids(award_id="award"))]},
    "awards.my_contracts": {"GET": [Case("own contracts", DISTRICTS)]},
    "awards.contract": {"GET": [
        Case("district A's contract", {DA, MX}, ids(contract_id="contract of district A"),
             hidden=True),
        Case("district B's contract", {DB, MX}, ids(contract_id="contract of district B"),
             hidden=True),
    ]},
    "awards.decide": {"POST": [
        # The manager may read the contract but only the district decides.
        Case("accept district A's contract", {DA}, ids(contract_id="contract of district A"),
             data=form({"decision": "accept"}), hidden=True, deny={MX: 403}),
        Case("decline district B's contract", {DB}, ids(contract_id="contract of district B"),
             data=form({"decision": "decline"}), hidden=True, deny={MX: 403}),
    ]},
    "awards.my_groups": {"GET": [Case("own groups", VENDORS)]},
    "awards.group": {"GET": [
        Case("vendor A's group", {VA, MX}, ids(group_id="group of vendor A"), hidden=True),
        Case("vendor B's group", {VB, MX}, ids(group_id="group of vendor B"), hidden=True),
    ]},
    # --- audit and mail
    "audit.index": {"GET": [Case("own consortium's trail", MANAGERS)]},
    "audit.export": {"GET": [Case("own consortium's trail as CSV", MANAGERS)]},
    "notifications.outbox": {"GET": [Case("the outbox", MANAGERS)]},
}

# ------------------------------------------------------------------------------- the walk


@pytest.fixture
def world(app, make, clock, monkeypatch) -> World:
    monkeypatch.setattr(allocation_services, "default_solve", lambda: per_buyer_solve)
    return build_world(make, clock)


@pytest.fixture
def sessions(app, world, login) -> dict[str, str | None]:
    """Each role's session cookie after signing in (None: anonymous)."""
    cookies: dict[str, str | None] = {ANON: None}
    for role, actor in world.actors.items():
        client = app.test_client()
        login(client, actor)
        cookies[role] = client.get_cookie("session").value
    return cookies


@dataclass
class Outcome:
    status: int
    location: str
    changed: bool  # an audit event or a mail was written

    def describe(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        return f"{self.status}{where}" + (" (and it changed something)" if self.changed else "")


class Walker:
    """Sends one request as one role inside a SAVEPOINT that is rolled back afterwards."""

    def __init__(self, app, cookies: dict[str, str | None]) -> None:
        self.app = app
        self.cookies = cookies
        self.connection = db._app_engines[app][None]  # the test's connection (see conftest)
        db.session.execute(select(1))  # the test session holds its savepoint below ours

    def _count(self) -> tuple[int, int]:
        return (
            self.connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
            self.connection.execute(select(func.count()).select_from(OutboxMessage)).scalar_one(),
        )

    def send(self, role: str, method: str, url: str, data: dict | None) -> Outcome:
        client = self.app.test_client()
        if self.cookies[role] is not None:
            client.set_cookie("session", self.cookies[role])
        savepoint = self.connection.begin_nested()
        try:
            before = self._count()
            response = client.open(url, method=method, data=data)
            changed = self._count() != before
            response.close()
            return Outcome(response.status_code, response.headers.get("Location", ""), changed)
        finally:
            savepoint.rollback()
            db.session.expire_all()


def world_rows(connection) -> dict[str, int]:
    """Row counts of every table (the walk must leave the world exactly as it found it)."""
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def is_login_redirect(outcome: Outcome) -> bool:
    """The default-deny guard's answer: to the sign-in page, to come back afterwards."""
    return outcome.status in (301, 302, 303) and "/login?next=" in outcome.location


def judge(case: Case, role: str, method: str, outcome: Outcome) -> str | None:
    """None when the outcome is what the table says, else what was expected."""
    if role in case.allowed:
        if outcome.status == 200 or (
            outcome.status in (302, 303) and not is_login_redirect(outcome)
        ):
            return None
        return "allowed (200, or a redirect that is not to the login page)"
    refusal = case.refusal(role)
    if role == ANON:
        # Public pages refuse with the code itself; the rest sends anonymous visitors to log in.
        ok = is_login_redirect(outcome) or outcome.status == refusal
        expected = f"login redirect (or {refusal})"
    else:
        ok = outcome.status == refusal
        expected = f"refused with {refusal}"
    if ok and outcome.changed:
        return f"{expected} without changing anything"
    return None if ok else expected


def requests(app, world: World) -> Iterator[tuple[str, str, Case, str, dict[str, Any]]]:
    """(endpoint, method, case, url, params) for every case of the table."""
    with app.test_request_context():
        for endpoint, methods in MATRIX.items():
            for method, cases in methods.items():
                for case in cases:
                    params = case.params(world)
                    yield endpoint, method, case, url_for(endpoint, **params), params


def test_every_endpoint_is_in_the_matrix(app):
    """Every (rule, method) of the app is exercised by some case, and the table names no ghosts."""
    served = {
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing_endpoints = {(e, m) for e, _r, m in served if m not in MATRIX.get(e, {})}
    assert not missing_endpoints, (
        "endpoints without an entry in MATRIX (add who may use them): "
        + ", ".join(f"{m} {e}" for e, m in sorted(missing_endpoints))
    )
    ghosts = {(e, m) for e, methods in MATRIX.items() for m in methods} - {
        (e, m) for e, _r, m in served
    }
    assert not ghosts, f"MATRIX names endpoints the app does not serve: {sorted(ghosts)}"


def test_every_rule_is_reached_by_a_case(app, world):
    adapter = app.url_map.bind("localhost")
    reached = set()
    for endpoint, method, _case, url, _params in requests(app, world):
        rule, _args = adapter.match(url.split("?")[0], method=method, return_rule=True)
        assert rule.endpoint == endpoint, f"{url} reaches {rule.endpoint}, not {endpoint}"
        reached.add((rule.rule, method))
    every = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(every - reached) == []


def test_access_matrix(app, world, sessions):
    """Every case of MATRIX with every role; one failure lists every mismatch."""
    walker = Walker(app, sessions)
    rows_before = world_rows(walker.connection)
    mismatches = []
    count = 0
    for endpoint, method, case, url, _params in requests(app, world):
        for role in ROLES:
            data = case.data(world, role) if case.data else None
            count += 1
            try:
                outcome = walker.send(role, method, url, data)
            except Exception as exc:  # noqa: BLE001 - a crash is a mismatch to list, not a stop
                mismatches.append(f"{method} {url} [{endpoint}: {case.what}] as {role}: "
                                  f"raised {type(exc).__name__}: {exc}")
                continue
            expected = judge(case, role, method, outcome)
            if expected:
                mismatches.append(
                    f"{method} {url} [{endpoint}: {case.what}] as {role}: "
                    f"got {outcome.describe()}, expected {expected}"
                )
    assert count > 400
    assert world_rows(walker.connection) == rows_before, "a request of the walk was not rolled back"
    assert not mismatches, f"{len(mismatches)} of {count} requests differ from MATRIX:\n" + "\n".join(
        mismatches
    )


def test_public_endpoints_are_exactly_those_anonymous_may_use(app):
    """What the policy lets through without signing in is what the table calls public."""
    from consortium.policy import is_public_endpoint

    with app.test_request_context():
        policy_public = {e for e in MATRIX if is_public_endpoint(e)}
    table_public = {
        e for e, methods in MATRIX.items()
        if any(ANON in case.allowed for cases in methods.values() for case in cases)
    }
    # The draft's detail page is public in form, but a draft is 404 for everyone outside X.
    assert policy_public == table_public


# --------------------------------------------------------------- what allowed pages show


def page(app, cookie: str | None, url: str, *, status: int = 200) -> str:
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("session", cookie)
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    return response.get_data(as_text=True)


def x_markers(world: World) -> list[str]:
    """Strings that only X's business would put on a page."""
    markers = [world.names[k] for k in ("draft", "open", "sealed", "opened", "awarded")]
    markers += [world.actors[r].org.name for r in (DA, DB, VA, VB)]
    markers += ["Cottonwood Applicant SD", "Price protection (X)", world.actors[DA].email]
    return markers


MANAGER_PAGES = ("/manage/solicitations", "/manage/clauses", "/verification?status=all",
                 "/bids/opening", "/allocation", "/awards/reports", "/audit/",
                 "/audit/export.csv", "/outbox/")


@pytest.mark.parametrize("url", MANAGER_PAGES)
def test_manager_y_sees_nothing_of_x(app, world, sessions, url):
    """Y's staff pages list Y's business only: none of X's solicitations, members or mail."""
    text = page(app, sessions[MY], url)
    leaked = [m for m in x_markers(world) if m in text]
    assert not leaked, f"manager Y reads X's business on {url}: {leaked}"


def test_manager_x_pages_do_show_x(app, world, sessions):
    """The same pages do list X's business for X's manager (so the test above can fail)."""
    assert world.names["open"] in page(app, sessions[MX], "/manage/solicitations")
    assert "Cottonwood Applicant SD" in page(app, sessions[MX], "/verification?status=all")
    assert world.names["awarded"] in page(app, sessions[MX], "/awards/reports")
    assert "Price protection (X)" in page(app, sessions[MX], "/manage/clauses")


def test_vendor_b_sees_only_its_own_groups_and_bids(app, world, sessions):
    for url in ("/vendor/groups", "/bids/"):
        text = page(app, sessions[VB], url)
        leaked = [m for m in ("Acme Learning", "Acme Reader", "Apple Creek CUSD 5") if m in text]
        assert not leaked, f"vendor B reads vendor A's business on {url}: {leaked}"
    assert world.names["awarded"] in page(app, sessions[VA], "/vendor/groups")


def test_vendors_see_no_district_before_award(app, world, sessions):
    for role in (VA, VB):
        text = page(app, sessions[role], "/bids/demand")
        assert "Apple Creek CUSD 5" not in text and "4,321" not in text


def test_district_b_sees_only_its_own_contracts_and_opt_ins(app, world, sessions):
    for url in ("/contracts", "/my/opt-ins", f"/solicitations/{world['open']}"):
        text = page(app, sessions[DB], url)
        leaked = [m for m in ("Apple Creek CUSD 5", "Acme Learning") if m in text]
        assert not leaked, f"district B reads district A's business on {url}: {leaked}"
    assert "Acme Learning" in page(app, sessions[DA], "/contracts")


def test_manager_y_audit_omits_x_events_of_members_it_shares(app, world, sessions, make, login):
    """District A also applies to Y; its opt-in to X's solicitation is X's business, not Y's."""
    make.affiliation(world.actors[DA].org, db.session.get(type(world.actors[DA].org),
                                                          world["consortium Y"]),
                     status="pending")
    client = app.test_client()
    login(client, world.actors[DA])
    changed = client.post(f"/solicitations/{world['open']}/opt-in",
                          data={"quantity": "7777", "max_unit_price": "", "version": "1"})
    assert changed.status_code == 302
    for url in ("/audit/", "/audit/export.csv"):
        text = page(app, sessions[MY], url)
        assert "7777" not in text, f"manager Y reads district A's opt-in to X's solicitation on {url}"


SEALED_PRICE_CENTS = 1_743


def test_sealed_bid_prices_cannot_be_recovered_by_managers_before_the_deadline(
    app, world, sessions, make, login
):
    """Before the bid deadline no manager can learn a bid's price from what they may read.

    Vendor A (also applying to Y) bids one flat price on X's open solicitation. Every
    SHA-256-looking string on the managers' pages is tried against the bid's receipt payload
    with every price up to $200: if one matches, the 'sealed' price can be read off.
    """
    make.affiliation(world.actors[VA].org, db.session.get(type(world.actors[VA].org),
                                                          world["consortium Y"]),
                     status="pending")
    client = app.test_client()
    login(client, world.actors[VA])
    submitted = client.post(
        f"/bids/solicitation/{world['open']}",
        data={**bid_form(world, VA), "tiers-0-up_to": "", "tiers-0-unit_price": "17.43",
              "tiers-1-unit_price": ""},
    )
    assert submitted.status_code == 302
    from consortium.bids.models import Bid

    bid = db.session.get(Bid, world["bid of A (open)"])
    latest = bid.versions[-1]
    assert latest.tiers == [{"up_to": None, "unit_amount": SEALED_PRICE_CENTS}]
    template = latest.hash_payload()

    def recover(text: str) -> int | None:
        hashes = set(re.findall(r"\b[0-9a-f]{64}\b", text))
        if latest.content_hash not in hashes:
            return None
        for cents in range(1, 20_001):
            payload = {**template, "tiers": [{"up_to": None, "unit_amount": cents}]}
            canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
            if hashlib.sha256(canonical.encode("ascii")).hexdigest() in hashes:
                return cents
        return None

    readable = {
        MX: ("/audit/", "/audit/export.csv", "/outbox/", "/bids/opening",
             f"/bids/opening/{world['open']}", f"/solicitations/{world['open']}"),
        MY: ("/audit/", "/audit/export.csv", "/outbox/", "/bids/opening"),
    }
    leaks = []
    for role, urls in readable.items():
        for url in urls:
            cents = recover(page(app, sessions[role], url))
            if cents is not None:
                leaks.append(f"{role} recovers ${cents / 100:.2f} from {url}")
    assert not leaks, (
        "a sealed bid's unsalted receipt hash is shown to managers before the deadline: "
        + "; ".join(leaks)
    )


def test_no_manager_can_take_over_an_account_through_the_outbox(app, world, sessions):
    """Anyone may ask for a reset link for district A's email; only district A's inbox may get it.

    The outbox page is readable by managers; if it shows the reset link, a manager of any
    consortium can choose district A's password and sign in as district A.
    """
    anonymous = app.test_client()
    asked = anonymous.post("/password/forgot", data={"email": world.actors[DA].email})
    assert asked.status_code == 302
    shown = {}
    for role in (MX, MY):
        links = re.findall(r"/password/reset/([A-Za-z0-9_.\-]+)", page(app, sessions[role], "/outbox/"))
        if links:
            shown[role] = links[-1]
    taken_over = []
    if MY in shown:
        thief = app.test_client()
        new_password = "chosen by someone else entirely"
        thief.post(f"/password/reset/{shown[MY]}",
                   data={"password": new_password, "confirm": new_password})
        signed_in = thief.post("/login", data={"email": world.actors[DA].email,
                                               "password": new_password})
        if signed_in.status_code == 302 and thief.get("/my/opt-ins").status_code == 200:
            taken_over.append("manager Y set district A's password and signed in as district A")
    assert not shown, (
        f"the outbox shows district A's password-reset link to {sorted(shown)}; {taken_over}"
    )


def test_manager_y_cannot_rewrite_or_enrol_x_districts_by_import(app, world, sessions):
    """A CCD import may create districts, not take over one that exists and belongs to others.

    Manager Y uploads a file naming district A's NCES id (1799001). District A's profile is
    district A's to edit (and decides its eligibility in X's solicitations); its standing with Y
    is its own choice.
    """
    district = world.actors[DA].org
    before = district.district_profile.as_dict()
    client = app.test_client()
    client.set_cookie("session", sessions[MY])
    csv_text = ("LEAID,LEA_NAME,ST,MEMBER,SCH,ULOCAL,BROADBAND_MBPS\n"
                "1799001,Apple Creek CUSD 5,IN,99999,40,11,1\n")
    client.post("/verification/import",
                data={"file": (io.BytesIO(csv_text.encode()), "districts.csv")})
    db.session.expire_all()
    district = db.session.get(type(district), district.id)
    changed = {k: (v, district.district_profile.as_dict()[k])
               for k, v in before.items() if district.district_profile.as_dict()[k] != v}
    enrolled = district.affiliation_with(world["consortium Y"])
    assert not changed and enrolled is None, (
        f"manager Y's import rewrote district A's profile {changed} and "
        f"{'made it a verified member of Y' if enrolled is not None else 'left its standing'}"
    )
