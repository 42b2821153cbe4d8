"""A vendor's tier schedule uploaded as CSV: the bid form's rules, every problem by line."""

from __future__ import annotations

import io

import pytest

from consortium.bids.models import Bid
from consortium.bids.schedule_csv import TEMPLATE, parse_schedule
from consortium.extensions import db
from tests.consortium.procurement.helpers import text


def upload(client, world, product, body: str | bytes, *, button: str = "submit", **fields):
    raw = body.encode() if isinstance(body, str) else body
    data = {"upload-product": str(product.id), "upload-tiers_mode": "volume",
            f"upload-{button}": "y", "upload-file": (io.BytesIO(raw), "tiers.csv"),
            **{f"upload-{k}": v for k, v in fields.items()}}
    return client.post(f"/bids/solicitation/{world.solicitation.id}/schedule", data=data,
                       content_type="multipart/form-data")


def versions(world, vendor) -> list:
    bid = db.session.query(Bid).filter_by(solicitation_id=world.solicitation.id,
                                          vendor_id=vendor.org.id).first()
    return [] if bid is None else [(v.number, v.tiers_mode, v.tiers, v.capacity) for v in bid.versions]


def test_a_good_file_becomes_the_next_sealed_version(client, login, world, make):
    product = make.product(world.vendor_a)
    login(client, world.vendor_a)
    response = upload(client, world, product, "up_to,unit_price\n999,$12.00\n\n4999,10.50\n,9\n",
                      capacity="8000")
    assert response.status_code == 302
    bid = db.session.query(Bid).filter_by(solicitation_id=world.solicitation.id,
                                          vendor_id=world.vendor_a.org.id).one()
    # The receipt is named by the bid's opaque public id (issue 10), never its primary key.
    assert response.headers["Location"].endswith(f"/bids/{bid.public_id}/receipt/1")
    assert client.get(response.headers["Location"]).status_code == 200
    assert versions(world, world.vendor_a) == [(1, "volume", [
        {"up_to": 999, "unit_amount": 1200}, {"up_to": 4999, "unit_amount": 1050},
        {"up_to": None, "unit_amount": 900}], 8000)]


def test_preview_shows_the_schedule_and_submits_nothing(client, login, world, make):
    product = make.product(world.vendor_a)
    login(client, world.vendor_a)
    response = upload(client, world, product, TEMPLATE, button="preview")
    assert response.status_code == 200
    assert "Preview (not submitted)" in text(response)
    assert versions(world, world.vendor_a) == []


@pytest.mark.parametrize(("body", "problems"), [
    ("up_to,price\n,9.00\n", [(1, "unit_price", "the header must name")]),
    ("up_to,unit_price\n999,12.00\n4999,abc\n,9.00\n", [(3, "unit_price", "not a price")]),
    ("up_to,unit_price\n999,12.00\n4999,13.00\n,9.00\n",
     [(3, "unit_price", "must not be higher than tier 1's")]),
    ("up_to,unit_price\n999,12.00\n500,11.00\n,9.00\n",
     [(3, "up_to", "must be more than tier 1's")]),
    ("up_to,unit_price\n999,12.00\n4999,10.50\n", [(3, "up_to", "the last tier is unbounded")]),
    ("up_to,unit_price\n999,12.005\n-5,1e30\n,NaN\n1e30,-1\n",
     [(2, "unit_price", "whole cents"), (3, "up_to", "a whole number of seats"),
      (3, "unit_price", "more than $1,000,000"), (4, "unit_price", "not a price"),
      (5, "up_to", "a whole number"), (5, "unit_price", "must be zero or more")]),
    ("up_to,unit_price\n" + "x" * 500 + ",1\n", [(2, "up_to", "a whole number of seats")]),
    ("up_to,unit_price\n99999999999999999999,1\n,1\n", [(2, "up_to", "a whole number")]),
    ("up_to,unit_price\n" + "".join(f"{n},1\n" for n in range(1, 30)),
     [(22, "file", "at most 20 tiers")]),
    ("up_to,unit_price\n", [(2, "unit_price", "the file has no tiers")]),
])
def test_every_problem_is_named_by_line_and_nothing_is_submitted(client, login, world, make,
                                                                  body, problems):
    _schedule, found = parse_schedule(body, "volume", None)
    assert [(e.line, e.column) for e in found] == [(line, column) for line, column, _ in problems]
    for error, (_line, _column, message) in zip(found, problems, strict=True):
        assert message in error.message
    product = make.product(world.vendor_a)
    login(client, world.vendor_a)
    response = upload(client, world, product, body)
    assert response.status_code == 400
    page = text(response)
    assert "The file was not used" in page
    assert f"{problems[0][0]} {problems[0][1]} " in page  # line, column, problem on the page
    assert versions(world, world.vendor_a) == []


def test_a_file_that_is_not_text_or_not_csv_is_refused(client, login, world, make):
    product = make.product(world.vendor_a)
    login(client, world.vendor_a)
    assert upload(client, world, product, b"\x89PNG\r\n\x1a\n\x00\x00").status_code == 400
    response = client.post(f"/bids/solicitation/{world.solicitation.id}/schedule",
                           data={"upload-product": str(product.id), "upload-tiers_mode": "volume",
                                 "upload-submit": "y"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a CSV file" in text(response)
    assert versions(world, world.vendor_a) == []


def test_the_template_is_a_valid_schedule_and_downloads(client, login, world):
    schedule, errors = parse_schedule(TEMPLATE, "graduated", None)
    assert errors == [] and len(schedule.tiers) == 3
    login(client, world.vendor_a)
    response = client.get("/bids/schedule-template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True) == TEMPLATE


@pytest.mark.parametrize("solicitation_id", [2**31, 2**63])
def test_an_upload_to_a_huge_id_is_a_404(client, login, world, solicitation_id):
    login(client, world.vendor_a)
    response = client.post(f"/bids/solicitation/{solicitation_id}/schedule", data={})
    assert response.status_code == 404
