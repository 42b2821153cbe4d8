"""Every page of each demo role fits the screen at 390 px (a phone) and at 1280 px.

The demo is seeded once for the module (the real story: about 150 districts, six vendors,
every phase) and served on a free port. Each role signs in and follows its menu and the
links of the pages it reaches (one page per kind of address: /contracts/38 stands for every
contract), and every page is measured at both widths: the page must not scroll sideways
(`document.documentElement.scrollWidth > window.innerWidth`). Wide tables scroll inside
their own box instead; a failure names the role, the width and the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlparse

import pytest

from tests.browser.conftest import CHROMIUM, SCREENSHOTS, TIMEOUT_MS, Server, serving

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

from consortium import demo  # noqa: E402
from consortium.extensions import db  # noqa: E402
from tests.conftest import _empty_all_tables  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning"),
]

WIDTHS = (1280, 390)
PAGES_PER_ROLE = 40
# Not pages to lay out: downloads, machine formats, signing out, the API reference's JSON.
SKIP = re.compile(
    r"logout|sign-?out|\.json$|\.csv$|\.pdf$|/download|/print$|/api/|/open-data/ocds|/static/"
)
# /bids/TxeEJjDSj0y_VWXGPhgUAw and /contracts/38 are each one kind of page.
OPAQUE = re.compile(r"/[A-Za-z0-9_-]{22}(?=/|$)")

MEASURE = """() => {
  const width = window.innerWidth, wide = [];
  const scroll = document.documentElement.scrollWidth;
  for (const el of scroll > width ? document.querySelectorAll('body *') : []) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 || box.width === 0) continue;
    let clipped = false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (style.overflowX !== 'visible' && p.getBoundingClientRect().right <= width + 1) {
        clipped = true; break;
      }
    }
    if (!clipped) wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
  }
  return {scroll: scroll, inner: width,
          height: document.documentElement.scrollHeight, wide: wide.slice(0, 3)};
}"""


@pytest.fixture(scope="module")
def demo_server(_app) -> Iterator[Server]:
    """The seeded demo, committed and served (emptied again after the module)."""
    with _app.app_context():
        demo.seed()
        try:
            with serving(_app, "layout-server") as running:
                yield running
        finally:
            db.session.remove()
            _empty_all_tables()


def _signed_in(browser, server: Server, email: str, password: str):
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(server("/login"))
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button:has-text('Sign in')")
    page.wait_for_load_state()
    return context, page


def _kind(path: str) -> str:
    """The kind of page: ids and filters (?status=...) aside, the same template."""
    return re.sub(r"\d+", "N", OPAQUE.sub("/ID", path.split("?")[0]))


def _links(page, server: Server) -> list[str]:
    """Same-site GET links of the menu and the main content, as paths (with the query)."""
    hrefs = page.eval_on_selector_all(
        "header nav a[href], main a[href]:not([download])", "els => els.map(e => e.href)"
    )
    paths = []
    for href in hrefs:
        url = urlparse(urljoin(page.url, href))
        if f"{url.scheme}://{url.netloc}" != server.url:
            continue
        path = url.path + (f"?{url.query}" if url.query else "")
        if not SKIP.search(url.path):
            paths.append(path)
    return paths


def _check_role(
    browser, server: Server, role: str, email: str, password: str, kinds: set[str]
) -> tuple:
    """(pages measured, problems) for one login, following links breadth first.

    `kinds` are the kinds of page already measured for this role (by its other demo login),
    so the second district, vendor and manager only add the pages the first did not reach.
    """
    context, page = _signed_in(browser, server, email, password)
    start = urlparse(page.url).path
    queue, problems, measured = [start], [], 0
    try:
        while queue and measured < PAGES_PER_ROLE:
            path = queue.pop(0)
            if _kind(path) in kinds:
                continue
            kinds.add(_kind(path))
            response = page.goto(server(path))
            if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                continue
            measured += 1
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                size = page.evaluate(MEASURE)
                if size["scroll"] > size["inner"]:
                    problems.append(
                        f"{role} at {width} px: {path} is {size['scroll']} px wide "
                        f"(wider than the screen: {', '.join(size['wide']) or 'see the page'})"
                    )
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            queue.extend(p for p in _links(page, server) if _kind(p) not in kinds)
    finally:
        context.close()
    return measured, problems


def test_no_demo_page_scrolls_sideways_at_390_or_1280_px(demo_server, browser):
    measured, problems, kinds = {}, [], {}
    for role, email, password in demo.logins():
        seen = kinds.setdefault(role.rstrip("0123456789"), set())
        measured[role], found = _check_role(browser, demo_server, role, email, password, seen)
        problems.extend(found)
    # The crawl reached each role's pages (district, vendor and manager: dozens of kinds).
    assert all(len(seen) >= 10 for seen in kinds.values()), {k: len(v) for k, v in kinds.items()}
    assert not problems, "\n".join(problems)


def test_bid_opening_shows_the_demo_bids_side_by_side_on_one_screenful(demo_server, browser):
    manager = next(login for login in demo.logins() if login[0] == "manager")
    context, page = _signed_in(browser, demo_server, manager[1], manager[2])
    try:
        page.goto(demo_server("/bids/opening"))
        page.click("main a:has-text('Learning management system')")
        rows = page.locator("table.opening-table tbody tr")
        assert rows.count() >= 5  # the awarded solicitation's five counting bids
        header = page.inner_text("table.opening-table thead")
        for column in ("VENDOR", "TIERS", "CAPACITY", "COST OF", "ELIGIBILITY", "RECEIPT"):
            assert column in header.upper()
        assert "hash matches" in page.inner_text("table.opening-table")
        heights = {}
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            heights[width] = page.evaluate("document.documentElement.scrollHeight")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"bid-opening-{width}.png"), full_page=True)
        # It was 12,500 px of separate blocks; the table plus collapsed receipts is a few screens.
        assert heights[1280] < 3_000 and heights[390] < 4_500, heights
    finally:
        context.close()


def test_the_measure_catches_a_page_wider_than_the_screen(browser):
    """The check itself: a wide table outside a scroll box fails, inside one it passes."""
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        cells = "".join(f"<td>column{i}-with-a-long-word</td>" for i in range(12))
        page.set_content(f"<main><table class='wide'><tr>{cells}</tr></table></main>")
        size = page.evaluate(MEASURE)
        assert size["scroll"] > size["inner"] and "table.wide" in size["wide"]
        page.set_content(f"<main><div style='overflow-x:auto'><table><tr>{cells}</tr></table>"
                         "</div></main>")
        size = page.evaluate(MEASURE)
        assert size["scroll"] <= size["inner"] and size["wide"] == []
    finally:
        context.close()
