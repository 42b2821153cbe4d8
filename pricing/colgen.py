"""Column generation over purchasing groups: the LP bounds and the columns the master MIP picks from.

A column is one valid group (offer, members). The master LP chooses columns so that every
buyer is in at most one and no offer exceeds its capacity; the *serve* phase maximises the
seats served, the *cost* phase minimises spend while serving at least a target. Its LP value
over all valid columns bounds every allocation, and its duals price new columns:

- Within a box (a maximal set of mutually similar buyers), an offer and a price *level*
  (a tier, cut further at the members' minimum group quantities so that every member
  allowed at a level is satisfied at its floor), a column's reduced cost is
  `a + sum over members of (q_i * (unit + mu - lambda) + rho_i)`: every member is worth
  the same per seat but its dual, so the best columns are prefixes of the box's members
  sorted by dual per seat (`rho_i / q_i`), stopped at the level's floor and ceiling.
- A fractional prefix is the exact optimum of the pricing problem's relaxation, so the
  Lagrangian bound `dual objective + sum_i q_i * min(0, best reduced cost per seat of any
  column containing i)` is valid for any duals (Farley/Lagrangian argument: each buyer is in
  at most one column of any solution). It needs no convergence to be proven, and it meets
  the LP value as the generation converges.
- Wentges smoothing prices at a convex combination of the LP duals and the duals of the
  best bound so far, which damps the oscillation of plain Kelley column generation.

Everything here is numpy over the flat list of (box, member) pairs, sorted once per round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pricing import rules
from pricing.problem import Problem
from pricing.tiers import schedule_total, tier_ranges

SERVE, COST = "serve", "cost"
# Levels a graduated tier is cut into at members' minimum group quantities (geometric steps).
NEED_CUTS_PER_TIER = 8


@dataclass(frozen=True, slots=True)
class Level:
    """Groups of one offer holding `low..high` units, priced `intercept + unit * Q` or less."""

    low: int
    high: int
    unit: int
    intercept: int


def offer_levels(problem: Problem, o: int) -> list[Level]:
    """The offer's tiers, graduated ones cut at members' needs, capped by its capacity.

    A volume offer's minimum group quantities are its tier floors already (its average
    price only changes there); a graduated one's fall anywhere, so its tiers are cut at a
    few of them: a member is allowed at a level when its need is at most the level's top.
    """
    offer = problem.offers[o]
    qty = [b.quantity for b in problem.buyers]
    raised = sorted({n[o] for i, n in enumerate(problem.need) if o in n and n[o] > qty[i]})
    cuts: list[tuple[int, int, int]] = []
    for r in tier_ranges(offer):
        intercept = 0
        if offer.tiers_mode == "graduated":
            intercept = schedule_total(offer, r.low - 1) - r.unit_amount * (r.low - 1)
        cuts.append((r.low, r.unit_amount, intercept))
        if offer.tiers_mode != "graduated":
            continue
        inside = [x for x in raised if x > r.low and (r.high is None or x <= r.high)]
        if not inside:
            continue
        picks = set()
        top = inside[-1]
        for step in range(1, NEED_CUTS_PER_TIER + 1):
            target = r.low * (top / r.low) ** (step / NEED_CUTS_PER_TIER)
            k = int(np.searchsorted(inside, target, side="right")) - 1
            picks.add(inside[max(0, k)])
        cuts.extend((p, r.unit_amount, intercept) for p in sorted(picks))
    cuts.sort()
    cap = offer.capacity if offer.capacity is not None else sum(qty)
    levels = []
    for k, (low, unit, intercept) in enumerate(cuts):
        high = cuts[k + 1][0] - 1 if k + 1 < len(cuts) else cap
        high = min(high, cap)
        if low <= high:
            levels.append(Level(low, high, unit, intercept))
    return levels


@dataclass(slots=True)
class Column:
    offer: int
    members: tuple[int, ...]
    quantity: int
    cost: int


@dataclass(slots=True)
class Pool:
    """Every column generated so far, each once."""

    columns: list[Column] = field(default_factory=list)
    index: dict[tuple[int, tuple[int, ...]], int] = field(default_factory=dict)
    _flat: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def add(self, problem: Problem, offer: int, members: Sequence[int]) -> int:
        """The column's index, adding it first if it is new."""
        key = (offer, tuple(sorted(members)))
        found = self.index.get(key)
        if found is not None:
            return found
        quantity = sum(problem.buyers[i].quantity for i in key[1])
        self.index[key] = len(self.columns)
        self.columns.append(Column(offer, key[1], quantity, schedule_total(problem.offers[offer], quantity)))
        return self.index[key]

    def find(self, offer: int, members: Sequence[int]) -> int | None:
        return self.index.get((offer, tuple(sorted(members))))

    def within(self, inside: np.ndarray) -> np.ndarray:
        """Indices of the columns whose every member is marked in the boolean array `inside`."""
        self._flatten()
        hits = np.add.reduceat(inside[self._flat].astype(np.int64), self._starts) if len(self._flat) else []
        return np.flatnonzero(np.asarray(hits) == self._sizes)

    def _flatten(self) -> None:
        done = len(self._sizes)
        if done == len(self.columns):
            return
        new = self.columns[done:]
        sizes = np.array([len(c.members) for c in new], dtype=np.int64)
        self._starts = np.r_[self._starts, len(self._flat) + np.r_[0, np.cumsum(sizes)[:-1]]].astype(np.int64)
        self._flat = np.r_[self._flat, np.concatenate([np.asarray(c.members) for c in new])].astype(np.int64)
        self._sizes = np.r_[self._sizes, sizes].astype(np.int64)


