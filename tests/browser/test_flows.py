"""End to end in Chromium: a district opts in; a manager runs an allocation and publishes it.

Each role's main page is saved as test-artifacts/screenshots/<role>.png (district, vendor,
manager, public).
"""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.browser.conftest import CHROMIUM, screenshot

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from consortium.extensions import db  # noqa: E402
from tests.factories import PASSWORD, Make  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    # The real optimiser runs in the server's job thread; pricing/ owns PuLP's 4.0 notices.
    pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning"),
]

RUN_TIMEOUT_MS = 30_000


def sign_in(page, server, actor) -> None:
    page.goto(server("/login"))
    page.fill("#email", actor.email)
    page.fill("#password", PASSWORD)
    page.click("main button:has-text('Sign in')")
    expect(page.locator(".flashes")).to_contain_text("Welcome back")


def test_a_district_opts_in_changes_it_and_sees_a_field_error(server, new_page):
    make = Make()
    consortium = make.consortium(name="Prairie Schools Purchasing Consortium")
    district = make.district(consortium=consortium, name="Willow Creek SD 40", enrollment=640)
    solicitation = make.solicitation(consortium, title="K-5 reading intervention 2026-27")
    for name, quantity in (("Oak Ridge CUSD 3", 900), ("Maple Valley SD 12", 1_400)):
        make.opt_in(solicitation, make.district(consortium=consortium, name=name), quantity=quantity)
    db.session.commit()

    page = new_page()
    sign_in(page, server, district)
    page.click("nav >> text=Solicitations")
    page.click(f"text={solicitation.title}")
    expect(page.locator("#your-opt-in")).to_contain_text("has not opted in")

    page.fill("#quantity", "450")
    page.fill("#max_unit_price", "12.50")
    page.click("main button:has-text('Opt in')")
    expect(page.locator(".flashes")).to_contain_text("Willow Creek SD 40 is in: 450")
    expect(page.locator("#your-opt-in")).to_contain_text("450")
    expect(page.locator("#your-opt-in")).to_contain_text("$12.50")

    page.click("nav >> text=Opt-ins")
    row = page.locator("tr", has_text=solicitation.title)
    expect(row).to_contain_text("450")
    expect(row).to_contain_text("$12.50")
    screenshot(page, "district")

    row.locator(f"a:has-text('{solicitation.title}')").click()
    page.fill("#quantity", "600")
    page.fill("#max_unit_price", "")
    page.click("main button:has-text('Save changes')")
    expect(page.locator(".flashes")).to_contain_text("is in: 600")
    expect(page.locator("#your-opt-in")).to_contain_text("600")
    expect(page.locator("#your-opt-in")).to_contain_text("no price ceiling")

    page.fill("#quantity", "0")
    page.click("main button:has-text('Save changes')")
    expect(page.locator("#quantity-error")).to_contain_text("At least 1")
    expect(page.locator("#quantity")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#your-opt-in")).to_contain_text("600")  # nothing changed

    page.click("nav >> text=Opt-ins")
    expect(page.locator("tr", has_text=solicitation.title)).to_contain_text("600")


def wait_for_run(page) -> str:
    """The run page's live panel says when the run is done; open the result, return its status."""
    badge = page.locator(".run-state .badge")
    if not badge.count():  # still working when the page was served: the panel links to the result
        page.frame_locator("#live-panel").locator("a:has-text('Open the result')").click(
            timeout=RUN_TIMEOUT_MS
        )
    expect(badge).to_have_text(re.compile(r"succeeded|failed"), timeout=RUN_TIMEOUT_MS)
    return badge.inner_text()


def test_a_manager_runs_compares_and_publishes_and_anyone_can_verify(server, new_page):
    make = Make()
    scenario = make.allocation_scenario()
    open_one = make.solicitation(title="Chromebook device management 2026", unit="device")
    for district, quantity in ((scenario.district_a, 300), (scenario.district_b, 450),
                               (scenario.district_c, 5_000)):
        make.opt_in(open_one, district, quantity=quantity)
    db.session.commit()
    title = scenario.solicitation.title

    public = new_page()
    public.goto(server("/"))
    expect(public.locator("h1")).to_be_visible()
    screenshot(public, "public")

    page = new_page()
    sign_in(page, server, scenario.manager)
    page.click("nav >> text=Solicitations")
    expect(page.locator("main")).to_contain_text(title)
    screenshot(page, "manager")

    page.click("nav >> text=Runs")
    page.click(f"main a:has-text('{title}')")
    page.fill("#label", "Baseline")
    page.click("main button:has-text('Start run')")
    assert wait_for_run(page) == "succeeded", page.inner_text("main")

    page.click("nav >> text=Runs")
    page.click(f"main a:has-text('{title}')")
    page.fill("#label", "Pairs only")
    page.fill("#min_group_size", "2")
    page.click("main button:has-text('Start run')")
    assert wait_for_run(page) == "succeeded", page.inner_text("main")

    page.click("nav >> text=Runs")
    page.click(f"main a:has-text('{title}')")
    for box in page.locator("input[name=run]").all():
        box.check()
    page.click("main button:has-text('Compare selected runs')")
    table = page.locator("table.compare")
    expect(table.locator("thead")).to_contain_text("Baseline")
    expect(table.locator("thead")).to_contain_text("Pairs only")
    expect(table).to_contain_text("Cedar City Public Schools")  # left out, with its reason
    screenshot(page, "manager-compare")

    page.click("main button:has-text('Publish Baseline')")
    expect(page.locator("h1")).to_contain_text("Publish “Baseline” as the award?")
    page.click("main button:has-text('Publish and mail')")
    expect(page.locator(".flashes")).to_contain_text("The award is published")
    award_id = int(re.search(r"/awards/(\d+)/manage", page.url).group(1))

    outsider = new_page()
    outsider.goto(server(f"/awards/{award_id}"))
    shown = outsider.locator("#input-sha256").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", shown), shown
    downloaded = outsider.request.get(server(f"/awards/{award_id}/input.json"))
    assert downloaded.ok
    assert hashlib.sha256(downloaded.body()).hexdigest() == shown
    screenshot(outsider, "public-verification")

    vendor = new_page()
    sign_in(vendor, server, scenario.vendor_a)
    vendor.click("nav >> text=Demand")
    expect(vendor.locator("main")).to_contain_text(open_one.title)
    screenshot(vendor, "vendor")
    vendor.click("nav >> text=Groups")
    expect(vendor.locator("main")).to_contain_text(title)
