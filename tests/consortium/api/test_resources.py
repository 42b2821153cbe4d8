"""The resources end to end: a manager's solicitation to a published award through the API,
lists that page and filter, contracts decided, and the document and its reference page."""

from __future__ import annotations

import hashlib
import re

import pytest

from consortium.allocation import services as allocation_services
from tests.consortium.access.world import DA, DB, MX, MY, VA, build_world, per_buyer_solve
from tests.consortium.allocation.fakes import fake_solve

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def world(app, make, clock, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: per_buyer_solve)
    return build_world(make, clock)


def test_a_run_is_started_watched_read_and_published(api, make, clock, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    scenario = make.allocation_scenario()
    manager = api(scenario.manager)
    sid = scenario.solicitation.id
    started = manager.post(f"/solicitations/{sid}/runs", json={"label": "Baseline"})
    assert started.status_code == 202 and started.get_json()["status"] == "queued"
    run = manager.get(f"/runs/{started.get_json()['id']}").get_json()  # the job ran after commit
    assert (run["status"], run["done"], run["publishable"]) == ("succeeded", True, True)
    assert run["total_amount"] == 15_000_00 and run["savings_amount"] == 5_000_00
    assert run["currency"] == "usd" and ISO_UTC.match(run["finished_at"])
    document = manager.get(f"/runs/{run['id']}/input")
    assert document.mimetype == "application/json"
    assert hashlib.sha256(document.data).hexdigest() == run["input_sha256"]
    assert manager.get(f"/runs/{run['id']}/result").get_json()["status"] in ("optimal", "feasible")
    assert manager.get(f"/solicitations/{sid}/runs").get_json()["total"] == 1
    assert manager.get(f"/solicitations/{sid}/runs?status=failed").get_json()["total"] == 0
    published = manager.post(f"/runs/{run['id']}/publish")
    assert published.status_code == 201
    award_id = published.get_json()["id"]
    assert manager.post(f"/runs/{run['id']}/publish").status_code == 409  # once only
    assert manager.post(f"/solicitations/{sid}/runs", json={}).status_code == 409  # awarded
    award = api().get(f"/awards/{award_id}").get_json()  # public
    (group,) = award["groups"]
    assert group["name"].startswith("Group 1 · ") and group["name"].endswith(" · Rural, 800–1,200 students") and group["tier"] == 2
    assert (group["unit_amount"], group["quantity"], group["total_amount"]) == (1500, 1000, 15_000_00)
    assert sum(m["amount"] for m in group["members"]) == group["total_amount"] == award["total_amount"]
    assert award["savings_amount"] == 5_000_00 and award["seats"] == 1000


def test_a_run_needs_the_consortiums_staff_and_opened_bids(api, world, make):
    assert api(world.actors[MY]).post(f"/solicitations/{world['opened']}/runs", json={}
                                      ).status_code == 403
    assert api(world.actors[MX]).post(f"/solicitations/{world['sealed']}/runs", json={}
                                      ).status_code == 409
    bad = api(world.actors[MX]).post(f"/solicitations/{world['opened']}/runs",
                                     json={"solver": "gurobi", "grouping": {"time_limit_s": 0}})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"solver", "grouping.time_limit_s"}


