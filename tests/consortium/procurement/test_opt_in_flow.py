"""A district opts in, changes, withdraws and re-joins; what each role sees afterwards."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from consortium.procurement.models import OptIn
from tests.consortium.procurement.helpers import audit_actions, count, mail_to, opt_in_rows, text


@pytest.fixture
def setting(make, clock):
    solicitation = make.solicitation(title="Statewide LMS 2026", opt_in_days=14, bid_days=21)
    return (
        solicitation,
        make.district(name="Apple Creek CUSD", enrollment=800, locale="rural"),
        make.district(name="Birch Valley SD", enrollment=3_000, locale="town"),
    )


def url(solicitation, action: str = "") -> str:
    return f"/solicitations/{solicitation.id}" + (f"/{action}" if action else "")


def test_opt_in_change_withdraw_rejoin(client, login, make, setting):
    solicitation, apple, birch = setting
    login(client, apple)
    page = text(client.get(url(solicitation)))
    assert "Your district has not opted in." in page
    assert "Fewer than 3 districts have opted in so far." in page

    response = client.post(url(solicitation, "opt-in"),
                           data={"quantity": "800", "max_unit_price": "12.50", "version": "0"})
    assert response.status_code == 302
    page = text(client.get(url(solicitation)))
    assert "Your opt-in: live 800 seats per year" in page and "price ceiling $12.50 per unit." in page
    assert "Fewer than 3 districts have opted in so far." in page  # 800 would be Apple Creek's own
    assert opt_in_rows(solicitation) == [(apple.org.id, 800, 1250, "live", 1)]
    assert mail_to(apple.email) == ["Opt-in confirmed: Statewide LMS 2026"]

    client.post(url(solicitation, "opt-in"), data={"quantity": "650", "max_unit_price": "", "version": "1"})
    assert opt_in_rows(solicitation) == [(apple.org.id, 650, None, "live", 2)]
    page = text(client.get(url(solicitation)))
    assert "Your opt-in: live 650 seats per year" in page and "no price ceiling." in page

    client.post(url(solicitation, "withdraw"), data={"version": "2", "confirm": "yes"})
    assert opt_in_rows(solicitation) == [(apple.org.id, 650, None, "withdrawn", 3)]
    page = text(client.get(url(solicitation)))
    assert "Your opt-in: withdrawn" in page
    assert "Opt in again" in page

    client.post(url(solicitation, "opt-in"), data={"quantity": "700", "version": "3"})
    # Still exactly one row for the district: re-joining flips the same row back to live.
    assert opt_in_rows(solicitation) == [(apple.org.id, 700, None, "live", 4)]
    assert audit_actions("opt_in.") == ["opt_in.created", "opt_in.changed", "opt_in.withdrawn",
                                        "opt_in.rejoined"]
    assert mail_to(apple.email) == [
        "Opt-in confirmed: Statewide LMS 2026", "Opt-in changed: Statewide LMS 2026",
        "Opt-in withdrawn: Statewide LMS 2026", "Opt-in confirmed: Statewide LMS 2026",
    ]

    mine = text(client.get("/my/opt-ins"))
    assert "Statewide LMS 2026" in mine and "700 seats per year" in mine and "open" in mine
    client.post("/logout")

    # Another district sees the aggregate (withheld below 3 districts), never Apple Creek's opt-in.
    login(client, birch)
    page = text(client.get(url(solicitation)))
    assert "Your district has not opted in." in page
    assert "Fewer than 3 districts have opted in so far." in page
    assert "Apple Creek" not in page and "700" not in page
    assert "Statewide LMS 2026" not in text(client.get("/my/opt-ins"))
    client.post("/logout")

    # So does the public; once three districts are in, the totals show.
    make.opt_in(solicitation, birch, quantity=300)
    make.opt_in(solicitation, make.district(), quantity=1_000)
    page = text(client.get(url(solicitation)))
    assert "3 districts opted in" in page and "2,000 to 5,000 seats per year committed" in page
    assert "Apple Creek" not in page
    assert "Sign in" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "0"}, "Quantity: At least 1"),
        ({"quantity": "-5"}, "Quantity: At least 1"),
        ({"quantity": ""}, "Quantity: Enter how many units your district commits to."),
        ({"quantity": "lots"}, "Quantity: Not a valid integer value."),
        ({"quantity": "100", "max_unit_price": "-1"}, "Price ceiling per unit (USD): Between $0.01 and $1,000,000 (leave it empty for no ceiling)."),
        ({"quantity": "100", "max_unit_price": "12.345"}, "Price ceiling per unit (USD): Whole cents only"),
        ({"quantity": "100", "max_unit_price": "ten"}, "Price ceiling per unit (USD): Enter a price in dollars, e.g. 12.50."),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(client, login, make, setting, data, message):
    solicitation, apple, _ = setting
    make.opt_in(solicitation, apple, quantity=400, max_unit_amount=900)
    events = len(audit_actions())
    login(client, apple)
    response = client.post(url(solicitation, "opt-in"), data={**data, "version": "1"})
    assert response.status_code == 400
    assert message in text(response)
    assert opt_in_rows(solicitation) == [(apple.org.id, 400, 900, "live", 1)]
    assert len(audit_actions()) == events
    assert mail_to(apple.email) == []


def test_after_the_deadline_nothing_changes(client, login, make, clock, setting):
    solicitation, apple, birch = setting
    make.opt_in(solicitation, apple, quantity=400, max_unit_amount=900)
    clock.set(solicitation.opt_in_deadline)  # the deadline instant itself is too late
    before = opt_in_rows(solicitation)

    login(client, apple)
    page = text(client.get(url(solicitation)))
    assert "Opt-ins closed on" in page and "nothing can change now" in page
    assert f'action="{url(solicitation, "opt-in")}"' not in client.get(url(solicitation)).get_data(as_text=True)
    response = client.post(url(solicitation, "opt-in"), data={"quantity": "999", "version": "1"})
    assert response.status_code == 409
    assert "The opt-in deadline passed on Mar 16, 2026" in text(response)
    response = client.post(url(solicitation, "withdraw"), data={"version": "1", "confirm": "yes"})
    assert response.status_code == 409
    assert "opt-ins can no longer be made, changed or withdrawn" in text(response)
    client.post("/logout")

    login(client, birch)
    response = client.post(url(solicitation, "opt-in"), data={"quantity": "50", "version": "0"})
    assert response.status_code == 409
    assert opt_in_rows(solicitation) == before
    assert audit_actions("opt_in.") == []
    assert mail_to(apple.email) == [] and mail_to(birch.email) == []


def test_one_second_before_the_deadline_is_still_accepted(client, login, clock, setting):
    solicitation, apple, _ = setting
    clock.set(solicitation.opt_in_deadline - timedelta(seconds=1))
    login(client, apple)
    assert client.post(url(solicitation, "opt-in"), data={"quantity": "10"}).status_code == 302
    assert opt_in_rows(solicitation) == [(apple.org.id, 10, None, "live", 1)]


@pytest.mark.parametrize("status", ["pending", "rejected", None])
def test_a_district_not_verified_by_the_consortium_cannot_opt_in(client, login, make, setting, status):
    solicitation, _, _ = setting
    other = make.consortium(name="Lakes Cooperative")
    district = make.district(name="Cedar Falls SD", status=status)
    if status is None:
        make.affiliation(district.org, other)  # verified, but by another consortium
    login(client, district)
    assert "must be verified by" in text(client.get(url(solicitation)))
    response = client.post(url(solicitation, "opt-in"), data={"quantity": "100", "version": "0"})
    assert response.status_code == 403
    assert "Cedar Falls SD must be verified by Prairie Schools Purchasing Consortium" in text(response)
    assert opt_in_rows(solicitation) == []


def test_a_stale_form_is_refused(client, login, make, setting):
    solicitation, apple, _ = setting
    login(client, apple)
    client.post(url(solicitation, "opt-in"), data={"quantity": "100", "version": "0"})
    # A colleague's tab still shows "not opted in" (version 0) and submits.
    response = client.post(url(solicitation, "opt-in"), data={"quantity": "900", "version": "0"})
    assert response.status_code == 409
    assert "changed since you loaded this page" in text(response)
    assert opt_in_rows(solicitation) == [(apple.org.id, 100, None, "live", 1)]
    # The page now shows the current opt-in, so submitting it again works.
    form = response.get_data(as_text=True)
    assert re.search(r'name="version"[^>]*value="1"', form) and 'value="100"' in form
    response = client.post(url(solicitation, "opt-in"), data={"quantity": "900", "version": "1"})
    assert response.status_code == 302
    assert opt_in_rows(solicitation) == [(apple.org.id, 900, None, "live", 2)]


def test_only_district_staff_may_opt_in(client, login, make, setting):
    solicitation, apple, _ = setting
    manager, vendor = make.manager(), make.vendor()
    for actor in (manager, vendor):
        login(client, actor)
        assert client.post(url(solicitation, "opt-in"), data={"quantity": "5"}).status_code == 403
        assert client.post(url(solicitation, "withdraw")).status_code == 403
        assert client.get("/my/opt-ins").status_code == 403
        client.post("/logout")
    response = client.post(url(solicitation, "opt-in"), data={"quantity": "5"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(OptIn) == 0


def test_my_opt_ins_lists_every_consortium_with_phase_and_deadline(client, login, make, clock):
    lakes = make.consortium(name="Prairie Schools Purchasing Consortium")
    cross = make.consortium(name="Great Lakes Cross-Border Cooperative", timezone="America/Toronto")
    district = make.district(consortium=lakes, name="Dune Acres SD")
    make.affiliation(district.org, cross)
    first = make.solicitation(lakes, title="Assessment suite", opt_in_days=3)
    second = make.solicitation(cross, title="Internet access", category="Internet access",
                               unit="Mbps per month", opt_in_days=-1, bid_days=5)
    make.opt_in(first, district, quantity=250)
    make.opt_in(second, district, quantity=1_000, max_unit_amount=450, status="withdrawn")
    login(client, district)
    page = text(client.get("/my/opt-ins"))
    assert page.index("Internet access") < page.index("Assessment suite")  # soonest deadline first
    assert "opt-ins closed" in page and "withdrawn" in page and "$4.50" in page
    assert "Great Lakes Cross-Border Cooperative" in page
    assert "closes in 3 days" in page


def test_the_opt_in_form_carries_a_csrf_token(csrf_app, client, login, setting):
    solicitation, apple, _ = setting
    # Sign in with the token too (CSRF is on for this test).
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": apple.email, "password": "correct horse battery staple",
                                "csrf_token": token})
    response = client.post(url(solicitation, "opt-in"), data={"quantity": "40", "version": "0"})
    assert response.status_code == 400  # no token: refused, nothing written
    assert opt_in_rows(solicitation) == []
    page = client.get(url(solicitation)).get_data(as_text=True)
    form = page[page.index(f'action="{url(solicitation, "opt-in")}"'):]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = client.post(url(solicitation, "opt-in"),
                           data={"quantity": "40", "version": "0", "csrf_token": token})
    assert response.status_code == 302
    assert opt_in_rows(solicitation) == [(apple.org.id, 40, None, "live", 1)]
