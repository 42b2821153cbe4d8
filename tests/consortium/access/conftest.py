"""The access matrix's fixtures: the world, and each role's signed-in session."""

from __future__ import annotations

import pytest

from consortium.allocation import services as allocation_services
from tests.consortium.access.world import ANON, World, build_world, per_buyer_solve


@pytest.fixture
def world(app, make, clock, monkeypatch) -> World:
    monkeypatch.setattr(allocation_services, "default_solve", lambda: per_buyer_solve)
    return build_world(make, clock)


@pytest.fixture
def sessions(app, world, login) -> dict[str, str | None]:
    """Each role's session cookie after signing in (None: anonymous)."""
    cookies: dict[str, str | None] = {ANON: None}
    for role, actor in world.actors.items():
        client = app.test_client()
        login(client, actor)
        cookies[role] = client.get_cookie("session").value
    return cookies


@pytest.fixture
def api_tokens(app, world) -> dict[str, str | None]:
    """Each role's personal API token for its organisation (None: anonymous). Issue 9."""
    from consortium.accounts.tokens import create_token

    made: dict[str, str | None] = {ANON: None}
    for role, actor in world.actors.items():
        made[role] = create_token(actor.user, "access matrix", actor.org).plaintext
    return made
