"""Builders shared by the bids tests: an open solicitation, opt-ins, schedule editor form data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

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
