"""Who calls the API: a personal token, never the session cookie.

`authenticate()` runs before every API view. With `Authorization: Bearer <token>` the request
acts as the token's person, for the organisation the token was made for, or for another of
theirs named by `X-Organisation` (its id or slug). Without a token it is anonymous, even when
the browser sends a signed-in session cookie: a cookie never authenticates the API, so a
cross-site page cannot make a signed-in browser write through it (no CSRF token needed), and
the pages' CSRF check is skipped for the API's blueprints. The policy's rules then apply as
on the pages, through `current_user` and `current_org()`.
"""

from __future__ import annotations

from flask import Request, abort, g, request
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import HTTPException

from consortium.accounts.models import Membership, User
from consortium.accounts.tokens import ApiToken
from consortium.accounts.tokens import authenticate as token_for
from consortium.api.errors import is_api_request
from consortium.context import act_as
from consortium.policy import is_public_endpoint

ORGANISATION_HEADER = "X-Organisation"
_TOKEN = "api_token"


def authenticate() -> None:
    """before_request of the API: set the acting person and organisation from the token.

    The app's default-deny guard ran first (it let the request through if a token or a cookie
    is there); here only the token counts, and an operation that is not public needs one.
    """
    _act(None, None)
    token = presented_token()
    if token is None:
        if not is_public_endpoint(request.endpoint):
            abort(401)
        return
    setattr(g, _TOKEN, token)
    _act(token.user, _membership(token))


def presented_token() -> ApiToken | None:
    """The live token of the Authorization header (None without one; 401 if it is bad)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, presented = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip() or len(presented) > 200:
        abort(401, "Send the token as 'Authorization: Bearer <token>'.")
    token = token_for(presented.strip())
    if token is None:
        abort(401, "This API token is not valid (unknown or revoked).")
    return token


def user_from_token(_request: Request) -> User | None:
    """Flask-Login's request loader: on API paths, the token's person (pages: nobody)."""
    if not is_api_request():
        return None
    try:
        token = presented_token()
    except HTTPException:
        return None  # the API's own guard answers 401 with the reason
    return token.user if token is not None else None


def _membership(token: ApiToken) -> Membership | None:
    user: User = token.user
    named = request.headers.get(ORGANISATION_HEADER, "").strip()
    if named:
        membership = next(
            (m for m in user.memberships if named in (str(m.organisation_id), m.organisation.slug)),
            None,
        )
        if membership is None:
            _act(None, None)
            abort(403, f"{ORGANISATION_HEADER}: you are not a member of that organisation.")
        return membership
    if token.organisation_id is not None:
        # Removed from the token's organisation since: the token acts for none (403s), not
        # silently for another of the person's organisations.
        return user.membership_in(token.organisation_id)
    return min(user.memberships, key=lambda m: m.id, default=None)


def _act(user: User | None, membership: Membership | None) -> None:
    # Flask-Login keeps the request's user in g._login_user; setting it here (never the
    # session) makes current_user the token's person, or anonymous, for this request only.
    g._login_user = user if user is not None else AnonymousUserMixin()
    act_as(membership)


def current_token() -> ApiToken | None:
    """The token of this API request (None: anonymous)."""
    return g.get(_TOKEN)


def rate_limit_key() -> str:
    """Rate limits count per token; calls without one count per address."""
    token = current_token()
    return f"token:{token.id}" if token is not None else f"ip:{get_remote_address()}"

