"""Item 3 of issue 10: bid submissions and withdrawals are audited, and a manager cannot tell
whether or when a vendor bid before the bid deadline, from anything the trail shows.

Seen from a manager's own exports before and after the deadline, and re-verified from the
CSV alone, as an outsider would.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consortium.audit.services import verify_chain
from consortium.bids.models import Bid
from consortium.extensions import db
from tests.consortium.audit.helpers import export, verify_from_csv
from tests.consortium.bids.helpers import bid_form, open_solicitation


@pytest.fixture
def market(app, make, clock, login):
    consortium = make.consortium()
    manager, vendor = make.manager(consortium), make.vendor(consortium=consortium)
    solicitation = open_solicitation(make, consortium, clock.now, requirements={})
    product = make.product(vendor)
    managers, vendors = app.test_client(), app.test_client()
    login(managers, manager)
    login(vendors, vendor)
    return solicitation, product, managers, vendors


def test_before_the_deadline_the_trail_a_manager_reads_is_exactly_as_if_nobody_bid(
        market, clock):
    solicitation, product, managers, vendors = market
    before = export(managers)
    page_before = managers.get("/audit/").text

    assert vendors.post(f"/bids/solicitation/{solicitation.id}",
                        data=bid_form(product.id, [("", "12.00")])).status_code == 302
    clock.advance(minutes=5)
    assert vendors.post(f"/bids/solicitation/{solicitation.id}/withdraw", data={"confirm": "yes"}).status_code == 302
    clock.advance(minutes=5)
    # A visible event after the hidden ones: its place in the chain must not show a gap.
    assert managers.post("/manage/clauses/new", data={"title": "Termination",
                                                      "body": "90 days."}).status_code == 302

    after = export(managers)
    assert after[: len(before)] == before
    new = after[len(before):]
    assert [r["action"] for r in new] == ["clause.created"]
    same_chain = [r for r in before if r["chain"] == new[0]["chain"]]
    assert int(new[0]["seq"]) == len(same_chain) + 1
    assert new[0]["prev_hash"] == (same_chain[-1]["hash"] if same_chain else "0" * 64)
    assert "id" not in after[0]  # no global sequence number at all
    verify_from_csv(after)
    page = managers.get("/audit/").text
    assert "bid." not in page and "bid." not in page_before
    bid = db.session.scalars(select(Bid)).one()
    assert bid.public_id not in page and bid.public_id not in str(after)


def test_after_the_deadline_the_bid_events_appear_in_their_own_verifiable_chain(market, clock):
    solicitation, product, managers, vendors = market
    vendors.post(f"/bids/solicitation/{solicitation.id}", data=bid_form(product.id, [("", "12.00")]))
    clock.advance(minutes=5)
    vendors.post(f"/bids/solicitation/{solicitation.id}/withdraw", data={"confirm": "yes"})
    clock.advance(minutes=5)
    vendors.post(f"/bids/solicitation/{solicitation.id}", data=bid_form(product.id, [("", "11.00")]))
    clock.set(solicitation.bid_deadline + timedelta(minutes=1))

    rows = export(managers)
    sealed = [r for r in rows if r["chain"] == f"bids-{solicitation.id}"]
    assert [r["action"] for r in sealed] == ["bid.submitted", "bid.withdrawn", "bid.submitted"]
    bid = db.session.scalars(select(Bid)).one()
    assert {r["object_id"] for r in sealed} == {bid.public_id}
    assert all("tiers" not in r["after"] and "nonce" not in r["after"] for r in sealed)
    verify_from_csv(rows)
    assert verify_chain() == []
    assert "bid.submitted" in managers.get("/audit/").text


def test_another_consortium_never_reads_the_bid_events(market, make, login, app, clock):
    solicitation, product, _managers, vendors = market
    other = app.test_client()
    login(other, make.manager(make.consortium()))
    vendors.post(f"/bids/solicitation/{solicitation.id}", data=bid_form(product.id, [("", "12.00")]))
    clock.set(solicitation.bid_deadline + timedelta(minutes=1))
    assert not [r for r in export(other) if r["action"].startswith("bid.")]


def test_bid_ids_in_urls_are_opaque(market, make, login, app):
    solicitation, product, _managers, vendors = market
    vendors.post(f"/bids/solicitation/{solicitation.id}", data=bid_form(product.id, [("", "12.00")]))
    second = make.vendor(consortium=solicitation.consortium)
    bidder = app.test_client()
    login(bidder, second)
    bidder.post(f"/bids/solicitation/{solicitation.id}",
                data=bid_form(make.product(second).id, [("", "10.00")]))
    first_bid, second_bid = db.session.scalars(select(Bid).order_by(Bid.id)).all()
    for bid in (first_bid, second_bid):
        assert len(bid.public_id) >= 16 and not bid.public_id.isdigit()
    assert vendors.get(f"/bids/{first_bid.public_id}").status_code == 200
    assert vendors.get(f"/bids/{first_bid.id}").status_code == 404
    assert vendors.get(f"/bids/{second_bid.public_id}").status_code == 404  # not theirs


def test_bids_through_the_api_and_a_csv_upload_go_to_the_sealed_chain_like_the_pages(
        market, make, clock, app):
    """Issue 9's ways in (PUT/DELETE /api/v1/.../bid, the schedule upload) call the same
    service: before the deadline the manager's trail is unchanged, after it the bid chain
    holds every submission and withdrawal, whole and verifiable."""
    import io

    from consortium.accounts.tokens import create_token

    solicitation, product, managers, vendors = market
    before = export(managers)
    token = create_token(product.vendor.memberships[0].user, "ERP", product.vendor).plaintext
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/solicitations/{solicitation.id}/bid"
    body = {"product_id": product.id, "tiers_mode": "volume", "capacity": None,
            "tiers": [{"up_to": None, "unit_amount": 1200}]}
    assert api.put(path, json=body, headers=headers).status_code == 200
    clock.advance(minutes=5)
    assert api.delete(path, headers=headers).status_code == 200
    clock.advance(minutes=5)
    upload = vendors.post(f"/bids/solicitation/{solicitation.id}/schedule", data={
        "upload-product": str(product.id), "upload-tiers_mode": "volume", "upload-submit": "y",
        "upload-file": (io.BytesIO(b"up_to,unit_price\n,11.00\n"), "tiers.csv")},
        content_type="multipart/form-data")
    assert upload.status_code == 302
    assert export(managers) == before  # not even that anybody bid

    clock.set(solicitation.bid_deadline + timedelta(minutes=1))
    rows = export(managers)
    sealed = [r for r in rows if r["chain"] == f"bids-{solicitation.id}"]
    assert [r["action"] for r in sealed] == ["bid.submitted", "bid.withdrawn", "bid.submitted"]
    assert {r["object_id"] for r in sealed} == {db.session.scalars(select(Bid)).one().public_id}
    assert not [r for r in rows if r["action"].startswith("bid.") and r["chain"] != f"bids-{solicitation.id}"]
    verify_from_csv(rows)
    assert verify_chain() == []
