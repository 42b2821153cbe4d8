from sqlalchemy import select

from consortium.extensions import db
from consortium.security import LoginAttempt
from tests.factories import PASSWORD


def test_login_and_logout(client, make):
    district = make.district()
    response = client.post("/login", data={"email": district.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "Sign out" in client.get("/").text
    assert client.get("/org/profile").status_code == 200

    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/org/profile").status_code == 302  # back to the login page


def test_wrong_password_is_refused_and_names_the_field(client, make):
    district = make.district()
    response = client.post("/login", data={"email": district.email, "password": "wrong password!"})
    assert response.status_code == 400
    assert "Password:" in response.text
    assert client.get("/org/profile").status_code == 302


def test_login_follows_only_local_next(client, make):
    district = make.district()
    response = client.post(
        "/login", data={"email": district.email, "password": PASSWORD, "next": "https://evil.example/x"}
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login", data={"email": district.email, "password": PASSWORD, "next": "/org/profile"})
    assert response.headers["Location"] == "/org/profile"


def test_sixth_failed_attempt_is_rate_limited_even_with_the_right_password(client, make, clock):
    district = make.district()
    for _ in range(5):
        assert client.post("/login", data={"email": district.email, "password": "nope nope nope"}).status_code == 400
    response = client.post("/login", data={"email": district.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/org/profile").status_code == 302

    clock.advance(minutes=16)
    assert client.post("/login", data={"email": district.email, "password": PASSWORD}).status_code == 302


def test_rate_limit_is_per_email_and_address_and_stored_in_the_database(client, make, clock):
    a, b = make.district(), make.district()
    for _ in range(5):
        client.post("/login", data={"email": a.email, "password": "nope nope nope"})
    assert db.session.execute(select(db.func.count()).select_from(LoginAttempt)).scalar_one() == 5
    # Another account from the same address is unaffected...
    assert client.post("/login", data={"email": b.email, "password": PASSWORD}).status_code == 302
    client.post("/logout")
    # ... and so is the same account from another address.
    other = client.post(
        "/login", data={"email": a.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert other.status_code == 302


def test_passwords_are_hashed_with_argon2id(make):
    district = make.district()
    assert district.user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in district.user.password_hash


def test_change_password_needs_the_current_one(client, make, login):
    from consortium.notifications.models import OutboxMessage

    district = make.district()
    login(client, district)
    assert district.org.name in client.get("/account").text
    wrong = client.post("/account", data={"current": "not it at all", "password": "a fresh passphrase", "confirm": "a fresh passphrase"})
    assert wrong.status_code == 400 and "<strong>Current password:</strong>" in wrong.text
    ok = client.post("/account", data={"current": PASSWORD, "password": "a fresh passphrase", "confirm": "a fresh passphrase"})
    assert ok.status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": district.email, "password": "a fresh passphrase"}).status_code == 302
    mail = db.session.execute(select(OutboxMessage)).scalar_one()
    assert (mail.to, mail.subject, mail.consortium_id) == (district.email, "Your password was changed", None)
