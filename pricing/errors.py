"""Typed errors of the pricing core: callers catch these, never bare exceptions."""

from __future__ import annotations


class PricingError(Exception):
    """Base of every error the pricing package raises on purpose."""


class _ProblemsError(PricingError):
    """An error that carries every problem found, each naming its JSON path."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = "; ".join(self.problems[:5])
        more = f" (and {count - 5} more)" if count > 5 else ""
        super().__init__(f"{count} problem{'s' if count != 1 else ''}: {head}{more}")


class InstanceError(_ProblemsError):
    """An instance that breaks the field rules of ALLOCATION.md."""


class ResultFormatError(_ProblemsError):
    """A result document that does not have the shape of ALLOCATION.md's result JSON."""
