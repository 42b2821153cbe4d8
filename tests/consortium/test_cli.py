from sqlalchemy import inspect

from consortium.extensions import db


def test_commands_are_registered(runner):
    for command in ("seed-demo", "demo-logins", "worker", "create-db", "create-consortium", "audit-verify"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0, command


def test_worker_needs_redis_url(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output


def test_worker_listens_on_the_allocation_queue_by_default(runner, app, monkeypatch):
    """Runs are enqueued on "allocation" (consortium.allocation.jobs); a bare `flask worker` takes them."""
    import rq

    from consortium.allocation.jobs import allocation_queue

    listened = []

    class RecordingWorker:
        def __init__(self, queues, connection):
            listened.append([q.name for q in queues])

        def work(self, burst):
            assert burst

    monkeypatch.setattr(rq, "Worker", RecordingWorker)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert runner.invoke(args=["worker", "--burst", "--queue", "a", "--queue", "b"]).exit_code == 0
    assert listened == [[allocation_queue(app).name], ["a", "b"]]


def test_create_db_creates_every_table(runner, app):
    result = runner.invoke(args=["create-db"])
    assert result.exit_code == 0
    tables = set(inspect(db.session.connection()).get_table_names())
    assert {"users", "organisations", "affiliations", "audit_events", "outbox_messages", "invitations"} <= tables


def test_create_consortium_bootstraps_a_manager(runner, app, client, login):
    from sqlalchemy import select

    from consortium.accounts.models import Organisation

    result = runner.invoke(
        args=["create-consortium", "Great Lakes Cooperative", "--manager-email", "boss@glc.example",
              "--manager-name", "Robin Boss", "--timezone", "America/Detroit",
              "--password", "a very long password"]
    )
    assert result.exit_code == 0, result.output
    org = db.session.execute(select(Organisation).filter_by(name="Great Lakes Cooperative")).scalar_one()
    assert org.is_consortium and org.timezone == "America/Detroit"
    response = client.post("/login", data={"email": "boss@glc.example", "password": "a very long password"})
    assert response.status_code == 302
    assert client.get("/verification").status_code == 200

    again = runner.invoke(
        args=["create-consortium", "Other", "--manager-email", "boss@glc.example",
              "--manager-name", "X", "--password", "a very long password"]
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_audit_verify_reports_the_chain(runner, app, make, database_backend):
    from sqlalchemy import text

    from consortium.audit.services import record

    event = record("x.one", make.consortium(), before=None, after={"a": 1})
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "audit chain intact: 1 events" in result.output
    if database_backend == "postgresql":
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    db.session.execute(text("UPDATE audit_events SET action = 'x.forged' WHERE id = :id"), {"id": event.id})
    db.session.expire_all()  # the runner shares the test's app context and session
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and f"broken at event(s) {event.id}" in result.output


def test_seed_demo_refuses_outside_demo_mode(runner, app):
    """Demo accounts share a published password: a production database never gets them."""
    from sqlalchemy import func, select

    from consortium.accounts.models import User

    assert app.config["DEMO_MODE"] is False
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "runs only in demo mode" in result.output and "DEMO_MODE=1" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
