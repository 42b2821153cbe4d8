"""`DomainError`: the one way a service refuses a request.

A service raises it before or after adding rows; the request's commit point
(`consortium.transaction`) then rolls the whole transaction back, sends no mail, and answers
with the status of its `kind`: the view's own page (a form re-rendered with `field` marked),
a flash and a redirect, or an error page. Pure: no Flask, no database.
"""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    """Why a rule refused, which decides the HTTP status."""

    invalid = "invalid"  # 400: the input breaks a rule (`field` names it)
    forbidden = "forbidden"  # 403: this organisation may ask but not do it (e.g. not verified)
    conflict = "conflict"  # 409: the state forbids it now (deadline passed, stale form, decided)


STATUS = {Refusal.invalid: 400, Refusal.forbidden: 403, Refusal.conflict: 409}


class DomainError(Exception):
    """A rule refused the request; `message` is for people, `field` the form field at fault."""

    def __init__(
        self, message: str, *, field: str | None = None, kind: Refusal = Refusal.invalid
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.kind = Refusal(kind)

    @property
    def status(self) -> int:
        return STATUS[self.kind]

    def __repr__(self) -> str:
        return f"DomainError({self.message!r}, field={self.field!r}, kind={self.kind.value!r})"


def conflict(message: str, *, field: str | None = None) -> DomainError:
    """A DomainError of kind `conflict` (409)."""
    return DomainError(message, field=field, kind=Refusal.conflict)


def forbidden(message: str, *, field: str | None = None) -> DomainError:
    """A DomainError of kind `forbidden` (403)."""
    return DomainError(message, field=field, kind=Refusal.forbidden)
