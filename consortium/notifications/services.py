"""The one mail adapter: an outbox row in the transaction, delivery after the commit."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from functools import partial

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from consortium.accounts.models import Membership, Organisation, User
from consortium.clock import now
from consortium.config import Settings
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage, OutboxStatus
from consortium.transaction import after_commit, transaction_consortium

log = logging.getLogger("consortium.mail")


@dataclass(frozen=True)
class Mail:
    outbox_id: int
    to: str
    subject: str
    body: str


class LogMailer:
    """No SMTP configured: the outbox page and the log are the delivery."""

    def send(self, mail: Mail) -> None:
        log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


class SMTPMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, mail: Mail) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.mail_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=20) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(message)


def mailer() -> LogMailer | SMTPMailer:
    """The adapter chosen by config (tests may put their own in app.extensions['mailer'])."""
    custom = current_app.extensions.get("mailer")
    if custom is not None:
        return custom
    settings: Settings = current_app.config["SETTINGS"]
    return SMTPMailer(settings) if settings.smtp_host else LogMailer()


def notify(
    to: str,
    subject: str,
    body: str,
    *,
    consortium_id: int | None = None,
    sensitive: bool = False,
    personal: bool = False,
) -> OutboxMessage:
    """Queue a mail: an outbox row now, delivery after this transaction commits.

    The mail belongs to `consortium_id`, by default the consortium of the last audit event
    recorded in this transaction (the state change that caused the mail), so only that
    consortium's managers read it on the outbox page. `personal` mail (a sealed bid's
    receipt, say) belongs to no consortium: only its recipient reads it there. `sensitive`
    mail (sign-in links) never shows its body there.
    """
    smtp = bool(current_app.config.get("SMTP_HOST"))
    message = OutboxMessage(
        to=to.strip().lower(),
        subject=subject,
        body=body,
        consortium_id=None
        if personal
        else consortium_id
        if consortium_id is not None
        else transaction_consortium(),
        sensitive=sensitive,
        status=OutboxStatus.queued if smtp else OutboxStatus.logged,
    )
    db.session.add(message)
    db.session.flush()
    after_commit(partial(deliver, [Mail(message.id, message.to, message.subject, message.body)]))
    return message


def member_emails(org: Organisation | int, *, active_only: bool = True) -> list[str]:
    """The addresses of an organisation's people, in order: where its mail goes."""
    return list(db.session.scalars(_emails_of(org, active_only=active_only).order_by(User.email)))


def _emails_of(org: Organisation | int, *, active_only: bool = True):
    org_id = org.id if isinstance(org, Organisation) else org
    stmt = (
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == org_id)
    )
    return stmt.where(User.active.is_(True)) if active_only else stmt


def notify_members(org: Organisation | int, subject: str, body: str) -> None:
    """Mail everyone active in an organisation (a district's staff, a consortium's managers)."""
    for email in member_emails(org):
        notify(email, subject, body)


def deliver(mails: list[Mail]) -> None:
    """Send committed mail; record the outcome in its own short transaction."""
    adapter = mailer()
    results: list[tuple[int, OutboxStatus, str | None]] = []
    for mail in mails:
        try:
            adapter.send(mail)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail %s to %s failed: %s", mail.outbox_id, mail.to, exc)
            results.append((mail.outbox_id, OutboxStatus.failed, str(exc)[:500]))
        else:
            if isinstance(adapter, SMTPMailer):
                results.append((mail.outbox_id, OutboxStatus.sent, None))
    if not results:
        return
    with Session(bind=db.engine) as status_session, status_session.begin():
        for outbox_id, status, error in results:
            status_session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id)
                .values(status=status, error=error, sent_at=now() if status == "sent" else None)
            )


WITHHELD_BODY = None  # OutboxEntry.body of a mail that carries a sign-in link


@dataclass(frozen=True)
class OutboxEntry:
    """One mail as the outbox page may show it: never the body of a sign-in link.

    A password-reset or invitation link is a key to its recipient's account. Whoever reads
    the outbox (a manager, or in demo mode the recipient's own session) gets the subject and
    the delivery status only, so a manager cannot take an account over and a stolen session
    cannot turn into a new password without the current one.
    """

    id: int
    to: str
    subject: str
    body: str | None  # None: withheld (the mail carries a sign-in link)
    status: OutboxStatus
    error: str | None
    created_at: datetime

    @property
    def withheld(self) -> bool:
        return self.body is WITHHELD_BODY

    @classmethod
    def of(cls, message: OutboxMessage) -> OutboxEntry:
        return cls(
            id=message.id,
            to=message.to,
            subject=message.subject,
            body=WITHHELD_BODY if message.sensitive else message.body,
            status=message.status,
            error=message.error,
            created_at=message.created_at,
        )


def consortium_outbox(
    consortium: Organisation, reader_email: str, *, limit: int = 200
) -> list[OutboxEntry]:
    """A consortium's mail, and the reader's own personal mail, newest first, links withheld.

    For its managers: the view decides who that is (policy), this only reads. Personal mail
    (receipts, sign-in links, invitations) is its recipient's alone, even from colleagues.
    """
    visible = or_(
        OutboxMessage.consortium_id == consortium.id,
        and_(OutboxMessage.consortium_id.is_(None),
             OutboxMessage.to == reader_email.strip().lower()),
    )
    return _entries(visible, limit)


def personal_outbox(email: str, *, limit: int = 200) -> list[OutboxEntry]:
    """Mail addressed to `email` (what a district or vendor reads in demo mode), newest first."""
    return _entries(OutboxMessage.to == email.strip().lower(), limit)


def _entries(visible, limit: int) -> list[OutboxEntry]:
    stmt = select(OutboxMessage).where(visible).order_by(OutboxMessage.id.desc()).limit(limit)
    return [OutboxEntry.of(message) for message in db.session.execute(stmt).scalars()]
