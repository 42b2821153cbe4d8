from sqlalchemy import inspect

from consortium.extensions import db


def test_commands_are_registered(runner):
    for command in ("seed-demo", "demo-logins", "worker", "create-db"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0, command


def test_worker_needs_redis_url(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output


def test_create_db_creates_every_table(runner, app):
    result = runner.invoke(args=["create-db"])
    assert result.exit_code == 0
    tables = set(inspect(db.session.connection()).get_table_names())
    assert {"users", "organisations", "affiliations", "audit_events", "outbox_messages", "login_attempts"} <= tables
