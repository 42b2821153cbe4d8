"""schemathesis against the app: every operation, generated input (valid and not), no 5xx,
and every answer matches the OpenAPI document (status, content type, body schema).

Bounded and repeatable: a fixed number of examples per operation, derandomised. Each
operation is called as the role it is for (a district for opt-ins, a vendor for bids, a
manager for runs...), in the access matrix's world; half the examples aim their path ids at
real objects of that world, the rest at whatever was generated.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from consortium import create_app
from consortium.accounts.tokens import create_token
from consortium.allocation import services as allocation_services
from consortium.config import Settings
from tests.consortium.access.world import DA, MX, VA, build_world, per_buyer_solve

EXAMPLES = 10  # per operation and generation mode
ROLE_BY_TAG = {"Opt-ins": DA, "Contracts": DA, "Bids": VA, "Awards": VA}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, negative_data_rejection,
          response_schema_conformance]


@pytest.fixture
def api_world(app, make, clock, monkeypatch):
    """The access matrix's world, each role's token, and real ids for each path parameter."""
    monkeypatch.setattr(allocation_services, "default_solve", lambda: per_buyer_solve)
    app.config["API_RATE_LIMIT"] = "1000000 per minute"  # this test is about shapes, not limits
    world = build_world(make, clock)
    tokens = {role: create_token(actor.user, "schemathesis", actor.org).plaintext
              for role, actor in world.actors.items()}
    ids = {
        "solicitation_id": world["open"], "bid_id": world.tokens["bid of A (open)"],
        "run_id": world["run (opened)"], "award_id": world["award"],
        "group_id": world["group of vendor A"], "contract_id": world["contract of district A"],
    }
    return tokens, ids


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, read from the document of an app made for it."""
    app = create_app(Settings.from_env({}, database_url="sqlite://", testing=True))
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    return [(method.upper(), path) for path, item in sorted(paths.items())
            for method in item if method in ("get", "put", "post", "patch", "delete")]


OPERATIONS = _operations()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_keeps_to_its_document(app, api_world, method, path, mode):
    tokens, ids = api_world
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]
    tags = operation.definition.raw.get("tags") or []
    role = next((ROLE_BY_TAG[tag] for tag in tags if tag in ROLE_BY_TAG), MX)

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case):
        if case.path_parameters and hash(repr(sorted(case.path_parameters.items()))) % 2 == 0:
            for name in case.path_parameters:
                if name in ids:
                    case.path_parameters[name] = ids[name]
        headers = dict(case.headers or {})
        headers.setdefault("Authorization", f"Bearer {tokens[role]}")
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    call()
