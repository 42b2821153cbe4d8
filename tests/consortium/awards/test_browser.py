"""In a real browser: a manager runs, compares and publishes; the district accepts; the vendor looks."""

from __future__ import annotations

import pytest

from consortium.allocation import services as allocation_services
from consortium.extensions import db
from tests.conftest import screenshot
from tests.consortium.allocation.fakes import fake_solve
from tests.factories import PASSWORD, Make

pytestmark = pytest.mark.browser


def sign_in(page, live_server, actor) -> None:
    page.goto(live_server("/login"))
    page.fill("#email", actor.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")


def sign_out(page) -> None:
    page.click("button:has-text('Sign out')")


def test_manager_publishes_the_award_and_each_role_sees_its_part(live_server, page, clock, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = Make().allocation_scenario()
    title = scenario.solicitation.title
    db.session.commit()

    sign_in(page, live_server, scenario.manager)
    page.click("nav >> text=Runs")
    page.click(f"text={title}")
    page.fill("#label", "Same locale")
    page.check("#same_locale")
    page.click("button:has-text('Start run')")
    assert "succeeded" in page.inner_text(".run-state")
    assert "Cedar City Public Schools" in page.inner_text("main")  # left out, with its reason
    screenshot(page, "manager-allocation-run")
    page.click(f"text=All runs of {title}")
    page.check("input[name=run]")
    page.click("button:has-text('Compare selected runs')")
    assert "Savings" in page.inner_text("table")
    screenshot(page, "manager-compare-runs")
    page.click("button:has-text('Publish Same locale')")
    assert "3 districts are mailed now" in page.inner_text("main")  # the confirmation step
    page.click("button:has-text('Publish and mail')")
    assert "The award is published" in page.inner_text(".flashes")
    screenshot(page, "manager-award-contracts")
    page.click("text=savings and equity report")
    assert page.locator("svg.chart").count() == 3
    screenshot(page, "manager-savings-report")
    sign_out(page)

    sign_in(page, live_server, scenario.district_a)
    page.click("nav >> text=Contracts")
    page.click(f"text={title}")
    assert "$2,000.00" in page.inner_text(".stats")  # saved against buying alone
    screenshot(page, "district-award")
    page.click("button:has-text('Accept the contract')")
    assert "Contract accepted." in page.inner_text(".flashes")
    sign_out(page)

    sign_in(page, live_server, scenario.vendor_a)
    page.click("nav >> text=Groups")
    page.click("text=Group 1")
    assert "Apple Creek CUSD" in page.inner_text("table") and "accepted" in page.inner_text("table")
    screenshot(page, "vendor-award-group")
    sign_out(page)

    page.goto(live_server("/awards/"))
    page.click("text=verification")
    assert len(page.inner_text("#input-sha256").strip()) == 64
    screenshot(page, "public-award-verification")
