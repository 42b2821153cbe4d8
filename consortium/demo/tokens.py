"""The demo's API tokens: one per demo account, with a published secret (demo mode only,
like the demo's shared password), so the README's curl examples run against `make demo`."""

from __future__ import annotations

from datetime import datetime

from consortium.accounts.tokens import ApiToken, digest
from consortium.demo.data import ACCOUNTS
from consortium.demo.story import Story
from consortium.extensions import db

SALT = bytes(16)  # a published secret needs no secret salt


def plaintext(role: str) -> str:
    """The demo token of a demo account's role: cst_<12 hex>_<secret>."""
    number = [r for r, *_ in ACCOUNTS].index(role) + 1
    return f"cst_de{number:010d}_demo-{role}-token-not-secret"


def tokens() -> list[tuple[str, str]]:
    """(role, token) of every demo account, as `flask demo-logins` prints them."""
    return [(role, plaintext(role)) for role, *_ in ACCOUNTS]


def add_tokens(story: Story, when: datetime) -> None:
    """Each demo account made a personal token for its organisation ("Demo integration")."""

    def step() -> None:
        for role, _email, _name, org_name in ACCOUNTS:
            _prefix, lookup, secret = plaintext(role).split("_", 2)
            db.session.add(ApiToken(
                user=story.staff[org_name], organisation=story.orgs[org_name],
                name="Demo integration", lookup=lookup, salt=SALT.hex(),
                secret_hash=digest(SALT, secret), created_at=when,
            ))
        db.session.flush()

    story.timeline.at(when, step)
