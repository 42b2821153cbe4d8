import re

import pytest

from consortium.config import ConfigError, Settings
from tests.factories import PASSWORD

PUBLIC_PAGES = ["/", "/login", "/register", "/healthz"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_security_headers_on_every_page(client, make, path):
    make.consortium()
    response = client.get(path)
    assert response.status_code == 200
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers  # only in production


def test_production_sets_hsts_and_secure_cookies(app_factory):
    app = app_factory(production=True, session_cookie_secure=True, secret_key="s3cr3t" * 8)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    with app.test_client() as client:
        response = client.get("/login")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"FLASK_ENV": "production"})
    settings = Settings.from_env({"FLASK_ENV": "production", "SECRET_KEY": "x" * 40})
    assert settings.production and settings.session_cookie_secure
    assert Settings.from_env({}).secret_key  # a development default outside production


def test_settings_are_frozen_and_read_only_from_the_given_environment():
    settings = Settings.from_env({"DATABASE_URL": "sqlite:///x.db", "TIMEZONE": "America/Toronto"})
    assert settings.database_url == "sqlite:///x.db" and settings.timezone == "America/Toronto"
    with pytest.raises(AttributeError):
        settings.timezone = "UTC"
    assert "instance" in Settings.from_env({}).database_url


def test_anonymous_is_sent_to_login_from_any_non_public_endpoint(app_factory):
    app = app_factory()

    @app.get("/not-declared-public")
    def not_declared_public():
        return "secret"

    client = app.test_client()
    response = client.get("/not-declared-public")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/no-such-page").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/org/profile", "/org/consortia", "/verification", "/audit/", "/audit/export.csv", "/outbox/", "/orgs/x"],
)
def test_private_pages_redirect_anonymous_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_csrf_is_enforced_on_forms(csrf_app, make):
    district = make.district()
    client = csrf_app.test_client()
    refused = client.post("/login", data={"email": district.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert "form expired" in refused.text or "CSRF" in refused.text
    assert client.get("/org/profile").status_code == 302

    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    accepted = client.post("/login", data={"email": district.email, "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302
    assert client.get("/org/profile").status_code == 200


def test_error_pages_are_friendly(client, make, login):
    assert "Page not found" in client.get("/does-not-exist").text
    login(client, make.district())
    forbidden = client.get("/verification")
    assert forbidden.status_code == 403
    assert "You do not have access" in forbidden.text


def _sample_url(rule) -> str:
    from werkzeug.routing import AnyConverter
    from werkzeug.routing.converters import NumberConverter

    from consortium.api.core import IdConverter, PublicIdConverter

    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, NumberConverter | IdConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, PublicIdConverter):  # a bid's opaque id (16-32 characters)
            values[name] = "x" * 22
        else:
            values[name] = "x"
    return rule.build(values, append_unknown=False)[1]


def test_every_non_public_endpoint_of_every_domain_sends_anonymous_to_login(app, client):
    from consortium.policy import is_public_endpoint

    checked = 0
    for rule in app.url_map.iter_rules():
        if is_public_endpoint(rule.endpoint):
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(_sample_url(rule), method=method)
            if rule.endpoint.startswith("api."):  # issue 9: the JSON API answers 401 itself
                assert response.status_code == 401, (rule.endpoint, method, response.status_code)
                assert response.get_json()["status"] == 401
                checked += 1
                continue
            assert response.status_code == 302, (rule.endpoint, method, response.status_code)
            assert response.headers["Location"].startswith("/login"), rule.endpoint
            checked += 1
    assert checked >= 10


def test_behind_a_trusted_proxy_the_client_address_is_used(app_factory):
    from flask import request

    app = app_factory(trusted_proxies=1)

    @app.get("/probe-address")
    def probe_address():
        return request.remote_addr or ""

    from consortium.policy import public

    public(probe_address)
    with app.test_client() as client:
        response = client.get("/probe-address", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.text == "203.0.113.9"  # what the rate limits key on
