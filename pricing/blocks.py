"""Exact re-solves of single `same`-blocks inside an instance too large for the exact model.

A statewide instance is often one large block (rural districts, say) and several small
ones. Groups never cross blocks; only capacities couple them. So each block small enough
for the exact box model is re-solved on its own with the capacity the other blocks'
groups leave, and its groups are replaced when that serves as much and costs less.
Every step keeps the allocation valid; the result proves nothing by itself.
"""

from __future__ import annotations

import time
from dataclasses import replace

from pricing import boxes
from pricing.baselines import Grouping, improve, served_quantity
from pricing.problem import Problem, prepare
from pricing.types import Offer


def improve_blocks(
    problem: Problem, grouping: Grouping, *, solver: str, deadline: float, size_limit: int
) -> tuple[Grouping, int]:
    """Re-solve each small block exactly, smallest first; returns the grouping and blocks improved."""
    from pricing.model import model_size, solve_model

    groups = [(o, sorted(m)) for o, m in grouping]
    improved = 0
    order = sorted(range(len(problem.blocks)), key=lambda b: (len(problem.blocks[b]), b))
    for b in order:
        left = deadline - time.perf_counter()
        if left <= 1.0:
            break
        members = set(problem.blocks[b])
        kept = [g for g in groups if not members & set(g[1])]
        mine = [g for g in groups if members & set(g[1])]
        freed = sorted(i for i in members if problem.need[i])
        if not freed:
            continue
        sub, index = sub_problem(problem, freed, kept)
        usable = [k for k in range(len(freed)) if sub.need[k]]
        found = boxes.maximal_boxes(sub.buyers, sub.rules, usable, 0, limit=20_000)
        if found is None:
            continue
        candidates = [list(x.members) for x in found]
        if model_size(sub, candidates) > size_limit:
            continue
        served = served_quantity(problem, mine)
        cost = sum(problem.group_cost(o, m) for o, m in mine)
        most = solve_model(
            sub, candidates, phase="serve", solver=solver, time_limit_s=left / 3, mip_gap=0.0
        )
        target = max(served, round(most.objective or 0)) if most.proven else served
        solved = solve_model(
            sub, candidates, phase="cost", served_target=target, solver=solver,
            time_limit_s=max(1.0, deadline - time.perf_counter()), mip_gap=problem.policy.mip_gap,
        )
        mapped = [(o, sorted(index[k] for k in m)) for o, m in solved.groups]
        new_served = served_quantity(problem, mapped)
        new_cost = sum(problem.group_cost(o, m) for o, m in mapped)
        if (
            mapped and (new_served > served or (new_served == served and new_cost < cost))
            and all(problem.group_is_valid(o, m) for o, m in mapped)
        ):
            groups = kept + mapped
            improved += 1
    return improve(problem, groups, deadline=deadline), improved


def sub_problem(problem: Problem, freed: list[int], kept: Grouping) -> tuple[Problem, list[int]]:
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
    # Standalone prices ignore capacity, so they are the full instance's; so are the needs,
    # except that an offer whose remaining capacity is too small is closed.
    for k, i in enumerate(freed):
        sub.standalone[k] = problem.standalone[i]
        sub.need[k] = {
            o: need for o, need in problem.need[i].items()
            if offers[o].capacity is None
            or problem.offers[o].capacity - used[o] >= max(need, problem.buyers[i].quantity)  # type: ignore[operator]
        }
    return sub, freed
