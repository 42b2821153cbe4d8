"""The bid form's errors in a vendor's words: the field named as on screen, each said once."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from consortium.bids.forms import field_label
from consortium.bids.models import Bid
from consortium.bounds import MAX_SEATS
from consortium.extensions import db
from tests.consortium.bids.helpers import bid_form


def _summary(page: str) -> list[str]:
    box = re.search(r'<div class="error-summary".*?</ul>', page, flags=re.S)
    assert box, "the form shows an error summary"
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
            for item in re.findall(r"<li>(.*?)</li>", box.group(0), flags=re.S)]


def _post(world, as_, product, rows, **extra):
    client = as_(world.vendor_a)
    response = client.post(f"/bids/solicitation/{world.solicitation.id}",
                           data=bid_form(product.id, rows, **extra))
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Bid)) == 0  # nothing saved
    return response.get_data(as_text=True)


def test_fields_are_named_in_words():
    assert field_label("tiers-1-unit_price") == "Tier 2 unit price"
    assert field_label("tiers-0-up_to") == "Tier 1 up to (seats)"
    assert field_label("capacity") == "Capacity"
    assert field_label("tiers_mode") == "Pricing mode"


def test_a_dearer_tier_names_the_tier_above_in_words(world, make, as_):
    product = make.product(world.vendor_a)
    page = _post(world, as_, product, [("999", "12.00"), ("", "13.00")])
    assert _summary(page) == ["Tier 2 unit price: must not be higher than tier 1's"]
    assert "tiers-1-unit_price:" not in page


def test_a_capacity_out_of_range_is_reported_once(world, make, as_):
    product = make.product(world.vendor_a)
    page = _post(world, as_, product, [("", "8.00")], capacity="2000000000")
    capacity = [line for line in _summary(page) if line.startswith("Capacity")]
    assert capacity == [f"Capacity: Between 1 and {MAX_SEATS:,} seats."]
    assert f"at most {MAX_SEATS:,} seats (or empty" not in page  # the schedule rule does not repeat it


def test_letters_in_a_price_say_what_to_type(world, make, as_):
    product = make.product(world.vendor_a)
    page = _post(world, as_, product, [("999", "twelve"), ("", "8.00")])
    assert _summary(page) == ["Tier 1 unit price: Enter a price in dollars, e.g. 12.50."]
    assert "Not a valid decimal value" not in page and "Between $0" not in page


def test_letters_in_seats_say_what_to_type(world, make, as_):
    product = make.product(world.vendor_a)
    page = _post(world, as_, product, [("many", "12.00"), ("", "8.00")], capacity="lots")
    assert _summary(page) == ["Tier 1 up to (seats): Enter a whole number of seats, e.g. 500.",
                              "Capacity: Enter a whole number of seats, e.g. 500."]
