"""Signing in and out, and passwords: the reset link (which is also the invitation), changes."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request, session, url_for
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from consortium import security
from consortium.accounts.models import Organisation, User, normalise_email
from consortium.audit.services import record
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.notifications.services import notify


def authenticate(email: str, password: str) -> User:
    """The user for these credentials, or DomainError (the view's limiter counts failures)."""
    email = normalise_email(email)
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        security.burn_time(password)
        ok = False
    else:
        ok = security.verify_password(user.password_hash, password) and user.is_active
    if not ok or user is None:
        raise DomainError("Email or password is not right.", field="password")
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    return user


def sign_in(user: User, *, remember: bool = False) -> None:
    session.clear()  # a fresh session on sign-in: no fixation
    login_user(user, remember=remember)


def sign_out(user: User | None) -> None:
    """Sign out here and on every other device (sessions and remember-me cookies)."""
    if user is not None and user.is_authenticated:
        user.end_sessions()
    logout_user()
    session.clear()


# ---- passwords (a reset link and an invitation are the same link) ----

RESET_MAX_AGE = timedelta(hours=48)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def password_token(user: User) -> str:
    """A signed link token; it dies when the password changes (single use) or after 48 hours."""
    return _serializer().dumps({"u": user.id, "h": user.password_hash[-12:]})


def user_for_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=int(RESET_MAX_AGE.total_seconds()))
    except BadSignature:
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.password_hash[-12:] != data.get("h"):
        return None
    return user


def send_password_link(user: User, *, invited_to: Organisation | None = None) -> None:
    link = url_for("accounts.reset_password", token=password_token(user), _external=True)
    if invited_to is not None:
        subject = f"You are invited to {invited_to.name}"
        body = (
            f"Hello {user.name},\n\nYou have been added to {invited_to.name} on the group-purchasing "
            f"marketplace. Choose your password here (the link works for 48 hours):\n\n{link}\n"
        )
    else:
        subject = "Reset your password"
        body = (
            f"Hello {user.name},\n\nSomeone (hopefully you) asked to reset your password. "
            f"Choose a new one here (the link works for 48 hours, once):\n\n{link}\n\n"
            "If it was not you, ignore this message; your password is unchanged.\n"
        )
    notify(user.email, subject, body, sensitive=True, consortium_id=None)


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way."""
    user = db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()
    if user is not None and user.active:
        send_password_link(user)


def change_password(user: User, current: str, new: str) -> None:
    """Change a signed-in user's password; the current one must be right."""
    if not security.verify_password(user.password_hash, current):
        raise DomainError("That is not your current password.", field="current")
    set_password(user, new)
    # This session goes on under the new epoch; every other one ended with the change.
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remembered, fresh=True)
    notify(
        user.email,
        "Your password was changed",
        f"Hello {user.name},\n\nThe password of your account was just changed. If it was not "
        "you, reset it at once from the sign-in page and tell your consortium's managers.\n",
        personal=True,
    )


def set_password(user: User, password: str) -> None:
    """A new password; whoever knew the old one is signed out everywhere."""
    user.password_hash = security.hash_password(password)
    user.end_sessions()
    record("user.password_set", user, before=None, after={"user_id": user.id})
