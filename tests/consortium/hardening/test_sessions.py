"""Item 8 of issue 10: logout and a password change end every other session, remember-me too."""

from __future__ import annotations

from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase 2027"


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _clone(app, client, *names: str):
    """Another browser holding copies of `client`'s cookies (a stolen or saved cookie)."""
    other = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            other.set_cookie(name, cookie.value)
    return other


def test_a_session_cookie_saved_before_logout_no_longer_works_after_it(app, client, make, login):
    login(client, make.district())
    saved = _clone(app, client, "session")
    assert _signed_in(saved)
    client.post("/logout")
    assert not _signed_in(client)
    assert not _signed_in(saved)


def test_logout_ends_sessions_on_other_devices(app, make, login):
    district = make.district()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, district)
    login(phone, district)
    laptop.post("/logout")
    assert not _signed_in(phone)


def _remembered(app, district, login):
    browser = app.test_client()
    response = browser.post("/login", data={"email": district.email, "password": PASSWORD,
                                           "remember": "y"})
    assert response.status_code == 302
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    only_remember = _clone(app, browser, "remember_token")  # the browser was closed: no session
    assert _signed_in(only_remember)
    return header, _clone(app, browser, "remember_token")


def test_the_remember_cookie_is_samesite_lax_and_http_only(app, make, login):
    header, _ = _remembered(app, make.district(), login)
    assert "SameSite=Lax" in header and "HttpOnly" in header


def test_a_password_change_ends_every_other_session_and_the_remember_cookie(app, make, login):
    district = make.district()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, district)
    login(elsewhere, district)
    _, remembered = _remembered(app, district, login)
    response = here.post("/account", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                           "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert _signed_in(here)  # the session that changed it goes on
    assert not _signed_in(elsewhere)
    assert not _signed_in(remembered)


def test_a_password_reset_by_link_ends_every_session(app, client, make, login):
    from consortium.accounts.signin import password_token

    district = make.district()
    login(client, district)
    token = password_token(district.user)
    other = app.test_client()
    other.post(f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert not _signed_in(client)


def test_a_deactivated_account_is_signed_out(app, client, make, login, db_session):
    district = make.district()
    login(client, district)
    district.user.active = False
    db_session.flush()
    assert not _signed_in(client)


def _api_me(app, token: str) -> int:
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_api_tokens_are_not_sessions_a_logout_or_password_change_keeps_them(app, make, login):
    """Issue 9's tokens outlive session epochs: an SIS sync must not stop because its person
    changed their password or signed out; revoking the token (or deactivating the person)
    is what ends one."""
    from consortium.accounts.tokens import create_token, revoke_token

    district = make.district()
    made = create_token(district.user, "SIS nightly sync", district.org)
    browser = app.test_client()
    login(browser, district)
    assert _api_me(app, made.plaintext) == 200
    browser.post("/account", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                   "confirm": NEW_PASSWORD})
    browser.post("/logout")
    assert not _signed_in(browser)
    assert _api_me(app, made.plaintext) == 200
    revoke_token(made.token)
    assert _api_me(app, made.plaintext) == 401


def test_a_deactivated_persons_tokens_stop_working(app, make, db_session):
    from consortium.accounts.tokens import create_token

    district = make.district()
    token = create_token(district.user, "SIS", district.org).plaintext
    district.user.active = False
    db_session.flush()
    assert _api_me(app, token) == 401
