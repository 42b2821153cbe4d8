"""Receipt hashes are commitments: content + a secret nonce, never readable before the deadline.

Without a secret part, the SHA-256 of a one-price bid gives the price away to anyone who tries
every price; with a random nonce it does not, and before the deadline no manager sees even that
a vendor bid.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consortium.audit.models import AuditEvent
from consortium.bids.models import Bid, BidVersion
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from tests.consortium.bids.helpers import bid_form

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _sha256_of(payload: dict) -> str:
    """The receipt hash as an outsider recomputes it: canonical JSON, SHA-256."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@pytest.fixture
def sealed(world, make, as_):
    """Vendor A (pending with consortium Y too) bids one flat price, revises it, then withdraws."""
    make.affiliation(world.vendor_a.org, world.manager_y.org, status="pending")
    product = make.product(world.vendor_a, name="Acme Reader")
    vendor = as_(world.vendor_a)
    url = f"/bids/solicitation/{world.solicitation.id}"
    assert vendor.post(url, data=bid_form(product.id, [("", "17.43")])).status_code == 302
    assert vendor.post(url, data=bid_form(product.id, [("", "17.41")])).status_code == 302
    assert vendor.post(f"{url}/withdraw", data={"confirm": "yes"}).status_code == 302
    assert vendor.post(url, data=bid_form(product.id, [("", "17.43")])).status_code == 302
    bid = db.session.scalars(select(Bid)).one()
    assert [v.withdrawn for v in bid.versions] == [False, False, True, False]
    return bid


def test_the_receipt_hash_recomputes_from_the_content_and_the_nonce(world, sealed, as_, clock):
    for version in sealed.versions:
        assert HEX64.match(version.nonce)
        with_nonce = {**version.hash_payload(), "nonce": version.nonce}
        assert version.content_hash == _sha256_of(with_nonce) == version.compute_hash()
        assert version.content_hash != _sha256_of(version.hash_payload())  # the nonce counts
    assert len({v.nonce for v in sealed.versions}) == len(sealed.versions)

    # After opening, anyone reading the opening page recomputes the hash from what it shows.
    clock.set(world.solicitation.bid_deadline)
    manager = as_(world.manager_x)
    assert manager.post(f"/bids/opening/{world.solicitation.id}").status_code == 302
    page = manager.get(f"/bids/opening/{world.solicitation.id}").text
    counting = sealed.versions[-1]
    assert counting.nonce in page
    shown = re.search(r"<dt>Hashed content</dt><dd><code[^>]*>(.*?)</code>", page, re.S)
    hashed = html.unescape(shown.group(1))
    assert json.loads(hashed) == {**counting.hash_payload(), "nonce": counting.nonce}
    assert json.loads(hashed)["tiers"] == [{"up_to": None, "unit_amount": 1743}]
    assert hashlib.sha256(hashed.encode("ascii")).hexdigest() == counting.content_hash
    assert "matches" in page


def _unsaved_version(bid: Bid, **fields) -> BidVersion:
    """A BidVersion that is never written (the stored ones are append-only)."""
    with db.session.no_autoflush:
        version = BidVersion(bid=bid, **fields)
    if version in db.session:
        db.session.expunge(version)
    return version


def _same_content(version: BidVersion, **changes) -> dict:
    fields = {
        name: getattr(version, name)
        for name in ("number", "product_id", "tiers_mode", "tiers", "capacity", "withdrawn")
    }
    return {**fields, **changes}


def test_the_hash_binds_both_the_content_and_the_nonce(world, sealed):
    stored = sealed.versions[-1]
    same = _unsaved_version(sealed, **_same_content(stored, nonce=stored.nonce))
    assert same.compute_hash() == stored.content_hash
    other_nonce = _unsaved_version(sealed, **_same_content(stored, nonce="0" * 64))
    assert other_nonce.compute_hash() != stored.content_hash
    other_price = _unsaved_version(
        sealed,
        **_same_content(stored, nonce=stored.nonce, tiers=[{"up_to": None, "unit_amount": 1742}]),
    )
    assert other_price.compute_hash() != stored.content_hash


def test_two_identical_bids_get_different_hashes(world, sealed):
    stored = sealed.versions[-1]
    first = _unsaved_version(sealed, **_same_content(stored))
    second = _unsaved_version(sealed, **_same_content(stored))
    assert first.hash_payload() == second.hash_payload() == stored.hash_payload()
    assert len({first.nonce, second.nonce, stored.nonce}) == 3
    assert HEX64.match(first.nonce) and HEX64.match(second.nonce)
    assert len({first.compute_hash(), second.compute_hash(), stored.content_hash}) == 3


