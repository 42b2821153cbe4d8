"""The demo consortium that `make demo` serves: `seed()`, `is_seeded()` and `logins()`.

Everything is made through the domain services (registration, verification, profiles,
solicitations, opt-ins, sealed bids, bid opening, a real allocation run, the award and the
district decisions), so the audit trail, the outbox and every invariant are the real ones.
The story is played in time order on a frozen server clock: each step happens at its own
instant before "now", which is why deadlines can lie in the past and still have been met.

data       the tables: accounts, vendors and their products, bids, clauses, solicitations
districts  districts drawn like the real ones (shared/data/districts.md), deterministically
timeline   the engine: steps in time order on a frozen clock
story      each kind of step, through the services
plan       the whole story from founding to yesterday, and `seed()` that plays it
tokens     each demo account's API token, with a published secret like the demo password
"""

from __future__ import annotations

from consortium.demo.data import CONSORTIUM, SEED, logins
from consortium.demo.districts import HERON_LAKE, PRAIRIE_RIDGE, draw_districts
from consortium.demo.plan import DemoSummary, is_seeded, seed
from consortium.demo.timeline import DemoError
from consortium.demo.tokens import tokens

__all__ = [
    "CONSORTIUM", "HERON_LAKE", "PRAIRIE_RIDGE", "SEED", "DemoError", "DemoSummary",
    "draw_districts", "is_seeded", "logins", "seed", "tokens",
]
