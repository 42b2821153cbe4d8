"""The allocation MILP over candidate boxes, offers and price levels.

Formulation (see DESIGN.md for the measurements behind it):

- a group lives in a candidate box `c` (a maximal set of mutually similar buyers), buys
  from offer `o` and is *labelled* with a price level `t` (a tier of `o`);
- `y[c,o,t]` opens such a group, `x[i,c,o,t]` puts buyer `i` in it (`x <= y`, the strong
  facility-location link);
- volume: a group labelled `t` holds at least `low_t` units and every member pays at most
  `unit_t` per unit, so the cost is `sum unit_t * q_i * x` (the true tier of the quantity is
  never dearer, and an optimum labels each group with its true tier);
- graduated: the total is concave, the minimum of its linear pieces `a_t + unit_t * Q`, so
  the cost is `a_t * y + unit_t * Q` for the chosen label: exact at the optimum;
- per-district price conditions (ceiling, individual rationality) are minimum group
  quantities: a level whose range starts at or above a buyer's need satisfies it; a level
  whose range contains the need gets an explicit `Q >= need * x`; a level below is closed;
- lexicographic objective in two phases: maximise served quantity, then minimise spend
  with served quantity fixed at its maximum.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pulp

from pricing.baselines import Grouping
from pricing.highs import silence_banner
from pricing.problem import Problem
from pricing.tiers import schedule_total, tier_ranges

SOLVERS = ("highs", "cbc")


@dataclass(frozen=True, slots=True)
class Solved:
    """What one MILP solve produced: the grouping, the objective and its proven bound."""

    groups: Grouping
    objective: float | None
    bound: float | None
    proven: bool
    build_s: float
    solve_s: float
    variables: int
    constraints: int


class _HiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface, creating its first model without the stdout banner.

    No warm start: measured with highspy 1.16, a solution passed through setSolution made
    HiGHS report an objective below the one its own column values give, and stop there.
    """

    def __init__(self, **kwargs: object):
        # HiGHS keeps one thread pool per process: once it has run with some thread count,
        # a model asking for another one does not solve at all (status kNotset). Every
        # model here therefore runs single-threaded, which also keeps answers repeatable.
        kwargs["threads"] = 1
        super().__init__(**kwargs)

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's name
        silence_banner()
        super().createAndConfigureSolver(lp)

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's name
        super().callSolver(lp)
        import highspy

        if lp.solverModel.getModelStatus() in (
            highspy.HighsModelStatus.kNotset, highspy.HighsModelStatus.kSolveError,
            highspy.HighsModelStatus.kModelError,
        ):
            raise pulp.PulpSolverError(
                f"HiGHS did not solve the model: {lp.solverModel.getModelStatus()}"
            )


def quiet_highs(**kwargs: object) -> pulp.HiGHS:
    """A HiGHS solver object that prints nothing (for LPs solved outside `solve_model`)."""
    return _HiGHS(msg=False, **kwargs)


def _levels(problem: Problem, o: int) -> list[tuple[int, int, int | None, int, int]]:
    """(t, low, high, unit, intercept) for each tier of offer o; intercept only for graduated."""
    offer = problem.offers[o]
    out = []
    for r in tier_ranges(offer):
        intercept = 0
        if offer.tiers_mode == "graduated":
            intercept = schedule_total(offer, r.low - 1) - r.unit_amount * (r.low - 1)
        out.append((r.index, r.low, r.high, r.unit_amount, intercept))
    return out


def slots(
    problem: Problem, candidates: Sequence[Sequence[int]]
) -> Iterator[tuple[int, int, int, int, list[int], dict[int, int]]]:
    """Every (box, offer, level) a group may take: (c, o, t, low, members, explicit needs).

    A member whose need is at most the level's floor (or its own quantity) is always
    satisfied there; one whose need lies inside the level's range gets an explicit
    `Q >= need` row; a level whose whole range is below a member's need is closed to it.
    """
    qty = [b.quantity for b in problem.buyers]
    for c, box in enumerate(candidates):
        for o in problem.useful_offers(list(box)):
            users = [i for i in box if o in problem.need[i]]
            mass = sum(qty[i] for i in users)
            for t, low, high, _unit, _ in _levels(problem, o):
                if low > mass:
                    break
                members, explicit = [], {}
                for i in users:
                    need = problem.need[i][o]
                    if need <= max(low, qty[i]):
                        members.append(i)
                    elif high is None or need <= high:
                        members.append(i)
                        explicit[i] = need
                if len(members) < problem.policy.min_group_size:
                    continue
                if sum(qty[i] for i in members) < low:
                    continue
                yield c, o, t, low, members, explicit