@dataclass(frozen=True, slots=True)
class Duals:
    """Prices of the master's rows: per buyer (>= 0), per offer's capacity (>= 0), per seat served."""

    rho: np.ndarray
    mu: np.ndarray
    lam: float

    def mix(self, other: Duals, alpha: float) -> Duals:
        return Duals(alpha * self.rho + (1 - alpha) * other.rho,
                     alpha * self.mu + (1 - alpha) * other.mu,
                     alpha * self.lam + (1 - alpha) * other.lam)


class Space:
    """The candidate boxes as flat (box, member) arrays, with each offer's needs and levels."""

    def __init__(self, problem: Problem, boxes: Sequence[Sequence[int]]):
        self.problem = problem
        self.n, self.m = len(problem.buyers), len(problem.offers)
        self.q = np.array([b.quantity for b in problem.buyers], dtype=np.float64)
        self.need = np.full((self.m, self.n), np.inf)
        for i, needs in enumerate(problem.need):
            for o, value in needs.items():
                self.need[o, i] = value
        self.boxes = [np.asarray(sorted(b), dtype=np.int64) for b in boxes if len(b)]
        self.box_of = np.concatenate([np.full(len(b), k, dtype=np.int64) for k, b in enumerate(self.boxes)]) \
            if self.boxes else np.zeros(0, dtype=np.int64)
        self.buyer_of = np.concatenate(self.boxes) if self.boxes else np.zeros(0, dtype=np.int64)
        self.levels = [offer_levels(problem, o) for o in range(self.m)]
        self.capacity = [o.capacity for o in problem.offers]
        limit = problem.policy.max_group_size
        # The heaviest group of at most `limit` members a box holds for each offer: a cap on Q.
        self.size_cap = np.full((self.m, len(self.boxes)), np.inf)
        if limit is not None:
            for o in range(self.m):
                for k, b in enumerate(self.boxes):
                    usable = np.sort(self.q[b][np.isfinite(self.need[o, b])])[::-1]
                    self.size_cap[o, k] = usable[:limit].sum()

    @property
    def memberships(self) -> int:
        return len(self.buyer_of)


@dataclass(slots=True)
class Priced:
    """What one pricing round found: the columns it proposes (pool indices), and the bound."""

    proposed: list[int]
    bound: float | None


