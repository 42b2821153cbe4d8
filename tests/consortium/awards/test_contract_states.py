"""The contract and run statuses: StrEnums stored as their plain values, and the contract table."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from consortium.allocation.models import AllocationRun, RunStatus
from consortium.allocation.services import start_run
from consortium.awards.models import ContractStatus, next_contract_status
from consortium.extensions import db

P, A, D, L = (ContractStatus.pending, ContractStatus.accepted, ContractStatus.declined,
              ContractStatus.lapsed)


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        (P, "accept", A), (P, "decline", D), (P, "lapse", L),
        (A, "accept", None), (A, "decline", None), (A, "lapse", None),
        (D, "accept", None), (D, "decline", None), (D, "lapse", None),
        (L, "accept", None), (L, "decline", None), (L, "lapse", None),
        ("pending", "accept", A),  # a stored plain value reads the same
    ],
)  # fmt: skip
def test_contract_transitions(status, action, after):
    assert next_contract_status(status, action) == after


def test_run_status_is_an_enum_stored_as_its_value(make, clock):
    scenario = make.allocation_scenario()
    run = start_run(scenario.solicitation, scenario.manager.user, label="enum", policy={})
    db.session.flush()
    stored = db.session.execute(
        text("SELECT status FROM allocation_runs WHERE id = :id"), {"id": run.id}
    ).scalar_one()
    assert stored == "queued"
    db.session.expire_all()
    loaded = db.session.scalars(select(AllocationRun).where(AllocationRun.id == run.id)).one()
    assert loaded.status is RunStatus.queued and loaded.status == "queued"
