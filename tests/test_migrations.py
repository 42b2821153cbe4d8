"""Alembic: `upgrade head` builds exactly the models' schema, and down/up works.

Runs on a database of its own (a fresh SQLite file, or a fresh PostgreSQL schema), never the
test schema. Skipped until the first revision exists (the integrator generates it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consortium import create_app
from consortium.config import PROJECT_ROOT
from consortium.db import import_models
from consortium.extensions import db

VERSIONS = PROJECT_ROOT / "migrations" / "versions"

pytestmark = pytest.mark.skipif(
    not any(VERSIONS.glob("*.py")), reason="no Alembic revision yet (the integrator generates it)"
)


@pytest.fixture
def migration_app(settings, database_backend):
    """An app on an empty database of its own."""
    if database_backend == "postgresql":
        url = sa.make_url(settings.database_url)
        schema = f"migrations_{os.getpid()}"
        admin = sa.create_engine(url.difference_update_query(["options"]), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        database_url = url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    else:
        database_url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'migrations.sqlite'}"
    app = create_app(settings.replace(database_url=database_url))
    import_models()
    with app.app_context():
        yield app
        db.engine.dispose()
    if database_backend == "postgresql":
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_head_matches_the_models_and_down_up_works(migration_app, database_backend):
    from flask_migrate import downgrade, upgrade

    directory = str(PROJECT_ROOT / "migrations")
    upgrade(directory=directory)
    assert _differences() == [], "the migrations and the models disagree; generate a revision"
    if database_backend == "postgresql":
        with db.engine.connect() as conn:
            trigger = conn.execute(
                sa.text("SELECT 1 FROM pg_trigger WHERE tgname = 'audit_events_append_only'")
            ).scalar()
        assert trigger, (
            "the revision creating audit_events must also run "
            "consortium.audit.models.AUDIT_APPEND_ONLY_SQL (op.execute) on PostgreSQL"
        )
    downgrade(directory=directory, revision="base")
    with db.engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    upgrade(directory=directory)
    assert _differences() == []


def _revisions() -> list:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return list(ScriptDirectory.from_config(config).walk_revisions())  # head first


def test_the_revisions_are_one_line_in_the_order_of_their_files():
    """The integrator's re-chaining: one head, each issue's revision after the one before,
    and the files' dated names sort in the same order (the newest last)."""
    revisions = _revisions()
    assert [r.revision for r in reversed(revisions)] == [
        "f0b096e3f59a", "i8_payments", "i9_api_tokens", "i10_hardening", "i11_decline_reason",
        "w6_run_progress"]
    assert all(isinstance(r.down_revision, str | None) for r in revisions)  # no merge points
    by_file = sorted(revisions, key=lambda r: Path(r.path).name)
    assert [r.revision for r in by_file] == [r.revision for r in reversed(revisions)]


def test_each_revision_goes_down_and_up_again_on_its_own(migration_app):
    from flask_migrate import downgrade, upgrade

    directory = str(PROJECT_ROOT / "migrations")
    upgrade(directory=directory)
    for _revision in _revisions():  # from the head down: undo, redo, undo
        downgrade(directory=directory, revision="-1")
        upgrade(directory=directory, revision="+1")
        downgrade(directory=directory, revision="-1")
    with db.engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    upgrade(directory=directory)
    assert _differences() == []
