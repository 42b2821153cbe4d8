"""200 concurrent opt-ins, changes and withdrawals on PostgreSQL: nothing lost, nothing duplicated."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from consortium.accounts.models import Organisation
from consortium.audit.models import AuditEvent
from consortium.audit.services import verify_chain
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from consortium.procurement.models import OptIn, Solicitation
from consortium.procurement.services import (
    momentum,
    seats_committed,
    upsert_opt_in,
    withdraw_opt_in,
)
from tests.factories import Make

DISTRICTS = 40
OPS_PER_DISTRICT = 5  # 200 operations in all


@pytest.mark.postgres_only
@pytest.mark.slow
def test_concurrent_opt_ins_keep_one_row_per_district_and_totals_match(committing_app):
    make = Make(db.session)
    consortium = make.consortium(name="Concurrency Consortium")
    districts = [make.district(consortium=consortium, enrollment=300 + 97 * i).org.id
                 for i in range(DISTRICTS)]
    solicitation_id = make.solicitation(consortium, opt_in_days=7, bid_days=14).id
    db.session.commit()
    db.session.remove()

    # Each district gets five operations with distinct quantities (so none is a no-op);
    # one of them a withdrawal. All 200 are shuffled and fired from 16 threads at once.
    rng = random.Random(20260302)
    ops = []
    for n, district_id in enumerate(districts):
        for k in range(OPS_PER_DISTRICT):
            kind = "withdraw" if k == 2 else "upsert"
            ops.append((district_id, kind, 100 * (n + 1) + k, rng.choice([None, 900 + k])))
    rng.shuffle(ops)
    start = threading.Event()  # hold every thread until all 200 are queued

    def run(op):
        district_id, kind, quantity, ceiling = op
        start.wait(timeout=30)
        with committing_app.app_context():
            try:
                district = db.session.get(Organisation, district_id)
                solicitation = db.session.get(Solicitation, solicitation_id)
                if kind == "withdraw":
                    row = withdraw_opt_in(district, solicitation)
                else:
                    row = upsert_opt_in(district, solicitation, quantity, ceiling)
                result = (district_id, row.version, row.quantity, row.max_unit_amount, row.status)
                db.session.commit()
                return result
            except DomainError:
                db.session.rollback()  # a withdrawal that came before any opt-in: refused
                return None
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(run, op) for op in ops]
        start.set()
        results = [f.result() for f in futures]

    done = [r for r in results if r is not None]
    by_district = defaultdict(list)
    for district_id, version, quantity, ceiling, status in done:
        by_district[district_id].append((version, quantity, ceiling, status))

    rows = list(db.session.scalars(select(OptIn).where(OptIn.solicitation_id == solicitation_id)))
    assert len(rows) == len({r.district_id for r in rows}) == DISTRICTS  # exactly one row each
    for row in rows:
        outcomes = sorted(by_district[row.district_id])
        # Every successful change got its own version, 1..n: none was lost or applied twice.
        assert [v for v, *_ in outcomes] == list(range(1, len(outcomes) + 1))
        # The row holds what the last committed change wrote.
        assert (row.version, row.quantity, row.max_unit_amount, row.status) == outcomes[-1]
        assert len(outcomes) in (OPS_PER_DISTRICT - 1, OPS_PER_DISTRICT)

    live = [r for r in rows if r.status == "live"]
    solicitation = db.session.get(Solicitation, solicitation_id)
    m = momentum(solicitation)
    assert (m.districts, m.seats) == (len(live), sum(r.quantity for r in live))
    assert seats_committed(solicitation) == m.seats
    assert sum(b.seats for b in m.by_locale) == sum(b.seats for b in m.by_enrollment) == m.seats

    # One audit event and one mail per committed change, and the hash chain is intact.
    events = db.session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "opt_ins")
    ).scalar_one()
    assert events == len(done)
    assert verify_chain() == []
    mails = db.session.execute(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.subject.like("Opt-in%"))
    ).scalar_one()
    assert mails == len(done)
