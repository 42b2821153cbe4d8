"""The demo's tables: who signs in, the vendors and their products, bids, clauses, solicitations."""

from __future__ import annotations

from dataclasses import dataclass

from consortium.bids.schedules import Schedule
from consortium.procurement.grouping import PolicyChoices
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


def logins() -> list[tuple[str, str, str]]:
    """(role, email, password) of every demo account, as `flask demo-logins` prints them."""
    return [(role, email, PASSWORD) for role, email, _name, _org in ACCOUNTS]
