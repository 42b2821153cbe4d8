"""In Chromium: every irreversible action stops at a page saying what will happen; going back
changes nothing, confirming does it. No JavaScript is involved."""

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
from tests.browser.test_dashboards import sign_in  # noqa: E402
from tests.consortium.allocation.fakes import fake_solve  # noqa: E402
from tests.factories import Make  # noqa: E402

pytestmark = pytest.mark.browser


def test_a_district_withdraws_only_after_confirming(server, new_page):
    make = Make()
    solicitation = make.solicitation(title="Math practice 2027")
    district = make.district(name="Willow Creek SD 40")
    make.opt_in(solicitation, district, quantity=450)
    db.session.commit()
    page = new_page()
    sign_in(page, server, district)
    page.goto(server(f"/solicitations/{solicitation.id}"))
    page.click("main button:has-text('Withdraw…')")
    expect(page.locator("h1")).to_contain_text("Withdraw Willow Creek SD 40 from Math practice 2027?")
    expect(page.locator(".consequences")).to_contain_text("450 seats per year")
    screenshot(page, "confirm-withdraw-opt-in")
    page.click("text=Go back, change nothing")
    expect(page.locator("#your-opt-in")).to_contain_text("live")
    page.click("main button:has-text('Withdraw…')")
    page.click("button:has-text('Withdraw the opt-in')")
    expect(page.locator("#your-opt-in")).to_contain_text("withdrawn")


def test_a_manager_publishes_and_cancels_after_confirming(server, new_page):
    make = Make()
    draft = make.solicitation(title="Reading 2027", status="draft")
    manager = make.manager()
    db.session.commit()
    page = new_page()
    sign_in(page, server, manager)
    page.goto(server(f"/solicitations/{draft.id}"))
    page.click("main button:has-text('Publish…')")
    expect(page.locator(".consequences")).to_contain_text("frozen")
    page.click("text=Not yet: back to the draft")
    expect(page.locator(".phase-line")).to_contain_text("draft")
    page.click("main button:has-text('Publish…')")
    page.click("main button:has-text('Publish')")
    expect(page.locator(".flashes")).to_contain_text("Published")
    page.click("main button:has-text('Cancel solicitation…')")
    expect(page.locator(".consequences")).to_contain_text("This is final")
    screenshot(page, "confirm-cancel-solicitation")
    page.click("button:has-text('Cancel the solicitation')")
    expect(page.locator(".flashes")).to_contain_text("Solicitation cancelled")


def test_a_vendor_withdraws_a_bid_after_confirming(server, new_page):
    make = Make()
    solicitation = make.solicitation(title="Math practice 2027")
    vendor = make.vendor()
    make.bid(vendor, solicitation)
    db.session.commit()
    page = new_page()
    sign_in(page, server, vendor)
    page.goto(server(f"/bids/solicitation/{solicitation.id}"))
    page.click("button:has-text('Withdraw this bid…')")
    expect(page.locator("h1")).to_contain_text("Withdraw your bid on Math practice 2027?")
    page.click("text=Keep the bid")
    expect(page.locator("main")).not_to_contain_text("(withdrawn)")
    page.click("button:has-text('Withdraw this bid…')")
    page.click("button:has-text('Withdraw the bid')")
    expect(page.locator(".flashes")).to_contain_text("Bid withdrawn")


def test_a_district_declines_with_a_reason_the_manager_reads(server, new_page, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = Make().allocation_scenario()
    run = allocation_services.start_run(scenario.solicitation, scenario.manager.user,
                                        label="Baseline", policy={})
    db.session.commit()
    award = publish_award(allocation_services.perform_run(run.id), scenario.manager.user)
    db.session.commit()
    contract = next(c for c in award.contracts if c.district_id == scenario.district_b.org.id)
    page = new_page()
    sign_in(page, server, scenario.district_b)
    page.goto(server(f"/contracts/{contract.id}"))
    page.click("button:has-text('Decline…')")
    expect(page.locator(".consequences")).to_contain_text("This is final")
    page.click("button:has-text('Decline the contract')")  # no reason given
    expect(page.locator(".field-error")).to_contain_text("Say why your district declines.")
    screenshot(page, "confirm-decline-contract")
    page.fill("#reason", "Our board chose the state contract.")
    page.click("button:has-text('Decline the contract')")
    expect(page.locator("#decline-reason")).to_contain_text("Our board chose the state contract.")
    page.click("button:has-text('Sign out')")
    sign_in(page, server, scenario.manager)
    page.goto(server(f"/awards/{award.id}/manage"))
    expect(page.locator(".decline-reason")).to_contain_text("Our board chose the state contract.")
