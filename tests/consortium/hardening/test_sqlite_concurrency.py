"""Item 11 of issue 10: the embedded SQLite default never answers 500 to a second user.

Real threads, a real SQLite file, each request through the whole stack (login, forms, the
commit point), as the demo's threaded server runs them.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consortium.allocation import services as allocation_services
from consortium.allocation.models import AllocationRun
from consortium.awards import services as awards
from consortium.awards.models import Contract
from consortium.bids.models import BidVersion
from consortium.clock import now
from consortium.db import import_models
from consortium.extensions import db
from tests.consortium.allocation.fakes import fake_solve
from tests.consortium.bids.helpers import bid_form, open_solicitation
from tests.factories import PASSWORD, Make


@pytest.fixture
def sqlite_app(app_factory):
    path = Path(tempfile.mkdtemp(prefix="consortium-sqlite-")) / "demo.sqlite"
    app = app_factory(database_url=f"sqlite:///{path}")
    import_models()
    with app.app_context():
        db.create_all()
    return app


def _signed_in(app, email: str):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def _at_once(clients, request) -> list[int]:
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def run(n: int, client) -> None:
        barrier.wait(timeout=10)
        statuses.append(request(n, client).status_code)

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_eight_vendors_bidding_at_once_are_all_served(sqlite_app):
    with sqlite_app.app_context():
        make = Make(db.session)
        consortium = make.consortium()
        solicitation = open_solicitation(make, consortium, now(), requirements={})
        vendors = [make.vendor(consortium=consortium) for _ in range(8)]
        products = [make.product(v).id for v in vendors]
        emails = [v.email for v in vendors]
        solicitation_id = solicitation.id
        db.session.commit()
        db.session.remove()
    clients = [_signed_in(sqlite_app, email) for email in emails]
    statuses = _at_once(clients, lambda n, c: c.post(
        f"/bids/solicitation/{solicitation_id}",
        data=bid_form(products[n], [("", f"{10 + n}.00")])))
    assert statuses == [302] * 8
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count(BidVersion.id))) == 8


def test_six_decisions_on_one_contract_at_once_make_one_and_refuse_the_rest(sqlite_app, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    with sqlite_app.app_context():
        scenario = Make(db.session).allocation_scenario()
        run = allocation_services.start_run(scenario.solicitation, None, label="r", policy={})
        db.session.commit()
        allocation_services.perform_run(run.id)
        award = awards.publish_award(db.session.get(AllocationRun, run.id), None)
        db.session.commit()
        contract_id = next(c.id for c in award.contracts
                           if c.district_id == scenario.district_a.org.id)
        email = scenario.district_a.email
        db.session.remove()
    clients = [_signed_in(sqlite_app, email) for _ in range(6)]
    statuses = _at_once(clients, lambda n, c: c.post(
        f"/contracts/{contract_id}/decision", data={"decision": "accept" if n % 2 else "decline",
                                             "confirm": "yes", "reason": "Budget cut."}))
    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(303) == 1, statuses  # one decision; the others are told it is decided
    with sqlite_app.app_context():
        assert db.session.get(Contract, contract_id).status in ("accepted", "declined")
