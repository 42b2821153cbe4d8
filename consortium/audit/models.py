"""The append-only, hash-chained audit trail: one chain per reader's scope.

Each event belongs to one chain (`chain`, numbered by `seq`, linked by `prev_hash`): its
consortium's (`consortium-<id>`), an organisation's own platform-level events (`org-<id>`),
the platform's (`platform`), or a solicitation's sealed bid events (`bids-<id>`). A reader
sees whole chains or none, so a chain's numbers and links never betray an event hidden from
them; a sealed chain becomes readable, whole, at its solicitation's bid deadline. Events
written before chains existed have no chain: they verify as the one global chain they were.
See docs/ARCHITECTURE.md, "The audit trail".
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, Index, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from consortium.db import TZDateTime, utcnow
from consortium.extensions import db

GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_consortium_at", "consortium_id", "at"),
        UniqueConstraint("chain", "seq"),
    )

    # Internal order only: never shown or exported (its gaps would count other chains' events).
    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str | None] = mapped_column(String(40))
    seq: Mapped[int | None] = mapped_column(Integer)
    # Set on sealed bid events: readable by the consortium once this solicitation's bid
    # deadline has passed (read at query time, so an extended deadline keeps them sealed).
    sealed_solicitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("solicitations.id"), index=True
    )
    at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    # The consortium whose managers may read the event (None: platform-level).
    consortium_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def payload(self) -> dict[str, Any]:
        """Everything the hash covers, in canonical form (with its chain and place in it)."""
        payload = {
            "at": self.at.isoformat(timespec="microseconds") if self.at else None,
            "actor_user_id": self.actor_user_id,
            "actor_org_id": self.actor_org_id,
            "consortium_id": self.consortium_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "before": self.before,
            "after": self.after,
            "prev_hash": self.prev_hash,
        }
        if self.chain is not None:
            payload["chain"], payload["seq"] = self.chain, self.seq
        return payload

    @property
    def label(self) -> str:
        """How people and exports name the event: its chain and number."""
        return f"{self.chain or 'legacy'} #{self.seq if self.chain else self.id}"

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.payload()).encode()).hexdigest()


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8: the same bytes for the same event everywhere."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class AppendOnlyError(RuntimeError):
    """Audit events can be added, never changed or removed."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError(f"audit event {obj.id} is append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is AuditEvent:
        raise AppendOnlyError("audit events are append-only")


# On PostgreSQL the database itself refuses UPDATE and DELETE, whatever the client.
# Migrations creating the table run these two statements too (op.execute).
AUDIT_APPEND_ONLY_SQL = (
    """
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only';
    END;
    $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
)
_pg_function = DDL(AUDIT_APPEND_ONLY_SQL[0])
_pg_trigger = DDL(AUDIT_APPEND_ONLY_SQL[1])
event.listen(AuditEvent.__table__, "after_create", _pg_function.execute_if(dialect="postgresql"))
event.listen(AuditEvent.__table__, "after_create", _pg_trigger.execute_if(dialect="postgresql"))
