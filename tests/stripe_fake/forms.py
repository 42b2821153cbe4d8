"""Stripe's form encoding (`a[b]=c`, `lines[0][quantity]=2`) decoded into nested data."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from tests.stripe_fake.errors import param_invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _parts(key: str) -> list[str]:
    match = _KEY.match(key)
    if not match:
        raise ValueError(f"malformed form key {key!r}")
    return [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]


def _listify(node: Any) -> Any:
    # Stripe sends arrays as indexed maps (`lines[0]`, `lines[1]`); give them back as lists.
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def decode_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Nest `(key, value)` pairs the way Stripe reads them; values stay strings."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _parts(key)
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"form key {key!r} conflicts with a scalar")
            node = child
        last = parts[-1]
        if last == "":  # `expand[]=x`: curl's unindexed arrays
            last = str(len(node))
        node[last] = value
    return _listify(root)


def decode_form(body: bytes) -> dict[str, Any]:
    """The nested parameters of an `application/x-www-form-urlencoded` body."""
    return decode_pairs(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))


def as_int(value: Any, param: str) -> int:
    """An integer parameter, or Stripe's 400 naming it."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise param_invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer") from None


def as_bool(value: Any, param: str) -> bool:
    """Stripe's `true`/`false` strings."""
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise param_invalid(param, f"Invalid boolean: {value}")
