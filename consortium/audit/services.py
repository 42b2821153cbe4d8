"""Recording and verifying the audit trail."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import and_, inspect, or_, select, text

from consortium.accounts.models import Affiliation, Organisation, User
from consortium.audit.models import GENESIS_HASH, AuditEvent, canonical_json
from consortium.clock import now
from consortium.context import current_actor
from consortium.extensions import db
from consortium.transaction import note_consortium


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def _object_ref(obj: Any) -> tuple[str, str | None]:
    if obj is None:
        return "none", None
    if isinstance(obj, tuple) and len(obj) == 2:  # ("export", "csv") style references
        return str(obj[0]), None if obj[1] is None else str(obj[1])
    mapper = inspect(obj, raiseerr=False)
    if mapper is not None and hasattr(mapper, "identity"):
        identity = mapper.identity
        object_id = None if identity is None else "-".join(str(i) for i in identity)
        return obj.__table__.name, object_id
    return type(obj).__name__, None


# Objects that do not carry a consortium_id lead to one through these (an opt-in through its
# solicitation, a bid version through its bid, a contract through its group's award ...).
_PARENTS = ("solicitation", "bid", "run", "award", "group", "contract", "opt_in")


def _consortium_of_object(obj: Any, depth: int = 0) -> int | None:
    for attr in ("audit_consortium_id", "consortium_id"):
        value = getattr(obj, attr, None)
        if isinstance(value, int):
            return value
    if isinstance(obj, Organisation) and obj.is_consortium:
        return obj.id
    if depth < 3:
        for attr in _PARENTS:
            parent = getattr(obj, attr, None)
            if parent is not None and not isinstance(parent, str | int):
                found = _consortium_of_object(parent, depth + 1)
                if found is not None:
                    return found
    return None


def _consortium_of(obj: Any, actor_org: Organisation | None) -> int | None:
    found = _consortium_of_object(obj)
    if found is not None:
        return found
    if actor_org is not None and actor_org.is_consortium:
        return actor_org.id
    return None


def _lock_chain() -> None:
    """Serialise appends so each event chains to the one really before it."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Advisory locks are database-wide; key by schema so separate schemas (parallel test
        # runs) do not wait for each other. Held until this transaction ends.
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.audit_events'))")
        )


def record(
    action: str,
    obj: Any,
    *,
    before: dict | None,
    after: dict | None,
    consortium_id: int | None = None,
) -> AuditEvent:
    """Append an audit event for `obj` to the current transaction; the actor is the current user/org."""
    db.session.flush()  # give `obj` its primary key
    user_id, org = current_actor()
    object_type, object_id = _object_ref(obj)
    _lock_chain()
    last = db.session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    event = AuditEvent(
        at=now(),
        actor_user_id=user_id,
        actor_org_id=org.id if org else None,
        consortium_id=consortium_id if consortium_id is not None else _consortium_of(obj, org),
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_jsonable(before),
        after=_jsonable(after),
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    db.session.add(event)
    db.session.flush()
    note_consortium(event.consortium_id)
    return event


def verify_chain() -> list[int]:
    """Ids of events whose hash or link to the previous event does not hold (empty: intact)."""
    broken: list[int] = []
    previous = GENESIS_HASH
    events = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    for event in db.session.execute(events).scalars():
        if event.prev_hash != previous or event.compute_hash() != event.hash:
            broken.append(event.id)
        previous = event.hash
    return broken


def events_for_consortium(
    consortium: Organisation,
    *,
    action: str | None = None,
    object_type: str | None = None,
    actor_org_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Events a manager of `consortium` may read: its own, and its members' platform-level ones.

    A member's events that belong to another consortium (an opt-in there, say) stay private.
    """
    members = select(Affiliation.member_id).where(Affiliation.consortium_id == consortium.id)
    stmt = select(AuditEvent).where(
        or_(
            AuditEvent.consortium_id == consortium.id,
            and_(AuditEvent.consortium_id.is_(None), AuditEvent.actor_org_id.in_(members)),
        )
    )
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if actor_org_id:
        stmt = stmt.where(AuditEvent.actor_org_id == actor_org_id)
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    stmt = stmt.order_by(AuditEvent.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.execute(stmt).scalars())


CSV_COLUMNS = (
    "id", "at", "actor_user_id", "actor_org_id", "consortium_id", "action",
    "object_type", "object_id", "before", "after", "prev_hash", "hash",
)


def to_csv(events: Iterable[AuditEvent]) -> str:
    """The events as CSV, JSON columns in canonical form, so an outsider can re-check hashes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in events:
        writer.writerow([
            e.id, e.at.isoformat(timespec="microseconds"), e.actor_user_id, e.actor_org_id,
            e.consortium_id, e.action, e.object_type, e.object_id,
            "" if e.before is None else canonical_json(e.before),
            "" if e.after is None else canonical_json(e.after),
            e.prev_hash, e.hash,
        ])
    return out.getvalue()


def actions_for_consortium(consortium: Organisation) -> list[str]:
    """Distinct actions in the consortium's trail, for the filter menu."""
    return sorted({e.action for e in events_for_consortium(consortium)})


def actor_names(events: Iterable[AuditEvent]) -> dict[tuple[str, int], str]:
    """Display names for the users and organisations acting in `events`."""
    events = list(events)
    user_ids = {e.actor_user_id for e in events if e.actor_user_id}
    org_ids = {e.actor_org_id for e in events if e.actor_org_id}
    names: dict[tuple[str, int], str] = {}
    if user_ids:
        for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))):
            names[("user", uid)] = name
    if org_ids:
        rows = db.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
        )
        for oid, name in rows:
            names[("org", oid)] = name
    return names
