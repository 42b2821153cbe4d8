"""Solve an allocation instance: the entry point every caller uses.

Heuristic first (greedy over boxes, then merges and moves), then the MILP in two
lexicographic phases warm-started from it, then the result is checked against every
rule of ALLOCATION.md before it is returned. `optimal` is claimed only when the MILP
ran over every maximal box and the solver proved both phases.
"""

from __future__ import annotations

import math
import time
from importlib import metadata

from pricing import boxes
from pricing.baselines import Grouping, anchored_boxes, greedy_allocation, improve
from pricing.explain import served_upper_bound, unassigned_reasons
from pricing.model import SOLVERS, solve_model
from pricing.problem import Problem, prepare
from pricing.types import Assignment, Group, Instance, Result

DEFAULT_SOLVER = "highs"
# Past this many buyer-box memberships the full box model is too large to build and
# solve in time; the MILP then runs over a reduced set of boxes and proves nothing.
EXACT_MEMBERSHIP_LIMIT = 60_000
# Measured on the 1,000-buyer benchmark: a reduced model of 30,000 memberships took 13 s
# to build and did not finish its first phase in a minute, so it stays smaller than that.
REDUCED_MEMBERSHIP_LIMIT = 15_000


def solve(instance: Instance, *, solver: str | None = None, time_limit_s: float | None = None) -> Result:
    """Allocate buyers to groups and offers: maximum served quantity, then minimum spend."""
    began = time.perf_counter()
    solver = solver or DEFAULT_SOLVER
    if solver not in SOLVERS:
        raise ValueError(f"solver: must be one of {', '.join(SOLVERS)}, not {solver!r}")
    policy = instance.policy
    budget = time_limit_s if time_limit_s is not None else policy.time_limit_s
    deadline = began + budget
    problem = prepare(instance)

    candidates, exact = candidate_boxes(problem)
    heuristic = greedy_allocation(problem, deadline=began + budget / 3)
    # The reduced model of a large instance proves nothing and may not even build in
    # time: past the same size limit the heuristic's grouping is the answer.
    use_model = exact or sum(map(len, candidates)) <= REDUCED_MEMBERSHIP_LIMIT
    build_s = time.perf_counter() - began
    stats: dict[str, object] = {"solver": solver, "solver_version": _version(solver)}

    ceiling = served_upper_bound(problem, candidates if exact else None)
    best = heuristic
    served_proven = _served(problem, heuristic) == ceiling
    target = _served(problem, heuristic)
    model_stats: list[dict[str, object]] = []
    if use_model and not served_proven and _left(deadline) > 0:
        phase = solve_model(
            problem, candidates, phase="serve", start=heuristic, solver=solver,
            time_limit_s=max(1.0, _left(deadline) / 3), mip_gap=0.0,
        )
        model_stats.append(_model_stats("serve", phase))
        if phase.groups and _served(problem, phase.groups) > target:
            best = improve(problem, phase.groups, deadline=deadline)
            target = _served(problem, best)
        served_proven = exact and phase.proven

    bound: int | None = None
    cost_proven = False
    if use_model and _left(deadline) > 0:
        phase = solve_model(
            problem, candidates, phase="cost", served_target=target, start=best, solver=solver,
            time_limit_s=max(1.0, _left(deadline)), mip_gap=policy.mip_gap,
        )
        model_stats.append(_model_stats("cost", phase))
        if phase.groups and _served(problem, phase.groups) >= target:
            improved = improve(problem, phase.groups, deadline=deadline)
            if _cost(problem, improved) < _cost(problem, best) or _served(problem, best) < target:
                best = improved
        if exact and served_proven and phase.bound is not None:
            bound = math.ceil(phase.bound - 1e-6)
        cost_proven = exact and served_proven and phase.proven

    total = _cost(problem, best)
    if bound is None or bound > total:
        bound = None if bound is None else min(bound, total)
    if bound is None:
        bound = _simple_bound(problem, candidates if exact else None, target)
    stats.update(
        build_s=round(build_s, 4),
        solve_s=round(time.perf_counter() - began - build_s, 4),
        exact_model=exact,
        candidate_boxes=len(candidates),
        phases=model_stats,
    )
    gap = 0.0 if total == 0 else (total - bound) / total if bound is not None else None
    proven = cost_proven and gap is not None and gap <= policy.mip_gap + 1e-12
    return build_result(problem, best, "optimal" if proven else "feasible", bound, gap, stats)


