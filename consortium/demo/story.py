"""The demo's story: each step through the domain services, planned on the timeline."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from flask_login import login_user

from consortium import context, security
from consortium.accounts import affiliations, invitations, organisations, registration
from consortium.accounts.models import Affiliation, Membership, Organisation, OrgKind, Role, User
from consortium.allocation.models import RunStatus
from consortium.allocation.services import perform_run, start_run
from consortium.audit.services import record
from consortium.awards.models import Contract
from consortium.awards.services import decide_contract, publish_award
from consortium.bids.models import Product
from consortium.bids.opening import open_bids
from consortium.bids.products import save_product
from consortium.bids.sealed import submit_bid
from consortium.demo import billing
from consortium.demo.data import (
    ACCOUNTS,
    BIDS,
    CONSORTIUM,
    PASSWORD,
    TIMEZONE,
    BidSeed,
    SolicitationSeed,
    VendorSeed,
)
from consortium.demo.districts import (
    FIRST_NAMES,
    LAST_NAMES,
    DistrictSeed,
)
from consortium.demo.timeline import DemoError, Timeline
from consortium.extensions import db
from consortium.procurement import services as procurement
from consortium.procurement.models import Solicitation
from consortium.transaction import commit_now


class Story:
    """The demo's steps, planned on a timeline and played through the services."""

    def __init__(self, rng: random.Random, today: datetime) -> None:
        self.rng = rng
        self.t0 = today
        self.zone = ZoneInfo(TIMEZONE)
        self.timeline = Timeline()
        self.shared_hash: str | None = None
        self.staff: dict[str, User] = {}  # organisation name -> its first user
        self.orgs: dict[str, Organisation] = {}
        self.affiliations: dict[tuple[str, str], Affiliation] = {}
        self.products: dict[str, Product] = {}
        self.solicitations: dict[str, Solicitation] = {}
        self.districts: list[DistrictSeed] = []
        self.opt_in_count = 0
        self.contracts = 0

    # --- time and identity

    def day(self, offset: int, hour: int = 10, minute: int = 0) -> datetime:
        """`offset` days from today at a local wall time, in UTC (past days lie before now)."""
        local = self.t0.astimezone(self.zone).date() + timedelta(days=offset)
        wall = datetime(local.year, local.month, local.day, hour, minute, tzinfo=self.zone)
        return wall.astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> datetime:
        """A random instant in [start, end], in working hours where the span allows."""
        seconds = max(int((end - start).total_seconds()), 0)
        for _ in range(12):
            at = start + timedelta(seconds=self.rng.randint(0, seconds))
            if 7 <= at.astimezone(self.zone).hour < 19:
                break
        return at

    def act_as(self, org_name: str) -> User:
        """Sign in as the organisation's user, so audit events name their actor."""
        user = self.staff[org_name]
        login_user(user)
        context.switch_org(user, self.orgs[org_name].id)
        return user

    def user_for(self, org_name: str) -> User:
        """The organisation's first user: a demo login, or staff sharing one password hash."""
        account = next((a for a in ACCOUNTS if a[3] == org_name), None)
        if account is not None:
            return registration.create_user(account[2], account[1], PASSWORD)
        if self.shared_hash is None:  # argon2 once, not once for each of 150 districts
            self.shared_hash = security.hash_password(PASSWORD)
        user = User(
            name=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
            email=f"technology@{organisations.slugify(org_name)}.example",
            password_hash=self.shared_hash,
        )
        db.session.add(user)
        return user

    # --- organisations

    def _first_user(self, kind: OrgKind, name: str, **extra: str) -> Organisation:
        user = self.user_for(name)
        org = organisations.create_organisation(kind, name, **extra)
        db.session.add(Membership(user=user, organisation=org, role=Role.admin))
        db.session.flush()
        self.staff[name], self.orgs[name] = user, org
        self.act_as(name)
        return org

    def consortium(self, name: str, when: datetime) -> None:
        def step() -> None:
            org = self._first_user(OrgKind.consortium, name, timezone=TIMEZONE)
            after = {"name": name, "manager": self.staff[name].email}
            record("consortium.created", org, before=None, after=after)

        self.timeline.at(when, step)

    def member(
        self, kind: OrgKind, name: str, consortium: str, when: datetime,
        setup: Callable[[Organisation], None], *, verify: bool = True,
    ) -> None:  # fmt: skip
        """Register an organisation with its first user and profile, and apply to `consortium`."""

        def step() -> None:
            org = self._first_user(kind, name)
            after = {"kind": kind, "name": name, "user_email": self.staff[name].email}
            record("organisation.registered", org, before=None, after=after,
                   consortium_id=self.orgs[consortium].id)  # fmt: skip
            setup(org)
            self.join(name, consortium, when, verify=verify, now=True)

        self.timeline.at(when, step)

    def invite(self, org_name: str, invitee_org: str, when: datetime) -> None:
        """`org_name`'s admin invites the first user of `invitee_org`, who has not answered."""

        def step() -> None:
            by = self.act_as(org_name)
            invitations.invite(self.orgs[org_name], self.staff[invitee_org], Role.member, by)

        self.timeline.at(when, step)

    def join(
        self, name: str, consortium: str, when: datetime, *, verify: bool = True, now: bool = False
    ) -> None:
        """Apply to `consortium` (at `when`, or right away); its manager verifies days later."""

        def apply() -> None:
            self.act_as(name)
            affiliation = affiliations.apply_to_consortium(self.orgs[name], self.orgs[consortium])
            self.affiliations[name, consortium] = affiliation

        def decide() -> None:
            manager = self.act_as(consortium)
            affiliations.decide_affiliation(self.affiliations[name, consortium], "verified", by=manager)

        if now:
            apply()
        else:
            self.timeline.at(when, apply)
        if verify:
            later = timedelta(days=self.rng.randint(1, 4), hours=self.rng.randint(0, 6))
            self.timeline.at(when + later, decide)

    def district(
        self, seed: DistrictSeed, consortium: str, when: datetime, *, verify: bool = True
    ) -> None:
        def setup(org: Organisation) -> None:
            organisations.update_district_profile(org, **seed.profile())

        self.member(OrgKind.district, seed.name, consortium, when, setup, verify=verify)

    def vendor(self, seed: VendorSeed, when: datetime) -> None:
        def setup(org: Organisation) -> None:
            slug = organisations.slugify(seed.name).split("-")[0]
            organisations.update_vendor_profile(
                org,
                dpa_states=list(seed.dpa_states),
                certifications=list(seed.certifications),
                accessibility=seed.accessibility,
                website=f"https://www.{slug}.example",
            )
            for number, (product, category) in enumerate(seed.products, start=1):
                self.products[product] = save_product(
                    org, None, name=product, category=category,
                    sku=f"{slug[:4].upper()}-{number:03d}",
                    description=f"{product}: {category.lower()}, licensed per seat per year.",
                )  # fmt: skip

        self.member(OrgKind.vendor, seed.name, CONSORTIUM, when, setup)

    # --- solicitations, opt-ins and bids

    def solicitation(
        self, seed: SolicitationSeed, consortium: str, *, publish: bool = True
    ) -> None:
        created, published, opt_in_deadline, bid_deadline = seed.days
        values = {
            "title": seed.title, "category": seed.category, "unit": "seat per year",
            "description": seed.description, "term_months": seed.term_months,
            "requirements": seed.requirements, "opt_in_deadline": self.day(opt_in_deadline, 17),
            "bid_deadline": self.day(bid_deadline, 17), "policy": seed.policy.as_policy(),
            "acceptance_window_days": seed.acceptance_window_days, "admin_fee_bps": 150,
            "currency": "usd",
        }  # fmt: skip

        def create() -> None:
            self.act_as(consortium)
            org = self.orgs[consortium]
            clause_ids = [c.id for c in procurement.clause_library(org)]
            self.solicitations[seed.key] = procurement.create_solicitation(org, values, clause_ids)

        def publish_it() -> None:
            self.act_as(consortium)
            procurement.publish(self.solicitations[seed.key])

        self.timeline.at(self.day(created, 9, 30), create)
        if publish:
            self.timeline.at(self.day(published, 10), publish_it)

    def opt_ins(
        self, seed: SolicitationSeed, pool: list[DistrictSeed], fixed: list[DistrictSeed],
        *, until: datetime | None = None,
    ) -> None:  # fmt: skip
        """`seed.opt_ins` districts (the fixed ones among them) opt in before the deadline.

        A few change their quantity later, and a few withdraw (one of those re-joins).
        """
        others = [d for d in pool if d not in fixed]
        chosen = fixed + self.rng.sample(others, seed.opt_ins - len(fixed))
        deadline = self.day(seed.days[2], 17)
        start = self.day(seed.days[1], 10) + timedelta(hours=1)
        end = min(until or deadline, deadline) - timedelta(hours=1)
        for district in chosen:
            quantity = self.quantity(district, seed)
            ceiling = None
            if district not in fixed and self.rng.random() < 1 / 3:
                ceiling = round(self.rng.randint(*seed.ceiling) / 25) * 25
            when = self.between(start, end)
            self.opt_in(seed.key, district, when, quantity, ceiling)
            if district in fixed:
                continue
            draw = self.rng.random()
            if draw < 0.08:  # a board approved more (or fewer) seats
                changed = max(1, round(quantity * self.rng.choice((0.8, 1.2)) / 5) * 5)
                self.opt_in(seed.key, district, self.between(when, end), changed, ceiling)
            elif draw < 0.11:  # withdrew; a third of them re-joined before the deadline
                withdrawn = self.between(when, end)
                self.withdraw(seed.key, district, withdrawn)
                if draw >= 0.10:
                    self.opt_in(seed.key, district, self.between(withdrawn, end), quantity, ceiling)
        self.opt_in_count += len(chosen)

    def quantity(self, district: DistrictSeed, seed: SolicitationSeed) -> int:
        """Seats for a share of the district's students, rounded to 5."""
        share = self.rng.choice(seed.seat_shares)
        return max(1, round(district.enrollment * share / 5) * 5)

    def opt_in(
        self, key: str, district: DistrictSeed, when: datetime, quantity: int, ceiling: int | None
    ) -> None:
        def step() -> None:
            self.act_as(district.name)
            org, solicitation = self.orgs[district.name], self.solicitations[key]
            procurement.upsert_opt_in(org, solicitation, quantity, ceiling)

        self.timeline.at(when, step)

    def withdraw(self, key: str, district: DistrictSeed, when: datetime) -> None:
        def step() -> None:
            self.act_as(district.name)
            procurement.withdraw_opt_in(self.orgs[district.name], self.solicitations[key])

        self.timeline.at(when, step)

    def bids(self, key: str, start: datetime, end: datetime) -> None:
        """Each vendor of BIDS[key] submits a sealed bid; one revises its deepest price."""
        for bid in BIDS[key]:

            def step(bid: BidSeed = bid, last: int | None = None) -> None:
                user = self.act_as(bid.vendor)
                submit_bid(
                    self.solicitations[key], self.orgs[bid.vendor], user,
                    product=self.products[bid.product], schedule=bid.schedule(last),
                )  # fmt: skip

            first = self.between(start, end - timedelta(days=1))
            self.timeline.at(first, step)
            if bid.revised_last_tier is not None:
                revised = partial(step, bid, bid.revised_last_tier)
                self.timeline.at(self.between(first, end), revised)

    def open_bids(self, key: str, when: datetime) -> None:
        def step() -> None:
            self.act_as(CONSORTIUM)
            open_bids(self.solicitations[key])

        self.timeline.at(when, step)

    # --- allocation, award, acceptance

    def award(self, key: str, when: datetime, *, pending: set[str], accepted: set[str]) -> None:
        """Run the real engine and publish; districts accept (one declines) in the weeks after."""

        def run_and_publish() -> None:
            manager = self.act_as(CONSORTIUM)
            label = "Similar locale and bandwidth"
            run = start_run(self.solicitations[key], manager, label=label, policy={})
            commit_now()  # a run is performed in its own transactions
            run = perform_run(run.id)  # synchronously, with pricing.engine.solve
            if run is None or run.status != RunStatus.succeeded:
                reason = run.error if run is not None else "the run disappeared"
                raise DemoError(f"the demo allocation run failed: {reason}")
            manager = self.act_as(CONSORTIUM)
            award = publish_award(run, manager)
            self.contracts = len(award.contracts)
            self.decisions(award.contracts, when, pending=pending, accepted=accepted)

        self.timeline.at(when, run_and_publish)

    def decisions(
        self, contracts: list[Contract], published: datetime, *, pending: set[str],
        accepted: set[str],
    ) -> None:  # fmt: skip
        """About two thirds accept; the district saving least declines; the rest are pending."""
        names = {c.id: c.district.name for c in contracts}
        free = [c for c in contracts if names[c.id] not in pending | accepted]
        declined = min(free, key=lambda c: (c.savings_rate, c.id))
        accepting = [c for c in contracts if names[c.id] in accepted]
        accepting += [c for c in free if c is not declined and self.rng.random() < 0.65]
        last = self.day(-1, 16)
        decided = []
        for contract, accept in [(c, True) for c in accepting] + [(declined, False)]:

            def step(contract: Contract = contract, accept: bool = accept) -> None:
                user = self.act_as(names[contract.id])
                # Accepting issues an invoice; the one decline says why, as every decline must.
                decide_contract(contract, user, accept=accept, reason=None if accept else (
                    "The savings against our current contract are too small to justify moving "
                    "our teachers to a new platform this year."))

            when = self.between(published + timedelta(hours=2), last)
            self.timeline.at(when, step)
            if accept:
                decided.append((contract, when))
        # What each district then does with its invoice (a demo login's is left to it).
        billing.payments(self, decided, keep=accepted)

    def clauses(
        self, consortium: str, clauses: tuple[tuple[str, str], ...], when: datetime
    ) -> None:
        def step() -> None:
            self.act_as(consortium)
            for title, body in clauses:
                procurement.create_clause(self.orgs[consortium], title, body)

        self.timeline.at(when, step)
