"""The OCDS export: it validates against OCDS 1.1.5, keeps sealed what is sealed, and adds up."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from consortium.allocation import services as allocation_services
from consortium.awards.services import decide_contract
from consortium.extensions import db
from consortium.opendata.ocds import EXTENSIONS
from tests.consortium.access.world import DA, DB, build_world, per_buyer_solve

SCHEMA = Path(__file__).parent / "schema"


def _merge(base: dict, patch: dict) -> dict:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _validator(*, with_extensions: bool) -> Draft4Validator:
    release = json.loads((SCHEMA / "release-schema.json").read_text())
    package = json.loads((SCHEMA / "release-package-schema.json").read_text())
    if with_extensions:
        release = _merge(copy.deepcopy(release), json.loads((SCHEMA / "extensions.json").read_text()))
    registry = Registry().with_resource(release["id"], Resource(release, specification=DRAFT4))
    return Draft4Validator(package, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def problems(package: dict, *, with_extensions: bool = True) -> list[str]:
    """Every way `package` breaks the schema, as 'path: message' lines."""
    validator = _validator(with_extensions=with_extensions)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in sorted(validator.iter_errors(package), key=lambda e: list(map(str, e.path)))]


@pytest.fixture
def world(app, make, clock, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: per_buyer_solve)
    return build_world(make, clock)


def release_of(client, solicitation_id: int) -> dict:
    response = client.get(f"/open-data/ocds/{solicitation_id}.json")
    assert response.status_code == 200, response.status_code
    (release,) = response.get_json()["releases"]
    return release


def test_the_package_of_every_published_solicitation_validates(client, world):
    response = client.get("/open-data/ocds.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    package = response.get_json()
    assert problems(package) == []
    assert problems(package, with_extensions=False) == []
    titles = {r["tender"]["title"] for r in package["releases"]}
    assert {world.names[k] for k in ("open", "sealed", "opened", "awarded")} <= titles
    assert world.names["draft"] not in titles  # a draft was never published
    assert package["extensions"] == list(EXTENSIONS)
    assert len({r["ocid"] for r in package["releases"]}) == len(package["releases"])


def test_one_solicitation_is_a_package_of_one_and_a_draft_does_not_exist(client, world):
    response = client.get(f"/open-data/ocds/{world['awarded']}.json")
    assert problems(response.get_json()) == []
    assert client.get(f"/open-data/ocds/{world['draft']}.json").status_code == 404
    assert client.get("/open-data/ocds/99999999999.json").status_code == 404


@pytest.mark.parametrize("key", ["open", "sealed", "opened"])
def test_before_the_award_nothing_about_bids_or_single_districts_is_published(client, world, key):
    """Both vendors bid on each of these, district A (and B) opted in: none of it shows."""
    release = release_of(client, world[key])
    text = json.dumps(release)
    assert "awards" not in release and "contracts" not in release and "buyer" not in release
    assert "tenderers" not in release["tender"] and "numberOfTenderers" not in release["tender"]
    assert [p["roles"] for p in release["parties"]] == [["procuringEntity"]]
    for name in ("Acme Learning", "BrightPath Education", "Apple Creek CUSD 5",
                 "Birch Valley SD 12", "4321", "4,321", "12.0", "9.0"):
        assert name not in text, f"{name!r} is in the release of the {key} solicitation"
    # Fewer than three districts: the committed seats are withheld, as on the public page.
    assert "quantity" not in release["tender"]["items"][0]


def test_an_awarded_solicitation_has_awards_and_contracts_that_add_up(client, world, db_session):
    from consortium.awards.models import Award

    award = db.session.get(Award, world["award"])
    for contract in award.contracts:  # every district signs
        decide_contract(contract, contract.district.memberships[0].user, accept=True)
    db_session.flush()
    release = release_of(client, world["awarded"])
    assert problems({"uri": "http://x/y", "publisher": {"name": "x"}, "publishedDate":
                     release["date"], "version": "1.1", "releases": [release]}) == []
    assert release["tag"] == ["tender", "award", "contract"]
    assert release["tender"]["status"] == "complete"

    def cents(value: dict) -> int:
        assert value["currency"] == "USD"
        return round(value["amount"] * 100)

    awards = {a["id"]: a for a in release["awards"]}
    assert len(awards) == len(award.groups) == len(release["tender"]["lots"])
    lots = {lot["id"] for lot in release["tender"]["lots"]}
    for item in awards.values():
        assert set(item["relatedLots"]) <= lots
        assert "g" + str(world.org(DA)) not in item["title"]  # readable, not the solver's label
        members = [c for c in release["contracts"] if c["awardID"] == item["id"]]
        assert members, f"award {item['id']} has no contract"
        assert sum(cents(c["value"]) for c in members) == cents(item["value"])
        assert sum(c["items"][0]["quantity"] for c in members) == item["items"][0]["quantity"]
    assert sum(cents(a["value"]) for a in awards.values()) == cents(release["tender"]["value"])
    assert sum(cents(a["value"]) for a in awards.values()) == award.run.total_amount

    buyers = {p["id"] for p in release["parties"] if p["roles"] == ["buyer"]}
    assert buyers == {f"org-{world.org(DA)}", f"org-{world.org(DB)}"}
    assert {c["buyer"]["id"] for c in release["contracts"]} == buyers
    assert "buyer" not in release  # several buyers: none at the top
    suppliers = {p["name"] for p in release["parties"] if p["roles"] == ["supplier"]}
    assert suppliers == {"Acme Learning", "BrightPath Education"}
    assert release["tender"]["numberOfTenderers"] == 2


def test_only_accepted_contracts_are_published(client, world, db_session):
    from consortium.awards.models import Award

    award = db.session.get(Award, world["award"])
    first, second = sorted(award.contracts, key=lambda c: c.id)
    decide_contract(first, first.district.memberships[0].user, accept=True)
    decide_contract(second, second.district.memberships[0].user, accept=False,
                    reason="Covered by a state contract.")
    db_session.flush()
    release = release_of(client, world["awarded"])
    assert [c["id"] for c in release["contracts"]] == [f"contract-{first.id}"]


def test_the_public_pages_link_to_the_open_data(client, world):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/open-data/"' in page
    index = client.get("/open-data/").get_data(as_text=True)
    assert 'href="/open-data/ocds.json"' in index
    assert f'href="/open-data/ocds/{world["awarded"]}.json"' in index


def test_the_validation_is_not_vacuous(client, world):
    """The same check refuses a release that breaks the standard or an extension's field."""
    package = client.get("/open-data/ocds.json").get_json()
    awarded = next(r for r in package["releases"] if "awards" in r)
    awarded["awards"][0]["value"]["currency"] = "usd"  # OCDS currencies are ISO 4217, upper case
    awarded["awards"][0]["relatedLots"] = [7]  # lot ids are strings
    found = problems(package)
    assert any("currency" in p for p in found)
    assert any("relatedLots" in p for p in found)


@pytest.mark.parametrize("solicitation_id", [2**31, 2**63])
def test_a_release_of_a_huge_id_is_a_404(client, solicitation_id):
    assert client.get(f"/open-data/ocds/{solicitation_id}.json").status_code == 404
