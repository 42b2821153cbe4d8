"""The transaction of a request or a job, and what it carries until it ends.

`note_consortium` / `transaction_consortium`: the consortium of the last state change in
this transaction (audit records it, mail follows it), forgotten when the transaction ends.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from consortium.db import db

_CONSORTIUM = "consortium.transaction_consortium"


def note_consortium(consortium_id: int | None) -> None:
    """Remember the consortium the transaction's latest state change belongs to."""
    db.session().info[_CONSORTIUM] = consortium_id


def transaction_consortium() -> int | None:
    """The consortium of the latest state change in this transaction (None: none yet)."""
    return db.session().info.get(_CONSORTIUM)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session: Session) -> None:
    session.info.pop(_CONSORTIUM, None)
