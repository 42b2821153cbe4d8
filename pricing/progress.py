"""Progress of a solve, as ALLOCATION.md's Progress section describes it.

The engine tells a `Tracker` whenever its best allocation or a bound improves and ticks it
from its loops (and from HiGHS's MIP callback); the tracker hands an event to the caller's
callback on every improvement and at least every `HEARTBEAT_S` seconds, and a last one
that agrees with the result. Events never go back in time: `t` only grows, and each figure
is the best known when it was sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

HEARTBEAT_S = 5.0
Event = dict[str, object]
Callback = Callable[[Event], None]


@dataclass
class Tracker:
    """The best figures known so far, and when they were last reported."""

    callback: Callback | None
    began: float
    phase: str = "start"
    served: int | None = None
    total: int | None = None
    bound: int | None = None
    served_bound: int | None = None
    last_sent: float = -1.0
    last_t: float = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.began

    def allocation(self, served: int, total: int) -> None:
        """A new best allocation (the caller only reports lexicographic improvements)."""
        self.served, self.total = served, total
        self.emit()

    def bounds(self, *, bound: int | None = None, served_bound: int | None = None) -> None:
        """A proven bound improved (a higher spend bound, a lower served bound)."""
        changed = False
        if bound is not None and (self.bound is None or bound > self.bound):
            self.bound, changed = bound, True
        if served_bound is not None and (self.served_bound is None or served_bound < self.served_bound):
            self.served_bound, changed = served_bound, True
        if changed:
            self.emit()

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.tick()

    def tick(self) -> None:
        """Send a heartbeat when the last event is HEARTBEAT_S old."""
        if self.callback is not None and self.elapsed() - self.last_sent >= HEARTBEAT_S:
            self.emit()

    def emit(self, **final: object) -> None:
        if self.callback is None:
            return
        t = max(self.last_t, round(self.elapsed(), 3))
        self.last_t = self.last_sent = t
        self.callback(self.event(t, **final))

    def event(self, t: float, **final: object) -> Event:
        bound = self.bound
        if bound is not None and self.total is not None:
            bound = min(bound, self.total)
        gap = None
        if bound is not None and self.total is not None:
            gap = 0.0 if self.total == 0 else round((self.total - bound) / self.total, 6)
        event: Event = {"t": t, "phase": self.phase, "served": self.served, "total": self.total,
                        "bound": bound, "served_bound": self.served_bound, "gap": gap}
        event.update(final)
        return event
