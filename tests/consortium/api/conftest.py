"""API fixtures: `api(actor)` is a client that sends that actor's personal token."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from consortium.accounts.tokens import create_token
from tests.factories import Actor


class ApiClient:
    """A test client whose every request carries `Authorization: Bearer <token>` (if any)."""

    def __init__(self, client, token: str | None, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.token = token
        self.headers = dict(headers or {})

    def open(self, method: str, path: str, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.open("POST", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self.open("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs):
        return self.open("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.open("DELETE", path, **kwargs)


def token_for(actor: Actor, name: str = "test") -> str:
    """A fresh token of `actor`'s person, acting for `actor`'s organisation."""
    return create_token(actor.user, name, actor.org).plaintext


@pytest.fixture
def api(app) -> Callable[..., ApiClient]:
    """`api(actor)`: a client acting as `actor` through a personal token (None: anonymous)."""

    def make_client(actor: Actor | None = None, **headers: str) -> ApiClient:
        token = token_for(actor) if actor is not None else None
        return ApiClient(app.test_client(), token, {k.replace("_", "-"): v for k, v in headers.items()})

    return make_client
