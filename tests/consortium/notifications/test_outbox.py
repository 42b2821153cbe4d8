import logging

import pytest
from sqlalchemy import select

from consortium.extensions import db
from consortium.notifications import services
from consortium.notifications.models import OutboxMessage
from consortium.transaction import commit_now


def _outbox():
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_notify_adds_an_outbox_row_and_logs_after_commit(app, caplog):
    caplog.set_level(logging.INFO, logger="consortium.mail")
    services.notify("Dana@District.example", "Opt-in confirmed", "You committed 120 seats.")
    assert [(m.to, m.subject, m.status) for m in _outbox()] == [
        ("dana@district.example", "Opt-in confirmed", "logged")
    ]
    assert "Opt-in confirmed" not in caplog.text  # nothing leaves before the commit
    commit_now()
    assert "mail to dana@district.example: Opt-in confirmed" in caplog.text


def test_rolled_back_mail_is_never_sent(app, caplog):
    caplog.set_level(logging.INFO, logger="consortium.mail")
    services.notify("a@b.example", "Award published", "...")
    db.session.rollback()
    commit_now()
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
        commit_now()
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
    manager, district = make.manager(), make.district()
    services.notify(district.email, "Deadline approaching", "Two days left.",
                    consortium_id=manager.org.id)
    login(client, district)
    assert client.get("/outbox/").status_code == 403
    client.post("/logout")
    login(client, manager)
    page = client.get("/outbox/")
    assert page.status_code == 200 and "Deadline approaching" in page.text


def test_outbox_page_for_everyone_signed_in_in_demo_mode(client, make, login, app):
    district, other = make.district(), make.district()
    services.notify(district.email, "Award published", "Your group won.")
    services.notify(other.email, "Someone else's award", "...")
    app.config["DEMO_MODE"] = True
    try:
        login(client, district)
        page = client.get("/outbox/").text
        assert "Award published" in page and "Someone else" not in page
    finally:
        app.config["DEMO_MODE"] = False
    assert client.get("/outbox/").status_code == 403


def test_each_manager_reads_only_their_consortiums_mail(client, make, login):
    from consortium.audit.services import record

    x, y = make.consortium(name="X"), make.consortium(name="Y")
    manager_x, manager_y = make.manager(x), make.manager(y)
    shared = make.district(consortium=x)
    make.affiliation(shared.org, y, status="pending")
    record("opt_in.created", shared.org, before=None, after={}, consortium_id=x.id)
    services.notify(shared.email, "Opt-in confirmed for X's buy", "...")  # follows the audit event
    db.session.commit()
    services.notify(manager_y.email, "Personal note to Y's manager", "...")  # a new transaction
    db.session.commit()
    assert _outbox()[0].consortium_id == x.id and _outbox()[1].consortium_id is None

    login(client, manager_x)
    page = client.get("/outbox/").text
    assert "Opt-in confirmed for X&#39;s buy" in page and "Personal note" not in page
    client.post("/logout")
    login(client, manager_y)
    page = client.get("/outbox/").text
    assert "Opt-in confirmed" not in page and "Personal note to Y&#39;s manager" in page


def test_reset_links_never_show_on_the_outbox(client, make, login, app):
    consortium = make.consortium()
    manager = make.manager(consortium)
    district = make.district(consortium=consortium)
    client.post("/password/forgot", data={"email": district.email})
    client.post("/password/forgot", data={"email": manager.email})
    app.config["DEMO_MODE"] = True
    try:
        for actor in (manager, district):
            login(client, actor)
            page = client.get("/outbox/").text
            assert "/password/reset/" not in page
            client.post("/logout")
        login(client, district)
        own = client.get("/outbox/").text  # in demo mode, people read their own inbox
        assert "Reset your password" in own and "only its recipient" in own
    finally:
        app.config["DEMO_MODE"] = False


def test_personal_mail_belongs_to_no_consortium(app, make):
    from consortium.audit.services import record

    consortium = make.consortium()
    record("bid.submitted", consortium, before=None, after={})
    message = services.notify("v@vendor.example", "Bid receipt", "sealed", personal=True)
    assert message.consortium_id is None


def test_outbox_for_never_hands_out_a_sign_in_link(app, make):
    """The service withholds the body of sign-in mail from every reader, recipient included."""
    from consortium.accounts.signin import request_password_reset

    consortium = make.consortium()
    colleague = make.member(consortium, role="member", name="Colleague")
    with app.test_request_context():
        request_password_reset(colleague.user.email)
    services.notify(colleague.user.email, "Deadline approaching", "Two days left.",
                    consortium_id=consortium.id)
    readers = (services.consortium_outbox(consortium, colleague.email),
               services.personal_outbox(colleague.email))
    for outbox in readers:
        entries = {e.subject: e for e in outbox}
        assert entries["Reset your password"].withheld
        assert entries["Reset your password"].body is None
        assert entries["Deadline approaching"].body == "Two days left."
