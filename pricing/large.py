"""The column path: instances too large for the compact model, solved over generated groups.

1. Column generation on the serve phase bounds the seats any allocation serves; its LP,
   with the columns it trusts fixed and the rest re-solved as a small MIP, gives a grouping
   that serves nearly that many.
2. Column generation on the cost phase, at the seats the incumbent serves, bounds the
   spend; the same fix-and-solve step and a large-neighbourhood search improve the
   incumbent until the time is up or the gap is closed.

Every grouping passes `search.improve` and is compared lexicographically with the best so
far: serve more first, then spend less.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pricing import boxes, lns
from pricing.baselines import Grouping, served_quantity
from pricing.colgen import COST, SERVE, Duals, Pool, Space, price
from pricing.master import Master, generate, solve_mip
from pricing.problem import Problem
from pricing.search import improve, lexicographically_better

# Exact maximal boxes while a block stays this small; past it, the relaxed grid boxes.
MAXIMAL_BOX_LIMIT = 4_000
MAXIMAL_MEMBERSHIP_LIMIT = 400_000
RELAXED_STEPS = (1.05, 1.1, 1.2, 1.4, 2.0)
RELAXED_MEMBERSHIP_LIMIT = 1_500_000


@dataclass(slots=True)
class LargeOutcome:
    grouping: Grouping
    bound: int | None
    served_bound: int | None
    stats: dict[str, object] = field(default_factory=dict)


def candidate_space(problem: Problem) -> tuple[list[list[int]], dict[str, object]]:
    """Boxes that hold every possible group: maximal ones per block, relaxed ones for huge blocks."""
    found: list[list[int]] = []
    relaxed: list[float] = []
    for b, block in enumerate(problem.blocks):
        usable = [i for i in block if problem.need[i]]
        if not usable:
            continue
        maximal = boxes.maximal_boxes(problem.buyers, problem.rules, usable, b, limit=20 * MAXIMAL_BOX_LIMIT)
        if (maximal is not None and len(maximal) <= MAXIMAL_BOX_LIMIT
                and sum(len(x.members) for x in maximal) <= MAXIMAL_MEMBERSHIP_LIMIT):
            found.extend(list(x.members) for x in maximal)
            continue
        for step in RELAXED_STEPS:
            grid = boxes.relaxed_boxes(problem.buyers, problem.rules, usable, b, step)
            if sum(len(x.members) for x in grid) <= RELAXED_MEMBERSHIP_LIMIT or step == RELAXED_STEPS[-1]:
                break
        found.extend(list(x.members) for x in grid)
        relaxed.append(step)
    return found, {"boxes": len(found), "relaxed_blocks": relaxed}


def solve_large(problem: Problem, incumbent: Grouping, deadline: float, *,
                served_bound: int | None, on_better: Callable[[Grouping], None],
                on_bound: Callable[[int | None, int | None], None],
                tick: Callable[[str], None]) -> LargeOutcome:
    """The column path, within the deadline; `on_better` and `on_bound` hear every improvement."""
    began = time.perf_counter()
    budget = deadline - began
    stats: dict[str, object] = {}
    best = incumbent

    def mark(name: str) -> None:
        stats.setdefault("stage_s", {})[name] = round(time.perf_counter() - began, 2)  # type: ignore[index]

    def offer(grouping: Grouping | None) -> None:
        nonlocal best
        if not grouping:
            return
        # Every column is built valid; this keeps a slip from costing the whole answer (the
        # final check would fall back to a baseline): a group that breaks a rule is left out.
        grouping = [(o, m) for o, m in grouping if problem.group_is_valid(o, list(m))]
        grouping = improve(problem, grouping, deadline=deadline)
        if lexicographically_better(problem, grouping, best):
            best = grouping
            on_better(best)

    tick("boxes")
    candidates, box_stats = candidate_space(problem)
    stats.update(box_stats)
    space = Space(problem, candidates)
    mark("boxes")
    pool = Pool()
    for o, members in best:
        pool.add(problem, o, members)
    if problem.policy.min_group_size <= 1:  # a district alone is a group only then
        for i, needs in enumerate(problem.need):
            for o, need in needs.items():
                if need <= problem.buyers[i].quantity:
                    pool.add(problem, o, [i])

    # Phase 1: the most seats.
    trusted: list[int] = []
    if served_bound is None or served_quantity(problem, best) < served_bound:
        tick("serve")
        serve = Master(space, pool, SERVE)
        done = generate(serve, began + 0.3 * budget, tolerance=1e-5,
                        on_round=lambda _v, _b: tick("serve"))
        stats["serve_rounds"] = done.rounds
        stats["serve_lp"] = done.lp_value
        stats["serve_lagrangian"] = done.bound
        mark("serve_lp")
        if done.bound is not None:
            proven = math.floor(done.bound + 1e-6)
            served_bound = proven if served_bound is None else min(served_bound, proven)
            on_bound(None, served_bound)
        if served_quantity(problem, best) < (served_bound or 0):
            offer(_fix_and_solve(serve, best, SERVE, 0.0, time.perf_counter() + 0.1 * budget, within=None))
        trusted = serve.ids
        mark("serve_fix")
    if served_bound is not None and served_quantity(problem, best) >= served_bound:
        served_bound = served_quantity(problem, best)

    # Phase 2: the least spend at those seats, bounded. The cost LP's trusted columns, with
    # the rest re-solved blending seats and spend, often serve more for less; then the bound
    # is priced again at the new seats (a bound for fewer seats stays valid meanwhile).
    bound: int | None = None
    rounds = 0
    columns = trusted or None
    # The Lagrangian bound at zero duals: each seat at the least price per seat any group
    # holding its district could reach. Cheap, valid, and a floor for the column LP's own
    # bound while that is still far from converged on thousands of districts.
    zero = Duals(np.zeros(space.n), np.zeros(space.m), 0.0)
    floor = price(space, pool, zero, COST, served_quantity(problem, best), limit=0).bound
    if floor is not None and math.isfinite(floor):
        bound = max(0, math.floor(floor - 1e-6))
        on_bound(bound, None)
    stats["floor_bound"] = bound
    for _ in range(3):
        target = served_quantity(problem, best)
        tick("cost")
        # The incumbent's groups keep the LP feasible at its seats (the search since the
        # last LP may have found groups that are in no pool yet).
        incumbent_ids = [pool.add(problem, o, m) for o, m in best]
        cost = Master(space, pool, COST, target,
                      columns=None if columns is None else [*columns, *incumbent_ids])
        done = generate(cost, min(deadline, began + 0.7 * budget), tolerance=1e-4,
                        on_round=lambda _v, _b: tick("cost"))
        rounds += done.rounds
        stats["cost_lp"] = done.lp_value
        if done.bound is not None and math.isfinite(done.bound):
            # Both bounds hold for allocations serving at least today's seats (they only grow).
            bound = max(bound or 0, math.floor(done.bound - 1e-6))
            on_bound(bound, None)
        mark("cost_lp")
        before = served_quantity(problem, best)
        offer(_fix_and_solve(cost, best, SERVE, 0.0, min(deadline, time.perf_counter() + 0.1 * budget),
                             within=None))
        mark("cost_fix")
        columns = cost.ids
        if served_quantity(problem, best) == before or time.perf_counter() > began + 0.7 * budget:
            break
    tick("search")
    offer(lns.search(space, pool, best, deadline - 0.02 * budget, on_better=lambda g: tick("search")))
    mark("search")
    # The neighbourhood search ends early once no region improves over the pool's columns.
    # While the answer is still open, price new columns at the incumbent's seats (the bound
    # tightens too), and search again with them: the time given is used.
    passes = 0
    while time.perf_counter() < deadline - 0.1 * budget and not _closed(problem, best, bound, served_bound):
        passes += 1
        target = served_quantity(problem, best)
        incumbent_ids = [pool.add(problem, o, m) for o, m in best]
        cost = Master(space, pool, COST, target, columns=[*(columns or ()), *incumbent_ids])
        left = deadline - time.perf_counter()
        done = generate(cost, time.perf_counter() + 0.4 * left, tolerance=1e-5,
                        on_round=lambda _v, _b: tick("cost"))
        rounds += done.rounds
        if done.bound is not None and math.isfinite(done.bound):
            bound = max(bound or 0, math.floor(done.bound - 1e-6))
            on_bound(bound, None)
        columns = cost.ids
        offer(_fix_and_solve(cost, best, SERVE, 0.0, min(deadline, time.perf_counter() + 0.1 * left),
                             within=None))
        offer(lns.search(space, pool, best, deadline - 0.02 * budget, on_better=lambda g: tick("search")))
        if done.rounds <= 1:  # the LP is converged on the pool: nothing new to search with
            break
    stats["cost_rounds"] = rounds
    stats["more_passes"] = passes
    mark("more")
    stats["columns"] = len(pool.columns)
    return LargeOutcome(best, bound, served_bound, stats)


def _closed(problem: Problem, grouping: Grouping, bound: int | None, served_bound: int | None) -> bool:
    """Whether the answer is proven: every servable seat served, the spend within the gap."""
    if served_bound is None or bound is None or served_quantity(problem, grouping) < served_bound:
        return False
    total = sum(problem.group_cost(o, m) for o, m in grouping if m)
    return total == 0 or (total - bound) / total <= problem.policy.mip_gap


def seat_value(problem: Problem) -> float:
    """A price per seat above any list price: served seats dominate spend in a blended objective."""
    return 10.0 * max(max(t.unit_amount for t in o.tiers) for o in problem.offers) + 1.0


def _fix_and_solve(master: Master, incumbent: Grouping, phase: str, target: float,
                   deadline: float, within: set[int | None] | None) -> Grouping | None:
    """Keep the LP's near-whole columns (those of the incumbent only, if `within`), MIP the rest.

    The incumbent's groups outside the kept ones are the MIP's start, so it is never worse.
    """
    space, pool, problem = master.space, master.pool, master.space.problem
    solved = master.solve_lp(max(0.5, deadline - time.perf_counter()))
    if solved is None:
        return None
    x = master.values()
    taken: set[int] = set()
    fixed: Grouping = []
    left = list(space.capacity)
    for k in np.argsort(-x, kind="stable"):
        if x[k] < 0.5:
            break
        j = master.ids[k]
        if within is not None and j not in within:
            continue
        column = pool.columns[j]
        if taken.intersection(column.members):
            continue
        if left[column.offer] is not None and column.quantity > left[column.offer]:  # type: ignore[operator]
            continue
        fixed.append((column.offer, list(column.members)))
        taken.update(column.members)
        if left[column.offer] is not None:
            left[column.offer] -= column.quantity  # type: ignore[operator]
    free = np.ones(space.n, dtype=bool)
    free[list(taken)] = False
    ids = pool.within(free).tolist()
    start = [(o, m) for o, m in incumbent if not taken.intersection(m)]
    served = served_quantity(problem, fixed)
    if phase == COST and served_quantity(problem, start) + served < target:
        return None
    rest, _, _ = solve_mip(space, pool, phase, max(0.0, target - served), ids, start,
                           max(0.5, deadline - time.perf_counter()), 1e-5 if phase == COST else 0.0,
                           capacity=left, seat_value=None if phase == COST else seat_value(problem))
    return fixed + rest if rest else None
