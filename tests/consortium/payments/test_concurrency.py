"""On PostgreSQL: 20 simultaneous acceptances make one invoice (one at Stripe too), and 20
simultaneous "mark paid" clicks make one payment."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from consortium.accounts.models import User
from consortium.allocation import services as allocation_services
from consortium.awards import services as award_services
from consortium.awards.models import Contract
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.payments import lifecycle
from consortium.payments.models import Invoice, Payment
from consortium.payments.wiring import EXTENSION
from consortium.transaction import commit_now
from tests.consortium.allocation.fakes import fake_solve
from tests.consortium.payments.conftest import onboard
from tests.factories import Make
from tests.stripe_fake.fixtures import STRIPE_TEST_KEY

CLICKS = 20


def _at_once(app, work) -> list[BaseException | str]:
    """`work(n)` in CLICKS threads released together, each committing through the helpers."""
    barrier = threading.Barrier(CLICKS)
    outcomes: list[BaseException | str] = []

    def run(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                work(n)
                commit_now()  # and what waited for the commit (the push to Stripe)
                outcomes.append("ok")
            except BaseException as exc:  # collected and asserted below
                db.session.rollback()
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _published(monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = Make(db.session).allocation_scenario()
    scenario.solicitation.admin_fee_bps = 150
    run = allocation_services.start_run(scenario.solicitation, None, label="r", policy={})
    commit_now()
    allocation_services.perform_run(run.id)
    award = award_services.publish_award(db.session.get(type(run), run.id), None)
    commit_now()
    contract = next(c for c in award.contracts if c.district_id == scenario.district_a.org.id)
    return scenario, contract.id


def _accept(contract_id: int, user_id: int):
    def work(_n: int) -> None:
        contract = db.session.get(Contract, contract_id)
        award_services.decide_contract(contract, db.session.get(User, user_id), accept=True)

    return work


@pytest.mark.postgres_only
def test_twenty_acceptances_make_one_invoice(committing_app, clock, monkeypatch):
    scenario, contract_id = _published(monkeypatch)
    user_id = scenario.district_a.user.id
    db.session.remove()
    outcomes = _at_once(committing_app, _accept(contract_id, user_id))
    assert outcomes.count("ok") == 1
    assert all(isinstance(o, DomainError) for o in outcomes if o != "ok"), outcomes
    assert db.session.scalar(select(func.count(Invoice.id))) == 1
    assert db.session.scalar(select(Invoice.status)) == "open"


@pytest.mark.postgres_only
def test_twenty_acceptances_make_one_stripe_invoice(committing_app, clock, monkeypatch, stripe_fake,
                                                    stripe_gateway, stripe_webhook_secret):
    settings = committing_app.config["SETTINGS"]
    committing_app.config["SETTINGS"] = settings.replace(
        stripe_secret_key=STRIPE_TEST_KEY, stripe_webhook_secret=stripe_webhook_secret,
        stripe_api_base=stripe_fake.base_url)
    monkeypatch.setitem(committing_app.extensions, EXTENSION, stripe_gateway)
    try:
        scenario, contract_id = _published(monkeypatch)
        onboard(scenario.vendor_a, stripe_fake)
        commit_now()
        user_id = scenario.district_a.user.id
        db.session.remove()
        outcomes = _at_once(committing_app, _accept(contract_id, user_id))
    finally:
        committing_app.config["SETTINGS"] = settings
    assert outcomes.count("ok") == 1
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.status == "open" and invoice.in_stripe
    assert len(stripe_fake.objects("invoice")) == 1
    assert len(stripe_fake.posts("/v1/invoices")) == 1


@pytest.mark.postgres_only
def test_twenty_mark_paid_clicks_make_one_payment(committing_app, clock, monkeypatch):
    scenario, contract_id = _published(monkeypatch)
    contract = db.session.get(Contract, contract_id)
    award_services.decide_contract(contract, scenario.district_a.user, accept=True)
    commit_now()
    invoice_id = db.session.scalar(select(Invoice.id))
    manager_id = scenario.manager.user.id
    db.session.remove()

    def click(n: int) -> None:
        invoice = db.session.get(Invoice, invoice_id)
        lifecycle.record_payment(
            invoice, amount_cents=invoice.balance_cents, received_on=date(2026, 3, 2),
            method="check", reference=f"Check {n}", user=db.session.get(User, manager_id),
            expected_paid_cents=0,
        )

    outcomes = _at_once(committing_app, click)
    assert outcomes.count("ok") == 1
    assert all(isinstance(o, DomainError) for o in outcomes if o != "ok"), outcomes
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    invoice = db.session.get(Invoice, invoice_id)
    assert (invoice.status, invoice.amount_paid_cents) == ("paid", invoice.total_cents)
