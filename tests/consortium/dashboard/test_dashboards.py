"""Each role's dashboard: what waits for it, each item linking to where to act."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from consortium.audit.models import AuditEvent
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from tests.consortium.payments.conftest import fake_solver, publish  # noqa: F401 - fixture
from tests.consortium.procurement.helpers import text
from tests.factories import PASSWORD


def _mails(subject_start: str) -> list[str]:
    return list(db.session.scalars(
        select(OutboxMessage.to).where(OutboxMessage.subject.startswith(subject_start))
        .order_by(OutboxMessage.id)))


def test_sign_in_lands_on_the_dashboard(client, make):
    district = make.district()
    response = client.post("/login", data={"email": district.email, "password": PASSWORD})
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard")
    assert 'href="/dashboard" aria-current="page">Dashboard' in page.text
    assert client.get("/login").headers["Location"] == "/dashboard"


def test_empty_dashboards_say_what_to_do_next(client, login, make):
    login(client, make.district(status=None))
    page = text(client.get("/dashboard"))
    assert "has not applied to a consortium yet" in page and "Apply to a consortium" in page
    assert "No contract waits for your decision." in page and "Nothing to pay." in page
    client.post("/logout")
    login(client, make.vendor())
    page = text(client.get("/dashboard"))
    assert "You have not bid yet." in page and "See demand" in page
    client.post("/logout")
    login(client, make.manager())
    page = text(client.get("/dashboard"))
    assert "Nobody waits for verification." in page and "Import districts" in page
    assert "Every awarded district has decided its contract." in page


def test_district_sees_buys_contracts_and_invoices(client, login, make, clock, fake_solver):  # noqa: F811
    awarded = publish(make)
    scenario = awarded.scenario
    a, b = scenario.district_a, scenario.district_b
    open_buy = make.solicitation(title="Math 2027", opt_in_days=5)
    make.opt_in(open_buy, a, quantity=300)
    awarded.accept(b)
    login(client, a)
    response = client.get("/dashboard")
    page = text(response)
    contract = awarded.contract(a)
    assert f'href="/contracts/{contract.id}">{scenario.solicitation.title}' in response.text
    assert "Accept by" in page and "400 seats" in page
    assert f'href="/solicitations/{open_buy.id}">Math 2027' in response.text
    assert "opted in 300 seats per year" in page and "opt-in window closes in 5 days" in page
    assert "Nothing to pay." in page
    client.post("/logout")
    login(client, b)
    response = client.get("/dashboard")
    assert "Invoice" in text(response) and "$9,000.00" in text(response)
    assert "No contract waits for your decision." in text(response)


def test_vendor_sees_openings_bids_and_groups(client, login, make, clock, fake_solver):  # noqa: F811
    awarded = publish(make)
    vendor = awarded.scenario.vendor_a
    open_buy = make.solicitation(title="Math 2027", opt_in_days=5, bid_days=9)
    make.bid(vendor, open_buy)
    login(client, vendor)
    response = client.get("/dashboard")
    page = text(response)
    assert f'href="/bids/solicitation/{open_buy.id}">Math 2027' in response.text
    assert "bid version 1" in page and "bidding closes in 9 days" in page
    assert "receipt of version 1" in page
    group = awarded.award.groups[0]
    assert f'href="/awards/groups/{group.id}">' in response.text and "2 districts" in page


def test_manager_queue_and_the_once_a_day_reminder(client, login, make, clock, fake_solver):  # noqa: F811
    awarded = publish(make)
    scenario = awarded.scenario
    make.district(name="Heron Lake SD", status="pending")
    past = make.solicitation(title="Closed buy", opt_in_days=-5, bid_days=-1)
    login(client, scenario.manager)
    response = client.get("/dashboard")
    page = text(response)
    assert "Heron Lake SD" in page
    assert f'href="/bids/opening/{past.id}">Open the bids' in response.text
    assert "2 of 2 districts undecided" in page
    award = awarded.award
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))

    reminded = client.post(f"/dashboard/awards/{award.id}/remind")
    assert reminded.status_code == 303
    assert sorted(_mails("Please decide your contract")) == sorted(
        [scenario.district_a.email, scenario.district_b.email])
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events + 1
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "award.acceptance_reminded")).one()
    assert event.after["count"] == 2
    assert "the next reminder can go from" in text(client.get("/dashboard"))

    # Once a day per award: a second press is refused and mails nobody.
    again = client.post(f"/dashboard/awards/{award.id}/remind")
    assert again.status_code == 302
    assert "the next one can go from" in text(client.get("/dashboard"))
    assert len(_mails("Please decide your contract")) == 2

    # A day later, only the district still undecided is reminded.
    awarded.accept(scenario.district_a)
    clock.advance(days=1, seconds=1)
    client.post(f"/dashboard/awards/{award.id}/remind")
    assert _mails("Please decide your contract")[2:] == [scenario.district_b.email]


def test_another_consortiums_manager_cannot_remind(client, login, make, clock, fake_solver):  # noqa: F811
    awarded = publish(make)
    other = make.manager(make.consortium(name="Lakeshore Cooperative"))
    login(client, other)
    assert client.post(f"/dashboard/awards/{awarded.award.id}/remind").status_code == 403
    assert _mails("Please decide your contract") == []


def test_contracts_expiring_within_ninety_days(client, login, make, clock, fake_solver):  # noqa: F811
    awarded = publish(make)
    awarded.accept(awarded.scenario.district_a)
    contract = awarded.contract(awarded.scenario.district_a)
    login(client, awarded.manager)
    assert "No accepted contract ends in the next 90 days." in text(client.get("/dashboard"))
    clock.set(clock.now + timedelta(days=(contract.expires_on - clock.now.date()).days - 30))
    response = client.get("/dashboard")
    assert f'href="/contracts/{contract.id}">{awarded.scenario.district_a.org.name}' in response.text


def test_the_dashboard_follows_the_organisation_switcher(client, login, make):
    district = make.district(name="Apple Creek CUSD")
    vendor_org = make.vendor(name="Acme Learning").org
    make.member(vendor_org, user=district.user)
    login(client, district)
    assert "Open group buys" in text(client.get("/dashboard"))
    client.post("/org/switch", data={"organisation_id": vendor_org.id, "next": "/dashboard"})
    page = text(client.get("/dashboard"))
    assert "Acme Learning" in page and "Open for your bids" in page
