"""Recording and verifying the audit trail."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import and_, func, inspect, or_, select, text

from consortium.accounts.models import Affiliation, Organisation, User
from consortium.audit.models import GENESIS_HASH, AuditEvent, canonical_json
from consortium.clock import now
from consortium.context import current_actor
from consortium.extensions import db
from consortium.procurement.models import Solicitation
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


def chain_of(consortium_id: int | None, actor_org_id: int | None) -> str:
    """The chain of an unsealed event: whoever may read it reads all of that chain."""
    if consortium_id is not None:
        return f"consortium-{consortium_id}"
    if actor_org_id is not None:
        return f"org-{actor_org_id}"
    return "platform"


def record(
    action: str,
    obj: Any,
    *,
    before: dict | None,
    after: dict | None,
    consortium_id: int | None = None,
    sealed_until_bids_of: Solicitation | None = None,
) -> AuditEvent:
    """Append an audit event for `obj` to the current transaction; the actor is the current user/org.

    `sealed_until_bids_of`: a bid's event, in that solicitation's sealed chain, which its
    consortium reads only from the bid deadline on (before it, not even that it exists).
    """
    db.session.flush()  # give `obj` its primary key
    user_id, org = current_actor()
    object_type, object_id = _object_ref(obj)
    if sealed_until_bids_of is not None:
        consortium_id = sealed_until_bids_of.consortium_id
        chain = f"bids-{sealed_until_bids_of.id}"
    else:
        consortium_id = consortium_id if consortium_id is not None else _consortium_of(obj, org)
        chain = chain_of(consortium_id, org.id if org else None)
    _lock_chain()
    last = db.session.execute(
        select(AuditEvent.hash, AuditEvent.seq)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    event = AuditEvent(
        at=now(),
        actor_user_id=user_id,
        actor_org_id=org.id if org else None,
        consortium_id=consortium_id,
        chain=chain,
        seq=(last.seq + 1) if last else 1,
        sealed_solicitation_id=sealed_until_bids_of.id if sealed_until_bids_of else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_jsonable(before),
        after=_jsonable(after),
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    db.session.add(event)
    db.session.flush()
    if sealed_until_bids_of is None:  # mail never follows a sealed event to its consortium
        note_consortium(event.consortium_id)
    return event


def verify_chain() -> list[int]:
    """Ids of events whose hash, number or link to the one before does not hold (empty: intact).

    Each chain is checked on its own, in `seq` order; events from before chains existed form
    the one legacy chain, in id order.
    """
    broken: list[int] = []
    previous: dict[str | None, tuple[str, int]] = {}
    events = (
        select(AuditEvent)
        .order_by(AuditEvent.chain.is_not(None), AuditEvent.chain, AuditEvent.seq, AuditEvent.id)
        .execution_options(yield_per=1000)
    )
    for event in db.session.execute(events).scalars():
        last_hash, last_seq = previous.get(event.chain, (GENESIS_HASH, 0))
        in_place = event.chain is None or event.seq == last_seq + 1
        if not in_place or event.prev_hash != last_hash or event.compute_hash() != event.hash:
            broken.append(event.id)
        previous[event.chain] = (event.hash, event.seq or 0)
    return sorted(broken)


def labels(event_ids: Iterable[int]) -> list[str]:
    """How the events are named to people ("consortium-3 #17"), never by their internal id."""
    ids = list(event_ids)
    if not ids:
        return []
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids)))
    return sorted(e.label for e in events)


def _readable(
    consortium: Organisation,
    *,
    action: str | None = None,
    object_type: str | None = None,
    actor_org_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    """The query of events a manager of `consortium` may read, filtered (unordered)."""
    members = select(Affiliation.member_id).where(Affiliation.consortium_id == consortium.id)
    unsealed = select(Solicitation.id).where(
        Solicitation.consortium_id == consortium.id, Solicitation.bid_deadline <= now()
    )
    stmt = select(AuditEvent).where(
        or_(
            AuditEvent.consortium_id == consortium.id,
            and_(AuditEvent.consortium_id.is_(None), AuditEvent.actor_org_id.in_(members)),
        ),
        # Sealed bid events: not before the deadline, not even that they exist.
        or_(AuditEvent.sealed_solicitation_id.is_(None),
            AuditEvent.sealed_solicitation_id.in_(unsealed)),
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
    return stmt


def events_for_consortium(consortium: Organisation, *, limit: int | None = None,
                          **filters: Any) -> list[AuditEvent]:
    """Events a manager of `consortium` may read: its own, and its members' platform-level ones.

    A member's events that belong to another consortium (an opt-in there, say) stay private.
    Newest first.
    """
    stmt = _readable(consortium, **filters).order_by(AuditEvent.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.execute(stmt).scalars())


PER_PAGE = 50


def events_page(consortium: Organisation, page: int, *, per_page: int = PER_PAGE,
                **filters: Any) -> tuple[list[AuditEvent], int]:
    """One page (1-based, newest first) of the readable events, and how many match in all."""
    stmt = _readable(consortium, **filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    events = db.session.scalars(
        stmt.order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(events), int(total or 0)


# Who and what in people's words first; then the fields the hash covers, as stored, so an
# outsider can re-check every chain from the file alone (the ids are hash input, nothing more).
CSV_COLUMNS = (
    "chain", "seq", "at", "user_name", "user_email", "organisation", "action", "object",
    "actor_user_id", "actor_org_id", "consortium_id", "object_type", "object_id", "before",
    "after", "prev_hash", "hash",
)


def to_csv(events: Iterable[AuditEvent], objects: dict | None = None) -> str:
    """The events as CSV, JSON columns in canonical form, so an outsider can re-check hashes.

    `objects` names each event's object ((object_type, object_id) -> something with `label`).
    """
    events = list(events)
    people = actor_people(events)
    names = actor_names(events)
    objects = objects or {}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in events:
        name, email = people.get(e.actor_user_id, ("", "")) if e.actor_user_id else ("system", "")
        item = objects.get((e.object_type, e.object_id))
        writer.writerow([
            e.chain or "legacy", e.seq if e.chain else e.id, e.at.isoformat(timespec="microseconds"),
            name, email, names.get(("org", e.actor_org_id), "") if e.actor_org_id else "",
            e.action, item.label if item is not None else "",
            e.actor_user_id, e.actor_org_id, e.consortium_id, e.object_type, e.object_id,
            "" if e.before is None else canonical_json(e.before),
            "" if e.after is None else canonical_json(e.after),
            e.prev_hash, e.hash,
        ])
    return out.getvalue()


def actor_people(events: Iterable[AuditEvent]) -> dict[int, tuple[str, str]]:
    """user id -> (name, email) of the people acting in `events`."""
    ids = {e.actor_user_id for e in events if e.actor_user_id}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {uid: (name, email) for uid, name, email in rows}


def actions_for_consortium(consortium: Organisation) -> list[str]:
    """Distinct actions in the consortium's trail, for the filter menu."""
    stmt = _readable(consortium).with_only_columns(AuditEvent.action).distinct()
    return sorted(db.session.scalars(stmt))


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
