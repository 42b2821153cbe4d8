"""`flask daily`: contracts lapse and the day's reminders go out, each exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consortium import daily
from consortium.allocation import services as allocation_services
from consortium.audit.models import AuditEvent
from consortium.awards import services as award_services
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from tests.consortium.allocation.fakes import fake_solve


@pytest.fixture
def scenario(make, clock, monkeypatch):
    """A published award (two pending contracts, 14-day window) in the default consortium."""
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = make.allocation_scenario()
    run = allocation_services.start_run(scenario.solicitation, scenario.manager.user, label="r",
                                        policy={})
    db.session.flush()
    allocation_services.perform_run(run.id)
    award = award_services.publish_award(run, scenario.manager.user)
    db.session.flush()
    return award, scenario


def _subjects(email: str) -> list[str]:
    return list(db.session.scalars(
        select(OutboxMessage.subject).where(OutboxMessage.to == email).order_by(OutboxMessage.id)
    ))


def _written() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(AuditEvent)),
            db.session.scalar(select(func.count()).select_from(OutboxMessage)))


def _daily(runner) -> dict[str, int]:
    result = runner.invoke(args=["daily"])
    assert result.exit_code == 0, result.output
    counts = {}
    for line in result.output.splitlines():
        number, name = line.strip().split("  ", 1)
        counts[name.strip()] = int(number)
    db.session.expire_all()
    return counts


LAPSED, CONTRACT_MAIL, DEADLINE_MAIL, INVOICE_YEARS, INVOICE_MAIL, STRIPE_RETRIES = (
    name for name, _step in daily.STEPS
)
NO_PAYMENTS = {INVOICE_YEARS: 0, INVOICE_MAIL: 0, STRIPE_RETRIES: 0}  # payments (issue 8)


def test_daily_lapses_and_reminds_once(scenario, clock, runner, make):
    award, s = scenario
    clock.advance(days=12)  # two days before the acceptance window closes
    closing = make.solicitation(title="Closing soon", opt_in_days=1)
    make.opt_in(closing, s.district_a, quantity=50)

    assert _daily(runner) == {LAPSED: 0, CONTRACT_MAIL: 2, DEADLINE_MAIL: 1, **NO_PAYMENTS}
    assert "Signature due: " + s.solicitation.title in _subjects(s.district_a.email)
    assert "Opt-in deadline approaching: Closing soon" in _subjects(s.district_a.email)
    assert "Last days to join: Closing soon" in _subjects(s.district_b.email)
    written = _written()
    assert _daily(runner) == {LAPSED: 0, CONTRACT_MAIL: 0, DEADLINE_MAIL: 0, **NO_PAYMENTS}
    assert _written() == written  # nothing mailed or recorded twice

    a = next(c for c in award.contracts if c.district_id == s.district_a.org.id)
    award_services.decide_contract(a, s.district_a.user, accept=True)
    db.session.flush()
    clock.advance(days=3)  # the window has closed: B never decided
    assert _daily(runner) == {LAPSED: 1, CONTRACT_MAIL: 0, DEADLINE_MAIL: 0, **NO_PAYMENTS}
    b = next(c for c in award.contracts if c.district_id == s.district_b.org.id)
    assert (a.status, b.status) == ("accepted", "lapsed")
    assert "Contract lapsed: " + s.solicitation.title in _subjects(s.district_b.email)
    assert _daily(runner)[LAPSED] == 0

    clock.advance(timedelta(days=320))  # within 60 days of the end of the 12-month term
    first = _daily(runner)
    assert (first[CONTRACT_MAIL], first[INVOICE_MAIL]) == (1, 1)  # A's invoice is overdue too
    assert "Contract expiring: " + s.solicitation.title in _subjects(s.district_a.email)
    assert any(subject.startswith("Overdue: invoice") for subject in _subjects(s.district_a.email))
    again = _daily(runner)
    assert (again[CONTRACT_MAIL], again[INVOICE_MAIL]) == (0, 0)


def test_a_failing_step_does_not_stop_the_others(scenario, clock, runner, make, monkeypatch):
    _award, s = scenario
    clock.advance(days=15)
    closing = make.solicitation(title="Closing soon", opt_in_days=1)

    def broken() -> int:
        raise RuntimeError("SMTP template missing")

    monkeypatch.setattr(daily, "STEPS", (daily.STEPS[0], (CONTRACT_MAIL, broken), *daily.STEPS[2:]))
    result = runner.invoke(args=["daily"])
    assert result.exit_code == 1
    assert "FAILED contract reminders" in result.output and "SMTP template missing" in result.output
    db.session.expire_all()
    assert closing.opt_in_reminder_sent_at is not None
    assert {c.status for c in _award.contracts} == {"lapsed"}


def test_an_expired_contract_is_not_called_expiring(scenario, clock):
    award, s = scenario
    for contract in award.contracts:
        award_services.decide_contract(contract, contract.district.memberships[0].user, accept=True)
    clock.advance(timedelta(days=400))  # past the end of the term, never reminded
    assert award_services.send_reminders() == 0