def test_vendor_revising_to_the_same_price_cannot_be_spotted_by_its_hash(world, make, as_):
    """Same schedule submitted twice: the hashes differ beyond the version number."""
    product = make.product(world.vendor_a)
    vendor = as_(world.vendor_a)
    url = f"/bids/solicitation/{world.solicitation.id}"
    for _ in range(2):
        assert vendor.post(url, data=bid_form(product.id, [("", "17.43")])).status_code == 302
    first, second = db.session.scalars(select(Bid)).one().versions
    assert first.tiers == second.tiers and first.nonce != second.nonce
    assert first.content_hash != second.content_hash


def test_a_version_stored_before_nonces_hashes_its_content_alone(world, sealed):
    """Rows written before the nonce column existed (nonce '') still verify at opening."""
    legacy = _unsaved_version(sealed, **_same_content(sealed.versions[-1], nonce=""))
    assert legacy.compute_hash() == _sha256_of(legacy.hash_payload())


def _manager_pages(world, bid: Bid) -> dict[str, tuple[str, ...]]:
    s = world.solicitation.id
    x_pages = (
        "/audit/",
        "/audit/export.csv",
        "/outbox/",
        "/bids/opening",
        f"/bids/opening/{s}",
        f"/solicitations/{s}",
        "/solicitations/",
        f"/bids/{bid.public_id}",
        f"/bids/{bid.public_id}/receipt/1",
        f"/bids/{bid.public_id}/receipt/4",
        "/",
    )
    return {"manager X": x_pages, "manager Y": ("/audit/", "/audit/export.csv", "/outbox/", "/")}


def test_before_the_deadline_no_manager_learns_anything_of_a_bid(world, sealed, as_, clock):
    """Not the nonce, not the hash, not even that vendor A bid: on every page a manager loads."""
    secrets_of_the_bid = {v.nonce for v in sealed.versions} | {
        v.content_hash for v in sealed.versions
    }
    vendor_name = world.vendor_a.org.name
    clients = {"manager X": as_(world.manager_x), "manager Y": as_(world.manager_y)}
    for moment in ("a day before", "one second before"):
        if moment == "one second before":
            clock.set(world.solicitation.bid_deadline - timedelta(seconds=1))
        leaks = []
        for role, urls in _manager_pages(world, sealed).items():
            for url in urls:
                response = clients[role].get(url)
                text = response.get_data(as_text=True)
                if url.startswith(("/audit", "/outbox", "/bids/opening")):
                    assert response.status_code == 200, (role, url)  # really read, not refused
                found = sorted(s[:8] for s in secrets_of_the_bid if s in text)
                if found:
                    leaks.append(f"{role} reads {found} on {url}")
                if url.startswith("/audit") and (
                    "bid.submitted" in text or "bid.withdrawn" in text or vendor_name in text
                ):
                    leaks.append(f"{role} sees vendor A's bidding on {url}")
        assert not leaks, f"{moment} the deadline: " + "; ".join(leaks)


def test_the_nonce_is_never_in_mail_or_the_audit_trail(world, sealed, as_, clock):
    nonces = [v.nonce for v in sealed.versions]
    clock.set(world.solicitation.bid_deadline)
    assert as_(world.manager_x).post(f"/bids/opening/{world.solicitation.id}").status_code == 302

    mails = list(db.session.scalars(select(OutboxMessage)))
    assert len(mails) == 4  # one receipt per version, to the vendor who acted
    assert {m.to for m in mails} == {world.vendor_a.user.email}
    assert all(m.consortium_id is None for m in mails)  # personal: no consortium's mail
    events = list(db.session.scalars(select(AuditEvent)))
    stored = [f"{m.subject}\n{m.body}" for m in mails] + [
        json.dumps([e.before, e.after, e.object_id]) for e in events
    ]
    assert not [n for n in nonces if any(n in text for text in stored)]
    # The receipt mail carries the hash (it is the vendor's), which alone gives nothing away.
    assert all(v.content_hash in m.body for v, m in zip(sealed.versions, mails, strict=True))

    # After opening the consortium's trail has every receipt, still without a nonce.
    manager = as_(world.manager_x)
    for url in ("/audit/", "/audit/export.csv"):
        text = manager.get(url).get_data(as_text=True)
        assert "bids.opened" in text and all(v.content_hash in text for v in sealed.versions)
        assert not [n for n in nonces if n in text]
    assert not [n for n in nonces if n in manager.get("/outbox/").get_data(as_text=True)]


def test_the_vendor_sees_its_own_nonces_before_opening(world, sealed, as_):
    vendor = as_(world.vendor_a)
    history = vendor.get(f"/bids/{sealed.public_id}").text
    assert all(v.nonce in history for v in sealed.versions)
    for version in sealed.versions:
        receipt = vendor.get(f"/bids/{sealed.public_id}/receipt/{version.number}").text
        assert version.nonce in receipt and version.content_hash in receipt
    # The other vendor does not even learn the bid exists.
    assert as_(world.vendor_b).get(f"/bids/{sealed.public_id}").status_code == 404
