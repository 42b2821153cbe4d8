"""The browsable API reference at /api/v1/docs, rendered here from the OpenAPI document.

Swagger UI and ReDoc load their scripts from a CDN and need JavaScript; this page needs
neither: it reads the same generated document and lists every operation by resource, with
its parameters, body fields and answers, so it can never disagree with openapi.json.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape

from consortium.policy import public

bp = Blueprint("api_docs", __name__)
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    name: str
    kind: str
    required: bool
    notes: str


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    needs_token: bool
    parameters: list[Field] = field(default_factory=list)
    body: str | None = None
    answers: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", f"{self.method}-{self.path}".lower()).strip("-")


def prose(text: str) -> Markup:
    """The document's Markdown-ish description as paragraphs: `code` and **bold** only."""
    paragraphs = [p.strip().replace("\n", " ") for p in text.split("\n\n") if p.strip()]
    html = []
    for paragraph in paragraphs:
        escaped = str(escape(paragraph))
        escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
        escaped = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)
        html.append(f"<p>{escaped}</p>")
    return Markup("\n".join(html))


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _kind(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _name(schema["$ref"])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return f"list of {_kind(schema.get('items', {}))}"
    return kind + (" (or null)" if schema.get("nullable") else "")


def _notes(schema: dict[str, Any]) -> str:
    notes: list[str] = []
    if "enum" in schema:
        notes.append("one of " + ", ".join(str(v) for v in schema["enum"] if v is not None))
    if "minimum" in schema or "maximum" in schema:
        notes.append(f"from {schema.get('minimum', '…')} to {schema.get('maximum', '…')}")
    if "maxLength" in schema:
        notes.append(f"at most {schema['maxLength']} characters")
    if "default" in schema:
        notes.append(f"default {schema['default']!r}")
    limits = "; ".join(notes)
    description = schema.get("description", "")
    return f"{description} ({limits})" if description and limits else description or limits


def schema_fields(schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required", []))
    return [Field(name, _kind(prop), name in required, _notes(prop))
            for name, prop in schema.get("properties", {}).items()]


def operations(spec: dict[str, Any]) -> dict[str, list[Operation]]:
    """Every operation of the document, by tag, in the document's order."""
    params = spec.get("components", {}).get("parameters", {})
    responses = spec.get("components", {}).get("responses", {})
    by_tag: dict[str, list[Operation]] = {tag["name"]: [] for tag in spec.get("tags", [])}
    for path, item in spec["paths"].items():
        shared = [params.get(_name(p["$ref"]), p) if "$ref" in p else p
                  for p in item.get("parameters", [])]
        for method in METHODS:
            if method not in item:
                continue
            raw = item[method]
            op = Operation(
                method.upper(), path, raw.get("summary", ""), raw.get("description", ""),
                needs_token={} not in raw.get("security", [{}]),
            )
            for p in [*shared, *raw.get("parameters", [])]:
                op.parameters.append(Field(f"{p['name']} ({p['in']})", _kind(p.get("schema", {})),
                                           bool(p.get("required")), _notes({**p.get("schema", {}),
                                           **({"description": p["description"]} if p.get("description") else {})})))
            body = raw.get("requestBody", {}).get("content", {}).get("application/json", {})
            if body:
                op.body = _kind(body.get("schema", {}))
            for status, answer in sorted(raw.get("responses", {}).items()):
                if "$ref" in answer:
                    answer = responses.get(_name(answer["$ref"]), {})
                content = answer.get("content", {}).get("application/json", {})
                kind = _kind(content["schema"]) if "schema" in content else None
                op.answers.append((status, answer.get("description", ""), kind))
            for tag in raw.get("tags", ["Other"]):
                by_tag.setdefault(tag, []).append(op)
    return {tag: ops for tag, ops in by_tag.items() if ops}


@bp.get("/api/v1/docs")
@public
def reference():
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    schemas = spec.get("components", {}).get("schemas", {})
    return render_template(
        "api/reference.html",
        spec=spec,
        intro=prose(spec["info"].get("description", "")),
        resources=operations(spec),
        schemas={name: schema_fields(schema) for name, schema in sorted(schemas.items())},
        tags={tag["name"]: tag.get("description", "") for tag in spec.get("tags", [])},
    )
