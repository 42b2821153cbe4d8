"""The transaction of a request or a job, and what waits for it to commit.

Services `add` and `flush`; they never commit. A request is committed once, by its commit
point (`consortium.commit_point`); the few places that must commit on their own use the two
helpers here, never `db.session.commit()`:

- `atomic()`: the one transaction of a command-line job (seed-demo, daily, an import);
- `commit_now()`: a commit part-way, for what must outlive the rest (a failed login's attempt
  row, the stages of an allocation run).

Side effects wait for the commit: `after_commit(fn)` queues `fn` (mail delivery, enqueueing a
job), the commit helpers run the queue once the database has committed, and a rollback drops
it. The transaction also carries the consortium of its latest state change
(`note_consortium`), which mail follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

from consortium.db import db

_PENDING = "consortium.after_commit"  # callbacks of the open transaction
_READY = "consortium.committed"  # callbacks of the transaction that just committed
_CONSORTIUM = "consortium.transaction_consortium"


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once this transaction has committed; never if it rolls back."""
    db.session().info.setdefault(_PENDING, []).append(callback)


def commit_now() -> None:
    """Commit the work so far, then run what waited for it. Rolls back if the commit fails."""
    session = db.session()
    try:
        session.commit()
    except BaseException:
        rollback()
        raise
    # Side effects handle their own failures (delivery records them, a job marks its run).
    for callback in session.info.pop(_READY, []):
        callback()


def rollback() -> None:
    """Undo the transaction; what waited for its commit is dropped."""
    session = db.session()
    session.rollback()
    session.info.pop(_PENDING, None)  # also when nothing had begun (no rollback event then)


@contextmanager
def atomic() -> Iterator[None]:
    """One transaction for a block (a command-line job): commit at the end, or roll back."""
    try:
        yield
    except BaseException:
        rollback()
        raise
    commit_now()


def note_consortium(consortium_id: int | None) -> None:
    """Remember the consortium the transaction's latest state change belongs to."""
    db.session().info[_CONSORTIUM] = consortium_id


def transaction_consortium() -> int | None:
    """The consortium of the latest state change in this transaction (None: none yet)."""
    return db.session().info.get(_CONSORTIUM)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # Only this commit's callbacks: a commit made without the helpers (a test's own) drops them.
    session.info[_READY] = session.info.pop(_PENDING, [])
    session.info.pop(_CONSORTIUM, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a SAVEPOINT inside it
        session.info.pop(_PENDING, None)
        session.info.pop(_CONSORTIUM, None)
