"""In Chromium: a district finds its invoice, records its purchase order, and prints the invoice."""

from __future__ import annotations

import pytest

from consortium.allocation import services as allocation_services
from consortium.awards import services as award_services
from consortium.extensions import db
from consortium.payments.models import Invoice
from consortium.transaction import commit_now
from tests.conftest import screenshot
from tests.consortium.allocation.fakes import fake_solve
from tests.factories import PASSWORD, Make

pytestmark = pytest.mark.browser


def test_a_district_records_a_purchase_order(live_server, page, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = Make().allocation_scenario()
    run = allocation_services.start_run(scenario.solicitation, None, label="r", policy={})
    commit_now()
    allocation_services.perform_run(run.id)
    award = award_services.publish_award(db.session.get(type(run), run.id), None)
    contract = next(c for c in award.contracts if c.district_id == scenario.district_a.org.id)
    award_services.decide_contract(contract, scenario.district_a.user, accept=True)
    commit_now()
    invoice = db.session.query(Invoice).filter_by(contract_id=contract.id).one()
    number = invoice.number

    page.goto(live_server("/login"))
    page.fill("#email", scenario.district_a.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.click("nav >> text=Invoices")
    row = page.locator("tr", has_text=number)
    assert "$6,000.00" in row.inner_text() and "open" in row.inner_text()
    row.locator(f"a:has-text('{number}')").click()
    assert "Record a purchase order" in page.inner_text("main")

    page.click("button:has-text('Record purchase order')")  # nothing typed
    assert "Enter the purchase order number." in page.inner_text("#purchase-order")
    assert page.get_attribute("#po_number", "aria-invalid") == "true"

    page.fill("#po_number", "PO-2026-0457")
    page.click("button:has-text('Record purchase order')")
    assert f"Purchase order PO-2026-0457 recorded on invoice {number}" in page.inner_text(".flashes")
    assert "purchase order PO-2026-0457" in page.inner_text("main")
    screenshot(page, "district-invoice-purchase-order")

    page.click("text=Printable invoice")
    assert "PO-2026-0457" in page.inner_text("body") and "Balance due" in page.inner_text("body")
    assert page.locator("nav").count() == 0  # prints as it shows: no site navigation
    # Its stylesheet loaded (an inline <style> would be blocked by the Content-Security-Policy).
    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") == "flex"
    screenshot(page, "district-invoice-printable")
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).po_number == "PO-2026-0457"
