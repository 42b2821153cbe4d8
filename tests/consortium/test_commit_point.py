"""The request's one commit point: what commits, what rolls back, and when side effects run.

A probe app (the real factory plus a few test routes) shares the test's connection, so what
its requests commit is visible here and everything is rolled back after the test.
"""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask, url_for
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from consortium.commit_point import flash_and_redirect, on_refusal
from consortium.errors import DomainError, Refusal, conflict
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from consortium.notifications.services import notify
from consortium.policy import public
from consortium.transaction import after_commit, atomic, commit_now, rollback

probe = Blueprint("probe", __name__, url_prefix="/probe")
EVENTS: list[str] = []  # what happened, in order: "commit", "mail: ...", "job"


def _mail(subject: str) -> None:
    notify("someone@example.org", subject, "body")


@probe.route("/ok", methods=["GET", "POST"])
@public
def ok():
    _mail("saved")
    after_commit(lambda: EVENTS.append("job"))
    return "saved"


@probe.post("/refused")
@public
def refused():
    _mail("refused")
    after_commit(lambda: EVENTS.append("job"))
    raise conflict("That changed meanwhile.", field="version")


@probe.post("/refused-flash")
@public
def refused_flash():
    on_refusal(flash_and_redirect(url_for("main.home")))
    _mail("refused")
    raise DomainError("Not like that.")


@probe.post("/bad-input")
@public
def bad_input():
    _mail("bad input")
    return "the form is not right", 400


@probe.post("/crash")
@public
def crash():
    _mail("crash")
    raise RuntimeError("a bug")


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, mail) -> None:
        EVENTS.append(f"mail: {mail.subject}")
        self.sent.append(mail.subject)


def _note_commit(session: Session) -> None:
    EVENTS.append("commit")


@pytest.fixture
def probe_app(app: Flask, app_factory) -> Flask:
    """A fresh app with the probe routes, on the test's connection (rolled back afterwards)."""
    probe_app = app_factory(smtp_host="smtp.example")
    probe_app.register_blueprint(probe)
    probe_app.extensions["mailer"] = RecordingMailer()
    engines = db._app_engines[probe_app]
    own_engine = engines[None]
    engines[None] = db._app_engines[app][None]
    EVENTS.clear()
    event.listen(Session, "after_commit", _note_commit)
    try:
        yield probe_app
    finally:
        event.remove(Session, "after_commit", _note_commit)
        engines[None] = own_engine


def _stored(subject: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.subject == subject)
    )


def test_a_successful_post_commits_once_then_runs_side_effects(probe_app):
    response = probe_app.test_client().post("/probe/ok")
    assert response.status_code == 200
    assert _stored("saved") == 1
    assert EVENTS == ["commit", "mail: saved", "job"]  # mail and jobs only after the commit


def test_a_refusal_commits_nothing_sends_nothing_and_answers_its_status(probe_app):
    response = probe_app.test_client().post("/probe/refused")
    assert response.status_code == 409
    assert "That changed meanwhile." in response.get_data(as_text=True)
    assert _stored("refused") == 0
    assert EVENTS == []
    assert probe_app.extensions["mailer"].sent == []


def test_a_refusal_can_be_answered_with_a_flash_and_a_redirect(probe_app):
    client = probe_app.test_client()
    response = client.post("/probe/refused-flash")
    assert response.status_code == 302 and response.location.endswith("/")
    assert "Not like that." in client.get("/").get_data(as_text=True)
    assert _stored("refused") == 0 and EVENTS == []


def test_an_error_answer_rolls_back(probe_app):
    assert probe_app.test_client().post("/probe/bad-input").status_code == 400
    assert _stored("bad input") == 0 and EVENTS == []


def test_a_get_never_writes(probe_app):
    assert probe_app.test_client().get("/probe/ok").status_code == 200
    assert _stored("saved") == 0 and EVENTS == []


def test_an_unexpected_exception_rolls_back(probe_app):
    probe_app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page
    response = probe_app.test_client().post("/probe/crash")
    assert response.status_code == 500
    assert _stored("crash") == 0 and EVENTS == []


def test_domain_error_kinds_map_to_statuses():
    assert DomainError("x").status == 400
    assert DomainError("x", kind=Refusal.forbidden).status == 403
    assert conflict("x", field="version").status == 409


def test_atomic_commits_a_block_or_nothing(app):
    with atomic():
        _mail("in a job")
    assert _stored("in a job") == 1
    with pytest.raises(RuntimeError), atomic():
        _mail("broken job")
        raise RuntimeError("step failed")
    assert _stored("broken job") == 0


def test_commit_now_runs_only_what_waited_for_this_commit(app):
    ran: list[str] = []
    after_commit(lambda: ran.append("dropped"))
    rollback()
    after_commit(lambda: ran.append("kept"))
    commit_now()
    commit_now()
    assert ran == ["kept"]


def test_only_the_transaction_module_commits():
    # One commit point: views, services and jobs go through consortium/transaction.py.
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "consortium"
    calls = [
        f"{path.relative_to(root)}:{n}"
        for path in sorted(root.rglob("*.py")) if path.name != "transaction.py"
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.commit\(\)", line) and not line.lstrip().startswith("#")
    ]
    assert calls == []
