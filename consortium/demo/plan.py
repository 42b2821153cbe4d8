"""Seeding the demo: the plan of the whole story, played once into an empty database."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from flask import current_app
from flask_login import logout_user
from sqlalchemy import select

from consortium import clock, context
from consortium.accounts.models import Organisation, OrgKind
from consortium.demo import billing
from consortium.demo.data import (
    CLAUSES,
    CONSORTIUM,
    DRAFT,
    NORTHWOODS,
    SECOND_CONSORTIUM,
    SEED,
    SOLICITATIONS,
    VENDORS,
)
from consortium.demo.districts import HERON_LAKE, PRAIRIE_RIDGE, draw_districts
from consortium.demo.story import Story
from consortium.demo.timeline import DemoError, clock_restored, quiet_mail_log
from consortium.demo.tokens import add_tokens
from consortium.extensions import db
from consortium.transaction import atomic


@dataclass
class DemoSummary:
    districts: int
    vendors: int
    opt_ins: int
    contracts: int
    seconds: float


def is_seeded() -> bool:
    """True when the demo consortium exists (then `make demo` re-uses the database)."""
    return db.session.scalar(
        select(Organisation.id).where(
            Organisation.kind == OrgKind.consortium, Organisation.name == CONSORTIUM
        )
    ) is not None


def seed() -> DemoSummary:
    """Fill the database with the demo consortium; refuses when it is already there.

    A command-line job: it commits once at the end (the allocation run commits its own
    stages), while its hundreds of mails are still kept out of the terminal.
    """
    if is_seeded():
        raise DemoError(f"{CONSORTIUM} is already in this database; re-seed a fresh database.")
    started = time.perf_counter()
    story = Story(random.Random(SEED), clock.now())
    plan(story)
    with clock_restored(), quiet_mail_log(), current_app.test_request_context("/"):
        try:
            with atomic():
                story.timeline.play()
        finally:
            logout_user()
            context.forget()
    return DemoSummary(
        districts=len(story.districts), vendors=len(VENDORS), opt_ins=story.opt_in_count,
        contracts=story.contracts, seconds=time.perf_counter() - started,
    )  # fmt: skip


def plan(story: Story) -> None:
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
    # Northwoods' manager asked the first consortium's manager to help: an invitation she has
    # not answered (her outbox has the mail, Northwoods' members page shows it pending).
    story.invite(SECOND_CONSORTIUM, CONSORTIUM, day(-2, 15))

    lms, reading, math_ = SOLICITATIONS
    logins = [PRAIRIE_RIDGE, HERON_LAKE]
    # Awarded: opted in, bid, opened, allocated by the engine, published, accepted or not.
    story.solicitation(lms, CONSORTIUM)
    story.opt_ins(lms, districts, logins)
    story.bids("lms", day(lms.days[2], 18), day(lms.days[3], 12))
    story.open_bids("lms", day(lms.days[3] + 1, 9, 30))
    billing.terms(story, "lms", day(lms.days[3] + 1, 11))  # 21 days to pay; reminders 7 and 2
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
    # Everyone of the demo has a personal API token (their secrets are in demo-logins).
    add_tokens(story, day(-1, 17))
    # The second consortium's own open solicitation.
    story.solicitation(NORTHWOODS, SECOND_CONSORTIUM)
    story.opt_ins(NORTHWOODS, northwoods, [HERON_LAKE], until=day(-1, 16))
    # Last evening's `flask daily`: invoices due soon and overdue are reminded.
    billing.reminders(story, day(-1, 18))
