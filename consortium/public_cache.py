"""A cache of the public pages as a visitor without a cookie sees them, invalidated by writes.

The home page, the list of solicitations and a solicitation's page are the same for every
visitor who carries no cookie (no session: nobody signed in, no flashed message, no form
token), and they are most of the traffic. Each worker keeps their rendered responses in
memory. Nothing else is cached: a request with any cookie, any signed-in page, any other
method, status or endpoint goes to its view as always.

Invalidation: every transaction that wrote something and committed bumps a shared
*generation* (in Redis when REDIS_URL is set, so every machine sees it; else in a file of the
instance folder, which every worker on this machine sees). A cached page is served only under
the generation it was rendered in, and the generation is read before the page's data, and
bumped after the commit, so no page rendered from data older than a commit outlives it. A page
also expires at the end of its minute (the footer's server time, countdowns) and at the next
deadline of any solicitation (a phase changes without a write).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, current_app, g, request
from sqlalchemy import event, func, select, union_all
from sqlalchemy.orm import Session

CACHED_ENDPOINTS = frozenset({"main.home", "procurement.index", "procurement.detail"})
MAX_ENTRIES = 512
_GENERATION_FILE = "public-cache-generation"
_REDIS_KEY = "consortium:public-cache-generation"
_WROTE = "consortium.public_cache.wrote"


@dataclass(frozen=True, slots=True)
class Entry:
    generation: str
    expires: float  # time.time()
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Generation:
    """The shared generation: Redis when configured, else a file beside the database."""

    def __init__(self, redis_url: str | None, directory: Path) -> None:
        self.path = directory / _GENERATION_FILE
        self.redis = None
        if redis_url:
            import redis

            self.redis = redis.Redis.from_url(redis_url, socket_timeout=0.5)

    def current(self) -> str | None:
        """The generation now (None: unknown, so nothing is served from or stored in cache)."""
        try:
            if self.redis is not None:
                value = self.redis.get(_REDIS_KEY)
                return value.decode() if value else "0"
            return self.path.read_text() if self.path.exists() else "0"
        except (OSError, ValueError, ConnectionError) as exc:
            current_app.logger.warning("public cache generation unreadable: %s", exc)
            return None
        except Exception as exc:  # a Redis error: serve uncached rather than fail
            current_app.logger.warning("public cache generation unreadable: %s", exc)
            return None

    def bump(self) -> None:
        """A write committed: every cached page of an older generation is stale."""
        try:
            if self.redis is not None:
                self.redis.incr(_REDIS_KEY)
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            temporary.write_text(secrets.token_hex(8))
            os.replace(temporary, self.path)  # atomic: readers see the old value or the new
        except Exception as exc:  # noqa: BLE001 - a failed bump must never fail the request
            current_app.logger.error("public cache generation not bumped: %s", exc)
            PublicCache.of(current_app).clear()


class PublicCache:
    """One worker's cached public responses."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        self.entries: dict[str, Entry] = {}

    @staticmethod
    def of(app: Flask) -> PublicCache:
        return app.extensions["public_cache"]

    def clear(self) -> None:
        self.entries.clear()


def _cacheable_request() -> bool:
    return (
        request.method == "GET"
        and request.endpoint in CACHED_ENDPOINTS
        and not request.cookies
        and not request.query_string
    )


def _serve() -> Response | None:
    """before_request: a cached response for a cookieless visitor, if still fresh."""
    if not _cacheable_request():
        return None
    cache = PublicCache.of(current_app)
    generation = cache.generation.current()
    g.public_cache_generation = generation  # read before the page's data (see module doc)
    if generation is None:
        return None
    entry = cache.entries.get(request.full_path)
    if entry is None or entry.generation != generation or entry.expires <= time.time():
        return None
    g.public_cache_hit = True
    return Response(entry.body, status=entry.status, headers=list(entry.headers))


def _store(response: Response) -> Response:
    """after_request: keep a freshly rendered public page for the next cookieless visitor."""
    generation = g.pop("public_cache_generation", None)
    if g.pop("public_cache_hit", False) or generation is None:
        return response
    if response.status_code != 200 or response.direct_passthrough or "Set-Cookie" in response.headers:
        return response  # a page that set a cookie (a flash, a session) is somebody's own
    cache = PublicCache.of(current_app)
    if len(cache.entries) >= MAX_ENTRIES:
        cache.clear()
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() != "content-length")
    cache.entries[request.full_path] = Entry(
        generation, _expiry(), response.status_code, headers, response.get_data()
    )
    return response


def _expiry() -> float:
    """The end of this minute, or the next deadline of any solicitation if sooner."""
    from consortium.clock import now
    from consortium.extensions import db
    from consortium.procurement.models import Solicitation

    at = now()
    end_of_minute = time.time() + 60 - at.second - at.microsecond / 1e6
    deadlines = union_all(
        select(Solicitation.opt_in_deadline.label("at")).where(Solicitation.opt_in_deadline > at),
        select(Solicitation.bid_deadline.label("at")).where(Solicitation.bid_deadline > at),
    ).subquery()
    upcoming = db.session.execute(select(func.min(deadlines.c.at))).scalar_one_or_none()
    if upcoming is None:
        return end_of_minute
    if upcoming.tzinfo is None:  # SQLite hands back UTC wall time from a raw column
        from datetime import UTC

        upcoming = upcoming.replace(tzinfo=UTC)
    return min(end_of_minute, time.time() + (upcoming - at).total_seconds())


@event.listens_for(Session, "after_flush")
def _wrote(session: Session, flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if not session.info.pop(_WROTE, False):
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:  # a commit outside any app (a script's own session)
        return
    if "public_cache" in app.extensions:
        PublicCache.of(app).generation.bump()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)


def init_app(app: Flask) -> None:
    """Cache public pages when the settings allow it (tests turn it off but for its own)."""
    settings = app.config["SETTINGS"]
    if not settings.public_cache:
        return
    app.extensions["public_cache"] = PublicCache(
        Generation(settings.redis_url, Path(app.instance_path))
    )
    app.before_request(_serve)
    app.after_request(_store)
