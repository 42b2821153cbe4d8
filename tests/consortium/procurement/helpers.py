"""Small helpers shared by the procurement tests."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from consortium.audit.models import AuditEvent
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from consortium.procurement.models import OptIn


def text(response) -> str:
    """The page as text, tags dropped and whitespace collapsed (what a person reads)."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


def opt_in_rows(solicitation) -> list[tuple[int, int, int | None, str, int]]:
    """(district_id, quantity, max_unit_amount, status, version) of every row, fresh from the database."""
    db.session.expire_all()
    return [
        (o.district_id, o.quantity, o.max_unit_amount, o.status, o.version)
        for o in db.session.scalars(
            select(OptIn).where(OptIn.solicitation_id == solicitation.id).order_by(OptIn.district_id)
        )
    ]


def audit_actions(prefix: str = "") -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like(f"{prefix}%")).order_by(AuditEvent.id)
        )
    )


def mail_to(email: str) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.subject).where(OutboxMessage.to == email).order_by(OutboxMessage.id)
        )
    )


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()
