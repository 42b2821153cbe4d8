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
from pricing.baselines import (
    Grouping,
    anchored_boxes,
    greedy_allocation,
    improve,
    served_quantity,
)
from pricing.blocks import improve_blocks
from pricing.bounds import floor_prices, transport_bound
from pricing.check import check_result
from pricing.explain import served_upper_bound, unassigned_reasons
from pricing.model import SOLVERS, model_size, solve_model
from pricing.problem import Problem, prepare
from pricing.types import Assignment, Group, Instance, Result

DEFAULT_SOLVER = "highs"
# Past this many member variables (buyer x box x offer x level) the full box model is
# too large to build and solve in time (the 200-buyer benchmark has 11,000 and takes
# about 15 s; a 289-buyer block of the 5,000-buyer benchmark has 275,000 and took 1.2 GB
# without finishing): the greedy grouping (with merges and moves) is the answer, its small
# `same`-blocks re-solved exactly, and a transportation LP gives its proven bound.
# (Re-solving sliding windows exactly was measured on the 1,000-buyer benchmark: 0.002%
# better after 45 s, so it is not done.)
EXACT_MODEL_LIMIT = 40_000
# The same limit for one `same`-block re-solved on its own inside a large instance.
BLOCK_MODEL_LIMIT = 40_000


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
    heuristic = greedy_allocation(problem, deadline=began + budget * 0.3)
    build_s = time.perf_counter() - began
    stats: dict[str, object] = {"solver": solver, "solver_version": _version(solver)}
    if exact:
        best, bound, proven, phases = _solve_exact(problem, candidates, heuristic, solver, deadline)
        stats["phases"] = phases
    else:
        best, improved = improve_blocks(
            problem, heuristic, solver=solver, deadline=began + budget * 0.85,
            size_limit=BLOCK_MODEL_LIMIT,
        )
        bound, proven = None, False
        stats["blocks_resolved"] = improved
    if bound is None:
        floors = floor_prices(problem, candidates if exact else None)
        bound = transport_bound(problem, floors, served_quantity(problem, best))
    total = _cost(problem, best)
    if bound is not None:
        bound = min(bound, total)
    stats.update(
        build_s=round(build_s, 4),
        solve_s=round(time.perf_counter() - began - build_s, 4),
        exact_model=exact,
        candidate_boxes=len(candidates),
    )
    gap = None if bound is None else 0.0 if total == 0 else (total - bound) / total
    proven = proven and gap is not None and gap <= policy.mip_gap + 1e-12
    result = build_result(problem, best, "optimal" if proven else "feasible", bound, gap, stats)
    violations = check_result(instance, result)
    if violations:
        # A safety net that should never fire: hand out the heuristic's allocation, which is
        # built from valid groups only, rather than one that breaks a rule.
        stats["discarded"] = violations[:5]
        result = build_result(problem, heuristic, "feasible", None, None, stats)
        if check_result(instance, result):
            return Result(
                status="error", served_quantity=0, total_amount=0, bound=None, gap=None,
                stats=stats, message="internal check failed: " + "; ".join(violations[:5]),
            )
    return result


def _solve_exact(
    problem: Problem, candidates: list[list[int]], heuristic: Grouping, solver: str, deadline: float
) -> tuple[Grouping, int | None, bool, list[dict[str, object]]]:
    """Both lexicographic phases over every maximal box: (grouping, solver bound, proven, stats)."""
    policy = problem.policy
    best = heuristic
    target = served_quantity(problem, heuristic)
    served_proven = target == served_upper_bound(problem, candidates)
    phases: list[dict[str, object]] = []
    if not served_proven and _left(deadline) > 0:
        phase = solve_model(
            problem, candidates, phase="serve", start=heuristic, solver=solver,
            time_limit_s=max(1.0, _left(deadline) / 3), mip_gap=0.0,
        )
        phases.append(_model_stats("serve", phase))
        if _valid(problem, phase.groups) and served_quantity(problem, phase.groups) > target:
            best = improve(problem, phase.groups, deadline=deadline)
            target = served_quantity(problem, best)
        served_proven = phase.proven
    if _left(deadline) <= 0:
        return best, None, False, phases
    phase = solve_model(
        problem, candidates, phase="cost", served_target=target, start=best, solver=solver,
        time_limit_s=max(1.0, _left(deadline)), mip_gap=policy.mip_gap,
    )
    phases.append(_model_stats("cost", phase))
    if _valid(problem, phase.groups) and served_quantity(problem, phase.groups) >= target:
        improved = improve(problem, phase.groups, deadline=deadline)
        if _cost(problem, improved) < _cost(problem, best) or served_quantity(problem, best) < target:
            best = improved
    if not served_proven or phase.bound is None:
        return best, None, False, phases
    return best, math.ceil(phase.bound - 1e-6), phase.proven, phases


def candidate_boxes(problem: Problem) -> tuple[list[list[int]], bool]:
    """Every maximal box when the model stays small enough (exact), else anchored boxes."""
    found: list[list[int]] = []
    size = 0
    for b, block in enumerate(problem.blocks):
        usable = [i for i in block if problem.need[i]]
        if not usable:
            continue
        maximal = boxes.maximal_boxes(problem.buyers, problem.rules, usable, b, limit=20_000)
        if maximal is None:
            break
        members = [list(box.members) for box in maximal]
        size += model_size(problem, members)
        if size > EXACT_MODEL_LIMIT:
            break
        found.extend(members)
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


def _valid(problem: Problem, grouping: Grouping) -> bool:
    """Whether a grouping from a solver keeps every rule: disjoint valid groups within capacity."""
    if not grouping:
        return False
    seen: set[int] = set()
    used = [0] * len(problem.offers)
    for o, members in grouping:
        if seen & set(members) or not problem.group_is_valid(o, members):
            return False
        seen.update(members)
        used[o] += sum(problem.buyers[i].quantity for i in members)
    return all(o.capacity is None or used[k] <= o.capacity for k, o in enumerate(problem.offers))


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
