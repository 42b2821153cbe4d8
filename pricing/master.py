"""The restricted master over generated columns: its LP (bounds, duals), dives and MIPs (groupings).

Rows: one per buyer (in at most one group), one per offer with a capacity, and in the cost
phase one for the seats to serve. Columns are pool columns; the LP keeps only those that
matter (a purge drops the non-basic ones of largest reduced cost), so re-solves stay quick.
The LP of this problem is very degenerate (the served row is tight at its maximum): a hot
re-solve that stalls is cut short and the LP solved afresh by the interior point method.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pricing.baselines import Grouping
from pricing.colgen import COST, Column, Duals, Pool, Space, price
from pricing.highs import new_highs


class Master:
    """The LP relaxation over some pool columns, kept hot in HiGHS between rounds."""

    def __init__(self, space: Space, pool: Pool, phase: str, target: float = 0.0,
                 columns: Iterable[int] | None = None):
        import highspy

        self.highspy = highspy
        self.space, self.pool, self.phase, self.target = space, pool, phase, target
        self.scale = Scale.of(space, pool, phase)
        self.h = _empty_model(space, phase, target, self.scale)
        self.capacity_row = _capacity_rows(space)
        self.served_row = space.n + len(self.capacity_row) if phase == COST else None
        self.ids: list[int] = []
        self.position: dict[int, int] = {}
        self.fresh_s = 1.0  # how long a solve from scratch took (the stall limit grows with it)
        self.add(range(len(pool.columns)) if columns is None else columns)

    def add(self, ids: Iterable[int]) -> int:
        """Put these pool columns in the LP (those not there yet); how many were added."""
        new = [j for j in dict.fromkeys(ids) if j not in self.position]
        if not new:
            return 0
        costs, starts, rows, values = _column_data(
            [self.pool.columns[j] for j in new], self.phase, self.capacity_row, self.served_row,
            self.scale)
        k = len(new)
        # No upper bound of 1: each column has a member row, which already caps it; a bound
        # would carry duals of its own and the row duals alone would not price columns.
        self.h.addCols(k, costs, np.zeros(k), np.full(k, self.highspy.kHighsInf), len(rows),
                       starts, rows, values)
        for j in new:
            self.position[j] = len(self.ids)
            self.ids.append(j)
        return k

    def solve_lp(self, time_limit_s: float) -> tuple[float, Duals] | None:
        """Solve the LP; (value, duals), or None when no optimum was reached in the time."""
        highspy, h = self.highspy, self.h
        if not self.ids:  # no column yet (no district alone is a group): every dual is zero
            return 0.0, Duals(np.zeros(self.space.n), np.zeros(self.space.m), 0.0)
        began = time.perf_counter()
        _time_limit(h, min(time_limit_s, 2.0 + 3.0 * self.fresh_s))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            left = time_limit_s - (time.perf_counter() - began)
            if left <= 0.2:
                return None
            h.clearSolver()  # a stalled hot start: afresh, by the interior point method
            h.setOptionValue("solver", "ipm")
            _time_limit(h, left)
            fresh = time.perf_counter()
            try:
                h.run()
            finally:
                h.setOptionValue("solver", "choose")
            self.fresh_s = time.perf_counter() - fresh
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
        d = np.asarray(h.getSolution().row_dual) * self.scale.cost
        if self.phase != COST:
            d = -d  # HiGHS states duals in the maximisation's own sense
        n = self.space.n
        rho = np.maximum(-d[:n], 0.0)
        mu = np.zeros(self.space.m)
        for o, row in self.capacity_row.items():
            mu[o] = max(-d[row], 0.0) / self.scale.seats
        lam = max(d[self.served_row], 0.0) / self.scale.seats if self.served_row is not None else 0.0
        return float(h.getInfo().objective_function_value) * self.scale.cost, Duals(rho, mu, lam)

    def values(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value, dtype=np.float64)

    def reduced_costs(self) -> np.ndarray:
        """Each LP column's reduced cost, positive when it would worsen the objective."""
        d = np.asarray(self.h.getSolution().col_dual, dtype=np.float64) * self.scale.cost
        return d if self.phase == COST else -d

    def purge(self, keep: int, protect: Iterable[int] = ()) -> None:
        """Drop non-basic columns of largest reduced cost until `keep` remain (protected stay)."""
        if len(self.ids) <= keep:
            return
        basis = self.h.getBasis()
        basic = np.array([s == self.highspy.HighsBasisStatus.kBasic for s in basis.col_status])
        rc = self.reduced_costs()
        guarded = {self.position[j] for j in protect if j in self.position}
        candidates = [k for k in np.argsort(-rc) if not basic[k] and k not in guarded]
        drop = sorted(candidates[: len(self.ids) - keep])
        if not drop:
            return
        self.h.deleteCols(len(drop), np.array(drop, dtype=np.int32))
        gone = set(drop)
        self.ids = [j for k, j in enumerate(self.ids) if k not in gone]
        self.position = {j: k for k, j in enumerate(self.ids)}

    def grouping(self, values: np.ndarray) -> Grouping:
        return [(self.pool.columns[j].offer, list(self.pool.columns[j].members))
                for j, v in zip(self.ids, values, strict=True) if v > 0.5]


