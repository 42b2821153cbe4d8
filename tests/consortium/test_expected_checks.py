"""Checks a person expects: a bid names a product of the solicitation's category, a district
with an empty profile is neither verified nor opted in, and pages offer only what may be done."""

from __future__ import annotations

from sqlalchemy import func, select

from consortium.accounts.affiliations import profile_gaps
from consortium.accounts.models import Affiliation
from consortium.bids.models import Bid
from consortium.extensions import db
from consortium.procurement.models import OptIn
from tests.consortium.api.conftest import api  # noqa: F401 - the fixture
from tests.consortium.bids.helpers import bid_form
from tests.consortium.procurement.helpers import text

SCHEDULE = [("999", "12.00"), ("", "9.50")]


def _bids() -> int:
    return db.session.scalar(select(func.count()).select_from(Bid))


def test_a_bid_for_a_product_of_another_category_is_refused_naming_the_field(
        client, login, make, clock):
    solicitation = make.solicitation(title="Math 2027", category="Mathematics")
    vendor = make.vendor()
    lms = make.product(vendor, name="Acme LMS", category="Learning management system")
    math = make.product(vendor, name="Acme Math", category="mathematics ")  # case and spaces aside
    login(client, vendor)
    url = f"/bids/solicitation/{solicitation.id}"
    form = client.get(url).text
    assert "Acme LMS (Learning management system)" in form  # the choice says its category
    response = client.post(url, data=bid_form(lms.id, SCHEDULE))
    assert response.status_code == 400
    page = text(response)
    assert ("Acme LMS is a Learning management system product; this solicitation buys "
            "Mathematics.") in page
    assert 'id="product-error"' in response.text  # named at the field, not only on top
    assert _bids() == 0
    assert client.post(url, data=bid_form(math.id, SCHEDULE)).status_code == 302
    assert _bids() == 1


def test_the_api_applies_the_same_category_rule(api, make, clock):  # noqa: F811
    solicitation = make.solicitation(category="Mathematics")
    vendor = make.vendor()
    lms = make.product(vendor, name="Acme LMS", category="Learning management system")
    response = api(vendor).put(f"/solicitations/{solicitation.id}/bid", json={
        "product_id": lms.id, "tiers_mode": "volume", "capacity": None,
        "tiers": [{"up_to": None, "unit_amount": 900}]})
    assert response.status_code == 422
    assert "this solicitation buys Mathematics" in response.get_json()["errors"]["product_id"][0]
    assert _bids() == 0


def test_a_district_with_an_empty_profile_cannot_be_verified_and_the_manager_sees_why(
        client, login, make):
    manager = make.manager()
    district = make.district(name="Heron Lake SD", status="pending", enrollment=None, state="")
    assert profile_gaps(district.org) == ["state", "enrollment"]
    affiliation = db.session.scalars(select(Affiliation)).one()
    login(client, manager)
    page = text(client.get("/verification"))
    assert "Cannot be verified yet: the profile has no state, enrollment." in page
    response = client.post(f"/verification/{affiliation.id}", data={"decision": "verified"})
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    assert "Heron Lake SD cannot be verified yet: its profile has no state, enrollment." in text(response)
    db.session.refresh(affiliation)
    assert affiliation.status == "pending"
    # Rejecting needs no profile.
    client.post(f"/verification/{affiliation.id}", data={"decision": "rejected"})
    db.session.refresh(affiliation)
    assert affiliation.status == "rejected"


def test_a_district_with_an_empty_profile_cannot_opt_in(client, login, make, clock):
    solicitation = make.solicitation()
    district = make.district(name="Heron Lake SD", state="")  # verified before the rule, say
    login(client, district)
    page = text(client.get(f"/solicitations/{solicitation.id}"))
    assert "Complete Heron Lake SD's profile before opting in: state is missing." in page
    assert "Complete the profile" in page
    response = client.post(f"/solicitations/{solicitation.id}/opt-in",
                           data={"quantity": "100", "version": "0"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(OptIn)) == 0


def test_verified_by_links_to_where_one_applies(client, login, make, clock):
    solicitation = make.solicitation()
    district = make.district(status=None)
    login(client, district)
    response = client.get(f"/solicitations/{solicitation.id}")
    assert "must be verified by" in text(response)
    assert 'href="/org/consortia"' in response.text


def test_the_demand_page_offers_a_bid_only_where_the_vendor_may_bid(client, login, make, clock):
    ours = make.solicitation(title="Reading 2027")  # of the default consortium
    other = make.consortium(name="Northwoods Cooperative")
    theirs = make.solicitation(other, title="Northwoods Reading")
    vendor = make.vendor()  # verified by the default consortium only
    login(client, vendor)
    response = client.get("/bids/demand")
    page = response.text
    assert f'href="/bids/solicitation/{ours.id}">Submit your bid' in page
    assert f"/bids/solicitation/{theirs.id}" not in page
    assert "must be verified by Northwoods Cooperative before it can bid" in text(response)
    assert "apply to Northwoods Cooperative" in text(response)
    # The button's absence matches the POST's answer.
    assert client.get(f"/bids/solicitation/{theirs.id}").status_code == 403


def test_the_solicitation_page_offers_a_bid_only_to_a_vendor_that_may_bid(client, login, make, clock):
    solicitation = make.solicitation(title="Reading 2027")
    other = make.consortium(name="Northwoods Cooperative")
    stranger = make.vendor(consortium=other)
    login(client, stranger)
    response = client.get(f"/solicitations/{solicitation.id}")
    assert "Your sealed bid" not in response.text
    assert "must be verified by" in text(response) and 'href="/org/consortia"' in response.text
    client.post("/logout")
    login(client, make.vendor())
    assert "Your sealed bid" in client.get(f"/solicitations/{solicitation.id}").text
