"""The database: `db` (Flask-SQLAlchemy on one declarative base), the aware datetime type,
enum columns, and the list of model modules.

`db` is created here and only re-exported by `consortium.extensions`, so nothing in this
module needs the extensions (no import cycle)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from enum import Enum

from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from consortium import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Column default for timestamps: the server clock, aware UTC."""
    return clock.now()


def database_now(session) -> datetime:
    """The time by the database's clock, for deadlines decided under a row lock.

    Web workers on several machines may disagree by a second; the one database does not, so
    a deadline burst is cut at one instant for everyone. PostgreSQL's clock_timestamp() is
    the real time of the call (after the lock was granted). SQLite, and frozen test clocks,
    use `clock.now()`.
    """
    if clock.is_frozen() or session.get_bind().dialect.name != "postgresql":
        return clock.now()
    return session.execute(text("SELECT clock_timestamp()")).scalar_one().astimezone(UTC)


class TZDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns aware UTC datetimes, on SQLite too. Refuses naive input."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use consortium.clock.now() or an aware value")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite keeps text without an offset; store UTC wall time.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and SERIALIZABLE semantics;
    # turn it off and let SQLAlchemy emit BEGIN itself (see the SQLAlchemy SQLite docs).
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # A writer waits for the one before it (up to 30 s) rather than failing at once.
        cursor.execute("PRAGMA busy_timeout=30000")
        # WAL: readers do not block the writer (threaded dev server, browser tests).
        if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def _may_write() -> bool:
    """Whether this transaction may write: everything but a GET (HEAD, OPTIONS) request.

    SQLite serialises writers. A deferred BEGIN reads first and asks for the write lock
    later; if another writer committed in between, SQLite answers "database is locked" at
    once (its snapshot is stale: waiting cannot help, so busy_timeout does not wait). BEGIN
    IMMEDIATE takes the write lock first and waits its turn, so a second user waits a few
    milliseconds instead of getting a 500. Readers (GET) still never block, thanks to WAL.
    """
    return not (has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"))


def str_enum(enum_cls: type[Enum], length: int = 20) -> SAEnum:
    """A VARCHAR column that loads as `enum_cls` members (values, not names, are stored)."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,  # models declare their own named CheckConstraint
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


MODEL_MODULES = (
    "consortium.accounts.models",
    "consortium.accounts.tokens",
    "consortium.audit.models",
    "consortium.notifications.models",
    "consortium.procurement.models",
    "consortium.bids.models",
    "consortium.allocation.models",
    "consortium.awards.models",
    "consortium.payments.models",
)


def import_models() -> None:
    """Import every domain's models so the metadata is complete (create_all, Alembic)."""
    import importlib

    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name and not name.startswith(f"{exc.name}."):
                raise
