"""URL converters: `<int:...>` in every route takes only ids a database column can hold."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, ValidationError

from consortium.bounds import MAX_ID


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's int converter with an upper bound: a larger id names nothing, so 404.

    Without it `/solicitations/9223372036854775808` reaches the database, which cannot even
    compare such a number with an INTEGER column, and answers 500. Registered as `int`, it
    bounds every route, those of blueprints added later included.
    """

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_ID)):  # before int(): thousands of digits cost time
            raise ValidationError()
        return super().to_python(value)


def init_app(app) -> None:
    """Bound every `<int:...>` of the app (call before any blueprint is registered)."""
    app.url_map.converters["int"] = BoundedIntConverter
