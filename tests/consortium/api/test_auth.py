"""Who the API lets in: personal tokens (made, shown once, stored hashed, revoked), never the
session cookie (so CSRF cannot matter), the acting organisation, and the rate limit."""

from __future__ import annotations

import hmac

import pytest
from sqlalchemy import func, select

from consortium.accounts import tokens as token_module
from consortium.accounts.tokens import ApiToken, authenticate, create_token, revoke_token
from consortium.extensions import db
from consortium.procurement.models import OptIn
from tests.consortium.api.conftest import ApiClient, token_for


@pytest.fixture
def open_solicitation(make, clock):
    return make.solicitation(make.default_consortium)


def opt_ins() -> int:
    return db.session.scalar(select(func.count()).select_from(OptIn))


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer cst_000000000000_x",
    "Bearer " + "x" * 500,
])
def test_without_a_valid_token_the_api_answers_401_in_json(client, header):
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.get_json()["status"] == 401 and response.get_json()["errors"] == {}


def test_a_token_acts_as_its_person_for_its_organisation(api, make):
    district = make.district(name="Ash Grove SD")
    me = api(district).get("/me").get_json()
    assert me["email"] == district.user.email
    assert me["acting_for"]["name"] == "Ash Grove SD"


def test_the_token_is_stored_only_as_a_salted_hash(app, make):
    actor = make.district()
    first, second = create_token(actor.user, "a", actor.org), create_token(actor.user, "b", actor.org)
    secret = first.plaintext.split("_", 2)[2]
    row = db.session.get(ApiToken, first.token.id)
    stored = [str(getattr(row, c.name)) for c in ApiToken.__table__.columns]
    assert not any(secret in value for value in stored)
    assert row.salt != db.session.get(ApiToken, second.token.id).salt
    assert authenticate(first.plaintext) == row
    assert authenticate(first.plaintext[:-1] + ("A" if first.plaintext[-1] != "A" else "B")) is None


def test_tokens_are_compared_in_constant_time(app, make, monkeypatch):
    actor = make.district()
    made = create_token(actor.user, "a", actor.org)
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(token_module.hmac, "compare_digest",
                        lambda a, b: calls.append((a, b)) or real(a, b))
    assert authenticate(made.plaintext) is not None
    assert authenticate("cst_ffffffffffff_unknown") is None  # an unknown token costs the same
    assert len(calls) == 2


def test_a_revoked_token_stops_working_at_once(api, make):
    actor = make.district()
    client = api(actor)
    assert client.get("/me").status_code == 200
    revoke_token(db.session.scalars(select(ApiToken)).one())
    assert client.get("/me").status_code == 401


def test_a_session_cookie_never_authenticates_the_api(client, login, make, open_solicitation):
    """Signed in on the pages, a browser (or a cross-site page it visits) cannot write through
    the API: without a token it is anonymous there, so no CSRF token is ever needed."""
    district = make.district()
    login(client, district)
    response = client.put(f"/api/v1/solicitations/{open_solicitation.id}/opt-in",
                          json={"quantity": 100, "max_unit_amount": None, "version": 0})
    assert response.status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    # Reads that anyone may make stay anonymous: a draft is not shown to a signed-in manager.
    manager = make.manager()
    login(client, manager)
    draft = make.solicitation(status="draft")
    assert client.get(f"/api/v1/solicitations/{draft.id}").status_code == 404
    assert opt_ins() == 0


def test_a_token_writes_without_csrf_and_the_cookie_does_not_change_who_acts(
    app, make, login, open_solicitation
):
    district, other = make.district(name="Token District"), make.district(name="Cookie District")
    client = app.test_client()
    login(client, other)
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the pages' forms need a token
    api = ApiClient(client, token_for(district))
    response = api.put(f"/solicitations/{open_solicitation.id}/opt-in",
                       json={"quantity": 100, "max_unit_amount": None, "version": 0})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["district"]["name"] == "Token District"
    # ...while a page's form without its CSRF token is still refused.
    page = client.post(f"/solicitations/{open_solicitation.id}/opt-in", data={"quantity": "5"})
    assert page.status_code == 400


