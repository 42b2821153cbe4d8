"""Contracts that lapse, and the reminders before the signature deadline and before expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consortium.allocation import services as allocation_services
from consortium.audit.models import AuditEvent
from consortium.awards import services
from consortium.awards.models import Award
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from tests.consortium.allocation.fakes import fake_solve


@pytest.fixture
def award(make, clock, monkeypatch) -> tuple[Award, object]:
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = make.allocation_scenario()
    run = allocation_services.start_run(scenario.solicitation, scenario.manager.user, label="r", policy={})
    db.session.flush()
    allocation_services.perform_run(run.id)
    return services.publish_award(run, scenario.manager.user), scenario


def subjects(email: str) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.to == email)))


def test_pending_contracts_lapse_after_the_window(award, clock):
    award, scenario = award
    a = next(c for c in award.contracts if c.district_id == scenario.district_a.org.id)
    services.decide_contract(a, scenario.district_a.user, accept=True)
    assert services.lapse_overdue_contracts() == []
    clock.advance(days=15)
    lapsed = services.lapse_overdue_contracts()
    assert [c.district_id for c in lapsed] == [scenario.district_b.org.id]
    assert a.status == "accepted" and lapsed[0].status == "lapsed"
    assert "contract.lapsed" in db.session.scalars(select(AuditEvent.action)).all()
    assert any(s.startswith("Contract lapsed") for s in subjects(scenario.district_b.email))


def test_signature_and_expiry_reminders_go_out_once(award, clock):
    award, scenario = award
    assert services.send_reminders() == 0
    clock.advance(days=12)  # two days before the window closes
    assert services.send_reminders() == 2
    assert services.send_reminders() == 0
    assert any(s.startswith("Signature due") for s in subjects(scenario.district_a.email))
    a = next(c for c in award.contracts if c.district_id == scenario.district_a.org.id)
    services.decide_contract(a, scenario.district_a.user, accept=True)
    clock.advance(timedelta(days=320))  # within 60 days of the end of the 12-month term
    assert services.send_reminders() == 1
    assert any(s.startswith("Contract expiring") for s in subjects(scenario.district_a.email))
    assert services.send_reminders() == 0
