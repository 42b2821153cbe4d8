"""Products, aggregate demand and eligibility, as vendors, districts and managers see them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consortium.allocation.adapter import eligible_offer_ids, offer_id
from consortium.bids.eligibility import bid_is_eligible
from consortium.bids.models import Product
from consortium.errors import DomainError
from consortium.extensions import db
from tests.consortium.bids.helpers import opt_in


def test_vendor_keeps_products_that_other_vendors_cannot_touch(world, as_):
    vendor_a = as_(world.vendor_a)
    created = vendor_a.post(
        "/bids/products/new",
        data={"name": "Acme Reader", "category": "Literacy", "sku": "AR-1", "description": "K-5"},
    )
    assert created.status_code == 302
    product = db.session.scalars(select(Product)).one()
    assert product.vendor_id == world.vendor_a.org.id
    assert "Acme Reader" in vendor_a.get("/bids/products").text

    vendor_b = as_(world.vendor_b)
    assert "Acme Reader" not in vendor_b.get("/bids/products").text
    assert vendor_b.get(f"/bids/products/{product.id}/edit").status_code == 404
    assert vendor_b.post(f"/bids/products/{product.id}/delete").status_code == 404
    for outsider in (world.district_a, world.manager_x):
        assert as_(outsider).get("/bids/products").status_code == 403

    edited = vendor_a.post(f"/bids/products/{product.id}/edit", data={"name": "Acme Reader Plus"})
    assert edited.status_code == 302
    db.session.refresh(product)
    assert product.name == "Acme Reader Plus"

    invalid = vendor_a.post(f"/bids/products/{product.id}/edit", data={"name": ""})
    assert (
        invalid.status_code == 400
        and "<strong>Name:</strong> This field is required" in invalid.text
    )
    db.session.refresh(product)
    assert product.name == "Acme Reader Plus"

    assert vendor_a.post(f"/bids/products/{product.id}/delete").status_code == 302
    assert db.session.scalars(select(Product)).all() == []


def test_a_product_named_in_a_bid_cannot_be_deleted(world, make, as_):
    bid = make.bid(world.vendor_a, world.solicitation)
    client = as_(world.vendor_a)
    response = client.post(f"/bids/products/{bid.product_id}/delete")
    assert response.status_code == 302
    assert "cannot be deleted" in client.get(response.headers["Location"]).text
    assert db.session.get(Product, bid.product_id) is not None


def test_demand_page_shows_aggregates_and_never_a_district(world, make, as_, clock):
    rural = make.district(
        consortium=world.solicitation.consortium,
        name="Zebulon Rural SD 99",
        nces_id="1766661",
        enrollment=450,
        locale="rural",
    )
    urban = make.district(
        consortium=world.solicitation.consortium,
        name="Quincy Metro Schools",
        nces_id="1766662",
        enrollment=30_000,
        locale="urban",
    )
    opt_in(make, world.solicitation, rural, 450)
    opt_in(make, world.solicitation, urban, 25_000)
    opt_in(make, world.solicitation, world.district_a, 1_100)

    page = as_(world.vendor_b).get("/bids/demand")
    assert page.status_code == 200
    assert world.solicitation.title in page.text
    stats = dict(
        (label, value.replace(",", ""))
        for value, label in re.findall(
            r'class="stat-value">([^<]*)</span>\s*<span class="stat-label">([^<]*)<', page.text
        )
    )
    # A range while opt-ins are open (tests/consortium/hardening/test_momentum_privacy.py).
    assert stats == {"seats committed": "20000 to 50000", "districts opted in": "3"}
    assert "rural" in page.text and "urban" in page.text
    for district in (rural, urban, world.district_a):
        profile = district.org.district_profile
        assert district.org.name not in page.text
        assert district.org.slug not in page.text
        assert profile.nces_id not in page.text
        assert f"/organisations/{district.org.id}" not in page.text

    for outsider in (world.district_a, world.manager_x):
        assert as_(outsider).get("/bids/demand").status_code == 403

    clock.set(world.solicitation.bid_deadline)  # bids closed: no longer listed for bidding
    assert world.solicitation.title not in as_(world.vendor_b).get("/bids/demand").text


@pytest.mark.parametrize(
    ("declarations", "district_state", "eligible"),
    [
        ({}, "IL", True),
        ({}, "IN", True),
        ({}, "TX", False),
        ({"dpa_states": ["TX"]}, "TX", True),
        ({"certifications": ["LTI 1.3"]}, "IL", False),
        ({"accessibility": "WCAG 2.0 AA"}, "IL", True),
        ({"accessibility": "none"}, "IL", False),
    ],
)
def test_bid_eligibility_comes_from_requirements_and_declarations(
    world, make, clock, declarations, district_state, eligible
):
    vendor = make.vendor(consortium=world.solicitation.consortium, **declarations)
    district = make.district(consortium=world.solicitation.consortium, state=district_state)
    bid = make.bid(vendor, world.solicitation)
    assert bid_is_eligible(bid, district.org) is eligible
    assert bid_is_eligible(bid, district.org.district_profile) is eligible

    with pytest.raises(DomainError, match="sealed"):
        eligible_offer_ids(world.solicitation, district.org)
    clock.set(world.solicitation.bid_deadline + timedelta(seconds=1))
    assert (offer_id(bid) in eligible_offer_ids(world.solicitation, district.org)) is eligible


def test_demand_withholds_cells_that_could_single_out_a_district(world, make, as_, clock):
    consortium = world.solicitation.consortium
    lone = make.district(
        consortium=consortium, name="Lone Pine SD", locale="urban", enrollment=40_000
    )
    opt_in(make, world.solicitation, lone, 31_337)
    page = as_(world.vendor_a).get("/bids/demand").text
    assert "Fewer than 3 districts have opted in so far" in page
    assert "31337" not in page.replace(",", "")

    for _ in range(3):
        opt_in(make, world.solicitation, make.district(consortium=consortium, locale="rural"), 100)
    clock.set(world.solicitation.opt_in_deadline)  # exact totals once nothing can change
    page = as_(world.vendor_a).get("/bids/demand").text.replace(",", "")
    assert "31637" in page  # the total, now over 4 districts
    assert "<td>rural</td>" in page
    # The lone urban district's cell is withheld, and so are the rural seats, which would
    # otherwise give it away by subtraction from the total.
    assert "31337" not in page and "<td>300</td>" not in page
    assert "withheld" in page and "fewer than 3" in page


def test_vendor_demand_merges_small_cells():
    from consortium.bids.demand import DemandCell, vendor_demand
    from consortium.procurement.services import Bucket, Momentum

    momentum = Momentum(
        districts=7,
        seats=700,
        by_locale=(Bucket("rural", 4, 400), Bucket("town", 2, 200), Bucket("urban", 1, 100)),
        by_enrollment=(Bucket("under 500", 5, 500), Bucket("500 to 2,499", 2, 200)),
    )
    demand = vendor_demand(momentum, final=True)
    assert demand.by_locale == (
        DemandCell("rural", 4, 400),
        DemandCell("other (town, urban)", 3, 300),
    )
    assert demand.by_enrollment == (
        DemandCell("under 500", 5, None),
        DemandCell("other", None, None),
    )


def test_demand_page_tells_a_vendor_when_its_declarations_fall_short(world, make, as_):
    lacking = make.vendor(consortium=world.solicitation.consortium, certifications=["LTI 1.3"])
    page = as_(lacking).get("/bids/demand").text
    assert "1EdTech OneRoster 1.2 certified." in page
    assert "missing certification: OneRoster 1.2" in page
    fine = as_(world.vendor_a).get("/bids/demand").text
    assert "do not meet" not in fine
    assert "districts in states where you have signed a DPA" in fine and "IL, IN" in fine