def test_contracts_are_decided_once_by_their_district_only(api, world):
    a, b = world["contract of district A"], world["contract of district B"]
    district_a = api(world.actors[DA])
    # The world has a second award of X (the payments world) with a contract for each district.
    own = {c["id"] for c in district_a.get("/contracts").get_json()["items"]}
    assert a in own and b not in own and len(own) == 2
    assert api(world.actors[MX]).get("/contracts").get_json()["total"] == 4
    assert api(world.actors[MY]).get("/contracts").get_json()["total"] == 0
    assert api(world.actors[VA]).get("/contracts").status_code == 403
    assert district_a.get(f"/contracts/{b}").status_code == 404
    assert api(world.actors[MX]).post(f"/contracts/{a}/accept").status_code == 403
    accepted = district_a.post(f"/contracts/{a}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert district_a.post(f"/contracts/{a}/decline", json={"reason": "x"}).status_code == 409
    # A decline says why: without a reason it is refused, naming the field, and nothing changes.
    district_b = api(world.actors[DB])
    refused = district_b.post(f"/contracts/{b}/decline", json={})
    assert refused.status_code == 422 and "reason" in refused.get_json()["errors"]
    assert district_b.get(f"/contracts/{b}").get_json()["status"] == "pending"
    declined = district_b.post(f"/contracts/{b}/decline",
                               json={"reason": "The board did not approve it."}).get_json()
    assert declined["status"] == "declined"
    # Its contract of the payments world's award was accepted when that world was built.
    assert district_a.get("/contracts?status=accepted").get_json()["total"] == 2
    assert district_a.get("/contracts?status=declined").get_json()["total"] == 0


def test_lists_page_and_filter_and_drafts_stay_private(api, world):
    anonymous = api()
    # Five published solicitations (the payments world adds an awarded one) and X's draft.
    everything = anonymous.get("/solicitations?per_page=2").get_json()
    assert (everything["total"], everything["pages"], len(everything["items"])) == (5, 3, 2)
    rest = [anonymous.get(f"/solicitations?per_page=2&page={n}").get_json() for n in (2, 3)]
    titles = {s["title"] for page in [everything, *rest] for s in page["items"]}
    assert len(titles) == 5 and world.names["draft"] not in titles
    assert api(world.actors[MX]).get("/solicitations").get_json()["total"] == 6  # its draft too
    assert api(world.actors[MY]).get("/solicitations").get_json()["total"] == 5
    opened = anonymous.get("/solicitations?status=bids_opened").get_json()["items"]
    assert [s["title"] for s in opened] == [world.names["opened"]]
    item = opened[0]
    assert ISO_UTC.match(item["opt_in_deadline"]) and ISO_UTC.match(item["published_at"])
    assert item["admin_fee_bps"] == 150 and item["currency"] == "usd"
    assert anonymous.get("/solicitations?page=9").get_json()["items"] == []


def test_momentum_hides_small_cells_outside_the_consortium(api, world):
    path = f"/solicitations/{world['sealed']}/momentum"
    assert api().get(path).get_json()["seats"] is None  # two districts: withheld
    assert api(world.actors[MX]).get(path).get_json()["seats"] == 1000
    assert api(world.actors[MY]).get(path).get_json()["seats"] is None


def test_a_vendor_sees_its_own_groups_with_their_contracts(api, world):
    groups = api(world.actors[VA]).get("/award-groups").get_json()["items"]
    mine = [g for g in groups if g["id"] == world["group of vendor A"]]
    assert len(mine) == 1 and world["group of vendor B"] not in {g["id"] for g in groups}
    assert [c["district"]["name"] for c in mine[0]["contracts"]] == ["Apple Creek CUSD 5"]
    assert api(world.actors[VA]).get(f"/award-groups/{world['group of vendor B']}").status_code == 404


def test_the_document_lists_only_operations_that_work(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert all(path.startswith("/api/v1/") for path in paths)
    assert not any("invoice" in path or "payment" in path for path in paths)
    # Path ids are `id` converters, a bid's is its opaque public id (issue 10).
    rules = {(re.sub(r"<(?:id|public_id):(\w+)>", r"{\1}", rule.rule), method)
             for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("api.") for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(p, m.upper()) for p, item in paths.items() for m in item if m != "parameters"}
    assert documented == rules
    for item in paths.values():
        for method, operation in item.items():
            if method != "parameters":
                assert {"401", "429"} <= set(operation["responses"]), (method, operation)
                assert operation["security"] in ([{"token": []}], [{}, {"token": []}])


def test_the_reference_page_needs_no_cdn_and_no_script(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script" not in html
    assert not re.findall(r'(?:src|href)="https?://(?!creativecommons)', html)
    for operation in ("PUT /api/v1/solicitations/{solicitation_id}/opt-in",
                      "POST /api/v1/contracts/{contract_id}/accept", "GET /api/v1/runs/{run_id}"):
        assert f"<code>{operation}</code>" in html
    assert "Authorization: Bearer" in html
