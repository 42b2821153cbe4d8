"""Shared fixtures: app, client, db_session, clock, make, login; PostgreSQL when reachable.

Isolation: every test runs inside one connection-level transaction that is rolled back at
the end; the application's sessions join it through SAVEPOINTs
(`join_transaction_mode="create_savepoint"`), so views may `commit()` freely. On SQLite the
same recipe works because consortium.db turns off pysqlite's own BEGIN handling.
"""

from __future__ import annotations

import contextvars
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from consortium import clock as server_clock
from consortium import create_app
from consortium.config import Settings
from consortium.db import import_models
from consortium.extensions import db
from tests.factories import PASSWORD, Actor, Make

pytest_plugins = ["tests.stripe_fake.fixtures"]  # stripe_fake, stripe_gateway, stripe_webhook_secret
DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/consortium_test"
POSTGRES_ONLY_REASON = "needs PostgreSQL (set TEST_DATABASE_URL or start one on 127.0.0.1:5432)"


def _postgres_url() -> str | None:
    """The PostgreSQL test URL if the server answers (creating the database on demand).

    Each pytest process works in its own schema of that database (`test_<pid>`, via the
    connection's search_path), so engineers and xdist workers running at the same time on one
    server never drop each other's tables. The schema is dropped at the end of the run.
    """
    raw = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    if not raw.startswith("postgresql"):
        return None
    url = sa.make_url(raw)
    admin = sa.create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    except sa.exc.OperationalError:
        if os.environ.get("CI"):
            raise
        return None
    finally:
        admin.dispose()
    schema = f"test_{os.getpid()}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        _drop_abandoned_schemas(conn)
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _drop_abandoned_schemas(conn) -> None:
    """Schemas of test runs on this machine whose process is gone (killed runs)."""
    if os.environ.get("CI") is None and "127.0.0.1" not in str(conn.engine.url.host or ""):
        return  # a shared remote server: other machines' pids mean nothing here
    names = conn.execute(
        sa.text("SELECT nspname FROM pg_namespace WHERE nspname ~ '^test_[0-9]+$'")
    ).scalars()
    for name in list(names):
        pid = int(name.removeprefix("test_"))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        except PermissionError:
            pass  # alive, someone else's


def _resolve_database() -> tuple[str, str]:
    url = _postgres_url()
    if url:
        return "postgresql", url
    path = Path(tempfile.mkdtemp(prefix="consortium-test-")) / "test.sqlite"
    return "sqlite", f"sqlite:///{path}"


_BACKEND, _DATABASE_URL = _resolve_database()


def pytest_unconfigure(config) -> None:
    if _BACKEND != "postgresql":
        return
    url = sa.make_url(_DATABASE_URL)
    schema = url.query["options"].split("=", 1)[1]
    engine = sa.create_engine(url.difference_update_query(["options"]), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def pytest_report_header(config) -> str:
    shown = sa.make_url(_DATABASE_URL).render_as_string(hide_password=True)
    return f"database: {_BACKEND} {shown}"


def pytest_collection_modifyitems(config, items) -> None:
    if _BACKEND == "postgresql":
        return
    skip = pytest.mark.skip(reason=POSTGRES_ONLY_REASON)
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_backend() -> str:
    """'postgresql' or 'sqlite'."""
    return _BACKEND


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env(
        {},
        database_url=_DATABASE_URL,
        secret_key="test-secret-key",
        testing=True,
        csrf_enabled=False,
        redis_url=None,
        smtp_host=None,
        public_cache=False,  # each test reads its own uncommitted data (hardening tests turn it on)
    )


@pytest.fixture(scope="session")
def _app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.test_client_class = _Client
    import_models()
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


class _Client(FlaskClient):
    """Each request runs in its own app context, as in production (its own session and `g`).

    Flask would otherwise reuse the test's app context, so every request of a test (and every
    client) would share one session, one identity map and one `g` (Flask-Login's user!). The
    test's session is flushed before the request, so the view sees the test's data, and
    expired after it, so the test sees what the view did.
    """

    def open(self, *args, **kwargs):
        db.session.flush()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The application, inside an app context, with every write rolled back after the test.

    `app.config` changes made by a test are undone afterwards too.
    """
    saved_config = dict(_app.config)
    from consortium.extensions import limiter

    limiter.reset()  # rate limits are per test: one test's sign-ins never slow another's
    with _app.app_context():
        engines = db._app_engines[_app]  # Flask-SQLAlchemy 3.1 internals: bind sessions to one connection
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        original_session = db.session
        engines[None] = connection
        db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
        try:
            yield _app
        finally:
            db.session.remove()
            db.session = original_session
            engines[None] = engine
            if transaction.is_active:
                transaction.rollback()
            connection.close()
            _app.config.clear()
            _app.config.update(saved_config)


@pytest.fixture
def committing_app(_app: Flask) -> Iterator[Flask]:
    """The application with real commits (for concurrency tests); every table is emptied afterwards."""
    with _app.app_context():
        try:
            yield _app
        finally:
            db.session.remove()
            _empty_all_tables()


def _empty_all_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            ))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def db_session(app: Flask):
    """The scoped session the application uses (rolled back after the test)."""
    return db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def make(app: Flask) -> Make:
    return Make(db.session)


class FrozenClock:
    """The frozen server clock: `clock.now`, `clock.set(dt)`, `clock.advance(days=1, hours=2)`."""

    START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

    def __init__(self) -> None:
        server_clock.freeze(self.START)

    @property
    def now(self) -> datetime:
        return server_clock.now()

    def set(self, at: datetime) -> datetime:
        server_clock.freeze(at)
        return self.now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        return server_clock.advance(delta or timedelta(**kwargs))


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    """Freeze consortium.clock.now at 2026-03-02 15:00 UTC for the test."""
    frozen = FrozenClock()
    try:
        yield frozen
    finally:
        server_clock.unfreeze()


def _login(client: FlaskClient, who: Actor | object, *, password: str = PASSWORD, org=None):
    """Sign in through the real login form; with an Actor (or `org=`), act for that organisation."""
    user = who.user if isinstance(who, Actor) else who
    org = org or (who.org if isinstance(who, Actor) else None)
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, f"login failed for {user.email}: {response.status_code}"
    if org is not None:
        switched = client.post("/org/switch", data={"organisation_id": org.id})
        assert switched.status_code == 302, f"could not act for {org.name}"
    return response


@pytest.fixture
def login():
    """`login(client, actor_or_user, org=None)`: sign in through the real form."""
    return _login


@pytest.fixture
def csrf_app(_app: Flask, app: Flask) -> Iterator[Flask]:
    """The app with CSRF protection on (as in production) for this test only."""
    _app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield _app
    finally:
        _app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def app_factory(settings: Settings) -> Iterator:
    """`app_factory(**setting_overrides)`: a separate app (no test transaction); engines disposed after."""
    made: list[Flask] = []

    def build(**overrides) -> Flask:
        new_app = create_app(settings.replace(**overrides) if overrides else settings)
        made.append(new_app)
        return new_app

    yield build
    for made_app in made:
        with made_app.app_context():
            db.engine.dispose()


# --- browser tests (Playwright driving Debian's Chromium) ---

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@dataclass
class LiveServer:
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(committing_app: Flask) -> Iterator[LiveServer]:
    """The app served on a free local port in a thread; data must be committed to be seen.

    Build data with `Make()` (it uses db.session) and `db.session.commit()`; every table is
    emptied after the test.
    """
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, committing_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(request):
    """A Playwright page in Debian's Chromium; skipped with the reason when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/<name>.png (kept by CI)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
