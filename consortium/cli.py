"""Flask commands: seed-demo, worker, create-db, daily, ..."""

from __future__ import annotations

import importlib

import click
from flask import Flask, current_app

from consortium.allocation.jobs import QUEUE_NAME
from consortium.transaction import atomic


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(create_db)
    app.cli.add_command(demo_logins)
    app.cli.add_command(create_consortium)
    app.cli.add_command(audit_verify)
    app.cli.add_command(daily)


@click.command("create-db")
def create_db() -> None:
    """Create every table (for SQLite demos without migrations)."""
    from consortium.db import import_models
    from consortium.extensions import db

    import_models()
    db.create_all()
    click.echo("tables created")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if demo data is already there.")
def seed_demo(force: bool) -> None:
    """Fill the database with the demo consortium (re-uses what is there); demo mode only."""
    if not current_app.config.get("DEMO_MODE"):
        # Every demo account shares a password printed in the README: never in production.
        raise click.ClickException(
            "seed-demo creates accounts with a published password, so it runs only in demo "
            "mode: set DEMO_MODE=1 (make demo does) on a database of its own."
        )
    try:
        demo = importlib.import_module("consortium.demo")
    except ModuleNotFoundError as exc:
        if exc.name != "consortium.demo":
            raise
        click.echo("consortium.demo is not written yet; nothing seeded.")
        return
    if not force and hasattr(demo, "is_seeded") and demo.is_seeded():
        click.echo("demo data already present; re-using it.")
        return
    demo.seed()
    click.echo("demo data seeded.")


@click.command("demo-logins")
def demo_logins() -> None:
    """Print the demo accounts (role, email, password) seeded by seed-demo."""
    try:
        demo = importlib.import_module("consortium.demo")
    except ModuleNotFoundError as exc:
        if exc.name != "consortium.demo":
            raise
        return
    logins = getattr(demo, "logins", None)
    if logins is None:
        return
    click.echo("  Demo logins:")
    for role, email, password in logins():
        click.echo(f"    {role:<10} {email:<40} {password}")
    tokens = getattr(demo, "tokens", None)
    if tokens is not None:
        click.echo("  Demo API tokens (curl -H 'Authorization: Bearer <token>' .../api/v1/me):")
        for role, token in tokens():
            click.echo(f"    {role:<10} {token}")


@click.command("worker")
@click.option(
    "--queue", "queues", multiple=True, default=(QUEUE_NAME,), show_default=True,
    help="A queue to listen on (repeat for several); allocation runs are enqueued on the default.",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker on REDIS_URL (allocation runs and other background jobs)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set; jobs run in-process without a worker.")
    from redis import Redis
    from rq import Queue, Worker

    connection = Redis.from_url(url)
    # Jobs run inside this app context (the CLI pushed it); forked job processes inherit it.
    rq_worker = Worker([Queue(name, connection=connection) for name in queues], connection=connection)
    rq_worker.work(burst=burst)


@click.command("create-consortium")
@click.argument("name")
@click.option("--manager-email", required=True)
@click.option("--manager-name", required=True)
@click.option("--timezone", default="America/Chicago", show_default=True)
@click.password_option("--password", help="The first manager's password.")
def create_consortium(name: str, manager_email: str, manager_name: str, timezone: str, password: str) -> None:
    """Create a consortium and its first manager (how a new deployment starts)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from consortium.accounts.models import Membership, OrgKind, Role
    from consortium.accounts.organisations import create_organisation
    from consortium.accounts.registration import create_user
    from consortium.audit.services import record
    from consortium.errors import DomainError
    from consortium.extensions import db

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone") from exc
    if len(password) < 12:
        raise click.BadParameter("use at least 12 characters", param_hint="--password")
    try:
        with atomic():
            user = create_user(manager_name, manager_email, password)
            org = create_organisation(OrgKind.consortium, name, timezone=timezone)
            db.session.add(Membership(user=user, organisation=org, role=Role.admin))
            record("consortium.created", org, before=None, after={"name": name, "manager": user.email})
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"consortium {org.name!r} created (slug {org.slug}); manager {user.email}")


@click.command("audit-verify")
def audit_verify() -> None:
    """Re-check every audit event's hash and link; exit 1 naming the broken events."""
    from sqlalchemy import func, select

    from consortium.audit.models import AuditEvent
    from consortium.audit.services import verify_chain
    from consortium.extensions import db

    broken = verify_chain()
    total = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    if broken:
        raise click.ClickException(
            f"audit chain broken at event(s) {', '.join(map(str, broken))} of {total}"
        )
    click.echo(f"audit chain intact: {total} events")


@click.command("daily")
def daily() -> None:
    """Lapse overdue contracts and send the day's reminders (run once a day from cron).

    Safe to run again: nothing is lapsed or mailed twice. Exits 1 if a step failed (the
    other steps still ran).
    """
    from consortium.daily import run_daily

    outcomes = run_daily()
    for outcome in outcomes:
        if outcome.error:
            click.echo(f"FAILED {outcome.name}: {outcome.error}", err=True)
        else:
            click.echo(f"{outcome.count:>5}  {outcome.name}")
    if any(o.error for o in outcomes):
        raise SystemExit(1)
