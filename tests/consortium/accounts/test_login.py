from sqlalchemy import select

from consortium.extensions import db
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
    assert response.headers["Location"] == "/dashboard"
    client.post("/logout")
    response = client.post("/login", data={"email": district.email, "password": PASSWORD, "next": "/org/profile"})
    assert response.headers["Location"] == "/org/profile"


# Rate limits (back-off per email and address, never a lock-out): tests/consortium/hardening/test_rate_limits.py


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
