"""Solve an allocation instance: the entry point every caller uses.

1. The baselines (everyone alone, the pooled greedy, the max-saving greedy) and a local
   search give the first incumbent; the answer is never lexicographically worse than any.
2. An instance whose compact box model is small is solved exactly in two MILP phases
   (`exact.py`); a larger one by column generation, fix-and-solve and neighbourhood search
   (`large.py`). Both keep improving until the time limit unless the answer is proven.
3. The result is checked against every rule of ALLOCATION.md before it is returned;
   `optimal` is claimed only when the served quantity meets a proven served bound and the
   spend is within `mip_gap` of a proven bound.

A `progress` callback hears the best allocation and bounds as they improve (`progress.py`).
"""

from __future__ import annotations

import time
from importlib import metadata

from pricing.baselines import (
    Grouping,
    greedy_allocation,
    max_saving_greedy,
    served_quantity,
    standalone_allocation,
)
from pricing.check import check_result
from pricing.exact import maximal_candidates, solve_exact
from pricing.explain import served_upper_bound, unassigned_reasons
from pricing.large import solve_large
from pricing.model import SOLVERS
from pricing.problem import Problem, prepare
from pricing.progress import Callback, Tracker
from pricing.search import improve, lexicographically_better
from pricing.types import Assignment, Group, Instance, Result

DEFAULT_SOLVER = "highs"


def solve(instance: Instance, *, solver: str | None = None, time_limit_s: float | None = None,
          progress: Callback | None = None) -> Result:
    """Allocate buyers to groups and offers: maximum served quantity, then minimum spend."""
    began = time.perf_counter()
    solver = solver or DEFAULT_SOLVER
    if solver not in SOLVERS:
        raise ValueError(f"solver: must be one of {', '.join(SOLVERS)}, not {solver!r}")
    budget = time_limit_s if time_limit_s is not None else instance.policy.time_limit_s
    deadline = began + budget
    tracker = Tracker(progress, began)
    problem = prepare(instance)
    stats: dict[str, object] = {"solver": solver, "solver_version": _version(solver)}

    tracker.enter("baselines")
    yardsticks = {
        "standalone": standalone_allocation(problem),
        "greedy": greedy_allocation(problem),
        "max_saving_greedy": max_saving_greedy(problem),
    }
    best: Grouping = []
    for grouping in yardsticks.values():
        if not best or lexicographically_better(problem, grouping, best):
            best = grouping
    best = _better(problem, improve(problem, best, deadline=began + 0.15 * budget), best)
    tracker.allocation(served_quantity(problem, best), _cost(problem, best))
    served_bound = served_upper_bound(problem, None)
    tracker.bounds(served_bound=served_bound)
    build_s = time.perf_counter() - began
    stats["baselines_s"] = round(build_s, 2)

    def on_better(grouping: Grouping) -> None:
        nonlocal best
        if lexicographically_better(problem, grouping, best):
            best = grouping
            tracker.allocation(served_quantity(problem, best), _cost(problem, best))

    def on_bound(bound: int | None, served: int | None) -> None:
        tracker.bounds(bound=bound, served_bound=served)

    bound: int | None = None
    proven = False
    # Solvers overrun their limit a little, and the answer's reasons and its check take a
    # moment on thousands of districts: the search stops early enough to end within the limit.
    reserve = min(0.05 * budget, 15.0)
    candidates = maximal_candidates(problem)
    stats["exact_model"] = candidates is not None
    if candidates is not None:
        tracker.enter("exact")
        outcome = solve_exact(problem, candidates, best, solver, deadline - reserve, on_better,
                              on_bound)
        on_better(outcome.grouping)
        bound, proven = outcome.bound, outcome.proven
        served_bound = _tighter(served_bound, outcome.served_bound)
        stats["phases"] = outcome.phases
        stats["candidate_boxes"] = len(candidates)
    else:
        large = solve_large(problem, best, deadline - reserve, served_bound=served_bound,
                            on_better=on_better, on_bound=on_bound, tick=tracker.enter)
        on_better(large.grouping)
        # Its bounds are proven (Lagrangian bounds of the column LPs): when they meet the
        # answer, that is a proof of optimality like the exact model's.
        bound, proven = large.bound, True
        served_bound = _tighter(served_bound, large.served_bound)
        stats.update(large.stats)

    stats["search_s"] = round(time.perf_counter() - began, 2)
    served, total = served_quantity(problem, best), _cost(problem, best)
    if served_bound is not None and served_bound < served:  # pragma: no cover - a bug guard
        served_bound = None
    if bound is not None:
        bound = min(bound, total)
    gap = None if bound is None else 0.0 if total == 0 else (total - bound) / total
    optimal = (
        proven and gap is not None and gap <= instance.policy.mip_gap + 1e-12
        and served_bound is not None and served == served_bound
    )
    stats.update(build_s=round(build_s, 4), solve_s=round(time.perf_counter() - began - build_s, 4))
    stats["baselines"] = {
        name: {"served": served_quantity(problem, g), "total": _cost(problem, g)}
        for name, g in yardsticks.items()
    }
    result = build_result(problem, best, "optimal" if optimal else "feasible", bound, gap, stats,
                          served_bound)
    violations = check_result(instance, result)
    if violations:
        # A safety net that should never fire: hand out the best baseline, which is built from
        # valid groups only, rather than an allocation that breaks a rule.
        stats["discarded"] = violations[:5]
        fallback = max(yardsticks.values(), key=lambda g: (served_quantity(problem, g), -_cost(problem, g)))
        result = build_result(problem, fallback, "feasible", None, None, stats)
        if check_result(instance, result):
            result = Result(status="error", served_quantity=0, total_amount=0, bound=None, gap=None,
                            stats=stats, message="internal check failed: " + "; ".join(violations[:5]))
    tracker.served, tracker.total = result.served_quantity, result.total_amount
    tracker.bound, tracker.served_bound = result.bound, result.served_bound
    tracker.phase = "done"
    tracker.emit(gap=result.gap)
    return result


def _better(problem: Problem, candidate: Grouping, best: Grouping) -> Grouping:
    return candidate if lexicographically_better(problem, candidate, best) else best


def _tighter(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def build_result(problem: Problem, grouping: Grouping, status: str, bound: int | None,
                 gap: float | None, stats: dict[str, object], served_bound: int | None = None) -> Result:
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
        served_bound=served_bound,
    )


def _cost(problem: Problem, grouping: Grouping) -> int:
    return sum(problem.group_cost(o, m) for o, m in grouping if m)


def _version(solver: str) -> str:
    package = {"highs": "highspy", "cbc": "pulp"}[solver]
    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:  # pragma: no cover - both ship with the project
        return package
