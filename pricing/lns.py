"""Large-neighbourhood search: re-solve one region of the grouping exactly over the pool's columns.

A region is a window of similar buyers (same block, neighbouring enrollment) together with
every buyer of the groups it touches. Everything outside stays as it is; inside, a small MIP
over the pool columns that lie wholly in the region chooses again, first serving at least as
many seats, then spending less, with the capacity the outside leaves. The incumbent's own
groups are among the columns, so a region never gets worse, and small MIPs solve in well
under a second where the whole instance's would not.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from pricing.baselines import Grouping, served_quantity
from pricing.colgen import COST, SERVE, Pool, Space
from pricing.master import solve_mip
from pricing.problem import Problem


def regions(problem: Problem, size: int) -> list[list[int]]:
    """Windows of `size` similar buyers, half overlapping, block by block (largest first)."""
    out = []
    numeric = [r.feature for r in problem.rules if not r.same]
    for block in sorted(problem.blocks, key=len, reverse=True):
        usable = [i for i in block if problem.need[i]]
        key = (lambda i: tuple(float(problem.buyers[i].features[f]) for f in numeric)) if numeric \
            else (lambda i: (float(problem.buyers[i].quantity),))
        ordered = sorted(usable, key=lambda i: (key(i), i))
        if len(ordered) <= size:
            out.append(ordered)
            continue
        step = max(1, size // 2)
        out.extend(ordered[k:k + size] for k in range(0, len(ordered) - size // 2, step))
    return out


def search(space: Space, pool: Pool, grouping: Grouping, deadline: float, *,
           size: int = 60, mip_time_s: float = 2.0,
           on_better: Callable[[Grouping], None] | None = None) -> Grouping:
    """Re-solve region after region until the deadline; after a pass that changes nothing the
    regions double in size (more freedom, harder MIPs), until one region holds a whole block."""
    problem = space.problem
    groups = [(o, sorted(m)) for o, m in grouping]
    largest = max((len(b) for b in problem.blocks), default=0)
    while time.perf_counter() < deadline - 0.2:
        windows = regions(problem, size)
        changed = False
        for window in windows:
            if time.perf_counter() >= deadline - 0.2:
                return groups
            better = _resolve(space, pool, groups, window, min(mip_time_s, deadline - time.perf_counter()))
            if better is not None:
                groups, changed = better, True
                if on_better is not None:
                    on_better(groups)
        if not changed:
            if size >= largest:
                break
            size, mip_time_s = size * 2, mip_time_s * 2
    return groups


def _resolve(space: Space, pool: Pool, groups: Grouping, window: list[int],
             time_limit_s: float) -> Grouping | None:
    """The grouping with the region around `window` re-solved, if that is strictly better."""
    problem = space.problem
    region = set(window)
    for _o, members in groups:
        if region.intersection(members):
            region.update(members)
    inside = [g for g in groups if region.issuperset(g[1])]
    outside = [g for g in groups if not region.intersection(g[1])]
    left = list(space.capacity)
    for o, members in outside:
        if left[o] is not None:
            left[o] -= sum(problem.buyers[i].quantity for i in members)  # type: ignore[operator]
    inside_mask = np.zeros(space.n, dtype=bool)
    inside_mask[list(region)] = True
    ids = pool.within(inside_mask).tolist()
    if not ids:
        return None
    served = served_quantity(problem, inside)
    cost = sum(problem.group_cost(o, m) for o, m in inside)
    most, _, _ = solve_mip(space, pool, SERVE, 0, ids, inside, time_limit_s / 2, 0.0, capacity=left)
    target = max(served, served_quantity(problem, most)) if most else served
    start = most if most and served_quantity(problem, most) >= target else inside
    cheapest, _, _ = solve_mip(space, pool, COST, target, ids, start, time_limit_s / 2, 1e-6,
                               capacity=left)
    best = cheapest if cheapest and served_quantity(problem, cheapest) >= target else start
    best_cost = sum(problem.group_cost(o, m) for o, m in best)
    if served_quantity(problem, best) > served or best_cost < cost:
        return outside + [(o, sorted(m)) for o, m in best]
    return None