def model_size(problem: Problem, candidates: Sequence[Sequence[int]]) -> int:
    """How many member variables the model over these boxes has (before copies)."""
    return sum(len(members) for *_, members, _needs in slots(problem, candidates))


def solve_model(
    problem: Problem,
    candidates: Sequence[Sequence[int]],
    *,
    phase: str,
    served_target: int | None = None,
    start: Grouping | None = None,
    solver: str = "highs",
    time_limit_s: float = 60.0,
    mip_gap: float = 0.001,
) -> Solved:
    """Build and solve one phase ("serve" or "cost") of the MILP over the candidate boxes."""
    began = time.perf_counter()
    buyers = problem.buyers
    policy = problem.policy
    qty = [b.quantity for b in buyers]
    prob = pulp.LpProblem("allocation", pulp.LpMaximize if phase == "serve" else pulp.LpMinimize)

    y_keys: list[tuple[int, int, int, int]] = []
    x_keys: list[tuple[int, int, int, int, int]] = []
    members_of: dict[tuple[int, int, int, int], list[int]] = {}
    needs: dict[tuple[int, int, int, int], int] = {}
    level_info: dict[tuple[int, int], tuple[int, int | None, int, int]] = {}
    for o in range(len(problem.offers)):
        for t, low, high, unit, intercept in _levels(problem, o):
            level_info[o, t] = (low, high, unit, intercept)
    for c, o, t, low, members, slot_needs in slots(problem, candidates):
        needs.update({(i, c, o, t): need for i, need in slot_needs.items()})
        for k in range(_copies(policy.min_group_size, policy.max_group_size, members, qty, low)):
            y_keys.append((c, o, t, k))
            members_of[c, o, t, k] = members
            x_keys.extend((i, c, o, t, k) for i in members)

    y = {key: prob.add_variable("y_" + "_".join(map(str, key)), 0, 1, cat="Binary") for key in y_keys}
    x = {key: prob.add_variable("x_" + "_".join(map(str, key)), 0, 1, cat="Binary") for key in x_keys}
    of_buyer: dict[int, list[pulp.LpVariable]] = {}
    of_offer: dict[int, list[tuple[int, pulp.LpVariable]]] = {}
    for (i, _c, o, _t, _k), var in x.items():
        of_buyer.setdefault(i, []).append(var)
        of_offer.setdefault(o, []).append((qty[i], var))

    for i, vars_ in of_buyer.items():
        prob += pulp.lpSum(vars_) <= 1, f"one_group_buyer_{i}"
    for (c, o, t, k), members in members_of.items():
        tag = f"{c}_{o}_{t}_{k}"
        group_y = y[c, o, t, k]
        quantity = pulp.lpSum(qty[i] * x[i, c, o, t, k] for i in members)
        low = level_info[o, t][0]
        if low > 1:
            prob += quantity >= low * group_y, f"tier_floor_{tag}"
        high = level_info[o, t][1]
        if high is not None and sum(qty[i] for i in members) > high:
            # An optimum labels each group with its true tier, so a label's quantity stays
            # within that tier's range: valid, and it stops the LP from pricing a large
            # fractional quantity at a small label.
            prob += quantity <= high * group_y, f"tier_ceiling_{tag}"
        for i in members:
            prob += x[i, c, o, t, k] <= group_y, f"member_opens_group_{i}_{tag}"
            need = needs.get((i, c, o, t))
            if need is not None:
                prob += quantity >= need * x[i, c, o, t, k], f"price_condition_{i}_{tag}"
        if policy.min_group_size > 1:
            prob += (
                pulp.lpSum(x[i, c, o, t, k] for i in members) >= policy.min_group_size * group_y,
                f"min_group_size_{tag}",
            )
        if policy.max_group_size is not None and len(members) > policy.max_group_size:
            prob += (
                pulp.lpSum(x[i, c, o, t, k] for i in members) <= policy.max_group_size * group_y,
                f"max_group_size_{tag}",
            )
        if k > 0:  # copies are interchangeable: open them in order
            prob += y[c, o, t, k - 1] >= group_y, f"copies_in_order_{tag}"
    if policy.max_group_size is None:
        # Two groups of one offer in one box merge at no extra cost, so one group per
        # (box, offer) suffices: a valid cut that also removes split-group symmetry.
        levels_of: dict[tuple[int, int], list[pulp.LpVariable]] = {}
        for (c, o, _t, _k), var in y.items():
            levels_of.setdefault((c, o), []).append(var)
        for (c, o), variables in levels_of.items():
            if len(variables) > 1:
                prob += pulp.lpSum(variables) <= 1, f"one_group_per_box_offer_{c}_{o}"
    for o, terms in of_offer.items():
        cap = problem.offers[o].capacity
        if cap is not None and sum(q for q, _ in terms) > cap:
            prob += pulp.lpSum(q * v for q, v in terms) <= cap, f"capacity_offer_{o}"

    served = pulp.lpSum(qty[i] * v for (i, *_), v in x.items())
    cost = pulp.lpSum(
        level_info[o, t][2] * qty[i] * v for (i, _c, o, t, _k), v in x.items()
    ) + pulp.lpSum(level_info[o, t][3] * v for (_c, o, t, _k), v in y.items() if level_info[o, t][3])
    if phase == "serve":
        prob += served
    else:
        prob += cost
        if served_target:
            prob += served >= served_target, "serve_the_maximum_quantity"

    build_s = time.perf_counter() - began
    if not x:  # nothing can be served: the empty allocation is the proven optimum
        return Solved([], 0.0, 0.0, True, build_s, 0.0, 0, prob.numConstraints())
    warm = _warm_values(problem, candidates, members_of, start or [], level_info)
    began = time.perf_counter()
    try:
        bound, proven = _run(prob, solver, warm, max(1.0, time_limit_s - build_s), mip_gap)
    except pulp.PulpSolverError:
        # Seen with PuLP's bundled CBC 2.10.3: a segfault when its time limit hits on a
        # warm-started model. The caller keeps its heuristic grouping; nothing is proven.
        bound, proven = None, False
        for var in x.values():
            var.varValue = None
    solve_s = time.perf_counter() - began

    if prob.status != pulp.LpStatusOptimal and not _has_solution(x):
        return Solved([], None, bound, False, build_s, solve_s, len(x) + len(y), prob.numConstraints())
    groups: Grouping = []
    for key in y_keys:
        members = [i for i in members_of[key] if (x[(i, *key)].varValue or 0) > 0.5]
        if members:
            groups.append((key[1], sorted(members)))
    objective = pulp.value(prob.objective)
    return Solved(
        groups, objective, bound, proven, build_s, solve_s, len(x) + len(y), prob.numConstraints()
    )


