"""Item 9 of issue 10: every authenticated response says Cache-Control: no-store."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consortium.allocation import services as allocation
from consortium.allocation.models import AllocationRun
from consortium.extensions import db
from tests.consortium.allocation.fakes import fake_solve


def _no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


@pytest.fixture
def run(make, clock, monkeypatch, client, login):
    monkeypatch.setattr(allocation, "default_solve", lambda: fake_solve)
    scenario = make.allocation_scenario()
    login(client, scenario.manager)
    client.post(f"/solicitations/{scenario.solicitation.id}/allocation", data={
        "label": "", "min_group_size": "1", "time_limit_s": "10", "mip_gap_pct": "0.1",
        "individual_rationality": "y", "solver": ""})
    return db.session.scalars(select(AllocationRun)).one()


def test_manager_pages_and_downloads_are_never_stored(client, run):
    for path in ("/audit/export.csv", f"/allocation/runs/{run.id}/input.json",
                 f"/allocation/runs/{run.id}/result.json", "/outbox/", "/account", "/audit/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), path


def test_a_bid_receipt_with_its_nonce_is_never_stored(client, make, login, clock):
    vendor = make.vendor()
    solicitation = make.solicitation(status="open")
    bid = make.bid(vendor, solicitation)
    login(client, vendor)
    response = client.get(f"/bids/{bid.public_id}/receipt/1")
    assert response.status_code == 200
    assert bid.versions[0].nonce in response.text
    assert _no_store(response)


def test_redirects_and_errors_of_a_signed_in_user_are_not_stored_either(client, make, login):
    login(client, make.district())
    assert _no_store(client.get("/verification"))  # 403
    assert _no_store(client.get("/login"))  # a redirect home


def test_anonymous_public_pages_may_be_cached(client, make):
    make.consortium()
    assert not _no_store(client.get("/"))


def test_api_answers_to_a_token_are_never_stored_but_public_documents_may_be(app, make):
    """Issue 9's API: a token is no session, yet what it reads is someone's (their opt-ins,
    their bids' nonces), so its answers are no-store too; the anonymous document is not."""
    from consortium.accounts.tokens import create_token

    district = make.district()
    token = create_token(district.user, "no-store", district.org).plaintext
    client = app.test_client()
    for path in ("/api/v1/me", "/api/v1/opt-ins", "/api/v1/solicitations/2147483647"):
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 404), path
        assert _no_store(response), path
    assert not _no_store(client.get("/api/v1/openapi.json"))
