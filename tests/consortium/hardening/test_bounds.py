"""Item 6 of issue 10: every number has sane bounds, in forms, imports and the database."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from consortium.accounts.models import DistrictProfile, Organisation
from consortium.extensions import db
from consortium.procurement.models import OptIn

HEADER = "LEAID,LEA_NAME,ST,MEMBER,SCH,ULOCAL,BROADBAND_MBPS,SIS\n"


def _upload(client, text):
    return client.post("/verification/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(text.encode()), "districts.csv")})


@pytest.mark.parametrize("row, column", [
    ("1700001,Huge SD,IL,9223372036854775807,4,42,300,", "MEMBER"),
    ("1700001,Huge SD,IL,2000001,4,42,300,", "MEMBER"),
    ("1700001,Huge SD,IL,1e400,4,42,300,", "MEMBER"),
    ("1700001,Huge SD,IL,inf,4,42,300,", "MEMBER"),
    ("1700001,Huge SD,IL,nan,4,42,300,", "MEMBER"),
    ("1700001,Huge SD,IL,1200,99999999999,42,300,", "SCH"),
    ("1700001,Huge SD,IL,1200,4,42,1e30,", "BROADBAND_MBPS"),
    ("1700001,Huge SD,IL,1200,4,42,300," + "P" * 81, "SIS"),
])
def test_an_out_of_range_number_in_an_import_is_a_row_error(client, make, login, row, column):
    consortium = make.consortium()
    login(client, make.manager(consortium))
    before = db.session.scalar(select(func.count(Organisation.id)))
    response = _upload(client, HEADER + "1700002,Fine SD,IL,1200,4,42,300,\n" + row + "\n")
    assert response.status_code == 400
    assert "Nothing was imported: 1 problem" in response.text and column in response.text
    assert db.session.scalar(select(func.count(Organisation.id))) == before
    assert client.get("/").status_code == 200


def test_the_home_page_survives_the_largest_enrollments(client, make):
    for _ in range(5):
        make.district(enrollment=2_000_000)
    response = client.get("/")
    assert response.status_code == 200 and "10,000,000" in response.text


@pytest.mark.parametrize("table, values", [
    ("district_profiles", {"enrollment": 2_000_001}),
    ("district_profiles", {"schools": 5_001}),
    ("district_profiles", {"broadband_mbps": 10_000_001}),
    ("opt_ins", {"quantity": 10_000_001}),
    ("opt_ins", {"max_unit_amount": 0}),
    ("opt_ins", {"max_unit_amount": 100_000_001}),
    ("solicitations", {"term_months": 121}),
    ("solicitations", {"acceptance_window_days": 366}),
    ("bid_versions", {"capacity": 10_000_001}),
])
def test_the_database_refuses_numbers_out_of_range(make, db_session, table, values):
    district = make.district()
    solicitation = make.solicitation(status="open")
    opt_in = make.opt_in(solicitation, district)
    bid = make.bid(make.vendor(), solicitation)
    ids = {"district_profiles": ("organisation_id", district.org.id),
           "opt_ins": ("id", opt_in.id), "solicitations": ("id", solicitation.id),
           "bid_versions": ("id", bid.versions[0].id)}
    column, key = ids[table]
    statement = sa.text(
        f"UPDATE {table} SET " + ", ".join(f"{k} = :{k}" for k in values) + f" WHERE {column} = :key"
    )
    with pytest.raises(sa.exc.IntegrityError), db_session.begin_nested():
        if table == "bid_versions":  # append-only: check a fresh row instead
            db_session.execute(sa.text(
                "INSERT INTO bid_versions (bid_id, number, product_id, tiers_mode, tiers, capacity,"
                " withdrawn, submitted_at, content_hash, nonce) SELECT bid_id, 2, product_id,"
                " tiers_mode, tiers, :capacity, withdrawn, submitted_at, content_hash, nonce"
                " FROM bid_versions WHERE id = :key"), {**values, "key": key})
        else:
            db_session.execute(statement, {**values, "key": key})
    assert isinstance(db_session.get(DistrictProfile, district.org.id), DistrictProfile)
    assert db_session.get(OptIn, opt_in.id) is not None
