import logging

import pytest
from sqlalchemy import select

from consortium.extensions import db
from consortium.notifications import services
from consortium.notifications.models import OutboxMessage


def _outbox():
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_notify_adds_an_outbox_row_and_logs_after_commit(app, caplog):
    caplog.set_level(logging.INFO, logger="consortium.mail")
    services.notify("Dana@District.example", "Opt-in confirmed", "You committed 120 seats.")
    assert [(m.to, m.subject, m.status) for m in _outbox()] == [
        ("dana@district.example", "Opt-in confirmed", "logged")
    ]
    assert "Opt-in confirmed" not in caplog.text  # nothing leaves before the commit
    db.session.commit()
    assert "mail to dana@district.example: Opt-in confirmed" in caplog.text


def test_rolled_back_mail_is_never_sent(app, caplog):
    caplog.set_level(logging.INFO, logger="consortium.mail")
    services.notify("a@b.example", "Award published", "...")
    db.session.rollback()
    db.session.commit()
    assert _outbox() == []
    assert "Award published" not in caplog.text


class FakeSMTPMailer(services.SMTPMailer):
    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def send(self, mail):
        if self.fail:
            raise OSError("connection refused")
        self.sent.append(mail)


@pytest.mark.parametrize("fail", [False, True])
def test_smtp_delivery_after_commit_records_the_outcome(app, fail):
    fake = FakeSMTPMailer(fail=fail)
    app.extensions["mailer"] = fake
    app.config["SMTP_HOST"] = "smtp.example"
    try:
        services.notify("x@y.example", "Signature due", "Please sign.")
        assert _outbox()[0].status == "queued"
        db.session.commit()
    finally:
        del app.extensions["mailer"]
        app.config["SMTP_HOST"] = None
    db.session.expire_all()
    message = _outbox()[0]
    if fail:
        assert message.status == "failed" and "connection refused" in message.error
        assert fake.sent == []
    else:
        assert message.status == "sent" and message.sent_at is not None
        assert [m.subject for m in fake.sent] == ["Signature due"]


def test_outbox_page_for_managers_only(client, make, login, app):
    services.notify("d@x.example", "Deadline approaching", "Two days left.")
    manager, district = make.manager(), make.district()
    login(client, district)
    assert client.get("/outbox/").status_code == 403
    client.post("/logout")
    login(client, manager)
    page = client.get("/outbox/")
    assert page.status_code == 200 and "Deadline approaching" in page.text


def test_outbox_page_for_everyone_signed_in_in_demo_mode(client, make, login, app):
    services.notify("d@x.example", "Award published", "Your group won.")
    app.config["DEMO_MODE"] = True
    try:
        login(client, make.district())
        assert "Award published" in client.get("/outbox/").text
    finally:
        app.config["DEMO_MODE"] = False
    assert client.get("/outbox/").status_code == 403
