"""The exact path: the compact box model over every maximal box, for instances small enough.

Both lexicographic phases are solved as MILPs (`model.py`) warm-started from the incumbent:
phase 1 proves the most seats any allocation serves (the served bound), phase 2 the least
spend at that many. `optimal` is only claimed when the candidate set held every maximal
box and the solver proved both phases within the gap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pricing import boxes
from pricing.baselines import Grouping, served_quantity
from pricing.explain import served_upper_bound
from pricing.model import model_size, solve_model
from pricing.problem import Problem
from pricing.search import improve

# Past this many member variables (buyer x box x offer x level) the compact model is too
# large to build and solve in time (the 200-buyer benchmark has 11,000 and is proven in
# seconds; a 289-buyer block of the 5,000-buyer benchmark had 275,000 and took 1.2 GB
# without finishing): the column-generation path takes over.
EXACT_MODEL_LIMIT = 40_000


@dataclass(slots=True)
class ExactOutcome:
    """What the compact model proved: the best grouping and its bounds."""

    grouping: Grouping
    bound: int | None
    served_bound: int | None
    proven: bool
    phases: list[dict[str, object]] = field(default_factory=list)


def maximal_candidates(problem: Problem) -> list[list[int]] | None:
    """Every maximal box of every block when the compact model over them stays small, else None."""
    found: list[list[int]] = []
    size = 0
    for b, block in enumerate(problem.blocks):
        usable = [i for i in block if problem.need[i]]
        if not usable:
            continue
        maximal = boxes.maximal_boxes(problem.buyers, problem.rules, usable, b, limit=20_000)
        if maximal is None:
            return None
        members = [list(box.members) for box in maximal]
        size += model_size(problem, members)
        if size > EXACT_MODEL_LIMIT:
            return None
        found.extend(members)
    return found


def solve_exact(problem: Problem, candidates: list[list[int]], incumbent: Grouping, solver: str,
                deadline: float, on_better: Callable[[Grouping], None],
                on_bound: Callable[[int | None, int | None], None]) -> ExactOutcome:
    """Both phases over every maximal box; each improvement is reported as it is found."""
    policy = problem.policy
    best = incumbent
    target = served_quantity(problem, incumbent)
    most = served_upper_bound(problem, candidates)
    served_bound: int | None = most
    served_proven = target == most
    phases: list[dict[str, object]] = []
    if not served_proven and _left(deadline) > 0:
        phase = solve_model(problem, candidates, phase="serve", start=incumbent, solver=solver,
                            time_limit_s=max(1.0, _left(deadline) / 3), mip_gap=0.0)
        phases.append(_stats("serve", phase))
        if valid_grouping(problem, phase.groups) and served_quantity(problem, phase.groups) > target:
            best = improve(problem, phase.groups, deadline=deadline)
            target = served_quantity(problem, best)
            on_better(best)
        if phase.bound is not None:
            served_bound = min(most, math.floor(phase.bound + 1e-6))
        served_proven = phase.proven or target == served_bound
        if served_proven:
            served_bound = target
        on_bound(None, served_bound)
    if _left(deadline) <= 0:
        return ExactOutcome(best, None, served_bound, False, phases)
    phase = solve_model(problem, candidates, phase="cost", served_target=target, start=best,
                        solver=solver, time_limit_s=max(1.0, _left(deadline)), mip_gap=policy.mip_gap)
    phases.append(_stats("cost", phase))
    if valid_grouping(problem, phase.groups) and served_quantity(problem, phase.groups) >= target:
        found = improve(problem, phase.groups, deadline=deadline)
        if _cost(problem, found) < _cost(problem, best) or served_quantity(problem, best) < target:
            best = found
            on_better(best)
    bound = None if phase.bound is None else math.ceil(phase.bound - 1e-6)
    return ExactOutcome(best, bound, served_bound, served_proven and phase.proven, phases)


def valid_grouping(problem: Problem, grouping: Grouping) -> bool:
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


def _stats(phase: str, solved: object) -> dict[str, object]:
    return {
        "phase": phase,
        "variables": solved.variables,  # type: ignore[attr-defined]
        "constraints": solved.constraints,  # type: ignore[attr-defined]
        "build_s": round(solved.build_s, 4),  # type: ignore[attr-defined]
        "solve_s": round(solved.solve_s, 4),  # type: ignore[attr-defined]
        "proven": solved.proven,  # type: ignore[attr-defined]
    }
