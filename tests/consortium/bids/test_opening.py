"""Bid opening: only after the deadline, only by the consortium's managers, hashes beside bids."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from consortium.audit.models import AuditEvent
from consortium.bids.models import AppendOnlyError, BidVersion
from consortium.bids.sealed import counting_bids, counting_version
from consortium.errors import DomainError
from consortium.extensions import db

TIERS_A = [{"up_to": 999, "unit_amount": 1200}, {"up_to": None, "unit_amount": 900}]
TIERS_B = [{"up_to": None, "unit_amount": 1450}]


@pytest.fixture
def two_bids(world, make, clock):
    """Vendor A revised once before the deadline; vendor B bid once."""
    deadline = world.solicitation.bid_deadline
    a = make.bid(
        world.vendor_a,
        world.solicitation,
        tiers=[{"up_to": None, "unit_amount": 2000}],
        submitted_at=deadline - timedelta(days=3),
    )
    make.bid(
        world.vendor_a,
        world.solicitation,
        tiers=TIERS_A,
        capacity=5000,
        submitted_at=deadline - timedelta(seconds=1),
    )
    b = make.bid(
        world.vendor_b, world.solicitation, tiers=TIERS_B, submitted_at=deadline - timedelta(days=1)
    )
    return a, b


def test_counting_bids_is_refused_before_the_deadline(world, two_bids, clock):
    with pytest.raises(DomainError, match="sealed"):
        counting_bids(world.solicitation)
    clock.set(world.solicitation.bid_deadline)
    pairs = counting_bids(world.solicitation)
    assert [(bid.vendor_id, version.number) for bid, version in pairs] == [
        (world.vendor_a.org.id, 2),
        (world.vendor_b.org.id, 1),
    ]


def test_the_counting_version_is_the_last_one_before_the_deadline(world, make, clock):
    deadline = world.solicitation.bid_deadline
    bid = make.bid(world.vendor_a, world.solicitation, submitted_at=deadline - timedelta(hours=1))
    # A version stamped at or after the deadline (it cannot be submitted; a factory can write it).
    make.bid(
        world.vendor_a,
        world.solicitation,
        tiers=[{"up_to": None, "unit_amount": 1}],
        submitted_at=deadline,
    )
    assert counting_version(bid).number == 1


def test_opening_before_the_deadline_is_refused(world, two_bids, as_):
    manager = as_(world.manager_x)
    response = manager.post(f"/bids/opening/{world.solicitation.id}")
    assert response.status_code == 302
    page = manager.get(response.headers["Location"])
    assert "Bids stay sealed until the bid deadline" in page.text
    db.session.refresh(world.solicitation)
    assert world.solicitation.status == "open"
    assert world.vendor_a.org.name not in page.text


def test_manager_opens_bids_and_sees_each_hash_beside_a_recomputed_one(world, two_bids, as_, clock):
    a, b = two_bids
    clock.set(world.solicitation.bid_deadline + timedelta(minutes=5))
    for outsider in (world.manager_y, world.vendor_a, world.district_a):
        assert as_(outsider).post(f"/bids/opening/{world.solicitation.id}").status_code == 403
    db.session.refresh(world.solicitation)
    assert world.solicitation.status == "open"

    manager = as_(world.manager_x)
    # Past the deadline but not opened: still sealed for the manager.
    assert manager.get(f"/bids/{a.public_id}").status_code == 404
    assert "Open bids" in manager.get(f"/bids/opening/{world.solicitation.id}").text

    assert manager.post(f"/bids/opening/{world.solicitation.id}").status_code == 302
    db.session.refresh(world.solicitation)
    assert world.solicitation.status == "bids_opened"
    assert world.solicitation.bids_opened_at == clock.now

    page = manager.get(f"/bids/opening/{world.solicitation.id}")
    assert page.status_code == 200
    counting_a = a.versions[1]
    for vendor, version in ((world.vendor_a, counting_a), (world.vendor_b, b.versions[0])):
        assert vendor.org.name in page.text
        assert page.text.count(version.content_hash) == 2  # the receipt and the recomputed hash
    assert a.versions[0].content_hash not in page.text  # superseded versions do not count
    # Each bid: "hash matches" in the side-by-side table, on its receipt's summary and beside
    # the recomputed hash.
    assert page.text.count("matches") == 3 * 2 and "DOES NOT MATCH" not in page.text
    assert "$12.00" in page.text and "$14.50" in page.text and "5,000 seats" in page.text
    side_by_side = re.search(r'class="table opening-table">.*?<tbody>(.*?)</tbody>', page.text, re.S)
    assert side_by_side.group(1).count("<tr>") == 2  # one line per counting bid
    assert "may serve all" in side_by_side.group(1) or "no district opted in" in side_by_side.group(1)
    assert "OneRoster 1.2" in page.text and "WCAG 2.1 AA" in page.text  # declarations shown

    # After opening, the manager may read each bid; other vendors still may not.
    assert manager.get(f"/bids/{a.public_id}").status_code == 200
    assert as_(world.vendor_b).get(f"/bids/{a.public_id}").status_code == 404
    assert as_(world.manager_y).get(f"/bids/{a.public_id}").status_code == 404
    assert as_(world.manager_y).get(f"/bids/opening/{world.solicitation.id}").status_code == 403

    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.consortium_id == world.solicitation.consortium_id
        )
    ).all()
    assert "solicitation.bids_opened" in actions and "bids.opened" in actions
    opened = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bids.opened")).one()
    assert {row["counting_version"] for row in opened.after["bids"]} == {1, 2}

    # Opening twice is refused and changes nothing.
    again = manager.post(f"/bids/opening/{world.solicitation.id}")
    assert again.status_code == 302
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "bids.opened")
    ).all() == [opened]


def test_an_altered_bid_shows_that_its_hash_no_longer_matches(world, two_bids, as_, clock):
    a, _b = two_bids
    clock.set(world.solicitation.bid_deadline)
    manager = as_(world.manager_x)
    manager.post(f"/bids/opening/{world.solicitation.id}")
    version = db.session.scalars(
        select(BidVersion).where(BidVersion.bid_id == a.id, BidVersion.number == 2)
    ).one()
    # The ORM refuses to change a stored version; someone with database access can still try.
    with pytest.raises(AppendOnlyError), db.session.begin_nested():
        version.tiers = [{"up_to": 999, "unit_amount": 1}, {"up_to": None, "unit_amount": 1}]
        db.session.flush()
    db.session.execute(
        update(BidVersion.__table__)
        .where(BidVersion.__table__.c.id == version.id)
        .values(tiers=[{"up_to": 999, "unit_amount": 1100}, {"up_to": None, "unit_amount": 900}])
    )
    db.session.expire_all()
    page = manager.get(f"/bids/opening/{world.solicitation.id}")
    assert "DOES NOT MATCH" in page.text
    assert version.content_hash in page.text and version.compute_hash() in page.text


def test_vendors_see_their_own_history_with_hashes_after_the_deadline(world, two_bids, as_, clock):
    a, _b = two_bids
    clock.set(world.solicitation.bid_deadline + timedelta(days=1))
    page = as_(world.vendor_a).get(f"/bids/{a.public_id}")
    assert page.status_code == 200
    assert all(v.content_hash in page.text for v in a.versions)
    assert "Version 2 counts" in page.text


def test_after_opening_the_vendor_sees_its_receipt_hash_checked(world, two_bids, as_, clock):
    a, _b = two_bids
    clock.set(world.solicitation.bid_deadline)
    vendor = as_(world.vendor_a)
    assert "At bid opening" not in vendor.get(f"/bids/{a.public_id}").text
    as_(world.manager_x).post(f"/bids/opening/{world.solicitation.id}")
    page = vendor.get(f"/bids/{a.public_id}").text
    assert "At bid opening" in page and "matches" in page
    assert page.count(a.versions[1].content_hash) == 3  # history, receipt and recomputed


def test_opening_lines_price_the_committed_demand_and_count_who_each_bid_may_serve(
    world, make, clock
):
    from consortium.bids.opening import opened_bids, opening_lines

    # Vendor B has no DPA for Indiana, where Birch Valley is.
    world.vendor_b.org.vendor_profile.dpa_states = ["IL"]
    make.opt_in(world.solicitation, world.district_a, quantity=600)
    make.opt_in(world.solicitation, world.district_b, quantity=700)
    deadline = world.solicitation.bid_deadline
    make.bid(world.vendor_a, world.solicitation, tiers=TIERS_A, capacity=1000,
             submitted_at=deadline - timedelta(hours=1))
    make.bid(world.vendor_b, world.solicitation, tiers=TIERS_B,
             submitted_at=deadline - timedelta(hours=1))
    clock.set(deadline + timedelta(minutes=1))
    lines = {line.opened.bid.vendor_id: line for line in
             opening_lines(world.solicitation, opened_bids(world.solicitation))}
    a, b = lines[world.vendor_a.org.id], lines[world.vendor_b.org.id]
    assert (a.demand, a.cost, a.average) == (1_300, 1_300 * 900, 900)  # volume: tier 2 for all
    assert a.over_capacity and not b.over_capacity
    assert (a.eligible_districts, a.districts, a.problems) == (2, 2, ())
    assert (b.cost, b.eligible_districts, b.problems) == (1_300 * 1_450, 1, ("no signed DPA for IN",))
    assert [(t.low, t.high, t.unit_amount) for t in a.tiers] == [(1, 999, 1200), (1000, None, 900)]
