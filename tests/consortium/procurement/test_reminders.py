"""The "opt-in deadline approaching" mail: once per solicitation, to the right districts."""

from __future__ import annotations

from datetime import timedelta

from consortium.procurement.services import send_deadline_reminders
from tests.consortium.procurement.helpers import audit_actions, mail_to


def test_reminders_go_out_once_when_the_deadline_is_near(make, clock, runner):
    s = make.solicitation(title="Statewide LMS", opt_in_days=3)
    later = make.solicitation(title="Next year's SIS", opt_in_days=30)
    inside = make.district(name="Apple Creek CUSD")
    outside = make.district(name="Birch Valley SD")
    pending = make.district(name="Cedar Falls SD", status="pending")
    make.opt_in(s, inside, quantity=200)

    assert send_deadline_reminders() == []  # three days out: too early
    clock.advance(days=1, hours=1)
    result = runner.invoke(args=["procurement", "remind-deadlines"])
    assert "1 solicitation(s) reminded" in result.output
    assert mail_to(inside.email) == ["Opt-in deadline approaching: Statewide LMS"]
    assert mail_to(outside.email) == ["Last days to join: Statewide LMS"]
    assert mail_to(pending.email) == []
    assert s.opt_in_reminder_sent_at == clock.now
    assert later.opt_in_reminder_sent_at is None
    assert audit_actions("solicitation.reminded") == ["solicitation.reminded"]

    clock.advance(timedelta(hours=5))
    assert send_deadline_reminders() == []  # never twice
    assert len(mail_to(inside.email)) == 1
