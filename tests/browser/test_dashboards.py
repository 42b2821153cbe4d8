"""In Chromium: each role signs in and lands on its dashboard; each item leads to its page.

Screenshots: test-artifacts/screenshots/dashboard-<role>.png (district, vendor, manager).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, screenshot

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from consortium.allocation import services as allocation_services  # noqa: E402
from consortium.awards.services import publish_award  # noqa: E402
from consortium.extensions import db  # noqa: E402
from tests.consortium.allocation.fakes import fake_solve  # noqa: E402
from tests.factories import PASSWORD, Make  # noqa: E402

pytestmark = pytest.mark.browser


def sign_in(page, server, actor) -> None:
    page.goto(server("/login"))
    page.fill("#email", actor.email)
    page.fill("#password", PASSWORD)
    page.click("main button:has-text('Sign in')")
    expect(page.locator(".flashes")).to_contain_text("Welcome back")


@pytest.fixture
def world(monkeypatch):
    """An award waiting for signatures, an open buy, a pending applicant, a closed buy."""
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    make = Make()
    scenario = make.allocation_scenario()
    run = allocation_services.start_run(scenario.solicitation, scenario.manager.user,
                                        label="Baseline", policy={})
    db.session.commit()
    run = allocation_services.perform_run(run.id)
    award = publish_award(run, scenario.manager.user)
    consortium = scenario.solicitation.consortium
    open_buy = make.solicitation(consortium, title="Math practice 2027", opt_in_days=6, bid_days=12)
    make.opt_in(open_buy, scenario.district_a, quantity=350)
    make.bid(scenario.vendor_a, open_buy)
    make.district(consortium=consortium, name="Heron Lake SD 12", status="pending")
    make.solicitation(consortium, title="Devices 2026", opt_in_days=-9, bid_days=-2)
    db.session.commit()
    return scenario, award, open_buy


def test_the_district_lands_on_its_dashboard(server, new_page, world):
    scenario, award, open_buy = world
    page = new_page()
    sign_in(page, server, scenario.district_a)
    expect(page).to_have_url(server("/dashboard"))
    contracts = page.locator("#contracts")
    expect(contracts).to_contain_text(scenario.solicitation.title)
    expect(contracts).to_contain_text("Accept by")
    expect(page.locator("#buys")).to_contain_text("opted in 350")
    expect(page.locator("#invoices")).to_contain_text("Nothing to pay")
    screenshot(page, "dashboard-district")
    contracts.locator(f"a:has-text('{scenario.solicitation.title}')").click()
    expect(page.locator("main")).to_contain_text("Accept the contract")


def test_the_vendor_lands_on_its_dashboard(server, new_page, world):
    scenario, award, open_buy = world
    page = new_page()
    sign_in(page, server, scenario.vendor_a)
    expect(page).to_have_url(server("/dashboard"))
    expect(page.locator("#openings")).to_contain_text("Math practice 2027")
    expect(page.locator("#openings")).to_contain_text("bid version 1")
    expect(page.locator("#groups")).to_contain_text(scenario.solicitation.title)
    screenshot(page, "dashboard-vendor")
    page.locator("#bids a:has-text('receipt of version 1')").first.click()
    expect(page.locator("main")).to_contain_text("Version")


def test_the_manager_lands_on_the_queue_and_sends_a_reminder(server, new_page, world):
    scenario, award, open_buy = world
    page = new_page()
    sign_in(page, server, scenario.manager)
    expect(page).to_have_url(server("/dashboard"))
    expect(page.locator("#verifications")).to_contain_text("Heron Lake SD 12")
    expect(page.locator("#deadlines")).to_contain_text("Devices 2026")
    expect(page.locator("#acceptance")).to_contain_text("2 of 2 districts undecided")
    screenshot(page, "dashboard-manager")
    page.click("#acceptance button:has-text('Remind 2 districts')")
    expect(page.locator(".flashes")).to_contain_text("Reminder sent to 2 district(s)")
    expect(page.locator("#acceptance")).to_contain_text("the next reminder can go from")
    page.click("#deadlines a:has-text('Open the bids')")
    expect(page.locator("h1")).to_contain_text("Devices 2026")