def solve_mip(space: Space, pool: Pool, phase: str, target: float, ids: Sequence[int],
              start: Grouping | None, time_limit_s: float, gap: float, *,
              capacity: Sequence[int | None] | None = None, seat_value: float | None = None,
              on_interrupt: Callable[[], None] | None = None) -> tuple[Grouping, bool, float | None]:
    """Best whole choice of the given pool columns: (grouping, proven over them, MIP bound).

    `capacity` replaces the offers' capacities (what other, fixed groups leave). The start's
    groups join the pool and the model, so the start is always a feasible answer. With
    `seat_value`, the serve phase maximises `seat_value * seats - spend`: a heuristic blend
    that prefers, among groupings serving as much, the cheaper (no bound is claimed from it).
    """
    highspy = __import__("highspy")
    chosen = list(dict.fromkeys(ids))
    start_ids = [pool.add(space.problem, o, m) for o, m in (start or [])]
    chosen += [j for j in start_ids if j not in set(chosen)]
    capacity_row = _capacity_rows(space)
    served_row = space.n + len(capacity_row) if phase == COST else None
    scale = Scale.of(space, pool, phase, seat_value)
    h = _empty_model(space, phase, target, scale, capacity)
    k = len(chosen)
    if k:
        costs, starts, rows, values = _column_data([pool.columns[j] for j in chosen], phase,
                                                   capacity_row, served_row, scale, seat_value)
        h.addCols(k, costs, np.zeros(k), np.ones(k), len(rows), starts, rows, values)
        h.changeColsIntegrality(k, np.arange(k, dtype=np.int32),
                                np.full(k, highspy.HighsVarType.kInteger, dtype=np.uint8))
    _time_limit(h, time_limit_s)
    h.setOptionValue("mip_rel_gap", gap)
    # Light presolve: full probing of thousands of overlapping columns costs more than it saves.
    h.setOptionValue("presolve_mode", 2)
    if start_ids:
        position = {j: n for n, j in enumerate(chosen)}
        values = np.zeros(k)
        values[[position[j] for j in start_ids]] = 1.0
        solution = highspy.HighsSolution()
        solution.col_value = values.tolist()
        solution.value_valid = True
        h.setSolution(solution)
    if on_interrupt is not None:
        h.cbMipInterrupt.subscribe(lambda _event: on_interrupt())
    h.run()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value)
    if not info.primal_solution_status or len(x) != k:
        return [], False, None
    grouping = [(pool.columns[chosen[n]].offer, list(pool.columns[chosen[n]].members))
                for n in np.flatnonzero(x > 0.5)]
    bound = info.mip_dual_bound
    finite = bound is not None and math.isfinite(bound) and abs(bound) < 1e30
    bound = float(bound) * scale.cost if finite else None
    return grouping, h.getModelStatus() == highspy.HighsModelStatus.kOptimal, bound


@dataclass(slots=True)
class PhaseResult:
    """Where column generation on one phase stopped."""

    lp_value: float | None
    bound: float | None
    rounds: int
    seconds: float


def generate(master: Master, deadline: float, *, tolerance: float,
             on_round: Callable[[float | None, float | None], None] | None = None,
             alpha: float = 0.5, keep: int | None = None, protect: Iterable[int] = (),
             tight_every: int = 10) -> PhaseResult:
    """Column generation on one phase until the LP value meets its bound or time runs out.

    The bound is the best Lagrangian bound seen (a lower bound on spend in the cost phase,
    an upper bound on seats in the serve phase); it is valid whenever it is not None. Rounds
    price with the quick bound, which also moves the stability center; every `tight_every`
    rounds and when the phase ends, the tight bound is priced at the center.
    """
    began = time.perf_counter()
    space, pool, phase, target = master.space, master.pool, master.phase, master.target
    better = (lambda a, b: a > b) if phase == COST else (lambda a, b: a < b)
    bound: float | None = None  # the best valid bound, quick or tight
    quick: float | None = None  # the best quick bound (it alone moves the center)
    center: Duals | None = None
    value: float | None = None
    rounds = 0
    keep = keep or max(4 * space.n, 2000)
    protect = list(protect)

    def offer(candidate: float | None) -> None:
        nonlocal bound
        if candidate is not None and (bound is None or better(candidate, bound)):
            bound = candidate

    last: Duals | None = None
    # A round's pricing takes seconds on hundreds of thousands of memberships, the tight one
    # about three times as long: neither starts when it would end well past the deadline.
    price_s = 0.0
    overrun = deadline + 0.25 * (deadline - began)

    def tighten() -> None:
        # At the center and at the last LP duals: near convergence the latter are the better.
        for at in {id(d): d for d in (center, last) if d is not None}.values():
            if time.perf_counter() + 3.0 * price_s < overrun:
                offer(price(space, pool, at, phase, target, limit=0, tight=True).bound)

    while time.perf_counter() < deadline:
        solved = master.solve_lp(deadline - time.perf_counter())
        if solved is None:
            break
        value, duals = solved
        last = duals
        if rounds and time.perf_counter() + price_s > overrun:
            break
        rounds += 1
        at = duals if center is None else center.mix(duals, alpha)
        started = time.perf_counter()
        priced = price(space, pool, at, phase, target)
        price_s = time.perf_counter() - started
        if priced.bound is not None and (quick is None or better(priced.bound, quick)):
            quick, center = priced.bound, at
            offer(quick)
        added = master.add(priced.proposed)
        if added == 0 and at is not duals:
            priced = price(space, pool, duals, phase, target)  # mispricing: the true duals
            if priced.bound is not None and (quick is None or better(priced.bound, quick)):
                quick, center = priced.bound, duals
                offer(quick)
            added = master.add(priced.proposed)
        if rounds % tight_every == 0:
            tighten()
        if on_round is not None:
            on_round(value, bound)
        if added == 0 or (bound is not None and _closed(value, bound, phase, tolerance)):
            break
        if len(master.ids) > 2 * keep:
            master.purge(keep, protect)
    tighten()
    return PhaseResult(value, bound, rounds, time.perf_counter() - began)


