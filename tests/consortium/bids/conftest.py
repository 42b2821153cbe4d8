"""A consortium with an open solicitation, two vendors, two districts and two managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from consortium.procurement.models import OptIn, Solicitation
from tests.factories import Actor

REQUIREMENTS = {
    "dpa_required": True,
    "certifications": ["OneRoster 1.2"],
    "accessibility": "WCAG 2.0 AA",
}


@dataclass
class World:
    solicitation: Any
    vendor_a: Actor
    vendor_b: Actor
    manager_x: Actor
    manager_y: Actor
    district_a: Actor
    district_b: Actor


def open_solicitation(make, consortium, at, **fields) -> Solicitation:
    """An open solicitation: opt-ins close in 5 days, bids in 10."""
    solicitation = Solicitation(
        consortium=consortium,
        title=fields.pop("title", "Reading intervention 2026-27"),
        category="Literacy",
        requirements=fields.pop("requirements", dict(REQUIREMENTS)),
        opt_in_deadline=fields.pop("opt_in_deadline", at + timedelta(days=5)),
        bid_deadline=fields.pop("bid_deadline", at + timedelta(days=10)),
        status=fields.pop("status", "open"),
        published_at=at,
        **fields,
    )
    make._save(solicitation)
    return solicitation


def opt_in(make, solicitation, district: Actor, quantity: int) -> OptIn:
    row = OptIn(solicitation=solicitation, district=district.org, quantity=quantity, status="live")
    make._save(row)
    return row


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


def bid_form(product_id: int, rows: list[tuple[str, str]], *, mode="volume", capacity="", **extra):
    """Form data for the schedule editor: `rows` are (up_to, $ per seat) strings, top first."""
    data = {
        "product": str(product_id),
        "tiers_mode": mode,
        "capacity": capacity,
        "submit": "Submit",
    }
    for index in range(6):
        up_to, price = rows[index] if index < len(rows) else ("", "")
        data[f"tiers-{index}-up_to"] = up_to
        data[f"tiers-{index}-unit_price"] = price
    data.update(extra)
    return data
