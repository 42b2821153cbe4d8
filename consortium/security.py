"""Password hashing (argon2), the security headers and what signed-in responses may not do.

Rate limits (sign-in back-off, password resets, registration) are Flask-Limiter's
(`consortium.extensions.limiter`), declared on the views."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, current_app, g, session
from flask_login import AnonymousUserMixin

_HASHER = PasswordHasher()
# Tests hash hundreds of passwords; the scheme is the same, only the cost is lower.
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    return _TEST_HASHER if current_app and current_app.config.get("TESTING") else _HASHER


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; never raises on a malformed hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def unusable_password() -> str:
    """A stored value no password verifies against (invited users set theirs by link)."""
    return "!" + secrets.token_hex(32)


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a real password")


def burn_time(password: str) -> None:
    """Verify against a dummy hash, so an unknown email takes as long as a wrong password."""
    verify_password(_dummy_hash(), password)


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        # Inline style attributes only (bar widths, chart colours); no inline <style> or script.
        "style-src-attr 'unsafe-inline'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SETTINGS"].production:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response


def current_user_loaded() -> bool:
    """Whether Flask-Login already loaded a signed-in user in this request (no query)."""
    user = g.get("_login_user")
    return user is not None and not isinstance(user, AnonymousUserMixin)


def no_store_when_signed_in(response: Response) -> Response:
    """after_request: nothing a signed-in person receives may be kept by a browser or proxy.

    Receipts carry a bid's nonce, exports carry every opt-in: a shared computer's cache or a
    proxy must not hand them to the next person. One hook, so no page can forget it.
    """
    # The session says who signed in; asking `current_user` here would reload the user from a
    # session the commit point has just rolled back (a query on every page).
    if "_user_id" in session or current_user_loaded():
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.after_request(no_store_when_signed_in)
    proxies = app.config["SETTINGS"].trusted_proxies
    if proxies:
        # Behind N reverse proxies: take the client address and scheme from their headers,
        # so the login rate limit counts real clients and url_for builds https links.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
