"""Payments fixtures: a published award to invoice, and the app switched to Stripe (the fake).

`award` is the allocation scenario published (districts A and B in vendor A's group at
$15.00 a seat; A owes $6,000.00 a year, B $9,000.00), with a 1.5 % admin fee. `stripe_app`
points the application at the local fake Stripe: its gateway is the `stripe_gateway`
fixture (the real SDK over HTTP) and the webhook secret is the fake's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from consortium.allocation import services as allocation_services
from consortium.awards import services as award_services
from consortium.awards.models import Award, Contract
from consortium.extensions import db
from consortium.payments import connect
from consortium.payments.models import Invoice
from consortium.payments.wiring import EXTENSION
from tests.consortium.allocation.fakes import fake_solve
from tests.factories import Actor, AllocationScenario
from tests.stripe_fake.fixtures import STRIPE_TEST_KEY

FEE_BPS = 150


@dataclass
class Awarded:
    award: Award
    scenario: AllocationScenario

    def contract(self, district: Actor) -> Contract:
        return next(c for c in self.award.contracts if c.district_id == district.org.id)

    def accept(self, district: Actor) -> Invoice:
        """The district accepts (as the service would from its page); its year-1 invoice."""
        contract = self.contract(district)
        award_services.decide_contract(contract, district.user, accept=True)
        db.session.flush()
        return invoice_of(contract)

    @property
    def manager(self) -> Actor:
        return self.scenario.manager


def invoice_of(contract: Contract, year: int = 1) -> Invoice:
    return db.session.query(Invoice).filter_by(contract_id=contract.id, contract_year=year).one()


def publish(make, *, term_months: int = 12, fee_bps: int = FEE_BPS, **scenario) -> Awarded:
    built = make.allocation_scenario(**scenario)
    built.solicitation.term_months = term_months
    built.solicitation.admin_fee_bps = fee_bps
    run = allocation_services.start_run(built.solicitation, built.manager.user, label="r",
                                        policy={})
    db.session.flush()
    allocation_services.perform_run(run.id)
    award = award_services.publish_award(run, built.manager.user)
    db.session.flush()
    return Awarded(award, built)


@pytest.fixture
def fake_solver(monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)


@pytest.fixture
def awarded(make, clock, fake_solver) -> Awarded:
    return publish(make)


@pytest.fixture
def stripe_app(app, stripe_fake, stripe_gateway, stripe_webhook_secret, monkeypatch):
    """The app in Stripe mode, against the fake (config restored by the `app` fixture)."""
    app.config["SETTINGS"] = app.config["SETTINGS"].replace(
        stripe_secret_key=STRIPE_TEST_KEY, stripe_webhook_secret=stripe_webhook_secret,
        stripe_api_base=stripe_fake.base_url,
    )
    monkeypatch.setitem(app.extensions, EXTENSION, stripe_gateway)
    return app


def onboard(vendor: Actor, stripe_fake) -> str:
    """The vendor's Connect account, made through the app and finished at the fake."""
    account = connect.ensure_account(vendor.org)
    stripe_fake.complete_onboarding(account.account_id)
    connect.refresh(vendor.org)
    db.session.flush()
    return account.account_id