def test_x_organisation_picks_another_of_ones_organisations(api, make):
    district = make.district(name="First District")
    vendor_org = make.vendor(name="Second Vendor").org
    make.member(vendor_org, user=district.user)
    client = api(district)
    assert client.get("/me").get_json()["acting_for"]["name"] == "First District"
    for value in (str(vendor_org.id), vendor_org.slug):
        me = client.get("/me", headers={"X-Organisation": value}).get_json()
        assert me["acting_for"]["name"] == "Second Vendor"
    stranger = make.vendor().org
    response = client.get("/me", headers={"X-Organisation": str(stranger.id)})
    assert response.status_code == 403
    assert "X-Organisation" in response.get_json()["message"]


def test_the_rate_limit_counts_per_token(app, api, make):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first, second = api(make.district()), api(make.district())
    assert [first.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    limited = first.get("/me")
    assert limited.status_code == 429
    assert limited.get_json()["status"] == 429 and "Retry-After" in limited.headers
    assert second.get("/me").status_code == 200  # another token has its own budget


def test_the_account_page_makes_a_token_shown_once_and_revokes_it(client, login, make, api):
    district = make.district()
    login(client, district)
    page = client.post("/account/tokens", data={"name": "SIS nightly sync",
                                                "organisation_id": district.org.id})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    token = page.get_data(as_text=True).split('id="new-token"')[1].split('value="')[1].split('"')[0]
    assert token.startswith("cst_")
    again = client.get("/account").get_data(as_text=True)
    assert token not in again and "SIS nightly sync" in again
    user_api = ApiClient(client.application.test_client(), token)
    assert user_api.get("/me").get_json()["token"]["name"] == "SIS nightly sync"
    row = db.session.scalars(select(ApiToken)).one()
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    assert user_api.get("/me").status_code == 401


def test_a_token_needs_a_name_and_ones_own_organisation(client, login, make):
    district = make.district()
    login(client, district)
    assert client.post("/account/tokens", data={"name": "", "organisation_id": district.org.id}
                       ).status_code == 400
    stranger = make.vendor().org
    assert client.post("/account/tokens", data={"name": "x" * 500, "organisation_id": stranger.id}
                       ).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_nobody_revokes_someone_elses_token(client, login, make):
    owner, other = make.district(), make.district()
    made = create_token(owner.user, "owner's", owner.org)
    login(client, other)
    assert client.post(f"/account/tokens/{made.token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, made.token.id).active


def test_the_command_line_prints_a_working_token_on_its_last_line(app, runner, make, api):
    district = make.district()
    result = runner.invoke(args=["api-token", "create", district.user.email.upper(),
                                 "--name", "Finance export"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    client = ApiClient(app.test_client(), token)
    assert client.get("/me").get_json()["token"]["name"] == "Finance export"
    listed = runner.invoke(args=["api-token", "list", district.user.email])
    assert "Finance export" in listed.output and token.split("_", 2)[2] not in listed.output
    missing = runner.invoke(args=["api-token", "create", "nobody@example.org"])
    assert missing.exit_code != 0 and "No account" in missing.output
    row = db.session.scalars(select(ApiToken)).one()
    assert runner.invoke(args=["api-token", "revoke", str(row.id)]).exit_code == 0
    assert client.get("/me").status_code == 401


@pytest.mark.parametrize("token_id", [2**31, 2**63, 10**30])
def test_revoking_a_token_by_a_huge_id_is_a_404(client, login, make, token_id):
    login(client, make.district())
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404


def test_an_unexpected_error_is_answered_in_json_and_changes_nothing(app, api, make, monkeypatch):
    from consortium.api import optins

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    solicitation = make.solicitation()
    client = api(make.district())
    monkeypatch.setattr(optins.services, "upsert_opt_in", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    response = client.put(f"/solicitations/{solicitation.id}/opt-in",
                          json={"quantity": 5, "max_unit_amount": None, "version": 0})
    assert response.status_code == 500
    assert response.get_json()["message"].startswith("Something went wrong")
    assert opt_ins() == 0


def test_a_token_of_a_person_removed_from_its_organisation_acts_for_none(api, make, db_session):
    district = make.district()
    vendor_org = make.vendor().org
    make.member(vendor_org, user=district.user)
    client = api(district)
    membership = district.user.membership_in(district.org)
    db_session.delete(membership)
    db_session.flush()
    me = client.get("/me").get_json()
    assert me["acting_for"] is None  # not the vendor the person still belongs to
    assert client.get("/opt-ins").status_code == 403
