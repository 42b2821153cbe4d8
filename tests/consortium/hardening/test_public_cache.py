"""The public-page cache: only cookieless visitors, invalidated by every committed write, seen
by every worker (two apps here, sharing the instance folder as gunicorn's workers do)."""

from __future__ import annotations

import pytest

import consortium
from consortium.extensions import db
from consortium.procurement import momentum as momentum_module
from tests.consortium.procurement.helpers import text
from tests.factories import PASSWORD, Make


@pytest.fixture
def workers(committing_app, app_factory, tmp_path, monkeypatch):
    """Two workers of one deployment, and the data they serve (committed)."""
    monkeypatch.setattr(consortium, "INSTANCE_DIR", tmp_path)
    one, two = app_factory(public_cache=True), app_factory(public_cache=True)
    make = Make(db.session)
    solicitation = make.solicitation(title="Statewide LMS 2026", opt_in_days=14, bid_days=21)
    districts = [make.district(enrollment=2_000) for _ in range(4)]
    for district in districts[:3]:
        make.opt_in(solicitation, district, quantity=500)
    db.session.commit()
    return one, two, solicitation, districts[3]


def _calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = momentum_module.momenta

    def counting(ids):
        calls.append(1)
        return original(ids)

    monkeypatch.setattr(momentum_module, "momenta", counting)
    return calls


def test_a_cookieless_visitor_is_served_from_the_cache(workers, monkeypatch):
    one, _two, solicitation, _ = workers
    calls = _calls(monkeypatch)
    visitor = one.test_client()
    first = visitor.get(f"/solicitations/{solicitation.id}")
    second = visitor.get(f"/solicitations/{solicitation.id}")
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert len(calls) == 1  # the second answer did not compute momentum again
    assert second.headers["X-Frame-Options"] == "DENY"  # security headers on hits too


def test_a_commit_on_another_worker_invalidates_the_page(workers):
    one, two, solicitation, newcomer = workers
    path = f"/solicitations/{solicitation.id}"
    assert "3 districts opted in" in text(one.test_client().get(path))
    district = two.test_client()
    district.post("/login", data={"email": newcomer.email, "password": PASSWORD})
    assert district.post(f"{path}/opt-in", data={"quantity": "700", "version": "0"}).status_code == 302
    assert "4 districts opted in" in text(one.test_client().get(path))


def test_a_visitor_with_a_cookie_never_gets_the_cached_page(workers):
    one, _two, solicitation, newcomer = workers
    path = f"/solicitations/{solicitation.id}"
    one.test_client().get(path)  # cached for cookieless visitors
    district = one.test_client()
    district.post("/login", data={"email": newcomer.email, "password": PASSWORD})
    page = district.get(path).text
    assert "Your district has not opted in." in page  # its own page, not the public one
    district.post("/logout")
    flashed = district.get(path).text  # a session cookie with the flash in it
    assert "You are signed out" in flashed
    assert "You are signed out" not in one.test_client().get(path).text
