"""In Chromium: the compare page stays short with demo-size data, its chart's labels never
overlap, and the run page's live panel shows progress without moving the reader."""

from __future__ import annotations

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

from consortium.allocation import services  # noqa: E402
from consortium.extensions import db  # noqa: E402
from consortium.procurement.models import OptIn  # noqa: E402
from tests.browser.test_flows import sign_in  # noqa: E402
from tests.consortium.allocation.fakes import dropping_solve, fake_solve, progressing_solve  # noqa: E402
from tests.factories import Make  # noqa: E402

pytestmark = [pytest.mark.browser]

DEMO_DISTRICTS = 84  # the demo's LMS solicitation
LABELS = [
    "Baseline: any group size, no similarity rule",
    "Same locale, groups of 2 to 4 districts, enrollment within 2x",
    "Same state and locale, broadband within 4x, groups of 3 to 8",
    "Pairs only",
    "Enrollment within 4x and broadband within 4x, at least 2 per group",
    "Everything: same locale, same state, enrollment 2x, broadband 2x, 2 to 5",
]


def demo_size_scenario():
    make = Make()
    scenario = make.allocation_scenario()
    for i in range(DEMO_DISTRICTS - 3):
        district = make.district(name=f"Prairie District {i + 1:02d} Community Unit School District",
                                 enrollment=400 + 37 * i)
        db.session.add(OptIn(solicitation=scenario.solicitation, district=district.org,
                             quantity=200 + 11 * i, status="live"))
    db.session.commit()
    return scenario


def test_compare_page_is_short_and_its_chart_labels_do_not_overlap(server, new_page):
    scenario = demo_size_scenario()
    for index, label in enumerate(LABELS):
        run = services.start_run(scenario.solicitation, scenario.manager.user, label=label, policy={})
        db.session.commit()
        solve = fake_solve if index == 0 else dropping_solve(leave_out=10 * index)
        assert services.perform_run(run.id, solve=solve).status == "succeeded"

    page = new_page()
    sign_in(page, server, scenario.manager)
    page.goto(server(f"/solicitations/{scenario.solicitation.id}/allocation/compare"))
    table = page.locator("table.compare")
    expect(table.locator("thead th")).to_have_count(len(LABELS) + 1)
    expect(table).to_contain_text("fewer seats than run “Baseline")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3_000, height
    publish = page.locator("main button:has-text('Publish')").first
    assert publish.bounding_box()["y"] < 1_200  # Publish stays near the top
    # The chart's scenario labels: one row each, none overlapping another.
    boxes = page.eval_on_selector_all(
        "svg.chart text[text-anchor=start][x='8.0']",
        "nodes => nodes.map(n => { const b = n.getBBox(); return [b.x, b.y, b.width, b.height]; })",
    )
    assert len(boxes) == len(LABELS)
    for (_x1, y1, _w1, h1), (_x2, y2, _w2, _h2) in zip(boxes, boxes[1:], strict=False):
        assert y1 + h1 <= y2, (boxes,)
    bars = page.eval_on_selector_all("svg.chart rect", "nodes => nodes.map(n => n.getBBox().x)")
    assert all(x + w <= min(bars) for x, _y, w, _h in boxes), (boxes, bars)
    screenshot(page, "manager-compare-demo-size")
    # A left-out list opens on demand.
    details = table.locator("details").nth(1)
    details.locator("summary").click()
    expect(details.locator("li").first).to_be_visible()


def test_live_panel_shows_progress_and_the_page_keeps_its_scroll_position(server, new_page, monkeypatch):
    monkeypatch.setattr(services, "default_solve", lambda: progressing_solve(steps=10, pause_s=0.8))
    scenario = demo_size_scenario()
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 420})
    sign_in(page, server, scenario.manager)
    page.goto(server(f"/solicitations/{scenario.solicitation.id}/allocation"))
    page.fill("#label", "Slow search")
    page.click("main button:has-text('Start run')")
    expect(page.locator("h1")).to_have_text("Slow search")
    panel = page.frame_locator("#live-panel")
    expect(panel.locator("#live-served")).to_contain_text(re.compile(r"Best so far: Serves [\d,]+ of"))
    expect(panel.locator(".live-charts svg")).to_have_count(2)

    page.evaluate("window.scrollTo(0, 150)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    frame = next(f for f in page.frames if f.url.endswith("/progress"))
    first_load = frame.evaluate("performance.timeOrigin")
    page.wait_for_function(
        "([origin]) => { const f = document.querySelector('#live-panel');"
        " return f.contentWindow.performance.timeOrigin !== origin; }",
        arg=[first_load], timeout=10_000,
    )  # the panel reloaded itself...
    assert page.evaluate("window.scrollY") == scrolled  # ...and the reader stayed where they were
    screenshot(page, "manager-run-live")

    panel.locator("a:has-text('Open the result')").click(timeout=30_000)
    expect(page.locator(".run-state .badge")).to_have_text("succeeded")
    expect(page.locator("main")).to_contain_text("How the search converged")
    expect(page.locator("#served-sentence")).to_contain_text("seats asked for")
