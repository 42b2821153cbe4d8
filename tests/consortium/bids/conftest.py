"""A consortium with an open solicitation, two vendors, two districts and two managers."""

from __future__ import annotations

import pytest

from tests.consortium.bids.helpers import World, open_solicitation
from tests.factories import Actor


@pytest.fixture
def world(make, clock) -> World:
    x = make.consortium(name="Prairie Schools Purchasing Consortium")
    y = make.consortium(name="Lakeshore Cooperative")
    return World(
        solicitation=open_solicitation(make, x, clock.now),
        vendor_a=make.vendor(consortium=x, name="Acme Learning"),
        vendor_b=make.vendor(consortium=x, name="BrightPath Education"),
        manager_x=make.manager(x),
        manager_y=make.manager(y),
        district_a=make.district(consortium=x, name="Apple Creek CUSD 5", nces_id="1799001"),
        district_b=make.district(
            consortium=x, name="Birch Valley SD 12", nces_id="1799002", state="IN"
        ),
    )


@pytest.fixture
def as_(app, login):
    """`as_(actor)`: a fresh test client signed in as that actor (None = anonymous)."""

    def client_for(actor: Actor | None):
        client = app.test_client()
        if actor is not None:
            login(client, actor)
        return client

    return client_for