def _has_solution(x: dict[tuple[int, int, int, int, int], pulp.LpVariable]) -> bool:
    return any(v.varValue is not None for v in x.values())


def _warm_values(
    problem: Problem,
    candidates: Sequence[Sequence[int]],
    members_of: dict[tuple[int, int, int, int], list[int]],
    start: Grouping,
    level_info: dict[tuple[int, int], tuple[int, int | None, int, int]],
) -> dict[str, float]:
    """Map a heuristic grouping onto the model's variables (groups outside every box are skipped)."""
    values: dict[str, float] = {}
    containing: dict[int, list[int]] = {}
    for c, box in enumerate(candidates):
        for i in box:
            containing.setdefault(i, []).append(c)
    for o, members in start:
        quantity = sum(problem.buyers[i].quantity for i in members)
        t = _true_level(level_info, o, quantity)
        shared = set(containing.get(members[0], []))
        for i in members[1:]:
            shared &= set(containing.get(i, []))
        placed = False
        for c in sorted(shared):
            k = 0
            while not placed and (c, o, t, k) in members_of:
                key = f"{c}_{o}_{t}_{k}"
                if f"y_{key}" not in values and set(members_of[c, o, t, k]).issuperset(members):
                    values[f"y_{key}"] = 1.0
                    for i in members:
                        values[f"x_{i}_{key}"] = 1.0
                    placed = True
                k += 1
            if placed:
                break
    return values