@dataclass(slots=True)
class _Best:
    """Per buyer: the best reduced cost per seat of a column holding it, and where it was."""

    per_seat: np.ndarray
    offer: np.ndarray
    level: np.ndarray
    box: np.ndarray
    others: np.ndarray

    @classmethod
    def empty(cls, n: int) -> _Best:
        return cls(np.full(n, np.inf), np.full(n, -1), np.full(n, -1), np.full(n, -1), np.zeros(n))

    def offer_better(self, buyers: np.ndarray, per_seat: np.ndarray, o: int, level: int,
                     boxes: np.ndarray, others: np.ndarray) -> None:
        """Keep, per buyer, the smallest of its current term and these (one per membership)."""
        if not len(buyers):
            return
        order = np.lexsort((per_seat, buyers))
        first = order[np.r_[True, buyers[order][1:] != buyers[order][:-1]]]
        who = buyers[first]
        better = per_seat[first] < self.per_seat[who]
        who, first = who[better], first[better]
        self.per_seat[who] = per_seat[first]
        self.offer[who], self.level[who] = o, level
        self.box[who], self.others[who] = boxes[first], others[first]


def price(space: Space, pool: Pool, duals: Duals, phase: str, target: float, *,
          limit: int = 400, with_bound: bool = True, tight: bool = False) -> Priced:
    """Propose up to `limit` columns of best relaxed reduced cost; return the Lagrangian bound.

    `tight` splits on the district a relaxed column takes only part of: a better bound for
    about three times the work, worth it for the bound a phase ends on.
    """
    q = space.q
    sigma = duals.rho / q
    order = np.lexsort((sigma[space.buyer_of], space.box_of))
    box_s, buyer_s = space.box_of[order], space.buyer_of[order]
    best = _Best.empty(space.n)
    candidates: list[tuple[float, int, int, int, Level, np.ndarray]] = []
    for o in range(space.m):
        uses = np.isfinite(space.need[o, buyer_s])
        if not uses.any():
            continue
        b_o, i_o = box_s[uses], buyer_s[uses]
        need_o = space.need[o, i_o]
        for k, level in enumerate(space.levels[o]):
            _price_level(space, duals, phase, o, k, level, b_o, i_o, need_o, best, candidates,
                         with_bound, tight)
    proposed = _add_columns(space, pool, candidates, limit)
    if not with_bound:
        return Priced(proposed, None)
    proposed += _add_forced(space, pool, best, sigma, limit // 2)
    capacity = sum(duals.mu[o] * c for o, c in enumerate(space.capacity) if c is not None)
    if phase == COST:
        # The served row stays in the relaxation: the cheapest `target` seats, each buyer's at
        # its best cost per seat (reduced by the buyer and capacity prices only), fractionally.
        return Priced(proposed, -duals.rho.sum() - capacity
                      + _cheapest_seats(best.per_seat + duals.lam, q, target))
    term = np.where(np.isfinite(best.per_seat), best.per_seat, 0.0) * q
    dual_objective = duals.rho.sum() + capacity
    return Priced(proposed, float(dual_objective - np.minimum(term, 0.0).sum()))


def _cheapest_seats(per_seat: np.ndarray, q: np.ndarray, target: float) -> float:
    """Least total of `target` seats drawn from buyers at `per_seat` each, at most q_i from i.

    +inf when fewer seats than that can be drawn at all (no allocation serves the target).
    """
    finite = np.isfinite(per_seat)
    order = np.argsort(per_seat[finite], kind="stable")
    prices, seats = per_seat[finite][order], q[finite][order]
    before = np.cumsum(seats) - seats
    take = np.clip(target - before, 0.0, seats)
    if before[-1:].sum() + seats[-1:].sum() < target - 1e-9 if len(seats) else target > 0:
        return float("inf")
    return float(np.dot(prices, take))


def _add_forced(space: Space, pool: Pool, best: _Best, sigma: np.ndarray, limit: int) -> list[int]:
    """The columns behind the most negative per-buyer terms: the buyer plus a cheap prefix."""
    problem = space.problem
    gain = np.where(np.isfinite(best.per_seat), best.per_seat, 0.0) * space.q
    proposed: list[int] = []
    for i in np.argsort(gain)[: limit * 2]:
        if gain[i] >= -1e-6 or len(proposed) >= limit:
            break
        o, level = int(best.offer[i]), space.levels[best.offer[i]][best.level[i]]
        members = space.boxes[best.box[i]]
        members = members[(space.need[o, members] <= level.high) & (members != i)]
        members = members[np.argsort(sigma[members], kind="stable")]
        group, total = [int(i)], 0.0
        for j in members.tolist():
            if total >= best.others[i] - 1e-9:
                break
            group.append(j)
            total += space.q[j]
        group = repair(problem, o, group)
        if group and i in group:
            proposed.append(pool.add(problem, o, group))
    return proposed


def _smallest_others(qs: np.ndarray, starts: np.ndarray, run: np.ndarray, size: int) -> np.ndarray:
    """Per membership, the seats of the `size - 1` smallest other members of its box (inf if
    the box has fewer than `size` members)."""
    order = np.lexsort((qs, run))
    rank = np.empty(len(qs), dtype=np.int64)
    rank[order] = np.arange(len(qs)) - starts[run[order]]
    counts = np.diff(np.r_[starts, len(qs)])
    sorted_q = qs[order]
    first = np.zeros((size, len(starts)))  # the k-th smallest seats of each box
    for k in range(size):
        at = starts + k
        first[k] = np.where(k < counts, sorted_q[np.minimum(at, len(qs) - 1)], np.inf)
    smallest = first[: size - 1].sum(axis=0)[run]
    with_next = first.sum(axis=0)[run] - qs  # e among the `size` smallest: the next one joins
    return np.where(counts[run] < size, np.inf, np.where(rank < size - 1, with_next, smallest))


def _segments(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start of each run of equal box ids in a sorted array, and each position's run number."""
    starts = np.flatnonzero(np.r_[True, boxes[1:] != boxes[:-1]])
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(boxes)]))
    return starts, run


