"""The API's one error shape: `{"status": 422, "message": "...", "errors": {"field": ["..."]}}`.

Every refusal answers with it: a validation error of the input (422, each field named, nested
fields dotted: `tiers.0.unit_amount`), a service's DomainError (422 for invalid input, 403,
409), the policy's 401/403/404, the rate limit's 429, and routing's 404 and 405. Errors that
name no field are listed under `_request`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma
from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from consortium.commit_point import Answer
from consortium.errors import DomainError, Refusal

API_PREFIX = "/api/v1/"
NO_FIELD = "_request"
# A refused rule of a service is invalid input to the API: 422, not the pages' 400.
REFUSAL_STATUS = {Refusal.invalid: 422, Refusal.forbidden: 403, Refusal.conflict: 409}
MESSAGES = {
    400: "The request could not be read.",
    401: "Authenticate with a personal API token: 'Authorization: Bearer <token>'.",
    403: "You may not do this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    409: "The current state does not allow this.",
    413: "The request is too large.",
    415: "Send JSON (Content-Type: application/json).",
    422: "Some fields are invalid.",
    429: "Too many requests with this token; slow down and try again shortly.",
    500: "Something went wrong on our side; nothing was changed.",
}


class ErrorSchema(ma.Schema):
    """Every error answer of the API."""

    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status."})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong, for people."})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        required=True,
        metadata={"description": "Messages by field (dotted for nested ones); `_request` "
                                 "for those about the request as a whole."},
    )


def is_api_request() -> bool:
    """The request is for the JSON API (its errors are JSON, not pages)."""
    return request.path.startswith(API_PREFIX) and not request.path.startswith(
        API_PREFIX + "docs"
    )


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"a.0.b": [...]}; webargs' location level dropped."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = str(key)
            if name == "_schema":
                name = ""
            path = f"{prefix}.{name}".strip(".") if name else prefix
            for field, texts in flatten(value, path).items():
                flat.setdefault(field, []).extend(texts)
        return flat
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return {prefix or NO_FIELD: [str(m) for m in messages]}
        flat = {}
        for index, value in enumerate(messages):
            for field, texts in flatten(value, f"{prefix}.{index}".strip(".")).items():
                flat.setdefault(field, []).extend(texts)
        return flat
    return {prefix or NO_FIELD: [str(messages)]}


def error_response(
    status: int,
    message: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The JSON error answer."""
    text = message or MESSAGES.get(status) or "The request failed."
    response = jsonify({"status": status, "message": text, "errors": dict(errors or {})})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_error(error: HTTPException) -> Response:
    """An HTTP error (abort, routing, the rate limit, a parser's 422) as the JSON shape."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = flatten(_without_locations(data["messages"])) if "messages" in data else {}
    message = data.get("message") or _description(error) or MESSAGES.get(status)
    if status == 429:
        message = f"{MESSAGES[429]} The limit is {_description(error) or 'reached'}."
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if status == 401 else {}
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after"):
            headers[name] = value
    if status == 422 and not errors:
        errors = {NO_FIELD: [message or MESSAGES[422]]}
    return error_response(status, message, errors, headers)


LOCATIONS = frozenset({"json", "query", "querystring", "headers", "view_args", "path", "form"})


def _without_locations(messages: Any) -> Any:
    """webargs files messages under where they came from ({"json": {...}}): drop that level."""
    if isinstance(messages, Mapping) and messages and set(messages) <= LOCATIONS:
        merged: dict[str, Any] = {}
        for value in messages.values():
            merged.update(value if isinstance(value, Mapping) else {NO_FIELD: value})
        return merged
    return messages


def _description(error: HTTPException) -> str | None:
    """A message given to abort(code, "..."), not werkzeug's stock sentence."""
    description = getattr(error, "description", None)
    if description and description != getattr(type(error), "description", None):
        return str(description)
    return None


def refusal_answer(aliases: Mapping[str, str] | Callable[[str], str] | None = None) -> Answer:
    """How the API answers a DomainError: its status, its field (renamed by `aliases`, a
    mapping or a function of the service's field name)."""
    rename = aliases if callable(aliases) else (lambda name: (aliases or {}).get(name, name))

    def answer(error: DomainError) -> Response:
        field = rename(error.field) if error.field else NO_FIELD
        # Some services prefix the form's field name ("tiers-1-up_to: ..."): the key names it.
        message = error.message.removeprefix(f"{error.field}: ") if error.field else error.message
        return error_response(REFUSAL_STATUS[error.kind], message, {field: [message]})

    return answer
