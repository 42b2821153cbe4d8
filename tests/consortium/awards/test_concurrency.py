"""Two managers publishing at once make one award; two clicks on a contract make one decision."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from consortium.allocation import services as allocation_services
from consortium.allocation.models import AllocationRun
from consortium.awards import services
from consortium.awards.models import Award, Contract
from consortium.errors import DomainError
from consortium.extensions import db
from tests.consortium.allocation.fakes import fake_solve
from tests.factories import Make

PUBLISHERS = 4


def _in_threads(app, count: int, work) -> list[BaseException | str]:
    barrier = threading.Barrier(count)
    outcomes: list[BaseException | str] = []

    def run(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                work(n)
                db.session.commit()
                outcomes.append("ok")
            except BaseException as exc:  # collected and asserted below
                db.session.rollback()
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres_only
def test_concurrent_publish_makes_one_award(committing_app, clock, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = Make(db.session).allocation_scenario()
    run = allocation_services.start_run(scenario.solicitation, None, label="r", policy={})
    db.session.commit()
    allocation_services.perform_run(run.id)
    run_id = run.id
    db.session.remove()

    def publish(_n: int) -> None:
        services.publish_award(db.session.get(AllocationRun, run_id), None)

    outcomes = _in_threads(committing_app, PUBLISHERS, publish)
    assert outcomes.count("ok") == 1
    refusals = [o for o in outcomes if o != "ok"]
    assert all(isinstance(o, DomainError) for o in refusals), refusals
    assert db.session.scalar(select(func.count(Award.id))) == 1
    assert db.session.scalar(select(func.count(Contract.id))) == 2


@pytest.mark.postgres_only
def test_concurrent_decisions_keep_the_first(committing_app, clock, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = Make(db.session).allocation_scenario()
    run = allocation_services.start_run(scenario.solicitation, None, label="r", policy={})
    db.session.commit()
    allocation_services.perform_run(run.id)
    award = services.publish_award(db.session.get(AllocationRun, run.id), None)
    db.session.commit()
    contract_id = next(c.id for c in award.contracts if c.district_id == scenario.district_a.org.id)
    db.session.remove()

    def decide(n: int) -> None:
        contract = db.session.get(Contract, contract_id)
        services.decide_contract(contract, None, accept=n % 2 == 0, reason="Budget cut.")

    outcomes = _in_threads(committing_app, 4, decide)
    assert outcomes.count("ok") == 1
    assert all(isinstance(o, DomainError) for o in outcomes if o != "ok")
    assert db.session.get(Contract, contract_id).status in ("accepted", "declined")
