"""The access matrix's world: every role, and X's solicitations in each state of the lifecycle.

Consortium X (manager MX) and consortium Y (manager MY); districts A and B and vendors A and
B, all verified by X; X's solicitations in each state (a draft, one open with district A in
and both vendors' bids sealed, one past its bid deadline with the bids still sealed, one with
bids opened and a finished run, one awarded with a group and a contract for each side).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from consortium.accounts.signin import password_token
from consortium.accounts.tokens import create_token
from consortium.allocation import services as allocation_services
from consortium.awards.services import publish_award
from consortium.extensions import db
from consortium.security import hash_password
from pricing.tiers import member_amounts, standalone_amount
from pricing.types import Assignment, Group, Instance, Result, Unassigned

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



def per_buyer_solve(instance: Instance, *, solver=None, time_limit_s=None, progress=None) -> Result:
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
        served_bound=sum(a.quantity for a in assignments),
    )


@dataclass
class World:
    """Ids of everything the matrix asks about (plain ints, so nothing lazy-loads mid-walk)."""

    actors: dict[str, Any]
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # password-reset tokens by first name
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
    world.tokens["Casey"] = password_token(colleague.user)
    colleague = make.member(actors[VB].org, role="member", name="Robin Bright")
    world.ids["membership in vendor B"] = colleague.user.memberships[0].id
    world.ids["affiliation of A"] = actors[DA].org.affiliation_with(x).id
    # Issue 9: a personal API token of district A's admin, for the revoke page.
    world.ids["token of A"] = create_token(actors[DA].user, "Ash SIS", actors[DA].org).token.id
    # Issue 10: vendor B's admin invited district A's admin (an existing account) to join.
    from consortium.accounts.models import Invitation

    invitation = Invitation(token="invitation-of-district-a-to-vendor-b",
                            organisation=actors[VB].org, user=actors[DA].user, role="member",
                            invited_by=actors[VB].user)
    db.session.add(invitation)
    db.session.flush()
    world.tokens["invitation of A"] = invitation.token
    from consortium.accounts.models import User
    from consortium.accounts.registration import confirmation_token

    registrant = User(name="Noor Applicant", email="noor@registering.example", active=False,
                      password_hash=hash_password("noor registers a district"))
    db.session.add(registrant)
    db.session.flush()
    world.tokens["registration"] = confirmation_token(registrant, "district", "Noor's SD", x.id)
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
            world.tokens[f"bid of {tag} on {s.title}"] = bid.public_id  # what URLs name
        return s

    solicitation("draft", status="draft")
    open_ = solicitation("open")
    make.opt_in(open_, actors[DA], quantity=4_321)
    bids_by_both(open_, now - timedelta(hours=1))
    world.ids["bid of A (open)"] = world.ids[f"bid of A on {open_.title}"]
    world.tokens["bid of A (open)"] = world.tokens[f"bid of A on {open_.title}"]
    world.ids["bid of B (open)"] = world.ids[f"bid of B on {open_.title}"]
    world.tokens["bid of B (open)"] = world.tokens[f"bid of B on {open_.title}"]

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
    world.tokens["bid of A (sealed)"] = world.tokens[f"bid of A on {sealed.title}"]
    world.ids["bid of B (sealed)"] = world.ids[f"bid of B on {sealed.title}"]
    world.tokens["bid of B (sealed)"] = world.tokens[f"bid of B on {sealed.title}"]
    world.ids["bid of A (opened)"] = world.ids[f"bid of A on {opened.title}"]
    world.tokens["bid of A (opened)"] = world.tokens[f"bid of A on {opened.title}"]
    world.ids["bid of B (opened)"] = world.ids[f"bid of B on {opened.title}"]
    world.tokens["bid of B (opened)"] = world.tokens[f"bid of B on {opened.title}"]

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
    build_payments_world(world, make, clock, products, past)
    return world


# ------------------------------------------------------------ payments (issue 8)

WEBHOOK_SECRET = "whsec_access_matrix"


def build_payments_world(world: World, make, clock, products, past) -> None:
    """A second award of X that both districts accepted: an open invoice each (offline), B's
    overdue; and a webhook secret, so a signed delivery can be told from an unsigned one."""
    from flask import current_app

    from consortium.awards.services import decide_contract
    from consortium.payments.models import Invoice

    settings = current_app.config["SETTINGS"]
    current_app.config["SETTINGS"] = settings.replace(stripe_webhook_secret=WEBHOOK_SECRET)
    actors = world.actors
    x = db.session.get(type(actors[MX].org), world.ids["consortium X"])
    invoiced = make.solicitation(x, title="Invoiced solicitation of X", status="bids_opened",
                                 bids_opened_at=clock.now - timedelta(days=1), **past)
    world.ids["invoiced"] = invoiced.id
    for role, quantity in ((DA, 400), (DB, 600)):
        make.opt_in(invoiced, actors[role], quantity=quantity)
    for role in (VA, VB):
        make.bid(actors[role], invoiced, product=products[role],
                 submitted_at=clock.now - timedelta(days=3))
    run = allocation_services.start_run(invoiced, actors[MX].user, label="Baseline", policy={})
    db.session.commit()
    run = allocation_services.perform_run(run.id, solve=per_buyer_solve)
    award = publish_award(run, actors[MX].user)
    world.ids["invoiced award"] = award.id
    for contract in award.contracts:
        tag = "A" if contract.district_id == actors[DA].org.id else "B"
        decide_contract(contract, actors[DA if tag == "A" else DB].user, accept=True)
        db.session.flush()
        invoice = db.session.query(Invoice).filter_by(contract_id=contract.id).one()
        world.ids[f"invoice of district {tag}"] = invoice.id
    overdue = db.session.get(Invoice, world.ids["invoice of district B"])
    overdue.due_at = clock.now - timedelta(days=2)
    db.session.commit()
