"""A newcomer registers a district in a real browser, and a manager verifies it."""

import pytest

from consortium.extensions import db
from tests.conftest import screenshot
from tests.factories import PASSWORD, Make

pytestmark = pytest.mark.browser


def test_register_a_district_then_a_manager_verifies_it(live_server, page):
    make = Make()
    consortium = make.consortium(name="Prairie Schools Purchasing Consortium")
    manager = make.manager(consortium, email="manager@prairie.example")
    db.session.commit()

    page.goto(live_server("/"))
    assert "Together, they don't have to." in page.inner_text("h1")
    screenshot(page, "public-home")
    page.click("text=Register your district")
    page.fill("#organisation_name", "Willow Creek School District 40")
    page.select_option("#consortium_id", str(consortium.id))
    page.fill("#name", "Jamie Ortiz")
    page.fill("#email", "jamie@willowcreek.example")
    page.fill("#password", "willow creek reads together")
    page.fill("#confirm", "willow creek reads together")
    page.click("button:has-text('Register')")
    assert "Check the inbox of jamie@willowcreek.example" in page.inner_text(".flashes")
    # The registration is finished from the link mailed to that address.
    import re

    from sqlalchemy import select

    from consortium.notifications.models import OutboxMessage

    db.session.expire_all()
    body = db.session.scalars(select(OutboxMessage.body)
                              .filter_by(to="jamie@willowcreek.example")).one()
    page.goto(re.search(r"https?://[^/\s]+(/register/confirm/\S+)", body).group(1).join(
        [live_server(""), ""]))
    page.click("button:has-text('Confirm and sign in')")

    page.fill("#enrollment", "-1")
    page.click("button:has-text('Save profile')")
    assert "Enrollment (students):" in page.inner_text(".error-summary")
    page.select_option("#state", "IL")
    page.fill("#nces_id", "1741230")
    page.fill("#enrollment", "640")
    page.fill("#schools", "2")
    page.fill("#broadband_mbps", "150")
    page.select_option("#locale", "rural")
    page.click("button:has-text('Save profile')")
    assert "Profile saved." in page.inner_text(".flashes")
    screenshot(page, "district-profile")
    page.click("button:has-text('Sign out')")

    page.goto(live_server("/login"))
    page.fill("#email", manager.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.click("nav >> text=Verification")
    row = page.locator("tr", has_text="Willow Creek School District 40")
    row.locator("text=Verify").click()
    row.locator("button:has-text('Save')").click()
    assert "Willow Creek School District 40 is verified." in page.inner_text(".flashes")
    screenshot(page, "manager-verification")
