"""The API's building blocks: its Blueprint, input parser, pagination and common fields.

`ApiBlueprint.operation` is how every resource module declares a view: the route, the error
statuses it can answer (documented in the OpenAPI document, so clients and schemathesis see
them), the per-token rate limit, and whether anonymous callers may use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import current_app
from flask_smorest import Api, Blueprint
from sqlalchemy import Select, func, select
from webargs.flaskparser import FlaskParser, abort
from werkzeug.routing import BaseConverter

from consortium.api.auth import rate_limit_key
from consortium.api.errors import ErrorSchema
from consortium.bounds import MAX_ID
from consortium.extensions import db, limiter
from consortium.policy import public

ID = "id"  # the converter of every id in an API path (IdConverter)
MAX_PAGE = 100_000  # far past any real list; keeps OFFSET inside a 64-bit integer
MAX_PER_PAGE = 100
INT32_MAX = MAX_ID  # ids and counts are 32-bit columns: bigger values cannot exist

ERROR_DESCRIPTIONS = {
    401: "No valid API token.",
    403: "The acting organisation may not do this (as on the pages).",
    404: "Not found, or not visible to the acting organisation.",
    409: "The state forbids it now: a deadline passed, a stale version, already decided.",
    422: "Invalid input: each field at fault is named.",
    429: "Rate limit of this token (or address) reached.",
}

# One bucket per token across the whole API (callers without a token: per address).
API_LIMIT = limiter.shared_limit(
    lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=rate_limit_key
)


class InputParser(FlaskParser):
    """webargs' parser with every failure a 422 in the API's error shape."""

    DEFAULT_VALIDATION_STATUS = 422

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(422, messages={"_request": ["The body is not valid JSON."]})


class ApiBlueprint(Blueprint):
    """A resource of /api/v1: its operations are tagged with its `tag` in the document."""

    ARGUMENTS_PARSER = InputParser()

    def __init__(self, name: str, *, tag: str, description: str) -> None:
        super().__init__(name, __name__, description=description)
        self.tag = tag

    def operation(
        self,
        rule: str,
        method: str,
        *,
        errors: Iterable[int] = (),
        anonymous: bool = False,
    ) -> Callable:
        """Register a view for `method` on `rule`, documenting the statuses it may answer.

        Every operation may answer 429, and 401 (a bad token is refused even where none is
        needed).
        """
        codes = {401, 429, *errors}

        def decorator(view: Callable) -> Callable:
            wrapped = API_LIMIT(view)  # checked when the view runs: after the token is known
            for code in sorted(codes, reverse=True):
                wrapped = self.alt_response(
                    code, schema=ErrorSchema, description=ERROR_DESCRIPTIONS.get(code)
                )(wrapped)
            # Anonymous callers may use it; a token may still change what it shows (drafts).
            security = [{}, {"token": []}] if anonymous else [{"token": []}]
            wrapped = self.doc(security=security)(wrapped)
            if anonymous:
                wrapped = public(wrapped)
            self.route(rule, methods=[method], tags=[self.tag], parameters=["Organisation"])(
                wrapped
            )
            return view

        return decorator


def digits_up_to(bound: int) -> str:
    """A regex of the decimal numbers from 0 to `bound` (leading zeros within its length).

    For 2147483647: 1-9 digits, or 10 digits that stay under the bound digit by digit
    (1xxxxxxxxx, 20xxxxxxxx, 21[0-3]xxxxxxx, ... 214748364[0-7]).
    """
    text = str(bound)
    branches = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        low = "1" if i == 0 and len(text) > 1 else "0"
        if int(digit) > int(low):
            below = low if int(digit) - 1 == int(low) else f"[{low}-{int(digit) - 1}]"
            rest = len(text) - i - 1
            branches.append(text[:i] + below + (rf"\d{{{rest}}}" if rest else ""))
    branches.append(text)
    return "(?:" + "|".join(branches) + ")"


class IdConverter(BaseConverter):
    """An id in a path: 1 to 10 digits, at most bounds.MAX_ID (the 32-bit keys). Any other
    matches no route: a 404 for every method and caller, before any query (PostgreSQL would
    answer an error, not "none", to comparing a larger number with an integer column).

    The bound is in the regex, not in `to_python`: a converter refusing a value makes
    werkzeug answer 405 when another method's rule shares the path."""

    regex = digits_up_to(MAX_ID)
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


def id_parameter_schema(converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "maximum": MAX_ID}


PUBLIC_ID = "public_id"  # the converter of a bid's opaque id in a path (PublicIdConverter)


class PublicIdConverter(BaseConverter):
    """A bid's opaque public id (bids.models.new_public_id; 32 hex for bids made before it):
    bids are never named by their primary key, whose sequence would count them (issue 10)."""

    regex = r"[A-Za-z0-9_-]{16,32}"
    part_isolating = True


def public_id_parameter_schema(converter: PublicIdConverter) -> dict[str, Any]:
    return {"type": "string", "pattern": f"^{PublicIdConverter.regex}$"}


class ConsortiumApi(Api):
    """flask-smorest's Api without its app-wide JSON error handler: the pages keep theirs,
    and the API blueprint answers its own errors (consortium.api.errors)."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # every status an operation answers is listed

    def _register_error_handlers(self) -> None:
        return None


# ------------------------------------------------------------------------------ fields


class UtcDateTime(ma.fields.AwareDateTime):
    """ISO 8601 with a timezone on input (converted to UTC); always UTC with Z on output."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)
        self.error_messages["naive"] = "Give a timezone, e.g. 2026-03-20T17:00:00Z."

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if isinstance(value, str) and len(value) > 40:
            raise self.make_error("invalid", input=value[:40], obj_type=self.OBJ_TYPE)
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not 2000 <= parsed.year <= 2200:
            raise ma.ValidationError("Give a date between the years 2000 and 2200.")
        return parsed.astimezone(UTC)


def whole(minimum: int = 0, maximum: int = INT32_MAX, **kwargs: Any) -> ma.fields.Integer:
    """A JSON integer (no strings, floats, NaN or booleans) between the bounds."""
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(minimum, maximum), **kwargs)


def text(maximum: int, *, minimum: int = 0, **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(minimum, maximum), **kwargs)


class Schema(ma.Schema):
    """Input schemas refuse unknown fields (a typo is an error, not silently ignored)."""

    class Meta:
        unknown = ma.RAISE


# ------------------------------------------------------------------------------ pagination


class PageArgs(Schema):
    page = ma.fields.Integer(
        load_default=1, validate=ma.validate.Range(1, MAX_PAGE),
        metadata={"description": "Page number, from 1."},
    )
    per_page = ma.fields.Integer(
        load_default=20, validate=ma.validate.Range(1, MAX_PER_PAGE),
        metadata={"description": f"Items per page (at most {MAX_PER_PAGE})."},
    )


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The envelope of a list of `item`: items, page, per_page, total, pages."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "page": ma.fields.Integer(required=True),
            "per_page": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True, metadata={"description": "Items in all pages."}),
            "pages": ma.fields.Integer(required=True),
        },
        name=name,
    )


def paginate(query: Select, args: dict[str, Any], shape: Callable[[Any], Any] = lambda x: x) -> dict:
    """One page of `query`'s rows (each through `shape`) in the envelope of `page_schema`."""
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return {
        "items": [shape(row) for row in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": max(1, math.ceil(total / per_page)),
    }