class _Prefixes:
    """The boxes of one price level, members sorted by dual per seat: fractional prefixes.

    `forced(own, base, skips, low, high)` gives, per membership, the least ratio
    (own + dual of the others) / (base + seats of the others) over fractional sets of the
    box's other members (`skips` are left out: the member itself, perhaps one more) whose
    seats lie within [low, high]; the seats it takes; and the position of the district it
    takes only part of to reach `low` (-1 when none).
    """

    def __init__(self, qs, rs, ss, excl_q, excl_r, incl_q, cq, base_q, starts, run):
        self.qs, self.rs, self.ss = qs, rs, ss
        self.excl_q, self.excl_r, self.incl_q, self.cq, self.base_q = excl_q, excl_r, incl_q, cq, base_q
        self.starts, self.run = starts, run
        self.end = np.r_[starts[1:], len(qs)][run]

    def _skipped_before(self, at: np.ndarray, skips: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
        if len(skips) == 1 or (skips[1] < 0).all():  # only the member itself: its own position
            passed = skips[0] < at
            return np.where(passed, self.qs, 0.0), np.where(passed, self.rs, 0.0)
        mass = np.zeros(len(at))
        dual = np.zeros(len(at))
        for s in skips:
            passed = (s >= 0) & (s < at)
            sv = np.maximum(s, 0)
            mass += np.where(passed, self.qs[sv], 0.0)
            dual += np.where(passed, self.rs[sv], 0.0)
        return mass, dual

    def cheapest(self, wanted: np.ndarray, skips: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Least dual of `wanted` seats of the other members, and the district filled in part."""
        target = wanted.copy()
        dual_skipped = np.zeros(len(wanted))
        a, b = skips if len(skips) == 2 else (skips[0], np.full(len(wanted), -1))
        both = (a >= 0) & (b >= 0)
        low_s = np.where(both, np.minimum(a, b), np.where(a >= 0, a, b))
        high_s = np.where(both, np.maximum(a, b), -1)
        for s in (low_s, high_s):  # in position order: passing the first may pass the second
            sv = np.maximum(s, 0)
            passed = (s >= 0) & (self.excl_q[sv] < target)
            target = target + np.where(passed, self.qs[sv], 0.0)
            dual_skipped += np.where(passed, self.rs[sv], 0.0)
        pos = np.searchsorted(self.cq, self.base_q[self.run] + target, side="left")
        pos = np.clip(pos, self.starts[self.run], self.end - 1)
        into = np.maximum(target - self.excl_q[pos], 0.0)
        dual = self.excl_r[pos] + into * self.ss[pos] - dual_skipped
        partial = (into > 1e-9) & (into < self.qs[pos] - 1e-9)
        return dual, np.where(partial, pos, -1)

    def forced(self, own, base, skips, low, high):
        lo, hi = self.starts[self.run].copy(), self.end.copy()
        while True:  # the first position whose dual per seat is no lower than the running ratio
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            at = np.minimum(mid, len(self.qs) - 1)
            gone_q, gone_r = self._skipped_before(at, skips)
            mass_before = self.excl_q[at] - gone_q
            dual_before = self.excl_r[at] - gone_r
            stop = (mid >= self.end) | (self.ss[at] * (base + mass_before) >= own + dual_before)
            hi = np.where(active & stop, mid, hi)
            lo = np.where(active & ~stop, mid + 1, lo)
        at = np.minimum(lo, len(self.qs) - 1)
        gone_q, _ = self._skipped_before(at, skips)
        total_gone, _ = self._skipped_before(self.end, skips)
        last = np.maximum(self.end - 1, 0)
        available = self.incl_q[last] - total_gone
        others = np.where(lo >= self.end, available, self.excl_q[at] - gone_q)
        others = np.clip(others, low, np.maximum(high, low))
        dual, critical = self.cheapest(others, skips)
        critical = np.where(others <= low + 1e-9, critical, -1)  # only the floor's part-district
        for s in skips:
            critical = np.where(critical == s, -1, critical)
        ratio = (own + dual) / np.maximum(base + others, 1e-12)
        # Too few other seats to reach the floor: no such column, the bound is +inf.
        return np.where(available < low - 1e-9, np.inf, ratio), others, critical


def _price_level(space: Space, duals: Duals, phase: str, o: int, k_level: int, level: Level,
                 b_o: np.ndarray, i_o: np.ndarray, need_o: np.ndarray, best: _Best,
                 candidates: list, with_bound: bool, tight: bool = False) -> None:
    q = space.q
    allowed = need_o <= level.high
    starts, run = _segments(b_o)
    for _ in range(3):  # a member whose need exceeds what its box could ever hold is out
        mass = np.add.reduceat(np.where(allowed, q[i_o], 0.0), starts)
        tighter = allowed & (need_o <= mass[run])
        if np.array_equal(tighter, allowed):
            break
        allowed = tighter
    mass = np.add.reduceat(np.where(allowed, q[i_o], 0.0), starts)
    feasible = mass >= level.low
    if not feasible.any():
        return
    keep = feasible[run] & allowed
    b, i = b_o[keep], i_o[keep]
    starts, run = _segments(b)
    boxes = b[starts]
    qs, rs = q[i], duals.rho[i]
    ss = rs / qs
    cq = np.cumsum(qs)
    cr = np.cumsum(rs)
    base_q = np.r_[0.0, cq][starts]
    base_r = np.r_[0.0, cr][starts]
    incl_q = cq - base_q[run]  # within-box mass up to and including each position
    incl_r = cr - base_r[run]
    excl_q, excl_r = incl_q - qs, incl_r - rs
    top = np.minimum(float(level.high), incl_q[np.r_[starts[1:] - 1, len(b) - 1]])
    top = np.minimum(top, space.size_cap[o, boxes])
    seg_end = np.r_[starts[1:], len(b)]

    def cheapest(mass_wanted: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Least dual mass for `mass_wanted` seats of box-run `seg` (fractional prefix).

        The global running sum `cq` is monotone, so one search finds the position in the
        box: the first whose running mass reaches what is wanted.
        """
        pos = np.searchsorted(cq, base_q[seg] + mass_wanted, side="left")
        pos = np.clip(pos, starts[seg], seg_end[seg] - 1)
        return excl_r[pos] + np.maximum(mass_wanted - excl_q[pos], 0.0) * ss[pos]

    if phase == COST:
        theta = duals.lam - level.unit - duals.mu[o]
        intercept = float(level.intercept)
    else:
        theta, intercept = 1.0 - duals.mu[o], 0.0
    seg_all = np.arange(len(starts))
    ok = top >= level.low
    profitable = ss < theta
    gain_q = np.add.reduceat(np.where(profitable, qs, 0.0), starts)
    wanted = np.clip(gain_q, level.low, np.maximum(top, level.low))
    value = theta * wanted - cheapest(wanted, seg_all) - intercept
    value = np.where(ok, value, -np.inf)
    for k in np.flatnonzero(value > 1e-6 * max(1.0, abs(theta))):
        s = starts[k]
        e = starts[k + 1] if k + 1 < len(starts) else len(b)
        candidates.append((float(value[k]), o, int(boxes[k]), int(wanted[k]), level, i[s:e]))
    if not with_bound:
        return
    # Forced member: the best per-seat reduced cost of a column that holds member e.
    lo_limit = np.maximum(level.low - qs, 0.0)
    too_few = np.zeros(len(qs), dtype=bool)
    if space.problem.policy.min_group_size > 1:
        # Every column holding e holds at least min_group_size - 1 others: their seats are
        # at least those of the box's smallest such others (a valid floor, often tighter).
        floor = _smallest_others(qs, starts, run, space.problem.policy.min_group_size)
        too_few = ~np.isfinite(floor)
        lo_limit = np.maximum(lo_limit, np.where(too_few, 0.0, floor))
    hi_limit = top[run] - qs
    usable = ok[run] & (hi_limit >= lo_limit) & ~too_few
    if not usable.any():
        return
    box = _Prefixes(qs, rs, ss, excl_q, excl_r, incl_q, cq, base_q, starts, run)
    me = np.arange(len(b))
    own = rs + intercept
    ratio, others, critical = box.forced(own, qs, (me,), lo_limit, hi_limit)
    # Where the best column needs part of one district (`critical`) to reach the level's
    # floor, a whole column either holds that district or does not: the lesser of the two
    # branches' bounds is still a bound, and a tighter one (Martello and Toth's rule).
    split = usable & (critical >= 0)
    if tight and split.any():
        c = np.where(split, critical, 0)
        with_c, _, _ = box.forced(own + rs[c], qs + qs[c], (me, c), np.maximum(lo_limit - qs[c], 0.0),
                                  hi_limit - qs[c])
        without_c, _, _ = box.forced(own, qs, (me, c), lo_limit, hi_limit)
        feasible_with = hi_limit - qs[c] >= np.maximum(lo_limit - qs[c], 0.0)
        branch = np.minimum(np.where(feasible_with, with_c, np.inf), without_c)
        ratio = np.where(split, np.maximum(ratio, branch), ratio)
    if phase == COST:
        per_seat = level.unit + duals.mu[o] - duals.lam + ratio
    else:
        per_seat = ratio - (1.0 - duals.mu[o])
    per_seat = np.where(usable, per_seat, np.inf)
    best.offer_better(i, per_seat, o, k_level, boxes[run], others)


def _add_columns(space: Space, pool: Pool, candidates: list, limit: int) -> list[int]:
    """Round the best relaxed columns to whole members, repair them, and propose them."""
    problem = space.problem
    candidates.sort(key=lambda c: -c[0])
    proposed: list[int] = []
    seen: set[tuple[int, int, int]] = set()
    for _value, o, box, wanted, level, members in candidates:
        if len(proposed) >= limit:
            break
        if (o, box, level.low) in seen:
            continue
        seen.add((o, box, level.low))
        group: list[int] = []
        total = 0
        for i in members.tolist():
            if total >= wanted and len(group) >= problem.policy.min_group_size:
                break
            group.append(i)
            total += problem.buyers[i].quantity
        group = repair(problem, o, group)
        if group:
            proposed.append(pool.add(problem, o, group))
    return proposed


def repair(problem: Problem, o: int, group: list[int]) -> list[int]:
    """The largest valid group left of `group` for offer o: size, capacity and needs kept."""
    limit = problem.policy.max_group_size
    cap = problem.offers[o].capacity
    members = list(group)
    if not rules.fits(problem.buyers, problem.rules, members):  # drawn from a relaxed box
        members = rules.fit_window(problem.buyers, problem.rules, members)
    while members:
        if limit is not None and len(members) > limit:
            members = sorted(members, key=lambda i: -problem.buyers[i].quantity)[:limit]
        quantity = sum(problem.buyers[i].quantity for i in members)
        if cap is not None and quantity > cap:
            members = members[:-1]
            continue
        kept = [i for i in members if problem.need[i][o] <= quantity]
        if len(kept) == len(members):
            break
        members = kept
    if len(members) < problem.policy.min_group_size or not problem.group_is_valid(o, members):
        return []
    return sorted(members)
