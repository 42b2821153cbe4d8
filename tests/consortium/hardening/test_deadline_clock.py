"""The deadline burst: on PostgreSQL the database's clock decides an opt-in's deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consortium import clock
from consortium.errors import DomainError
from consortium.procurement import services


@pytest.mark.postgres_only
def test_the_database_clock_decides_even_when_a_web_server_clock_is_behind(app, make, monkeypatch):
    real = datetime.now(UTC)
    solicitation = make.solicitation(status="open", opt_in_days=1, bid_days=2)
    solicitation.opt_in_deadline = real - timedelta(seconds=30)  # passed, by every clock but one
    district = make.district()
    # This web server's clock is an hour slow: by it, the deadline is still ahead.
    slow = lambda: real - timedelta(hours=1)  # noqa: E731
    monkeypatch.setattr(clock, "now", slow)
    monkeypatch.setattr("consortium.procurement.optins.now", slow, raising=False)
    with pytest.raises(DomainError, match="deadline passed"):
        services.upsert_opt_in(district.org, solicitation, 100, None)


@pytest.mark.postgres_only
def test_a_write_before_the_deadline_is_stamped_by_the_database_clock(app, make):
    solicitation = make.solicitation(status="open", opt_in_days=1, bid_days=2)
    district = make.district()
    assert not clock.is_frozen()
    opt_in = services.upsert_opt_in(district.org, solicitation, 100, None)
    assert abs(opt_in.updated_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert opt_in.updated_at < solicitation.opt_in_deadline
