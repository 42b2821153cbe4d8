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
    """Both phases over every maximal box; each improvement is reported as it is found.

    The serve phase gets a third of the time, the cost phase the rest. When the cost phase
    ends early and the seats are not proven yet, the serve phase goes on with the time left,
    and a better seat count is priced again: the time given is used while anything is open.
    A spend bound proven at fewer seats still holds at more (the cost model asks for at
    least the target), so the best of them is kept.
    """
    state = _Exact(problem, candidates, incumbent, solver, deadline, on_better, on_bound)
    if not state.served_proven:
        state.serve(share=1 / 3)
    if _left(deadline) <= 0:
        return state.outcome()
    state.cost()
    while not state.served_proven and _left(deadline) > 1.0:
        if not state.serve(share=1.0) or _left(deadline) <= 1.0:
            break
        state.cost()
    return state.outcome()


class _Exact:
    """The exact path's incumbent, bounds and phase log between the MILP solves."""

    def __init__(self, problem: Problem, candidates: list[list[int]], incumbent: Grouping,
                 solver: str, deadline: float, on_better: Callable[[Grouping], None],
                 on_bound: Callable[[int | None, int | None], None]):
        self.problem, self.candidates, self.solver, self.deadline = problem, candidates, solver, deadline
        self.on_better, self.on_bound = on_better, on_bound
        self.best = incumbent
        self.target = served_quantity(problem, incumbent)
        self.served_bound: int | None = served_upper_bound(problem, candidates)
        self.served_proven = self.target == self.served_bound
        self.bound: int | None = None
        self.cost_proven = False  # at the current target
        self.phases: list[dict[str, object]] = []

    def serve(self, share: float) -> bool:
        """A serve MILP with `share` of the time left; whether it served more seats."""
        problem = self.problem
        phase = solve_model(problem, self.candidates, phase="serve", start=self.best,
                            solver=self.solver, time_limit_s=max(1.0, _left(self.deadline) * share),
                            mip_gap=0.0)
        self.phases.append(_stats("serve", phase))
        more = valid_grouping(problem, phase.groups) and served_quantity(problem, phase.groups) > self.target
        if more:
            self.best = improve(problem, phase.groups, deadline=self.deadline)
            self.target = served_quantity(problem, self.best)
            self.cost_proven = False
            self.on_better(self.best)
        if phase.bound is not None:
            proven = math.floor(phase.bound + 1e-6)
            self.served_bound = proven if self.served_bound is None else min(self.served_bound, proven)
        self.served_proven = phase.proven or self.target == self.served_bound
        if self.served_proven:
            self.served_bound = self.target
        self.on_bound(None, self.served_bound)
        return more

    def cost(self) -> None:
        """The cost MILP at the current target with all the time left."""
        problem = self.problem
        phase = solve_model(problem, self.candidates, phase="cost", served_target=self.target,
                            start=self.best, solver=self.solver,
                            time_limit_s=max(1.0, _left(self.deadline)), mip_gap=problem.policy.mip_gap)
        self.phases.append(_stats("cost", phase))
        if valid_grouping(problem, phase.groups) and served_quantity(problem, phase.groups) >= self.target:
            found = improve(problem, phase.groups, deadline=self.deadline)
            if _cost(problem, found) < _cost(problem, self.best) or served_quantity(problem, self.best) < self.target:
                self.best = found
                self.on_better(self.best)
        if phase.bound is not None:
            bound = math.ceil(phase.bound - 1e-6)
            self.bound = bound if self.bound is None else max(self.bound, bound)
            self.on_bound(self.bound, None)
        self.cost_proven = phase.proven

    def outcome(self) -> ExactOutcome:
        return ExactOutcome(self.best, self.bound, self.served_bound,
                            self.served_proven and self.cost_proven, self.phases)


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
