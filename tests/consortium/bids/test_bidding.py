"""Submitting, revising and withdrawing sealed bids through the browser, as each role sees it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consortium.audit.models import AuditEvent
from consortium.bids.models import Bid, BidVersion
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from tests.consortium.bids.helpers import bid_form

SCHEDULE = [("999", "12.00"), ("4999", "9.50"), ("", "8.00")]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_vendor_submits_a_sealed_bid_and_gets_a_receipt(world, make, as_, clock):
    product = make.product(world.vendor_a, name="Acme Reader")
    vendor_a = as_(world.vendor_a)

    form = vendor_a.get(f"/bids/solicitation/{world.solicitation.id}")
    assert form.status_code == 200
    assert 'name="tiers-5-unit_price"' in form.text  # six rows, no JavaScript needed

    response = vendor_a.post(
        f"/bids/solicitation/{world.solicitation.id}",
        data=bid_form(product.id, SCHEDULE, capacity="20000"),
    )
    assert response.status_code == 302
    bid = db.session.scalars(select(Bid)).one()
    version = bid.versions[0]
    assert version.number == 1 and version.tiers == [
        {"up_to": 999, "unit_amount": 1200},
        {"up_to": 4999, "unit_amount": 950},
        {"up_to": None, "unit_amount": 800},
    ]
    assert version.capacity == 20000 and version.submitted_at == clock.now
    assert version.content_hash == version.compute_hash() and len(version.content_hash) == 64

    receipt = vendor_a.get(response.headers["Location"])
    assert receipt.status_code == 200
    assert version.content_hash in receipt.text
    assert clock.now.isoformat() in receipt.text
    assert "$12.00" in receipt.text and "$8.00" in receipt.text  # the tier ladder
    assert "What N seats would cost" in receipt.text

    mail = db.session.scalars(select(OutboxMessage)).one()
    assert mail.to == world.vendor_a.user.email and version.content_hash in mail.body
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bid.submitted")).one()
    assert event.actor_user_id == world.vendor_a.user.id
    assert event.after["content_hash"] == version.content_hash
    assert "tiers" not in event.after  # the audit trail never carries sealed prices


def test_revisions_append_versions_and_the_history_shows_every_hash(world, make, as_, clock):
    product = make.product(world.vendor_a)
    vendor_a = as_(world.vendor_a)
    url = f"/bids/solicitation/{world.solicitation.id}"
    assert vendor_a.post(url, data=bid_form(product.id, SCHEDULE)).status_code == 302
    clock.advance(hours=3)
    assert (
        vendor_a.post(url, data=bid_form(product.id, [("", "7.00")], mode="graduated")).status_code
        == 302
    )

    bid = db.session.scalars(select(Bid)).one()
    assert [v.number for v in bid.versions] == [1, 2]
    assert bid.versions[0].tiers_mode == "volume"  # the first version is untouched
    assert bid.versions[0].content_hash != bid.versions[1].content_hash

    history = vendor_a.get(f"/bids/{bid.public_id}")
    assert all(v.content_hash in history.text for v in bid.versions)
    mine = vendor_a.get("/bids/")
    assert world.solicitation.title in mine.text and bid.versions[1].content_hash in mine.text
    prefilled = vendor_a.get(url)
    assert 'value="7.00"' in prefilled.text
    assert re.search(r'<input checked[^>]*value="graduated"', prefilled.text)


def test_sealed_bid_is_readable_by_its_vendor_only_before_the_deadline(world, make, as_):
    bid = make.bid(world.vendor_a, world.solicitation)
    version = bid.versions[0]
    assert as_(world.vendor_a).get(f"/bids/{bid.public_id}").status_code == 200
    assert as_(world.vendor_a).get(f"/bids/{bid.public_id}/receipt/1").status_code == 200
    for actor in (world.vendor_b, world.manager_x, world.manager_y, world.district_a):
        client = as_(actor)
        for url in (f"/bids/{bid.public_id}", f"/bids/{bid.public_id}/receipt/1"):
            response = client.get(url)
            assert response.status_code == 404, (actor.org.name, url)
            assert version.content_hash not in response.text
    anonymous = as_(None).get(f"/bids/{bid.public_id}")
    assert anonymous.status_code in (302, 401)

    opening = as_(world.manager_x).get(f"/bids/opening/{world.solicitation.id}")
    assert opening.status_code == 200
    assert "sealed until the bid deadline" in opening.text
    assert world.vendor_a.org.name not in opening.text and "$12.00" not in opening.text


def test_only_verified_vendors_may_bid(world, make, as_):
    pending = make.vendor(consortium=world.solicitation.consortium, status="pending")
    product = make.product(pending)
    client = as_(pending)
    url = f"/bids/solicitation/{world.solicitation.id}"
    assert client.get(url).status_code == 403
    assert client.post(url, data=bid_form(product.id, SCHEDULE)).status_code == 403
    assert as_(world.district_a).get(url).status_code == 403
    assert as_(world.manager_x).get(url).status_code == 403
    assert _count(BidVersion) == 0


def test_a_vendor_cannot_bid_with_another_vendors_product(world, make, as_):
    theirs = make.product(world.vendor_b)
    make.product(world.vendor_a)
    response = as_(world.vendor_a).post(
        f"/bids/solicitation/{world.solicitation.id}", data=bid_form(theirs.id, SCHEDULE)
    )
    assert response.status_code == 400
    assert "Product: Not a valid choice" in response.text
    assert _count(Bid) == 0
    both = as_(world.vendor_a).post(
        f"/bids/solicitation/{world.solicitation.id}",
        data=bid_form(theirs.id, [("999", "12.00"), ("", "13.00")]),
    )
    assert "Product: Not a valid choice" in both.text
    assert "Tier 2 unit price: must not be higher than tier 1&#39;s" in both.text


@pytest.mark.parametrize(
    ("rows", "extra", "message"),
    [
        (
            [("999", "12.00"), ("500", "9.00"), ("", "8.00")],
            {},
            "Tier 2 up to (seats): must be more than tier 1&#39;s",
        ),
        (
            [("999", "12.00"), ("1999", "13.00"), ("", "8.00")],
            {},
            "Tier 2 unit price: must not be higher than tier 1&#39;s",
        ),
        (
            [("999", "12.00"), ("1999", "9.00")],
            {},
            "Tier 2 up to (seats): the last tier is unbounded: leave it empty",
        ),
        (
            [("999", "12.00"), ("", ""), ("", "8.00")],
            {},
            "Tier 2 unit price: fill the tiers in order, no gaps",
        ),
        ([("999", ""), ("", "8.00")], {}, "Tier 1 unit price: enter the price per seat"),
        ([("999", "12.005"), ("", "8.00")], {}, "Tier 1 unit price: whole cents only"),
        ([("0", "12.00"), ("", "8.00")], {}, "Tier 1 up to (seats): Between 1 and"),
        ([("abc", "12.00"), ("", "8.00")], {}, "Tier 1 up to (seats): Enter a whole number of seats, e.g. 500."),
        ([("999", "-1"), ("", "8.00")], {}, "Tier 1 unit price: Between $0 and"),
        ([], {}, "Tier 1 unit price: enter at least one tier"),
        ([("", "8.00")], {"capacity": "0"}, "Capacity: Between 1 and"),
        ([("", "8.00")], {"tiers_mode": "flat"}, "Pricing mode: Not a valid choice"),
    ],
)
def test_invalid_schedules_name_the_field_and_change_nothing(
    world, make, as_, rows, extra, message
):
    product = make.product(world.vendor_a)
    client = as_(world.vendor_a)
    url = f"/bids/solicitation/{world.solicitation.id}"
    make.bid(world.vendor_a, world.solicitation, product=product)
    before = [(v.number, v.content_hash) for v in db.session.scalars(select(BidVersion))]
    response = client.post(url, data=bid_form(product.id, rows, **extra))
    assert response.status_code == 400
    assert message in response.text
    assert [(v.number, v.content_hash) for v in db.session.scalars(select(BidVersion))] == before
    assert _count(OutboxMessage) == 0


def test_preview_shows_the_ladder_and_costs_without_submitting(world, make, as_):
    product = make.product(world.vendor_a)
    response = as_(world.vendor_a).post(
        f"/bids/solicitation/{world.solicitation.id}",
        data=bid_form(
            product.id, [("100", "10.00"), ("", "8.00")], mode="graduated", preview="Preview"
        ),
    )
    assert response.status_code == 200
    assert "Preview (not submitted)" in response.text
    # graduated: 101 seats = 100 x $10 + 1 x $8
    assert "<td>101</td><td>$1,008.00</td>" in response.text
    assert _count(Bid) == 0


def test_revisions_after_the_deadline_are_refused_and_change_nothing(world, make, as_, clock):
    product = make.product(world.vendor_a)
    client = as_(world.vendor_a)
    url = f"/bids/solicitation/{world.solicitation.id}"
    assert client.post(url, data=bid_form(product.id, SCHEDULE)).status_code == 302
    clock.set(world.solicitation.bid_deadline)

    response = client.post(url, data=bid_form(product.id, [("", "1.00")]))
    assert response.status_code == 409
    assert "The bid deadline has passed" in response.text
    withdraw = client.post(f"{url}/withdraw", data={"confirm": "yes"})
    assert withdraw.status_code == 302
    assert "The bid deadline has passed" in client.get(withdraw.headers["Location"]).text
    bid = db.session.scalars(select(Bid)).one()
    assert [(v.number, v.withdrawn, v.tiers[-1]["unit_amount"]) for v in bid.versions] == [
        (1, False, 800)
    ]
    assert _count(OutboxMessage) == 1  # the receipt of version 1 only


def test_withdrawal_is_a_version_and_stops_the_bid_counting(world, make, as_, clock):
    from consortium.bids.sealed import counting_bids

    product = make.product(world.vendor_a)
    client = as_(world.vendor_a)
    url = f"/bids/solicitation/{world.solicitation.id}"
    assert client.post(url, data=bid_form(product.id, SCHEDULE)).status_code == 302
    assert client.post(f"{url}/withdraw", data={"confirm": "yes"}).status_code == 302
    bid = db.session.scalars(select(Bid)).one()
    assert [(v.number, v.withdrawn) for v in bid.versions] == [(1, False), (2, True)]
    assert bid.versions[1].content_hash == bid.versions[1].compute_hash()
    make.bid(world.vendor_b, world.solicitation)
    clock.set(world.solicitation.bid_deadline + timedelta(minutes=1))
    assert [b.vendor_id for b, _v in counting_bids(world.solicitation)] == [world.vendor_b.org.id]


def test_forms_carry_csrf_tokens_and_refuse_posts_without_them(world, make, as_, app):
    product = make.product(world.vendor_a)
    client = as_(world.vendor_a)  # signed in before CSRF is switched on
    url = f"/bids/solicitation/{world.solicitation.id}"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(url, data=bid_form(product.id, SCHEDULE)).status_code == 400
        assert _count(BidVersion) == 0
        page = client.get(url).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(url, data=bid_form(product.id, SCHEDULE, csrf_token=token))
        assert response.status_code == 302
        assert _count(BidVersion) == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