def candidate_boxes(problem: Problem) -> tuple[list[list[int]], bool]:
    """Every maximal box when the model stays small enough (exact), else anchored boxes."""
    found: list[list[int]] = []
    memberships = 0
    for b, block in enumerate(problem.blocks):
        usable = [i for i in block if problem.need[i]]
        if not usable:
            continue
        maximal = boxes.maximal_boxes(problem.buyers, problem.rules, usable, b, limit=20_000)
        if maximal is None:
            break
        memberships += sum(len(box.members) for box in maximal)
        if memberships > EXACT_MEMBERSHIP_LIMIT:
            break
        found.extend(list(box.members) for box in maximal)
    else:
        return found, True
    reduced = []
    for block in problem.blocks:
        usable = [i for i in block if problem.need[i]]
        if usable:
            reduced.extend(anchored_boxes(problem, usable))
    return reduced, False


def build_result(
    problem: Problem, grouping: Grouping, status: str, bound: int | None, gap: float | None,
    stats: dict[str, object],
) -> Result:
    """Turn a grouping into the result format, with deterministic group ids and order."""
    buyers = problem.buyers
    ordered = sorted(
        ((o, sorted(m)) for o, m in grouping if m),
        key=lambda g: (problem.offers[g[0]].id, [buyers[i].id for i in g[1]]),
    )
    groups, assignments = [], []
    assigned: set[int] = set()
    for n, (o, members) in enumerate(ordered, start=1):
        gid = f"g{n}"
        total, amounts = problem.amounts(o, members)
        quantity = sum(buyers[i].quantity for i in members)
        groups.append(Group(gid, problem.offers[o].id, tuple(buyers[i].id for i in members), quantity, total))
        for i, amount in zip(members, amounts, strict=True):
            assigned.add(i)
            standalone = problem.standalone[i]
            assert standalone is not None  # an assignable buyer has an eligible offer
            assignments.append(
                Assignment(buyers[i].id, gid, problem.offers[o].id, buyers[i].quantity, amount, standalone)
            )
    assignments.sort(key=lambda a: a.buyer)
    unassigned = unassigned_reasons(problem, grouping, [i for i in range(len(buyers)) if i not in assigned])
    return Result(
        status=status,  # type: ignore[arg-type]
        served_quantity=sum(a.quantity for a in assignments),
        total_amount=sum(g.total_amount for g in groups),
        bound=bound,
        gap=None if gap is None else round(gap, 6),
        groups=tuple(groups),
        assignments=tuple(assignments),
        unassigned=tuple(unassigned),
        stats=stats,
    )


def _simple_bound(problem: Problem, candidates: list[list[int]] | None, served: int) -> int | None:
    """A proven lower bound without the MILP: each unit at the cheapest price any group could reach.

    A group containing buyer i lies in a box containing i, so its quantity is at most the
    largest eligible mass of such a box (or the offer's capacity); average prices never rise
    with quantity, so i pays at least its share at that quantity. The cheapest `served` units
    of those per-unit floors bound any allocation serving `served` units.
    """
    from pricing.explain import reachable_mass

    floors: list[tuple[float, int]] = []
    mass = reachable_mass(problem, candidates)
    for i, buyer in enumerate(problem.buyers):
        best = None
        for o in problem.need[i]:
            reach = mass.get((i, o), buyer.quantity)
            cap = problem.offers[o].capacity
            if cap is not None:
                reach = min(reach, cap)
            if reach < problem.need[i][o]:
                continue
            offer = problem.offers[o]
            from pricing.tiers import schedule_total

            unit = schedule_total(offer, reach) / reach
            best = unit if best is None else min(best, unit)
        if best is not None:
            floors.append((best, buyer.quantity))
    floors.sort()
    left, total = served, 0.0
    for unit, quantity in floors:
        take = min(left, quantity)
        total += unit * take
        left -= take
        if left <= 0:
            break
    return math.ceil(total - 1e-6)


def _served(problem: Problem, grouping: Grouping) -> int:
    return sum(problem.buyers[i].quantity for _, m in grouping for i in m)


def _cost(problem: Problem, grouping: Grouping) -> int:
    return sum(problem.group_cost(o, m) for o, m in grouping if m)


def _left(deadline: float) -> float:
    return deadline - time.perf_counter()


def _model_stats(phase: str, solved: object) -> dict[str, object]:
    return {
        "phase": phase,
        "variables": solved.variables,  # type: ignore[attr-defined]
        "constraints": solved.constraints,  # type: ignore[attr-defined]
        "build_s": round(solved.build_s, 4),  # type: ignore[attr-defined]
        "solve_s": round(solved.solve_s, 4),  # type: ignore[attr-defined]
        "proven": solved.proven,  # type: ignore[attr-defined]
    }


def _version(solver: str) -> str:
    package = {"highs": "highspy", "cbc": "pulp"}[solver]
    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:  # pragma: no cover - both ship with the project
        return package
