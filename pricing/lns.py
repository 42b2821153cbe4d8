"""Large-neighbourhood search: re-solve windows of a large instance exactly.

An instance too large for the exact model is still small where it matters: a group only
ever holds similar districts. So the search slides a window over each block (buyers
sorted by the first similarity feature), frees the window's buyers together with every
group that touches them, and solves that sub-instance with the exact box MILP, keeping
what the other groups use of each offer's capacity. A window's answer replaces the old
groups only when it serves at least as much and costs less, so every step stays valid.
"""

from __future__ import annotations

import time
from dataclasses import replace

from pricing import boxes
from pricing.baselines import Grouping, improve
from pricing.problem import Problem, prepare
from pricing.types import Offer

WINDOW = 90
# A sub-MILP must stay well inside the time left; past this many memberships it is skipped.
WINDOW_MEMBERSHIP_LIMIT = 12_000


def local_search(
    problem: Problem, grouping: Grouping, *, solver: str, deadline: float, window: int = WINDOW
) -> tuple[Grouping, dict[str, int]]:
    """Improve a valid grouping window by window until no window improves or time runs out."""
    from pricing.engine import candidate_boxes
    from pricing.model import solve_model

    groups = [(o, sorted(m)) for o, m in grouping]
    stats = {"windows": 0, "improved": 0}
    improved_any = True
    while improved_any and time.perf_counter() < deadline:
        improved_any = False
        for members in _windows(problem, window):
            if time.perf_counter() >= deadline:
                break
            freed_groups = [g for g in groups if set(g[1]) & members]
            freed = sorted(members.union(*(set(g[1]) for g in freed_groups)))
            kept = [g for g in groups if not set(g[1]) & set(freed)]
            sub, index = _sub_problem(problem, freed, kept)
            candidates, exact = candidate_boxes(sub)
            if not exact or sum(map(len, candidates)) > WINDOW_MEMBERSHIP_LIMIT:
                continue
            before_served = sum(problem.buyers[i].quantity for _, m in freed_groups for i in m)
            before_cost = sum(problem.group_cost(o, m) for o, m in freed_groups)
            stats["windows"] += 1
            solved = solve_model(
                sub, candidates, phase="cost", served_target=before_served, solver=solver,
                time_limit_s=max(1.0, min(10.0, deadline - time.perf_counter())), mip_gap=0.0,
            )
            if not solved.groups:
                continue
            mapped = [(o, sorted(index[i] for i in m)) for o, m in solved.groups]
            served = sum(problem.buyers[i].quantity for _, m in mapped for i in m)
            cost = sum(problem.group_cost(o, m) for o, m in mapped)
            if served >= before_served and cost < before_cost and all(
                problem.group_is_valid(o, m) for o, m in mapped
            ):
                groups = kept + mapped
                stats["improved"] += 1
                improved_any = True
    return improve(problem, groups, deadline=deadline), stats


def _windows(problem: Problem, window: int) -> list[set[int]]:
    """Overlapping windows of each block along its first numeric feature (half-window stride)."""
    rules = boxes.numeric_rules(problem.rules)
    out = []
    for block in problem.blocks:
        usable = [i for i in block if problem.need[i]]
        if rules:
            feature = rules[0].feature
            usable.sort(key=lambda i: (float(problem.buyers[i].features[feature]), i))  # type: ignore[arg-type]
        if len(usable) <= window:
            out.append(set(usable))
            continue
        step = window // 2
        for start in range(0, len(usable) - step, step):
            out.append(set(usable[start : start + window]))
    return out


def _sub_problem(problem: Problem, freed: list[int], kept: Grouping) -> tuple[Problem, list[int]]:
    """The freed buyers as an instance of their own, with the capacity the kept groups leave."""
    used = [0] * len(problem.offers)
    for o, members in kept:
        used[o] += sum(problem.buyers[i].quantity for i in members)
    offers: list[Offer] = [
        offer if offer.capacity is None else replace(offer, capacity=max(1, offer.capacity - used[o]))
        for o, offer in enumerate(problem.offers)
    ]
    instance = replace(
        problem.instance, buyers=tuple(problem.buyers[i] for i in freed), offers=tuple(offers)
    )
    sub = prepare(instance)
    # Standalone prices ignore capacity, so they are the full instance's; the needs must be
    # too, except that an offer whose remaining capacity is too small is closed.
    for k, i in enumerate(freed):
        sub.standalone[k] = problem.standalone[i]
        sub.need[k] = {
            o: need for o, need in problem.need[i].items()
            if offers[o].capacity is None or (
                problem.offers[o].capacity - used[o] >= max(need, problem.buyers[i].quantity)  # type: ignore[operator]
            )
        }
    return sub, freed
