"""The walk: each request as one role inside a SAVEPOINT rolled back afterwards, and the judge
that compares what happened with what the matrix says."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import func, select

from consortium.audit.models import AuditEvent
from consortium.extensions import db, limiter
from consortium.notifications.models import OutboxMessage
from tests.consortium.access.matrix import FLASHED, MATRIX, Case
from tests.consortium.access.world import ANON, World


@dataclass
class Outcome:
    status: int
    location: str
    changed: bool  # an audit event or a mail was written
    errors: tuple[str, ...] = ()  # messages flashed as errors (a refusal that redirects)
    no_store: bool = False  # Cache-Control: no-store (issue 10: every signed-in answer)

    @property
    def redirect(self) -> bool:
        return self.status in (301, 302, 303)

    @property
    def refused_by_flash(self) -> bool:
        """Sent elsewhere with an error message: refused, however polite the redirect."""
        return self.redirect and bool(self.errors)

    def describe(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        flashed = f" flashing {list(self.errors)}" if self.errors else ""
        changed = " (and it changed something)" if self.changed else ""
        return f"{self.status}{where}{flashed}{changed}"


class Walker:
    """Sends one request as one role inside a SAVEPOINT that is rolled back afterwards."""

    def __init__(
        self, app, cookies: dict[str, str | None], tokens: dict[str, str | None] | None = None
    ) -> None:
        self.app = app
        self.cookies = cookies
        self.tokens = tokens or {}  # issue 9: the API is called with each role's token
        self.connection = db._app_engines[app][None]  # the test's connection (see conftest)
        db.session.execute(select(1))  # the test session holds its savepoint below ours

    def _count(self) -> tuple[int, int]:
        return (
            self.connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
            self.connection.execute(select(func.count()).select_from(OutboxMessage)).scalar_one(),
        )

    def send(
        self, role: str, method: str, url: str, data: dict | bytes | None, *, api: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        client = self.app.test_client()
        headers, body = dict(headers or {}), {"data": data}
        if api:  # issue 9: a token, never the cookie, and a JSON body
            if self.tokens.get(role) is not None:
                headers["Authorization"] = f"Bearer {self.tokens[role]}"
            body = {} if data is None else {"json": data}
        elif self.cookies[role] is not None:
            client.set_cookie("session", self.cookies[role])
        savepoint = self.connection.begin_nested()
        limiter.reset()  # every request of the walk is a first try (they all come from one address)
        try:
            before = self._count()
            response = client.open(url, method=method, headers=headers, **body)
            changed = self._count() != before
            response.close()
            with client.session_transaction() as session:
                errors = tuple(m for category, m in session.get("_flashes", []) if category == "error")
            location = response.headers.get("Location", "")
            no_store = "no-store" in response.headers.get("Cache-Control", "")
            return Outcome(response.status_code, location, changed, errors, no_store)
        finally:
            savepoint.rollback()
            db.session.expire_all()


def world_rows(connection) -> dict[str, int]:
    """Row counts of every table (the walk must leave the world exactly as it found it)."""
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def is_login_redirect(outcome: Outcome) -> bool:
    """The default-deny guard's answer: to the sign-in page, to come back afterwards."""
    return outcome.redirect and "/login?next=" in outcome.location


def is_refusal(outcome: Outcome, refusal: int | str) -> bool:
    if refusal == FLASHED:
        return outcome.refused_by_flash
    return outcome.status == refusal


def is_api(endpoint: str) -> bool:
    """An operation of /api/v1 (issue 9): token-authenticated JSON."""
    return endpoint.startswith("api.")


def judge(
    case: Case, role: str, method: str, outcome: Outcome, *, api: bool = False, public: bool = True
) -> str | None:
    """None when the outcome is what the table says, else what was expected.

    Allowed means served: a page (200), or a redirect that is neither to the login page nor
    carrying an error flash. A flash-and-redirect refusal is a refusal, expected only where
    the table says FLASHED. An API operation (`api`) is served with a 2xx; refused, it answers
    the status itself, 401 for anonymous callers of an operation that is not `public`.
    """
    if api:
        if role in case.allowed:
            return None if 200 <= outcome.status < 300 else "allowed (a 2xx answer)"
        refusal = 401 if role == ANON and not public else case.refusal(role)
        if outcome.status != refusal:
            return f"refused with {refusal}"
        return f"refused with {refusal} without changing anything" if outcome.changed else None
    if role in case.allowed:
        if outcome.status == 200:
            return None
        if outcome.redirect and not is_login_redirect(outcome) and not outcome.refused_by_flash:
            return None
        return "allowed (200, or a redirect without an error, not to the login page)"
    refusal = case.refusal(role)
    if role == ANON:
        # Public pages refuse with the code itself; the rest sends anonymous visitors to log in.
        ok = is_login_redirect(outcome) or is_refusal(outcome, refusal)
        expected = f"login redirect (or {refusal})"
    else:
        ok = is_refusal(outcome, refusal)
        expected = f"refused with {refusal}"
    if ok and outcome.changed:
        return f"{expected} without changing anything"
    return None if ok else expected


def requests(app, world: World) -> Iterator[tuple[str, str, Case, str, dict[str, Any]]]:
    """(endpoint, method, case, url, params) for every case of the table."""
    with app.test_request_context():
        for endpoint, methods in MATRIX.items():
            for method, cases in methods.items():
                for case in cases:
                    params = case.params(world)
                    yield endpoint, method, case, url_for(endpoint, **params), params