def _copies(min_size: int, max_size: int | None, members: list[int], qty: list[int], low: int) -> int:
    """How many groups of one offer and level one box may need.

    Without a maximum group size one suffices: two groups of the same offer in the same box
    merge at no extra cost. With one, as many as could be formed from the box's members.
    """
    if max_size is None:
        return 1
    by_count = len(members) // max(1, min_size)
    by_mass = sum(qty[i] for i in members) // max(1, low)
    return max(1, min(by_count, by_mass))


def _true_level(level_info: dict[tuple[int, int], tuple[int, int | None, int, int]], o: int, q: int) -> int:
    t = 0
    while (o, t + 1) in level_info and level_info[o, t + 1][0] <= q:
        t += 1
    return t


_CBC_BOUND = re.compile(r"(?:Lower bound|Best possible)[:\s]+(-?[\d.e+]+)", re.IGNORECASE)


def _run(
    prob: pulp.LpProblem, solver: str, warm: dict[str, float], time_limit_s: float, mip_gap: float
) -> tuple[float | None, bool]:
    """Solve; return (proven bound on the objective, whether optimality within the gap is proven)."""
    if solver == "highs":
        engine = _HiGHS(msg=False, timeLimit=time_limit_s, gapRel=mip_gap)
        prob.solve(engine)
        model = prob.solverModel
        info = model.getInfo()
        status = model.getModelStatus()
        import highspy

        proven = status == highspy.HighsModelStatus.kOptimal
        bound: float | None = info.mip_dual_bound
        if bound is None or not math.isfinite(bound) or abs(bound) >= 1e30:
            bound = None
        elif prob.sense == pulp.LpMaximize:
            bound = -bound
        if proven and bound is None:
            bound = pulp.value(prob.objective)
        return bound, proven
    if solver == "cbc":
        for var in prob.variables():
            var.setInitialValue(warm.get(var.name, 0.0))
        handle, log_path = tempfile.mkstemp(suffix=".log")
        os.close(handle)
        try:
            with warnings.catch_warnings():
                # The CBC binary bundled with PuLP 3 is the one this project uses (pulp<4 is
                # pinned); its notice about PuLP 4 is not ours to act on.
                warnings.filterwarnings("ignore", "PULP_CBC_CMD is deprecated", DeprecationWarning)
                engine = pulp.PULP_CBC_CMD(
                    msg=False,
                    timeLimit=time_limit_s,
                    gapRel=mip_gap,
                    warmStart=bool(warm),
                    logPath=log_path,
                    threads=1,
                )
            prob.solve(engine)
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                log = fh.read()
        finally:
            os.unlink(log_path)
        proven = prob.status == pulp.LpStatusOptimal and "Result - Optimal solution found" in log
        match = _CBC_BOUND.findall(log)
        bound = float(match[-1]) if match else None
        if proven:
            # CBC prints its last 'best possible' before the search completes; once it says
            # optimal, the objective is proven within the relative gap it was given.
            objective = pulp.value(prob.objective)
            proven_bound = objective - mip_gap * abs(objective)
            if prob.sense == pulp.LpMaximize:
                proven_bound = objective + mip_gap * abs(objective)
            bound = proven_bound if bound is None else (
                max(bound, proven_bound) if prob.sense == pulp.LpMinimize else min(bound, proven_bound)
            )
        return bound, proven
    raise ValueError(f"unknown solver {solver!r}: choose one of {', '.join(SOLVERS)}")
