"""The demo's engine: steps played in time order, each on the server clock frozen at its instant."""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import click

from consortium import clock


class DemoError(click.ClickException):
    """The demo cannot be seeded (already there, or a step refused); the CLI prints why."""


class Timeline:
    """Steps run in time order, each on the server clock frozen at its instant."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.current: datetime | None = None

    def at(self, when: datetime, step: Callable[[], None]) -> None:
        if self.current is not None and when < self.current:
            raise DemoError(f"a step at {when} was planned after {self.current}")
        heapq.heappush(self._heap, (when, next(self._seq), step))

    def play(self) -> None:
        while self._heap:
            when, _, step = heapq.heappop(self._heap)
            self.current = when
            clock.freeze(when)
            step()


@contextmanager
def clock_restored() -> Iterator[None]:
    """Leave the server clock as it was (running, or frozen by a test) after seeding."""
    previous = clock._frozen  # the module's own state: None when the clock runs
    try:
        yield
    finally:
        if previous is None:
            clock.unfreeze()
        else:
            clock.freeze(previous)


@contextmanager
def quiet_mail_log() -> Iterator[None]:
    """The demo queues hundreds of mails; they are in the outbox page, not in the terminal."""
    mail_log = logging.getLogger("consortium.mail")
    level = mail_log.level
    mail_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        mail_log.setLevel(level)
