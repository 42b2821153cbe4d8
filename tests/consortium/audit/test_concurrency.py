"""Concurrent appends from many transactions still form one unbroken chain (advisory lock)."""

import threading

import pytest
from sqlalchemy import func, select

from consortium.audit.models import AuditEvent
from consortium.audit.services import record, verify_chain
from consortium.extensions import db

WRITERS = 8
EVENTS_PER_WRITER = 6


@pytest.mark.postgres_only
def test_concurrent_appends_chain_correctly(committing_app):
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with committing_app.app_context():
                barrier.wait()
                for i in range(EVENTS_PER_WRITER):
                    record("test.concurrent", ("writer", f"{n}-{i}"), before=None, after={"n": n, "i": i})
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    count = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert count == WRITERS * EVENTS_PER_WRITER
    prev_hashes = db.session.execute(select(AuditEvent.prev_hash)).scalars().all()
    assert len(set(prev_hashes)) == len(prev_hashes)  # nobody chained to the same predecessor
    assert verify_chain() == []
