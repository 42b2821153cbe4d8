"""Mail waiting to go out, and mail that went out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consortium.db import TZDateTime, str_enum, utcnow
from consortium.extensions import db


class OutboxStatus(StrEnum):
    queued = "queued"  # waiting for the commit, then for SMTP
    sent = "sent"  # accepted by the SMTP server
    logged = "logged"  # no SMTP configured: written to the log and kept here
    failed = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sent', 'logged', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The consortium whose business the mail is about (its managers may read it); None: personal.
    consortium_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    # Carries a sign-in or password link: the body is never shown on the outbox page.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.queued
    )
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
