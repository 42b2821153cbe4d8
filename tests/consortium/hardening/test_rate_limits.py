"""Item 10 of issue 10: Flask-Limiter, back-off not lock-out, keyed on the real client behind a
proxy; forgot-password limited; registration answers the same for known and unknown emails."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from consortium.accounts.models import Organisation
from consortium.config import Settings
from consortium.extensions import db, limiter
from consortium.notifications.models import OutboxMessage
from tests.factories import PASSWORD

ATTACKER, VICTIM = "203.0.113.9", "198.51.100.7"


def _login(client, email, password, address=None, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    environ = {"REMOTE_ADDR": address} if address else {}
    return client.post("/login", data={"email": email, "password": password},
                       headers=headers, environ_base=environ)


def test_the_limiter_is_the_shared_extension_and_uses_redis_when_configured():
    assert limiter.__class__.__module__.startswith("flask_limiter")
    with_redis = Settings.from_env({"REDIS_URL": "redis://cache:6379/0"}, secret_key="k")
    assert with_redis.flask_config()["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert Settings.from_env({}, secret_key="k").flask_config()["RATELIMIT_STORAGE_URI"] == "memory://"


def test_failures_slow_down_the_attacker_but_never_lock_the_victim_out(app, make):
    victim = make.district()
    attacker = app.test_client()
    for _ in range(5):
        assert _login(attacker, victim.email, "guess guess guess", ATTACKER).status_code == 400
    blocked = _login(attacker, victim.email, PASSWORD, ATTACKER)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 60  # back-off: a minute, not a lock-out
    assert "Too many" in blocked.text
    assert _login(app.test_client(), victim.email, PASSWORD, VICTIM).status_code == 302


def test_a_success_does_not_count_towards_the_back_off(app, make):
    district = make.district()
    client = app.test_client()
    for _ in range(8):
        assert _login(client, district.email, PASSWORD, VICTIM).status_code == 302
        client.post("/logout")


def test_one_address_cannot_try_many_accounts_quickly(app, make):
    client = app.test_client()
    statuses = [_login(client, f"nobody{n}@example.org", "guess guess guess", ATTACKER).status_code
                for n in range(40)]
    assert 429 in statuses and statuses.count(400) <= 30


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(committing_app, app_factory):
    from tests.factories import Make

    email = Make(db.session).district().email
    db.session.commit()  # committing_app empties every table afterwards
    proxied = app_factory(trusted_proxies=1)
    attacker = proxied.test_client()
    for _ in range(6):  # every request reaches the app from the proxy's own address
        _login(attacker, email, "guess guess guess", "127.0.0.1", forwarded=ATTACKER)
    assert _login(attacker, email, PASSWORD, "127.0.0.1", forwarded=ATTACKER).status_code == 429
    victim_client = proxied.test_client()
    assert _login(victim_client, email, PASSWORD, "127.0.0.1", forwarded=VICTIM).status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_limit(app, make):
    victim = make.district()
    client = app.test_client()
    for n in range(5):
        _login(client, victim.email, "guess guess guess", ATTACKER, forwarded=f"10.0.0.{n}")
    assert _login(client, victim.email, PASSWORD, ATTACKER, forwarded="10.0.0.99").status_code == 429


def test_forgot_password_is_limited_per_address(app, make):
    district = make.district()
    client = app.test_client()
    statuses = [client.post("/password/forgot", data={"email": district.email},
                            environ_base={"REMOTE_ADDR": ATTACKER}).status_code for _ in range(12)]
    assert statuses[0] == 302 and statuses[-1] == 429
    mails = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.to == district.email))
    assert mails <= 3


def _register(client, consortium, email):
    return client.post("/register", data={
        "kind": "district", "organisation_name": "Maple Valley SD 12", "consortium_id": consortium.id,
        "name": "Dana Reyes", "email": email, "password": "a long enough passphrase",
        "confirm": "a long enough passphrase"})


def test_registration_answers_the_same_for_known_and_unknown_emails(app, make):
    consortium = make.consortium()
    known = make.district()
    organisations = db.session.scalar(select(func.count(Organisation.id)))
    answers = []
    for email in (known.email, "new.person@maple.example"):
        client = app.test_client()
        response = _register(client, consortium, email)
        page = client.get(response.headers["Location"])
        flashed = re.sub(re.escape(email), "EMAIL", page.text)
        answers.append((response.status_code, response.headers["Location"], flashed))
    assert answers[0] == answers[1]
    assert db.session.scalar(select(func.count(Organisation.id))) == organisations  # none yet
    subjects = {m.to: m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert "already have an account" in subjects[known.email]
    assert "Confirm" in subjects["new.person@maple.example"]


def test_a_new_registration_is_made_by_its_confirmation_link(app, client, make):
    consortium = make.consortium()
    _register(client, consortium, "dana@maple.example")
    assert client.post("/login", data={"email": "dana@maple.example",
                                       "password": "a long enough passphrase"}).status_code == 400
    body = db.session.scalars(select(OutboxMessage.body)
                              .where(OutboxMessage.to == "dana@maple.example")).one()
    link = re.search(r"http://localhost(/register/confirm/\S+)", body).group(1)
    assert "Maple Valley SD 12" in client.get(link).text
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/org/profile")
    org = db.session.scalars(select(Organisation).filter_by(name="Maple Valley SD 12")).one()
    assert org.affiliation_with(consortium).status == "pending"
    assert "Maple Valley SD 12" in client.get("/org/profile").text  # signed in, acting for it
    client.post("/logout")
    assert client.post(link).status_code == 302  # used: nothing more is made
    assert db.session.scalar(select(func.count(Organisation.id))
                             .where(Organisation.name == "Maple Valley SD 12")) == 1


def test_the_api_limit_is_the_same_limiter_counting_apart_from_sign_ins(app, make):
    """Issue 9's per-token limit and issue 10's sign-in back-off share one limiter (and its
    storage, so `limiter.reset()` isolates tests of both) but never each other's counts."""
    from consortium.accounts.tokens import create_token

    app.config["API_RATE_LIMIT"] = "2 per minute"
    district = make.district()
    token = create_token(district.user, "SIS", district.org).plaintext
    browser, system = app.test_client(), app.test_client()
    for _ in range(5):
        _login(browser, district.email, "guess guess guess", ATTACKER)
    assert _login(browser, district.email, PASSWORD, ATTACKER).status_code == 429

    def me() -> int:
        return system.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"},
                          environ_base={"REMOTE_ADDR": ATTACKER}).status_code

    assert [me(), me(), me()] == [200, 200, 429]  # the sign-in failures did not count here
    limiter.reset()
    assert me() == 200
    assert _login(browser, district.email, PASSWORD, ATTACKER).status_code == 302
