"""The opt-in service's own guarantees, below the pages."""

from __future__ import annotations

import pytest

from consortium.errors import DomainError
from consortium.procurement import optins
from consortium.procurement.services import upsert_opt_in, withdraw_opt_in
from tests.consortium.procurement.helpers import opt_in_rows


def test_a_racing_insert_becomes_a_change_not_a_duplicate(make, clock, monkeypatch):
    # Where FOR UPDATE is a no-op (SQLite), two requests may both see "no opt-in yet"; the
    # unique constraint stops the second insert and the service turns it into a change.
    solicitation = make.solicitation()
    district = make.district()
    make.opt_in(solicitation, district, quantity=100)
    real, calls = optins._existing, []

    def stale_first_read(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(optins, "_existing", stale_first_read)
    row = upsert_opt_in(district.org, solicitation, 250, None)
    assert (row.quantity, row.version) == (250, 2)
    assert opt_in_rows(solicitation) == [(district.org.id, 250, None, "live", 2)]


def test_the_service_checks_its_own_input(make, clock):
    solicitation, district = make.solicitation(), make.district()
    with pytest.raises(DomainError) as error:
        upsert_opt_in(district.org, solicitation, 0, None)
    assert error.value.field == "quantity"
    with pytest.raises(DomainError) as error:
        upsert_opt_in(district.org, solicitation, 5, -1)
    assert error.value.field == "max_unit_price"
    with pytest.raises(DomainError, match="no live opt-in to withdraw"):
        withdraw_opt_in(district.org, solicitation)
    with pytest.raises(DomainError, match="Only a district can opt in"):
        upsert_opt_in(make.vendor().org, solicitation, 5, None)
    assert opt_in_rows(solicitation) == []


def test_an_unchanged_submission_writes_nothing(make, clock):
    solicitation, district = make.solicitation(), make.district()
    upsert_opt_in(district.org, solicitation, 10, 500)
    row = upsert_opt_in(district.org, solicitation, 10, 500)
    assert row.version == 1
