"""Proven lower bounds on spend that need no MILP, for instances too large for the exact model.

Any group containing buyer i lies in a box containing i, so its quantity is at most the
heaviest eligible mass of such a box (or of every buyer compatible with i, a superset),
capped by the offer's capacity. Average unit prices never rise with quantity, so i pays
at least its quantity times the average price at that mass. Choosing, for each buyer,
one offer at that floor price, subject to the offers' capacities and to serving the
allocation's quantity, is a small transportation LP whose optimum bounds every valid
allocation that serves as much.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pulp

from pricing.explain import reachable_mass
from pricing.problem import Problem
from pricing.tiers import schedule_total


def floor_prices(
    problem: Problem, candidates: Sequence[Sequence[int]] | None
) -> dict[tuple[int, int], float]:
    """Cheapest cost buyer i could reach with offer o, for every usable (i, o)."""
    mass = reachable_mass(problem, candidates)
    floors: dict[tuple[int, int], float] = {}
    for i, buyer in enumerate(problem.buyers):
        for o, need in problem.need[i].items():
            reach = mass.get((i, o), buyer.quantity)
            capacity = problem.offers[o].capacity
            if capacity is not None:
                reach = min(reach, capacity)
            if reach < need:
                continue
            floors[i, o] = schedule_total(problem.offers[o], reach) / reach * buyer.quantity
    return floors


def transport_bound(problem: Problem, floors: dict[tuple[int, int], float], served: int) -> int | None:
    """Least spend of any allocation serving `served` units, relaxed to per-buyer floor prices.

    None when even the relaxation cannot serve that much (then no bound is claimed).
    """
    if served == 0:
        return 0
    qty = [b.quantity for b in problem.buyers]
    prob = pulp.LpProblem("spend_floor", pulp.LpMinimize)
    share = {key: prob.add_variable(f"z_{key[0]}_{key[1]}", 0, 1) for key in floors}
    by_buyer: dict[int, list[pulp.LpVariable]] = {}
    by_offer: dict[int, list[tuple[int, pulp.LpVariable]]] = {}
    for (i, o), var in share.items():
        by_buyer.setdefault(i, []).append(var)
        by_offer.setdefault(o, []).append((qty[i], var))
    for i, variables in by_buyer.items():
        prob += pulp.lpSum(variables) <= 1, f"one_offer_buyer_{i}"
    for o, terms in by_offer.items():
        capacity = problem.offers[o].capacity
        if capacity is not None and sum(q for q, _ in terms) > capacity:
            prob += pulp.lpSum(q * v for q, v in terms) <= capacity, f"capacity_offer_{o}"
    prob += pulp.lpSum(qty[i] * v for (i, _), v in share.items()) >= served, "served"
    prob += pulp.lpSum(floors[key] * v for key, v in share.items())
    from pricing.model import quiet_highs

    try:
        prob.solve(quiet_highs())
    except pulp.PulpSolverError:
        return None
    if prob.status != pulp.LpStatusOptimal:
        return None
    # The LP optimum is a real lower bound; a hair of slack absorbs the LP's tolerances.
    return max(0, math.floor(pulp.value(prob.objective) * (1 - 1e-9) - 1e-6))
