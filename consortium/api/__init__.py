"""/api/v1: the JSON API for SIS, finance and vendor systems, documented by OpenAPI 3.

flask-smorest builds `/api/v1/openapi.json` from the code (marshmallow schemas on Flask
blueprints); `/api/v1/docs` is the browsable reference, served from this app (no CDN).

core         ApiBlueprint.operation (route + documented errors + rate limit), fields, pages
auth         the personal token -> current_user and the acting organisation (never a cookie)
errors       the one JSON error shape, for every refusal
schemas      the resources' output schemas
me, solicitations, optins, bids, runs, awards, contracts
             one resource each, a blueprint `blp` of views that call the domain services
docs         the browsable reference page

Views are thin, as on the pages: load through the same loaders and `policy.py` guards, call
one service, dump the result; the request's commit point commits (consortium.commit_point),
and a service's DomainError is answered in JSON by the `on_refusal` answer set below.

Adding a resource (invoices and payments, once the payments issue lands) is one module:
`consortium/api/invoices.py` with `blp = ApiBlueprint("invoices", tag="Invoices",
description=...)` and its `@blp.operation(...)` views, and "invoices" added to RESOURCES.
Its paths then appear in the OpenAPI document (and only then), the access matrix asks for an
entry per endpoint, and the schemathesis test covers its operations.
"""

from __future__ import annotations

import importlib

from flask import Flask
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException, InternalServerError

from consortium.api import auth, errors
from consortium.api.core import (
    ApiBlueprint,
    ConsortiumApi,
    IdConverter,
    PublicIdConverter,
    id_parameter_schema,
    public_id_parameter_schema,
)
from consortium.commit_point import on_refusal
from consortium.extensions import csrf, login_manager

RESOURCES = ("me", "solicitations", "optins", "bids", "runs", "awards", "contracts")
TITLE = "Consortium group-purchasing API"
DESCRIPTION = """\
Solicitations, opt-ins, sealed bids, allocation runs, awards and contracts of the
group-purchasing marketplace, with the same rules as its pages.

**Authentication.** Create a personal token on your account page (or `flask --app wsgi
api-token create EMAIL`) and send it as `Authorization: Bearer <token>`. A request acts for
the organisation the token was made for, or for another of yours named by the
`X-Organisation` header (its id or slug). Public resources (published solicitations, awards)
need no token. Session cookies never authenticate the API.

**Conventions.** Times are ISO 8601 in UTC. Money is integer cents (`*_amount`) with the
resource's `currency`. Lists are paged (`page`, `per_page`) and filter by `status`. Errors
are `{"status", "message", "errors": {field: [messages]}}`: 401 without a valid token, 403
when the acting organisation may not, 404 when it may not even know the thing exists, 409
when the state forbids it (a deadline passed, a stale `version`), 422 for invalid input,
429 past the rate limit of the token.
"""


def _build() -> Blueprint:
    """The /api/v1 blueprint with every resource nested in it (built once per process)."""
    root = Blueprint("api", __name__, url_prefix="/api/v1",
                     description="Every resource of the API (see each resource's tag).")
    root.before_request(auth.authenticate)
    root.before_request(lambda: on_refusal(errors.refusal_answer()))
    root.register_error_handler(HTTPException, errors.http_error)
    root.register_error_handler(InternalServerError, _server_error)
    for blueprint in _resources():
        root.register_blueprint(blueprint)
    return root


def _resources() -> list[ApiBlueprint]:
    return [importlib.import_module(f"consortium.api.{name}").blp for name in RESOURCES]


def _server_error(error: InternalServerError):
    from consortium.transaction import rollback

    rollback()
    return errors.error_response(500)


bp = _build()


def init_app(app: Flask) -> None:
    """Serve the API, its OpenAPI document and its reference page on `app`."""
    app.config.update(
        API_TITLE=TITLE,
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "components": {
                "parameters": {
                    "Organisation": {
                        "in": "header", "name": auth.ORGANISATION_HEADER, "required": False,
                        "schema": {"type": "string", "maxLength": 120},
                        "description": "Act for another of your organisations (id or slug).",
                    }
                },
                "securitySchemes": {
                    "token": {"type": "http", "scheme": "bearer",
                              "description": "A personal API token (cst_...)."}
                }
            },
        },
    )
    login_manager.request_loader(auth.user_from_token)
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["public_id"] = PublicIdConverter
    api = ConsortiumApi(app)
    api.register_converter(IdConverter, id_parameter_schema)
    api.register_converter(PublicIdConverter, public_id_parameter_schema)
    api.register_blueprint(bp)
    for blueprint in _resources():
        api.spec.tag({"name": blueprint.tag, "description": blueprint.description})
    for name, blueprint in app.blueprints.items():
        if name == "api" or name.startswith("api."):
            # A cookie never authenticates the API (consortium.api.auth): no CSRF to stop,
            # and a missing token is a 401, not a redirect to the sign-in page.
            csrf.exempt(blueprint)
            login_manager.blueprint_login_views[name] = None
    app.register_error_handler(405, _method_not_allowed)
    from consortium.api import docs, token_cli

    app.cli.add_command(token_cli.api_token)
    app.register_blueprint(docs.bp)


def _method_not_allowed(error: HTTPException):
    # Routing refuses before any blueprint is known: the API's paths still answer in JSON.
    return errors.http_error(error) if errors.is_api_request() else error
