"""Every bids endpoint with every role, before the bid deadline and after the bids are opened."""

from __future__ import annotations

from datetime import timedelta

import pytest

ROLES = ("anonymous", "district_a", "district_b", "vendor_a", "vendor_b", "manager_x", "manager_y")

# endpoint -> expected status per role, in ROLES order; 302 = sent to the login page.
SEALED = {
    "/bids/products": (302, 403, 403, 200, 200, 403, 403),
    "/bids/products/new": (302, 403, 403, 200, 200, 403, 403),
    "/bids/demand": (302, 403, 403, 200, 200, 403, 403),
    "/bids/": (302, 403, 403, 200, 200, 403, 403),
    "/bids/solicitation/{sid}": (302, 403, 403, 200, 200, 403, 403),
    "/bids/{bid}": (302, 404, 404, 200, 404, 404, 404),
    "/bids/{bid}/receipt/1": (302, 404, 404, 200, 404, 404, 404),
    "/bids/opening": (302, 403, 403, 403, 403, 200, 200),
    "/bids/opening/{sid}": (302, 403, 403, 403, 403, 200, 403),
}
OPENED = {
    **SEALED,
    "/bids/{bid}": (302, 404, 404, 200, 404, 200, 404),
    "/bids/{bid}/receipt/1": (302, 404, 404, 200, 404, 200, 404),
}


def _walk(world, bid, as_, table):
    seen = {}
    for index, role in enumerate(ROLES):
        client = as_(None if role == "anonymous" else getattr(world, role))
        for pattern, expected in table.items():
            url = pattern.format(sid=world.solicitation.id, bid=bid.public_id)
            seen[(role, url)] = (client.get(url).status_code, expected[index])
    return {key: got for key, (got, expected) in seen.items() if got != expected}


@pytest.fixture
def bid(world, make):
    return make.bid(world.vendor_a, world.solicitation)


def test_every_role_before_the_deadline(world, bid, as_):
    assert _walk(world, bid, as_, SEALED) == {}


def test_every_role_after_the_bids_are_opened(world, bid, as_, clock):
    clock.set(world.solicitation.bid_deadline + timedelta(hours=1))
    assert as_(world.manager_x).post(f"/bids/opening/{world.solicitation.id}").status_code == 302
    assert _walk(world, bid, as_, OPENED) == {}


def test_posts_are_refused_to_other_roles(world, bid, make, as_, clock):
    product = make.product(world.vendor_a)
    url = f"/bids/solicitation/{world.solicitation.id}"
    for role in ("district_a", "manager_x", "manager_y"):
        client = as_(getattr(world, role))
        assert client.post(url, data={"product": product.id}).status_code == 403
        assert client.post(f"{url}/withdraw").status_code == 403
        assert client.post(f"/bids/products/{product.id}/delete").status_code == 403
    assert (
        as_(world.vendor_b)
        .post(f"/bids/products/{product.id}/edit", data={"name": "x"})
        .status_code
        == 404
    )
    assert len(bid.versions) == 1


def test_the_opening_list_shows_only_the_managers_consortium(world, bid, as_, clock):
    assert world.solicitation.title not in as_(world.manager_y).get("/bids/opening").text
    before = as_(world.manager_x).get("/bids/opening").text
    assert world.solicitation.title in before and "sealed" in before
    clock.set(world.solicitation.bid_deadline)
    assert "ready to open" in as_(world.manager_x).get("/bids/opening").text


def test_draft_solicitations_do_not_exist_for_vendors(world, as_):
    world.solicitation.status = "draft"
    response = as_(world.vendor_a).get(f"/bids/solicitation/{world.solicitation.id}")
    assert response.status_code == 404
