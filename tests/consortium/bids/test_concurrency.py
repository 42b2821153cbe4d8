"""Simultaneous submissions on PostgreSQL: the bid row lock gives each one its own number."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from consortium.accounts.models import Organisation, User
from consortium.bids.models import Bid, BidVersion, Product
from consortium.bids.schedules import Schedule
from consortium.bids.sealed import submit_bid
from consortium.clock import now
from consortium.extensions import db
from consortium.procurement.models import Solicitation
from pricing.types import Tier
from tests.consortium.bids.helpers import open_solicitation
from tests.factories import Make

SUBMITTERS = 8


@pytest.mark.postgres_only
def test_simultaneous_submissions_get_distinct_version_numbers(committing_app):
    make = Make(db.session)
    consortium = make.consortium()
    vendor = make.vendor(consortium=consortium)
    product = make.product(vendor)
    solicitation = open_solicitation(make, consortium, now())
    ids = (vendor.org.id, vendor.user.id, product.id, solicitation.id)
    db.session.commit()
    db.session.remove()

    barrier = threading.Barrier(SUBMITTERS)
    errors: list[BaseException] = []

    def submit(price: int) -> None:
        vendor_id, user_id, product_id, solicitation_id = ids
        with committing_app.app_context():
            try:
                barrier.wait(timeout=10)
                submit_bid(
                    db.session.get(Solicitation, solicitation_id),
                    db.session.get(Organisation, vendor_id),
                    db.session.get(User, user_id),
                    product=db.session.get(Product, product_id),
                    schedule=Schedule("volume", (Tier(None, price),)),
                )
                db.session.commit()
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(1000 + i,)) for i in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []

    assert len(db.session.scalars(select(Bid)).all()) == 1
    versions = db.session.scalars(select(BidVersion).order_by(BidVersion.number)).all()
    assert [v.number for v in versions] == list(range(1, SUBMITTERS + 1))
    assert sorted(v.tiers[0]["unit_amount"] for v in versions) == [
        1000 + i for i in range(SUBMITTERS)
    ]
    assert all(v.content_hash == v.compute_hash() for v in versions)