def _closed(value: float, bound: float, phase: str, tolerance: float) -> bool:
    if phase == COST:
        return value - bound <= tolerance * max(abs(value), 1.0)
    return bound - value < 1.0 - 1e-9 or bound - value <= tolerance * max(value, 1.0)


def _time_limit(h, seconds: float) -> None:
    """Let the next run of `h` take `seconds` more: HiGHS counts its limit from the instance's
    first run, not from this one."""
    h.setOptionValue("time_limit", h.getRunTime() + max(0.2, seconds))


def _capacity_rows(space: Space) -> dict[int, int]:
    capped = [o for o, c in enumerate(space.capacity) if c is not None]
    return {o: space.n + k for k, o in enumerate(capped)}


@dataclass(frozen=True, slots=True)
class Scale:
    """Powers of two that bring costs and seat rows near 1 (HiGHS is sensitive to cents)."""

    cost: float
    seats: float

    @classmethod
    def of(cls, space: Space, pool: Pool, phase: str, seat_value: float | None = None) -> Scale:
        largest = max((_objective(c, phase, seat_value) for c in pool.columns), default=1)
        typical = float(np.median([c.quantity for c in pool.columns])) if pool.columns else 1.0
        return cls(2.0 ** math.floor(math.log2(max(largest, 1) / 1e3 + 1)),
                   2.0 ** math.floor(math.log2(max(typical, 1.0))))


def _empty_model(space: Space, phase: str, target: float, scale: Scale,
                 capacity: Sequence[int | None] | None = None):  # -> highspy.Highs
    """The master's rows with no columns yet (seat rows divided by `scale.seats`)."""
    import highspy

    h = new_highs()
    inf = highspy.kHighsInf
    n = space.n
    capacity = space.capacity if capacity is None else capacity
    capped = [c for c, full in zip(capacity, space.capacity, strict=True) if full is not None]
    lower = np.r_[np.full(n, -inf), np.full(len(capped), -inf)]
    upper = np.r_[np.ones(n), np.array(capped, dtype=np.float64) / scale.seats]
    if phase == COST:
        lower, upper = np.r_[lower, float(target) / scale.seats], np.r_[upper, inf]
    empty = np.zeros(0, dtype=np.int32)
    h.addRows(len(lower), lower, upper, 0, empty, empty, np.zeros(0))
    h.changeObjectiveSense(highspy.ObjSense.kMinimize if phase == COST else highspy.ObjSense.kMaximize)
    return h


def _objective(column: Column, phase: str, seat_value: float | None) -> float:
    if phase == COST:
        return float(column.cost)
    if seat_value is not None:
        return seat_value * column.quantity - column.cost
    return float(column.quantity)


def _column_data(columns: Sequence[Column], phase: str, capacity_row: dict[int, int],
                 served_row: int | None, scale: Scale, seat_value: float | None = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """HiGHS column arrays (costs, starts, row indices, values), scaled by `scale`."""
    costs, starts, rows, values = [], [], [], []
    for column in columns:
        starts.append(len(rows))
        costs.append(_objective(column, phase, seat_value) / scale.cost)
        rows.extend(column.members)
        values.extend([1.0] * len(column.members))
        seats = float(column.quantity) / scale.seats
        if column.offer in capacity_row:
            rows.append(capacity_row[column.offer])
            values.append(seats)
        if served_row is not None:
            rows.append(served_row)
            values.append(seats)
    return (np.array(costs), np.array(starts, dtype=np.int32), np.array(rows, dtype=np.int32),
            np.array(values))
