"""Small factories for tests: `make.district()`, `make.vendor()`, `make.manager()` ...

Every factory adds and flushes (never commits) in the current `db.session`, so the per-test
rollback removes everything. Each domain extends `Make` in its own section at the bottom
(methods named after the thing they make: `make.solicitation`, `make.opt_in`, `make.bid`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from consortium.accounts.models import (
    Affiliation,
    AffiliationStatus,
    DistrictProfile,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
    VendorProfile,
)
from consortium.extensions import db
from consortium.security import hash_password

PASSWORD = "correct horse battery staple"

_seq = itertools.count(1)


@dataclass
class Actor:
    """A user acting for one organisation: what `login(client, actor)` signs in as."""

    user: User
    org: Organisation

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def id(self) -> int:
        return self.user.id


@dataclass
class Cast:
    consortium_x: Organisation
    consortium_y: Organisation
    manager_x: Actor
    manager_y: Actor
    district_a: Actor
    district_b: Actor
    vendor_a: Actor
    vendor_b: Actor

    def actors(self) -> dict[str, Actor | None]:
        """Role name -> actor (None for anonymous), in a stable order for parametrised walks."""
        return {
            "anonymous": None,
            "district_a": self.district_a,
            "district_b": self.district_b,
            "vendor_a": self.vendor_a,
            "vendor_b": self.vendor_b,
            "manager_x": self.manager_x,
            "manager_y": self.manager_y,
        }


class Make:
    """Factories over the current db.session. Defaults are realistic; override any field."""

    def __init__(self, session=None) -> None:
        self.session = session or db.session
        self._default_consortium: Organisation | None = None

    def _n(self) -> int:
        return next(_seq)

    def save(self, *objs: Any) -> None:
        """Add and flush (never commit) any rows a factory or test builds by hand."""
        self.session.add_all(objs)
        self.session.flush()

    _save = save

    # --- accounts ---

    def user(self, *, email: str | None = None, name: str | None = None, password: str = PASSWORD) -> User:
        n = self._n()
        user = User(
            email=(email or f"user{n}@example.org").lower(),
            name=name or f"User {n}",
            password_hash=hash_password(password),
        )
        self._save(user)
        return user

    def organisation(self, kind: OrgKind | str, *, name: str | None = None, **fields: Any) -> Organisation:
        n = self._n()
        kind = OrgKind(kind)
        name = name or f"{kind.value.capitalize()} {n}"
        org = Organisation(kind=kind, name=name, slug=fields.pop("slug", f"{kind.value}-{n}"), **fields)
        self._save(org)
        return org

    def consortium(self, *, name: str | None = None, timezone: str = "America/Chicago") -> Organisation:
        """A consortium organisation (no staff; see `manager`)."""
        org = self.organisation(OrgKind.consortium, name=name or f"Consortium {self._n()}", timezone=timezone)
        if self._default_consortium is None:
            self._default_consortium = org
        return org

    @property
    def default_consortium(self) -> Organisation:
        """The first consortium made in this test (created on demand)."""
        if self._default_consortium is None:
            self.consortium(name="Prairie Schools Purchasing Consortium")
        return self._default_consortium

    def member(self, org: Organisation, *, role: Role | str = Role.admin, user: User | None = None, **user_fields: Any) -> Actor:
        """A user who belongs to `org` (admin by default)."""
        user = user or self.user(**user_fields)
        self._save(Membership(user=user, organisation=org, role=Role(role)))
        return Actor(user, org)

    def affiliation(
        self, org: Organisation, consortium: Organisation | None = None, *, status: str = "verified"
    ) -> Affiliation:
        affiliation = Affiliation(
            consortium=consortium or self.default_consortium,
            member=org,
            status=AffiliationStatus(status),
        )
        self._save(affiliation)
        return affiliation

    def manager(self, consortium: Organisation | None = None, **user_fields: Any) -> Actor:
        """Staff of `consortium` (default: the test's default consortium)."""
        return self.member(consortium or self.default_consortium, role=Role.admin, **user_fields)

    def district(
        self,
        *,
        consortium: Organisation | None = None,
        status: str | None = "verified",
        name: str | None = None,
        state: str = "IL",
        enrollment: int = 1_200,
        schools: int = 3,
        broadband_mbps: int | None = 250,
        locale: str = "rural",
        nces_id: str | None = None,
        sis: str | None = "PowerSchool",
        role: Role | str = Role.admin,
        **user_fields: Any,
    ) -> Actor:
        """A district with a filled profile, one admin user, verified by `consortium`.

        `status=None` makes no affiliation; "pending"/"rejected" make one in that state.
        """
        n = self._n()
        org = self.organisation(OrgKind.district, name=name or f"District {n} USD")
        org.district_profile = DistrictProfile(
            nces_id=nces_id or f"{1700000 + n}",
            state=state,
            enrollment=enrollment,
            schools=schools,
            broadband_mbps=broadband_mbps,
            locale=locale,
            sis=sis,
        )
        self._save(org)
        if status is not None:
            self.affiliation(org, consortium, status=status)
        return self.member(org, role=role, **user_fields)

    def vendor(
        self,
        *,
        consortium: Organisation | None = None,
        status: str | None = "verified",
        name: str | None = None,
        dpa_states: list[str] | None = None,
        certifications: list[str] | None = None,
        accessibility: str = "WCAG 2.1 AA",
        website: str | None = None,
        role: Role | str = Role.admin,
        **user_fields: Any,
    ) -> Actor:
        """A vendor with declarations (DPA in IL and IN, OneRoster 1.2 and LTI 1.3 by default)."""
        n = self._n()
        org = self.organisation(OrgKind.vendor, name=name or f"Vendor {n} Learning")
        org.vendor_profile = VendorProfile(
            dpa_states=list(dpa_states if dpa_states is not None else ["IL", "IN"]),
            certifications=list(
                certifications if certifications is not None else ["LTI 1.3", "OneRoster 1.2"]
            ),
            accessibility=accessibility,
            website=website or f"https://vendor{n}.example.com",
        )
        self._save(org)
        if status is not None:
            self.affiliation(org, consortium, status=status)
        return self.member(org, role=role, **user_fields)

    def cast(self) -> Cast:
        """Everyone a who-may-see-what test needs: two consortia, and two of each role in X."""
        x = self.consortium(name="Prairie Schools Purchasing Consortium")
        y = self.consortium(name="Lakeshore Cooperative")
        return Cast(
            consortium_x=x,
            consortium_y=y,
            manager_x=self.manager(x, name="Morgan Manager-X"),
            manager_y=self.manager(y, name="Riley Manager-Y"),
            district_a=self.district(consortium=x, name="Ash Grove SD", state="IL"),
            district_b=self.district(consortium=x, name="Birch Falls SD", state="IL"),
            vendor_a=self.vendor(consortium=x, name="Acorn Learning"),
            vendor_b=self.vendor(consortium=x, name="Beacon EdTech"),
        )

    # --- procurement --- (procurement engineer: make.solicitation, make.clause, make.opt_in)

    def clause(self, consortium: Organisation | None = None, *, title: str | None = None,
               body: str = "The vendor holds prices for the whole contract term.") -> Any:
        from consortium.procurement.models import Clause

        clause = Clause(consortium_id=(consortium or self.default_consortium).id,
                        title=title or f"Price protection {self._n()}", body=body)
        self._save(clause)
        return clause

    def solicitation(
        self,
        consortium: Organisation | None = None,
        *,
        status: str = "open",
        opt_in_days: float = 14,
        bid_days: float | None = None,
        clauses: list[Any] | None = None,
        **fields: Any,
    ) -> Any:
        """A solicitation (open by default) whose deadlines are `opt_in_days` / `bid_days` from now.

        `bid_days` defaults to a week after the opt-in deadline. Negative days give deadlines
        in the past; any column may be overridden.
        """
        from datetime import timedelta

        from consortium.clock import now
        from consortium.procurement.models import Solicitation, SolicitationClause

        at = now()
        values: dict[str, Any] = {
            # The category of make.product's default: a bid must name a product of it.
            "title": f"Reading platform {self._n()}",
            "category": "Literacy",
            "unit": "seat per year",
            "description": "A digital reading platform for every student, with SIS rostering.",
            "term_months": 12,
            "requirements": {"dpa_required": True, "certifications": ["OneRoster 1.2"],
                             "accessibility": "WCAG 2.1 AA"},
            "opt_in_deadline": at + timedelta(days=opt_in_days),
            "bid_deadline": at + timedelta(days=opt_in_days + 7 if bid_days is None else bid_days),
            "acceptance_window_days": 30,
            "policy": {"similarity": [{"feature": "enrollment", "max_ratio": 4.0}],
                       "min_group_size": 1, "max_group_size": None,
                       "individual_rationality": True, "time_limit_s": 30, "mip_gap": 0.001},
            "admin_fee_bps": 150,
            "currency": "usd",
            "status": status,
            "published_at": None if status == "draft" else at - timedelta(days=1),
        }
        values.update(fields)
        consortium = consortium or self.default_consortium
        solicitation = Solicitation(consortium_id=consortium.id, consortium=consortium, **values)
        solicitation.clause_links = [
            SolicitationClause(clause=c, position=i) for i, c in enumerate(clauses or [])
        ]
        self._save(solicitation)
        return solicitation

    def opt_in(self, solicitation: Any, district: Actor | Organisation, *, quantity: int = 500,
               max_unit_amount: int | None = None, status: str = "live") -> Any:
        """An opt-in row written directly (no deadline or verification checks)."""
        from consortium.procurement.models import OptIn

        org = district.org if isinstance(district, Actor) else district
        opt_in = OptIn(solicitation_id=solicitation.id, district_id=org.id, quantity=quantity,
                       max_unit_amount=max_unit_amount, status=status, version=1)
        self._save(opt_in)
        return opt_in

    # --- bids --- (bids engineer: make.product, make.bid)

    def product(self, vendor: Actor | Organisation, *, name: str | None = None, **fields: Any):
        """A product of `vendor` (an Actor or the vendor organisation)."""
        from consortium.bids.models import Product

        org = vendor.org if isinstance(vendor, Actor) else vendor
        product = Product(
            vendor_id=org.id,
            name=name or f"Reader {self._n()}",
            category=fields.pop("category", "Literacy"),
            **fields,
        )
        self._save(product)
        return product

    def bid(
        self,
        vendor: Actor | Organisation,
        solicitation: Any,
        *,
        tiers: list[dict[str, Any]] | None = None,
        tiers_mode: str = "volume",
        capacity: int | None = None,
        product: Any = None,
        submitted_at: Any = None,
        withdrawn: bool = False,
    ):
        """A bid with one more version (number = previous + 1), hashed like a real submission.

        Bypasses the deadline check on purpose, so a test can place versions at any time.
        """
        from consortium.bids.models import Bid, BidVersion
        from consortium.clock import now

        org = vendor.org if isinstance(vendor, Actor) else vendor
        product = product or self.product(org)
        bid = self.session.query(Bid).filter_by(solicitation_id=solicitation.id, vendor_id=org.id).first()
        if bid is None:
            bid = Bid(solicitation_id=solicitation.id, vendor_id=org.id, product_id=product.id)
            self._save(bid)
        bid.product_id = product.id
        version = BidVersion(
            bid=bid,
            number=len(bid.versions) + 1,
            product_id=product.id,
            tiers_mode=tiers_mode,
            tiers=tiers
            if tiers is not None
            else [{"up_to": 999, "unit_amount": 1_200}, {"up_to": None, "unit_amount": 900}],
            capacity=capacity,
            withdrawn=withdrawn,
            submitted_at=submitted_at or now(),
        )
        version.content_hash = version.compute_hash()
        self._save(version)
        return bid

    # --- allocation and awards --- (make.run, make.award ...)

    def allocation_scenario(
        self,
        *,
        consortium: Organisation | None = None,
        policy: dict[str, Any] | None = None,
        requirements: dict[str, Any] | None = None,
        tiers_mode: str = "volume",
    ) -> AllocationScenario:
        """A solicitation with bids opened and both deadlines passed, ready for allocation runs.

        Districts A and B (rural, IL) fit together at vendor A's second tier; district C asks
        for a ceiling no bid reaches. Vendor B bids higher than vendor A everywhere.
        """
        from datetime import timedelta

        from consortium.bids.models import Bid, BidVersion, Product
        from consortium.clock import now
        from consortium.procurement.models import OptIn, Solicitation

        consortium = consortium or self.default_consortium
        at = now()
        manager = self.manager(consortium)
        solicitation = Solicitation(
            consortium=consortium,
            title=f"Reading intervention {self._n()}",
            category="Literacy",
            term_months=12,
            requirements=requirements if requirements is not None else {"dpa_required": True},
            opt_in_deadline=at - timedelta(days=10),
            bid_deadline=at - timedelta(days=5),
            acceptance_window_days=14,
            policy=policy if policy is not None else {"similarity": [], "time_limit_s": 10},
            currency="usd",
            status="bids_opened",
            bids_opened_at=at - timedelta(days=4),
        )
        self._save(solicitation)
        a = self.district(consortium=consortium, name="Apple Creek CUSD", enrollment=800, broadband_mbps=400)
        b = self.district(consortium=consortium, name="Birch Valley SD", enrollment=1_200, broadband_mbps=900)
        c = self.district(consortium=consortium, name="Cedar City Public Schools", enrollment=20_000,
                          broadband_mbps=8_000, locale="urban")
        for district, quantity, ceiling in ((a, 400, None), (b, 600, 1_900), (c, 5_000, 100)):
            self._save(OptIn(solicitation=solicitation, district=district.org, quantity=quantity,
                             max_unit_amount=ceiling, status="live"))
        vendors = []
        for name, mode, tiers in (
            ("Acme Learning", tiers_mode,
             [{"up_to": 999, "unit_amount": 2_000}, {"up_to": 4_999, "unit_amount": 1_500},
              {"up_to": None, "unit_amount": 1_200}]),
            ("BrightPath", tiers_mode,
             [{"up_to": 499, "unit_amount": 2_500}, {"up_to": None, "unit_amount": 2_200}]),
        ):
            vendor = self.vendor(consortium=consortium, name=f"{name} {self._n()}")
            product = Product(vendor_id=vendor.org.id, name=f"{name} Reader", category="Literacy")
            self._save(product)
            bid = Bid(solicitation=solicitation, vendor_id=vendor.org.id, product=product)
            self._save(bid)
            version = BidVersion(bid=bid, number=1, product=product, tiers_mode=mode, tiers=tiers,
                                 capacity=None, submitted_at=at - timedelta(days=7), content_hash="")
            version.content_hash = version.compute_hash()
            self._save(version)
            vendors.append(vendor)
        return AllocationScenario(solicitation, manager, a, b, c, vendors[0], vendors[1])


@dataclass
class AllocationScenario:
    """What `make.allocation_scenario()` built, by role."""

    solicitation: Any
    manager: Actor
    district_a: Actor
    district_b: Actor
    district_c: Actor
    vendor_a: Actor
    vendor_b: Actor
