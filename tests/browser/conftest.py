"""The real app on a free local port, and Debian's Chromium driven by Playwright.

`server` serves the session's test application (same database as the other tests) with
werkzeug's `make_server` in a background thread; allocation runs execute in the thread-pool
job mode, as they would without Redis. Data must be committed to be seen by the server:
build it with `Make()` and `db.session.commit()`; every table is emptied after each test
(the `committing_app` fixture). The clock is the real one.

`browser` is one Chromium per module; `new_page()` opens a fresh context (its own cookies).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Server:
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@contextmanager
def serving(app: Flask, name: str = "browser-test-server") -> Iterator[Server]:
    """`app` on a free local port in a background thread, until the block ends."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_port}")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture
def server(committing_app: Flask) -> Iterator[Server]:
    previous_mode = committing_app.config.get("JOBS_MODE")
    committing_app.config["JOBS_MODE"] = "thread"
    try:
        with serving(committing_app) as running:
            yield running
    finally:
        committing_app.config["JOBS_MODE"] = previous_mode


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable]:
    """`new_page()`: a page in a fresh browser context (nobody signed in)."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, role: str) -> Path:
    """A full-page screenshot saved as test-artifacts/screenshots/<role>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{role}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
