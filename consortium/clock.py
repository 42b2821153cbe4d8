"""The server clock: the only source of "now" for deadlines, timestamps and rate limits.

Code calls `now()` at the moment it needs the time (never binds a value at import), so
tests can freeze it with `freeze(...)` and every module sees the same instant.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC (or the frozen instant in tests)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def is_frozen() -> bool:
    """Whether a test froze the clock (then the database's clock is not asked either)."""
    return _frozen is not None


def freeze(at: datetime) -> None:
    """Stop the clock at `at` (aware) until `unfreeze()`."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward by `delta` and return the new instant."""
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    freeze(_frozen + delta)
    return now()


def unfreeze() -> None:
    """Let the clock run again."""
    global _frozen
    _frozen = None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_date(at: datetime, timezone: str) -> date:
    """The calendar day `at` falls on in `timezone` (a consortium's, usually)."""
    return at.astimezone(ZoneInfo(timezone)).date()
