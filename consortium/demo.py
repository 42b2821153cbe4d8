"""The demo consortium that `make demo` serves: `seed()`, `is_seeded()` and `logins()`.

Everything is made through the domain services (registration, verification, profiles,
solicitations, opt-ins, sealed bids, bid opening, a real allocation run, the award and the
district decisions), so the audit trail, the outbox and every invariant are the real ones.
The story is played in time order on a frozen server clock: each step happens at its own
instant before "now", which is why deadlines can lie in the past and still have been met.

Districts are drawn like the real ones of shared/data/districts.md (the distributions of
`pricing.generate`): log-normal enrollment by locale, bandwidth per student correlated with
size, NCES-like ids with the state's FIPS prefix. Deterministic: `random.Random(2026)`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask_login import login_user, logout_user
from sqlalchemy import select

from consortium import clock, context, security
from consortium.accounts import affiliations, organisations, registration
from consortium.accounts.models import Affiliation, Membership, Organisation, OrgKind, Role, User
from consortium.allocation.services import perform_run, start_run
from consortium.audit.services import record
from consortium.awards.models import Contract
from consortium.awards.services import decide_contract, publish_award
from consortium.bids.models import Product
from consortium.bids.opening import open_bids
from consortium.bids.products import save_product
from consortium.bids.schedules import Schedule
from consortium.bids.sealed import submit_bid
from consortium.extensions import db
from consortium.procurement import services as procurement
from consortium.procurement.models import Solicitation
from consortium.procurement.services import PolicyChoices
from consortium.transaction import commit_now
from pricing import generate
from pricing.types import Tier

SEED = 2026
PASSWORD = "demo-password-2026"
TIMEZONE = "America/Chicago"
CONSORTIUM = "Great Lakes Digital Learning Cooperative"
SECOND_CONSORTIUM = "Northwoods Rural Schools Alliance"
# State, FIPS prefix of NCES ids, districts drawn (the last of each applies after the others).
STATES = (("IL", "17", 101), ("WI", "55", 51))
RUN_TIME_LIMIT_S = 20

# (role, email, name, organisation): the accounts `flask demo-logins` prints.
ACCOUNTS = (
    ("manager", "manager@greatlakes.example", "Renee Alvarez", CONSORTIUM),
    ("district", "district@prairieridge.example", "Tom Becker", "Prairie Ridge CUSD 201"),
    ("district2", "district@heronlake.example", "Ana Lindqvist", "Heron Lake Area School District"),
    ("vendor", "vendor@brightpath.example", "Jordan Ellis", "Brightpath Learning"),
    ("vendor2", "vendor@lakeshore.example", "Priya Raman", "Lakeshore EdTech"),
    ("manager2", "manager@northwoods.example", "Gus Halvorsen", SECOND_CONSORTIUM),
)


class DemoError(click.ClickException):
    """The demo cannot be seeded (already there, or a step refused); the CLI prints why."""


def logins() -> list[tuple[str, str, str]]:
    """(role, email, password) of every demo account, as `flask demo-logins` prints them."""
    return [(role, email, PASSWORD) for role, email, _name, _org in ACCOUNTS]


def is_seeded() -> bool:
    """True when the demo consortium exists (then `make demo` re-uses the database)."""
    return db.session.scalar(
        select(Organisation.id).where(
            Organisation.kind == OrgKind.consortium, Organisation.name == CONSORTIUM
        )
    ) is not None


# ---------------------------------------------------------------- districts like the real ones

PLACE_FIRST = (
    "Prairie", "Oak", "Cedar", "Maple", "Willow", "Elm", "Pine", "Birch", "Clear", "Stony",
    "Silver", "Red", "Green", "Fox", "Deer", "Eagle", "Mill", "Spring", "Rock", "Sand", "Sugar",
    "Walnut", "Hickory", "Ash", "Iron", "Copper", "Pleasant", "Fair", "Grand", "Turtle", "Wolf",
    "Otter", "Crane", "Bluff", "Kettle", "Hazel", "Bear", "Elk", "Pheasant", "Laurel", "Liberty",
    "Harmony", "Linden", "Aspen", "Juniper", "Sumac", "Badger", "Meadow",
)  # fmt: skip
PLACE_WORD = (
    "Ridge", "Grove", "Creek", "Valley", "Falls", "Point", "Springs", "Hill", "Bend", "Crossing",
    "Lake", "Park", "Rapids", "Junction", "Hollow", "Landing", "Center", "Heights", "Prairie",
)  # fmt: skip
PLACE_SUFFIX = ("field", "ville", "ton", "wood", "dale", "brook", "land", "port", "view", "ford")
RESERVED_PLACES = {"Prairie Ridge", "Heron Lake"}  # the demo logins' districts
RESERVED_IDS = {"1738420", "5506870"}
SIS = {
    "IL": (("PowerSchool", 4), ("Skyward", 3), ("Infinite Campus", 2), ("Tyler SIS", 1)),
    "WI": (("Infinite Campus", 5), ("Skyward", 4), ("PowerSchool", 1)),
}
# E-rate circuits come in these sizes (Mbps); a district's bandwidth is the nearest one.
CIRCUITS = (10, 20, 50, 100, 200, 300, 500, 750, 1000, 2000, 3000, 5000, 10000, 20000, 40000)
ENROLLMENT_CAP = 50_000


@dataclass(frozen=True)
class DistrictSeed:
    name: str
    state: str
    nces_id: str
    enrollment: int
    schools: int
    broadband_mbps: int
    locale: str
    sis: str

    def profile(self) -> dict[str, object]:
        return {
            "nces_id": self.nces_id, "state": self.state, "enrollment": self.enrollment,
            "schools": self.schools, "broadband_mbps": self.broadband_mbps,
            "locale": self.locale, "sis": self.sis,
        }  # fmt: skip


def draw_profile(rng: random.Random) -> tuple[str, int, int]:
    """(locale, enrollment, broadband Mbps) drawn like districts.md (pricing.generate's figures)."""
    locales = generate.LOCALES
    locale, median = rng.choices([(n, m) for n, _, m in locales], [s for _, s, _ in locales])[0]
    ln_students = rng.gauss(math.log(median), generate.WITHIN_SD)
    enrollment = round(math.exp(ln_students))
    enrollment = min(max(enrollment, generate.ENROLLMENT_RANGE[0]), ENROLLMENT_CAP)
    # Bivariate normal on the logs: bigger districts have less bandwidth per student.
    standard = (ln_students - generate.LN_STUDENTS_MEAN) / generate.LN_STUDENTS_SD
    rho = generate.KBPS_CORRELATION
    z = rho * standard + math.sqrt(1 - rho**2) * rng.gauss(0.0, 1.0)
    kbps_per_student = generate.KBPS_MEDIAN * math.exp(generate.KBPS_LN_SD * z)
    wanted = enrollment * kbps_per_student / 1000
    mbps = min(CIRCUITS, key=lambda c: abs(math.log(c / wanted)))
    return locale, enrollment, mbps


def _place(rng: random.Random, taken: set[str]) -> str:
    while True:
        first = rng.choice(PLACE_FIRST)
        if rng.random() < 0.4:
            place = first + rng.choice(PLACE_SUFFIX)
        else:
            place = f"{first} {rng.choice(PLACE_WORD)}"
        if place not in taken and first != place.split()[-1]:
            taken.add(place)
            return place


def _district_name(rng: random.Random, state: str, place: str, numbers: set[int]) -> str:
    if state == "WI":
        forms = ("School District of {}", "{} Area School District", "{} School District")
        return rng.choices(forms, (4, 4, 2))[0].format(place)
    number = rng.randint(2, 399)
    while number in numbers:
        number = rng.randint(2, 399)
    numbers.add(number)
    kind = rng.choices(("CUSD", "CCSD", "SD"), (55, 25, 20))[0]
    return f"{place} {kind} {number}"


def draw_districts(rng: random.Random, states=STATES) -> list[DistrictSeed]:
    """Fictional districts with realistic sizes, bandwidth and locale, `count` per state."""
    places, numbers, ids = set(RESERVED_PLACES), {201}, set(RESERVED_IDS)
    seeds = []
    for state, fips, count in states:
        for _ in range(count):
            locale, enrollment, mbps = draw_profile(rng)
            nces_id = f"{fips}{rng.randint(0, 99999):05d}"
            while nces_id in ids:
                nces_id = f"{fips}{rng.randint(0, 99999):05d}"
            ids.add(nces_id)
            schools = max(1, round(enrollment / rng.uniform(320, 560)))
            sis = rng.choices(*zip(*SIS[state], strict=True))[0]
            name = _district_name(rng, state, _place(rng, places), numbers)
            seeds.append(DistrictSeed(name, state, nces_id, enrollment, schools, mbps, locale, sis))
    return seeds


# The two districts behind the demo logins: typical, and always placed in a group.
PRAIRIE_RIDGE = DistrictSeed("Prairie Ridge CUSD 201", "IL", "1738420", 1240, 4, 300, "rural", "Skyward")  # fmt: skip
HERON_LAKE = DistrictSeed("Heron Lake Area School District", "WI", "5506870", 2310, 5, 500, "town", "Infinite Campus")  # fmt: skip

FIRST_NAMES = (
    "Alex", "Beth", "Carlos", "Dana", "Erin", "Frank", "Grace", "Hector", "Irene", "Jamal", "Kara",
    "Luis", "Megan", "Nate", "Olga", "Paul", "Rosa", "Sam", "Tara", "Victor", "Wendy", "Yusuf",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Brandt", "Castillo", "Dvorak", "Engel", "Fischer", "Gomez", "Hanson", "Iverson",
    "Johnson", "Kowalski", "Larsen", "Meyer", "Novak", "Olson", "Peterson", "Schmidt", "Wojcik",
)  # fmt: skip


# ---------------------------------------------------------------- vendors, products and bids


@dataclass(frozen=True)
class VendorSeed:
    name: str
    dpa_states: tuple[str, ...]
    certifications: tuple[str, ...]
    accessibility: str
    products: tuple[tuple[str, str], ...]  # (name, category)


LMS, READING, MATH, ASSESSMENT = (
    "Learning management system", "Digital reading platform", "Math practice", "Formative assessment",
)  # fmt: skip
VENDORS = (
    VendorSeed("Brightpath Learning", ("IA", "IL", "MI", "MN", "WI"),
               ("LTI 1.3", "LTI Advantage", "OneRoster 1.2"), "WCAG 2.1 AA",
               (("Brightpath LMS", LMS), ("Brightpath Reader", READING), ("Brightpath Math", MATH))),
    # No DPA for Wisconsin: its bids are not eligible for WI districts.
    VendorSeed("Lakeshore EdTech", ("IL", "IN", "MI", "OH"), ("LTI 1.3", "OneRoster 1.2"),
               "WCAG 2.1 AA", (("Lakeshore Learn", LMS), ("Lakeshore Literacy", READING))),
    VendorSeed("Cardinal Classroom", ("IL", "WI"),
               ("Common Cartridge 1.3", "LTI 1.3", "OneRoster 1.1", "OneRoster 1.2"), "WCAG 2.1 AA",
               (("Cardinal Classroom LMS", LMS), ("Cardinal ReadUp", READING),
                ("Cardinal Math Lab", MATH))),
    VendorSeed("Keystone Digital", ("IA", "IL", "WI"), ("LTI 1.3", "OneRoster 1.2", "QTI 3.0"),
               "WCAG 2.1 AA", (("Keystone Course Hub", LMS), ("Keystone Bookshelf", READING))),
    VendorSeed("Summit Reading Systems", ("IL", "MN", "WI"), ("LTI 1.3", "OneRoster 1.2"),
               "WCAG 2.1 AA", (("Summit Learn", LMS), ("Summit Reading", READING),
                               ("Summit Library", "Digital library"))),
    VendorSeed("Northstar Assessment", ("IL", "WI"), ("CASE 1.0", "OneRoster 1.2", "QTI 3.0"),
               "WCAG 2.0 AA", (("Northstar Reading Benchmark", READING),
                               ("Northstar Checkpoints", ASSESSMENT))),
)  # fmt: skip


@dataclass(frozen=True)
class BidSeed:
    vendor: str
    product: str
    mode: str
    tiers: tuple[tuple[int | None, int], ...]  # (up_to, cents per seat per year)
    capacity: int | None = None
    revised_last_tier: int | None = None  # a second version lowering the deepest price

    def schedule(self, last: int | None = None) -> Schedule:
        tiers = [Tier(up_to, price) for up_to, price in self.tiers]
        if last is not None:
            tiers[-1] = Tier(None, last)
        return Schedule(self.mode, tuple(tiers), self.capacity)


BIDS = {
    "lms": (
        BidSeed("Brightpath Learning", "Brightpath LMS", "volume",
                ((999, 1150), (4999, 1040), (9999, 930), (24999, 820), (None, 720))),
        BidSeed("Lakeshore EdTech", "Lakeshore Learn", "volume",
                ((499, 1200), (2499, 1090), (9999, 950), (49999, 790), (None, 690))),
        BidSeed("Cardinal Classroom", "Cardinal Classroom LMS", "graduated",
                ((999, 1100), (4999, 990), (24999, 880), (None, 800))),
        BidSeed("Keystone Digital", "Keystone Course Hub", "volume",
                ((2499, 1050), (9999, 960), (24999, 870), (49999, 800), (None, 760)), 60000),
        BidSeed("Summit Reading Systems", "Summit Learn", "volume",
                ((249, 1250), (999, 1150), (2499, 1060), (9999, 940), (24999, 850), (None, 780))),
    ),
    "reading": (
        BidSeed("Brightpath Learning", "Brightpath Reader", "volume",
                ((999, 1800), (4999, 1650), (14999, 1490), (39999, 1320), (None, 1190)),
                revised_last_tier=1150),
        BidSeed("Lakeshore EdTech", "Lakeshore Literacy", "volume",
                ((499, 1900), (1999, 1720), (4999, 1580), (14999, 1420), (49999, 1240), (None, 1090))),
        BidSeed("Cardinal Classroom", "Cardinal ReadUp", "graduated",
                ((2499, 1750), (9999, 1560), (29999, 1380), (None, 1250))),
        BidSeed("Keystone Digital", "Keystone Bookshelf", "volume",
                ((999, 1700), (4999, 1600), (19999, 1450), (49999, 1300), (None, 1200)), 40000),
        BidSeed("Summit Reading Systems", "Summit Reading", "graduated",
                ((999, 1850), (4999, 1620), (14999, 1410), (49999, 1230), (None, 1140))),
        BidSeed("Northstar Assessment", "Northstar Reading Benchmark", "volume",
                ((2499, 1650), (9999, 1540), (24999, 1430), (None, 1350))),
    ),
    "math": (
        BidSeed("Brightpath Learning", "Brightpath Math", "volume",
                ((999, 1400), (4999, 1260), (19999, 1120), (None, 990))),
        BidSeed("Cardinal Classroom", "Cardinal Math Lab", "graduated",
                ((1999, 1350), (9999, 1200), (29999, 1080), (None, 980))),
    ),
}  # fmt: skip

CLAUSES = (
    ("Student data privacy",
     "The vendor signs the state's student data privacy agreement (Illinois SOPPA, 105 ILCS 85; "
     "Wisconsin Stat. 118.125) before any district data is shared, and deletes district data within "
     "60 days of the contract's end."),
    ("Accessibility conformance",
     "The product conforms to the accessibility level the solicitation names; the vendor keeps a "
     "current VPAT and fixes reported barriers within 30 days."),
    ("Non-appropriation",
     "A district may end its contract at the end of a fiscal year for which its board does not "
     "appropriate funds, without penalty, on 30 days' written notice."),
    ("Price protection",
     "The awarded unit price is fixed for the whole term; a later price cut for any comparable "
     "customer applies to this contract too."),
)  # fmt: skip

REQ_LMS = {"dpa_required": True, "certifications": ["OneRoster 1.2", "LTI 1.3"], "accessibility": "WCAG 2.1 AA"}  # fmt: skip
REQ_CONTENT = {"dpa_required": True, "certifications": ["OneRoster 1.2"], "accessibility": "WCAG 2.0 AA"}  # fmt: skip


@dataclass(frozen=True)
class SolicitationSeed:
    key: str
    title: str
    category: str
    description: str
    term_months: int
    requirements: dict
    policy: PolicyChoices
    days: tuple[int, int, int, int]  # from today: created, published, opt-in and bid deadlines
    opt_ins: int
    seat_shares: tuple[float, ...]  # share of enrollment a district buys
    ceiling: tuple[int, int]  # range of price ceilings (cents) that a third of districts set
    acceptance_window_days: int = 30


SIMILAR = PolicyChoices(mbps_max_ratio=4, same_locale=True, time_limit_s=RUN_TIME_LIMIT_S)
SOLICITATIONS = (
    SolicitationSeed(
        "lms", "Learning management system, 2026-2029", LMS,
        "A learning management system for every student and teacher: courses, assignments, "
        "grade passback to the SIS over OneRoster and LTI 1.3 tools.",
        36, REQ_LMS, SIMILAR, (-64, -63, -35, -28), 80, (1.0, 1.05, 1.1), (700, 1100), 45),
    SolicitationSeed(
        "reading", "Digital reading platform, grades K-8", READING,
        "Leveled e-books, read-aloud and reading assessments for grades K-8, with rostering over "
        "OneRoster.",
        12, REQ_CONTENT,
        PolicyChoices(enrollment_max_ratio=8, mbps_max_ratio=4, same_locale=True,
                      time_limit_s=RUN_TIME_LIMIT_S),
        (-45, -44, -8, -2), 90, (0.6, 0.7, 0.75), (1300, 1800)),
    SolicitationSeed(
        "math", "Math practice and intervention, grades 3-8", MATH,
        "Adaptive math practice with teacher dashboards for grades 3-8.",
        12, REQ_CONTENT, SIMILAR, (-8, -7, 10, 17), 40, (0.4, 0.45, 0.5), (950, 1350)),
)  # fmt: skip
DRAFT = SolicitationSeed(
    "assessment", "Formative assessment suite", ASSESSMENT,
    "Standards-aligned checkpoints (CASE, QTI 3.0) with item banks for grades 3-12.",
    24, {**REQ_CONTENT, "certifications": ["OneRoster 1.2", "QTI 3.0"]}, SIMILAR,
    (-2, 0, 30, 40), 0, (0.6,), (0, 0))  # fmt: skip
NORTHWOODS = SolicitationSeed(
    "library", "Digital library and audiobooks", "Digital library",
    "E-books and audiobooks for school libraries, with a shared rural collection.",
    12, {"dpa_required": True, "certifications": [], "accessibility": "WCAG 2.0 AA"},
    PolicyChoices(same_locale=True, time_limit_s=RUN_TIME_LIMIT_S), (-12, -11, 14, 21), 7,
    (0.8, 1.0), (300, 600))  # fmt: skip


# ---------------------------------------------------------------- playing the story in time


@dataclass
class DemoSummary:
    districts: int
    vendors: int
    opt_ins: int
    contracts: int
    seconds: float


class _Timeline:
    """Steps run in time order, each on the server clock frozen at its instant."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.current: datetime | None = None

    def at(self, when: datetime, step: Callable[[], None]) -> None:
        if self.current is not None and when < self.current:
            raise DemoError(f"a step at {when} was planned after {self.current}")
        heapq.heappush(self._heap, (when, next(self._seq), step))

    def play(self) -> None:
        while self._heap:
            when, _, step = heapq.heappop(self._heap)
            self.current = when
            clock.freeze(when)
            step()


@contextmanager
def _clock_restored() -> Iterator[None]:
    """Leave the server clock as it was (running, or frozen by a test) after seeding."""
    previous = clock._frozen  # the module's own state: None when the clock runs
    try:
        yield
    finally:
        if previous is None:
            clock.unfreeze()
        else:
            clock.freeze(previous)


@contextmanager
def _quiet_mail_log() -> Iterator[None]:
    """The demo queues hundreds of mails; they are in the outbox page, not in the terminal."""
    mail_log = logging.getLogger("consortium.mail")
    level = mail_log.level
    mail_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        mail_log.setLevel(level)


class _Story:
    """The demo's steps, planned on a timeline and played through the services."""

    def __init__(self, rng: random.Random, today: datetime) -> None:
        self.rng = rng
        self.t0 = today
        self.zone = ZoneInfo(TIMEZONE)
        self.timeline = _Timeline()
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
            if run is None or run.status != "succeeded":
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
        for contract, accept in [(c, True) for c in accepting] + [(declined, False)]:

            def step(contract: Contract = contract, accept: bool = accept) -> None:
                user = self.act_as(names[contract.id])
                decide_contract(contract, user, accept=accept)

            self.timeline.at(self.between(published + timedelta(hours=2), last), step)

    def clauses(
        self, consortium: str, clauses: tuple[tuple[str, str], ...], when: datetime
    ) -> None:
        def step() -> None:
            self.act_as(consortium)
            for title, body in clauses:
                procurement.create_clause(self.orgs[consortium], title, body)

        self.timeline.at(when, step)


def seed() -> DemoSummary:
    """Fill the database with the demo consortium; refuses when it is already there.

    The allocation run commits its own stages; the caller commits the rest (`seed-demo`).
    """
    if is_seeded():
        raise DemoError(f"{CONSORTIUM} is already in this database; re-seed a fresh database.")
    started = time.perf_counter()
    story = _Story(random.Random(SEED), clock.now())
    _plan(story)
    with _clock_restored(), _quiet_mail_log(), current_app.test_request_context("/"):
        try:
            story.timeline.play()
        finally:
            logout_user()
            context.forget()
    return DemoSummary(
        districts=len(story.districts), vendors=len(VENDORS), opt_ins=story.opt_in_count,
        contracts=story.contracts, seconds=time.perf_counter() - started,
    )  # fmt: skip


def _plan(story: _Story) -> None:
    """The whole story, from the consortium's founding to yesterday afternoon."""
    rng, day, between = story.rng, story.day, story.between
    drawn = draw_districts(rng)
    il = [d for d in drawn if d.state == "IL"]
    wi = [d for d in drawn if d.state == "WI"]
    illinois, wisconsin = [PRAIRIE_RIDGE, *il[1:-1]], [HERON_LAKE, *wi[1:-1]]
    districts = story.districts = illinois + wisconsin

    story.consortium(CONSORTIUM, day(-240, 9))
    story.clauses(CONSORTIUM, CLAUSES, day(-239, 11))
    for number, vendor in enumerate(VENDORS):
        story.vendor(vendor, day(-230 + 7 * number, 14))
    for district in districts:
        story.district(district, CONSORTIUM, between(day(-225, 8), day(-70, 16)))
    for applicant in (il[-1], wi[-1]):  # recent applications, awaiting verification
        story.district(applicant, CONSORTIUM, between(day(-3, 8), day(-1, 16)), verify=False)

    # A second, small consortium: its manager sees nothing of the first one's data.
    story.consortium(SECOND_CONSORTIUM, day(-150, 9))
    story.clauses(SECOND_CONSORTIUM, CLAUSES[:1], day(-149, 11))
    small = [d for d in wisconsin[1:] if d.locale in ("rural", "town")]
    northwoods = [HERON_LAKE, *rng.sample(small, 11)]
    for district in northwoods:
        story.join(district.name, SECOND_CONSORTIUM, between(day(-60, 8), day(-40, 16)))
    story.join("Summit Reading Systems", SECOND_CONSORTIUM, day(-45, 11))

    lms, reading, math_ = SOLICITATIONS
    logins = [PRAIRIE_RIDGE, HERON_LAKE]
    # Awarded: opted in, bid, opened, allocated by the engine, published, accepted or not.
    story.solicitation(lms, CONSORTIUM)
    story.opt_ins(lms, districts, logins)
    story.bids("lms", day(lms.days[2], 18), day(lms.days[3], 12))
    story.open_bids("lms", day(lms.days[3] + 1, 9, 30))
    story.award("lms", day(lms.days[3] + 2, 10),
                pending={PRAIRIE_RIDGE.name}, accepted={HERON_LAKE.name})  # fmt: skip
    # Bids opened, ready to allocate.
    story.solicitation(reading, CONSORTIUM)
    story.opt_ins(reading, districts, logins)
    story.bids("reading", day(reading.days[2], 18), day(reading.days[3], 12))
    story.open_bids("reading", day(reading.days[3] + 1, 9, 30))
    # Open for opt-ins; two vendors have already sent sealed bids.
    story.solicitation(math_, CONSORTIUM)
    story.opt_ins(math_, districts, logins, until=day(-1, 16))
    story.bids("math", day(-3, 9), day(-1, 15))
    # A draft the manager is still writing.
    story.solicitation(DRAFT, CONSORTIUM, publish=False)
    # The second consortium's own open solicitation.
    story.solicitation(NORTHWOODS, SECOND_CONSORTIUM)
    story.opt_ins(NORTHWOODS, northwoods, [HERON_LAKE], until=day(-1, 16))
