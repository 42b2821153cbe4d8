"""Refusals of procurement services: each carries a message for people and the field at fault."""

from __future__ import annotations


class ProcurementError(ValueError):
    """A refused action, with a message for people; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class OptInClosed(ProcurementError):
    """The solicitation does not accept opt-in changes now (deadline passed, not open)."""


class NotVerified(ProcurementError):
    """The district is not verified by the solicitation's consortium."""


class StaleOptIn(ProcurementError):
    """The opt-in changed since the form was loaded."""
