"""Who is acting in this request: the signed-in user and their active organisation.

A leaf module: it imports only Flask, Flask-Login and the account models, so policy, audit,
services and templates all ask it without importing each other. The active organisation is
kept in the session (a user may belong to several) and cached in `g` for the request.
"""

from __future__ import annotations

from flask import g, has_request_context, session
from flask_login import current_user

from consortium.accounts.models import Membership, Organisation, User
from consortium.errors import forbidden

ACTIVE_ORG_KEY = "active_org_id"
_CACHE = "_active_membership"


def current_membership() -> Membership | None:
    """The signed-in user's membership in the active organisation (None when anonymous)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    if _CACHE in g:
        return g.get(_CACHE)
    memberships = sorted(current_user.memberships, key=lambda m: m.id)
    wanted = session.get(ACTIVE_ORG_KEY)
    chosen = next((m for m in memberships if m.organisation_id == wanted), None)
    if chosen is None and memberships:
        chosen = memberships[0]
    setattr(g, _CACHE, chosen)
    return chosen


def current_org() -> Organisation | None:
    """The organisation the signed-in user is acting for."""
    membership = current_membership()
    return membership.organisation if membership else None


def current_actor() -> tuple[int | None, Organisation | None]:
    """(user id, active organisation) of the signed-in user; (None, None) outside a request."""
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return None, None
    return current_user.id, current_org()


def switch_org(user: User, organisation_id: int) -> Organisation:
    """Make another of the user's organisations the active one (403 if not a member)."""
    membership = user.membership_in(organisation_id)
    if membership is None:
        raise forbidden("You are not a member of that organisation.", field="organisation_id")
    session[ACTIVE_ORG_KEY] = membership.organisation_id
    forget()
    return membership.organisation


def act_as(membership: Membership | None) -> None:
    """Act for `membership` in this request: an API token names it, not the session."""
    setattr(g, _CACHE, membership)


def forget() -> None:
    """Drop the cached membership (after signing someone else in, or switching)."""
    g.pop(_CACHE, None)
