"""The textbook big-M PuLP formulation of the allocation problem: the baseline to beat.

Same problem and same lexicographic objective as `pricing.engine` (serve the most
quantity, then pay the least), same solvers, same time limit. Nothing from the engine's
formulation is used (no boxes, no per-level group variables, no heuristic start); only
`pricing.problem.prepare` for standalone prices, and `pricing.engine.build_result` and
`pricing.check.check_result` to price and check the answer.

Model, with n buyers and G = n group slots:

- `x[i,g]` binary: buyer i in slot g. A slot is named after its smallest member, so
  `x[i,g]` exists only for g <= i (the usual representative symmetry breaking);
  `sum_g x[i,g] <= 1`.
- `z[g,o]` binary: slot g buys from offer o, `y_g = sum_o z[g,o] <= 1`;
  `x[i,g] <= sum of z[g,o] over i's usable offers` (eligible, capacity >= its quantity).
- `u[g,o,t]` binary: the tier of the slot's quantity `Q_g = sum_i q_i x[i,g]`,
  `sum_t u[g,o,t] = z[g,o]`, with big-M on the tier's range:
  `Q_g >= low_t u` and `Q_g <= high_t + (Qmax - high_t)(1 - u)`.
- `c_g >= 0` the slot's cost: `c_g >= a_t + p_t Q_g - M_t (1 - u[g,o,t])` (volume: a_t = 0;
  graduated: the linear piece of tier t, exact within its range).
- Price conditions (ceiling, individual rationality) per member: the exact proportional
  share `c_g q_i / Q_g <= r_i q_i` is `c_g - r_i Q_g <= M (1 - x[i,g])`, r_i the smaller of
  the ceiling and standalone / q_i; dropped when no usable offer alone exceeds r_i.
- Similarity: a continuous box corner `L[g,f]` per numeric rule, in log space for
  `max_ratio` (width ln r) and linear for `max_spread` (width s), with the tightest big-M:
  `L[g,f] - v_i <= (vmax - v_i)(1 - x)`, `v_i - L[g,f] <= w + (v_i - vmin - w)(1 - x)`.
  `same` rules: `s[g,f,k]` binary, one value per slot, `x[i,g] <= s[g,f,value_i]`.
- Group sizes: `sum_i x[i,g] >= min y_g`, `<= max y_g`.
- Capacity: `P[g,o]`, the slot's quantity when it buys o (`P <= Qmax z`, `P >= Q_g - Qmax (1 - z)`),
  `sum_g P[g,o] <= capacity_o`.
- Two phases, as the engine: maximise `sum q_i x` (a third of the time left), then
  minimise `sum c_g` with served quantity at least phase one's (the rest of the time).
  The answer is the cheaper of the two phases' solutions serving that quantity.

Entry points: `solve_bigm(instance, solver, time_limit_s)` returns
`(status, total_amount, bound, build_s, solve_s)`; `run_bigm` returns everything.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from dataclasses import dataclass, field

import pulp

from pricing.check import check_result
from pricing.engine import build_result
from pricing.problem import Problem, prepare
from pricing.tiers import schedule_total, tier_ranges
from pricing.types import Instance, Result

try:  # PuLP 3.3 flags the PuLP 3 API (still the documented one) as removed in 4.0.
    from pulp.v4_migration import set_v4_migration_warnings

    set_v4_migration_warnings(False)
except ImportError:  # pragma: no cover - older PuLP
    pass

# Inside a max_ratio or max_spread window; the checker allows 1e-9 relative slack.
LOG_SLACK = 1e-9


@dataclass
class BigMRun:
    """Everything one big-M solve produced."""

    status: str  # optimal | feasible (serving nothing is always a solution)
    total_amount: int | None
    bound: int | None
    build_s: float
    solve_s: float
    served_quantity: int = 0
    gap: float | None = None
    valid: bool | None = None
    problems: list[str] = field(default_factory=list)
    variables: int = 0
    constraints: int = 0
    phases: list[dict[str, object]] = field(default_factory=list)
    result: Result | None = None


@dataclass
class _Model:
    prob: pulp.LpProblem
    x: dict[tuple[int, int], pulp.LpVariable]
    z: dict[tuple[int, int], pulp.LpVariable]
    served: pulp.LpAffineExpression
    cost: pulp.LpAffineExpression


def build(problem: Problem) -> _Model:
    """The big-M model (objective set per phase by the caller)."""
    buyers, offers, policy = problem.buyers, problem.offers, problem.policy
    n = len(buyers)
    qty = [b.quantity for b in buyers]
    usable = [
        [
            o
            for o, offer in enumerate(offers)
            if buyers[i].may_buy(offer.id) and (offer.capacity is None or offer.capacity >= qty[i])
        ]
        for i in range(n)
    ]
    members = [i for i in range(n) if usable[i]]
    qmax = max(1, sum(qty[i] for i in members))
    prob = pulp.LpProblem("bigm", pulp.LpMaximize)

    def binary(name: str) -> pulp.LpVariable:
        return pulp.LpVariable(name, cat="Binary")

    slots = range(n)
    x = {(i, g): binary(f"x_{i}_{g}") for i in members for g in slots if g <= i}
    in_slot: dict[int, list[int]] = {g: [] for g in slots}
    for i, g in x:
        in_slot[g].append(i)
    live = [g for g in slots if in_slot[g]]
    z = {(g, o): binary(f"z_{g}_{o}") for g in live for o in range(len(offers))}
    quantity = {g: pulp.lpSum(qty[i] * x[i, g] for i in in_slot[g]) for g in live}
    cost_var = {g: pulp.LpVariable(f"c_{g}", lowBound=0) for g in live}

    for i in members:
        prob += pulp.lpSum(x[i, g] for g in slots if g <= i) <= 1, f"one_slot_{i}"
    for g in live:
        y = pulp.lpSum(z[g, o] for o in range(len(offers)))
        prob += y <= 1, f"one_offer_{g}"
        for i in in_slot[g]:
            allowed = usable[i]
            link = y if len(allowed) == len(offers) else pulp.lpSum(z[g, o] for o in allowed)
            prob += x[i, g] - link <= 0, f"eligible_{i}_{g}"
        count = pulp.lpSum(x[i, g] for i in in_slot[g])
        if policy.min_group_size > 1:
            prob += count - policy.min_group_size * y >= 0, f"min_size_{g}"
        if policy.max_group_size is not None and len(in_slot[g]) > policy.max_group_size:
            prob += count - policy.max_group_size * y <= 0, f"max_size_{g}"
        # Tier choice and cost, big-M on each tier's quantity range.
        for o, offer in enumerate(offers):
            levels = tier_ranges(offer)
            u = {t.index: binary(f"u_{g}_{o}_{t.index}") for t in levels if t.low <= qmax}
            prob += pulp.lpSum(u.values()) - z[g, o] == 0, f"tier_{g}_{o}"
            for t in levels:
                if t.index not in u:
                    continue
                if t.low > 1:
                    prob += quantity[g] - t.low * u[t.index] >= 0, f"tier_low_{g}_{o}_{t.index}"
                if t.high is not None and t.high < qmax:
                    prob += (
                        quantity[g] + (qmax - t.high) * u[t.index] <= qmax,
                        f"tier_high_{g}_{o}_{t.index}",
                    )
                intercept = 0
                if offer.tiers_mode == "graduated":
                    intercept = schedule_total(offer, t.low - 1) - t.unit_amount * (t.low - 1)
                big = intercept + t.unit_amount * qmax
                prob += (
                    cost_var[g] - t.unit_amount * quantity[g] - big * u[t.index] >= intercept - big,
                    f"cost_{g}_{o}_{t.index}",
                )
    # Price conditions: ceiling and individual rationality as a maximum average price.
    cost_cap = max(schedule_total(offer, qmax) for offer in offers)
    for i in members:
        rates = []
        if buyers[i].max_unit_amount is not None:
            rates.append(float(buyers[i].max_unit_amount))
        alone = problem.standalone[i]
        if policy.individual_rationality and alone is not None:
            rates.append(alone / qty[i])
        if not rates:
            continue
        rate = min(rates)
        if all(schedule_total(offers[o], qty[i]) <= rate * qty[i] for o in usable[i]):
            continue  # never binds: averages only fall with quantity
        for g in slots:
            if (i, g) in x:
                prob += (
                    cost_var[g] - rate * quantity[g] + cost_cap * x[i, g] <= cost_cap,
                    f"price_{i}_{g}",
                )
    # Similarity: a box corner per slot and numeric rule; one value per `same` feature.
    for f, rule in enumerate(problem.rules):
        if rule.same:
            values = sorted({str(buyers[i].features[rule.feature]) for i in members})
            for g in live:
                s = {v: binary(f"s_{g}_{f}_{k}") for k, v in enumerate(values)}
                prob += pulp.lpSum(s.values()) <= 1, f"same_{g}_{f}"
                for i in in_slot[g]:
                    value = str(buyers[i].features[rule.feature])
                    prob += x[i, g] - s[value] <= 0, f"same_{i}_{g}_{f}"
            continue
        log = rule.max_ratio is not None
        width = math.log(rule.max_ratio) if log else float(rule.max_spread)  # type: ignore[arg-type]
        width += LOG_SLACK
        value = {
            i: (
                math.log(float(buyers[i].features[rule.feature]))
                if log
                else float(buyers[i].features[rule.feature])
            )
            for i in members
        }
        low, high = min(value.values()), max(value.values())
        for g in live:
            corner = pulp.LpVariable(f"L_{g}_{f}", lowBound=low, upBound=high)
            for i in in_slot[g]:
                v = value[i]
                if high > v:  # corner <= v_i when i is in
                    prob += corner + (high - v) * x[i, g] <= high, f"box_low_{i}_{g}_{f}"
                if v - low > width:  # v_i <= corner + width when i is in
                    big = v - low - width
                    prob += corner + big * (1 - x[i, g]) >= v - width, f"box_high_{i}_{g}_{f}"
    # Capacity: the slot's quantity counted against the offer it buys from.
    for o, offer in enumerate(offers):
        if offer.capacity is None or offer.capacity >= qmax:
            continue
        counted = []
        for g in live:
            p = pulp.LpVariable(f"P_{g}_{o}", lowBound=0)
            prob += p - qmax * z[g, o] <= 0, f"cap_on_{g}_{o}"
            prob += p - quantity[g] - qmax * z[g, o] >= -qmax, f"cap_qty_{g}_{o}"
            counted.append(p)
        prob += pulp.lpSum(counted) <= offer.capacity, f"capacity_{o}"
    served = pulp.lpSum(qty[i] * var for (i, _g), var in x.items())
    cost = pulp.lpSum(cost_var.values())
    return _Model(prob, x, z, served, cost)


def _grouping(model: _Model) -> list[tuple[int, list[int]]]:
    groups: dict[int, list[int]] = {}
    for (i, g), var in model.x.items():
        if (var.varValue or 0) > 0.5:
            groups.setdefault(g, []).append(i)
    out = []
    for g, members in groups.items():
        chosen = [o for (h, o), var in model.z.items() if h == g and (var.varValue or 0) > 0.5]
        if chosen:
            out.append((chosen[0], sorted(members)))
    return out


_CBC_BOUND = re.compile(r"best possible[:\s]+(-?[\d.e+]+)", re.IGNORECASE)
_CBC_LOWER = re.compile(r"Lower bound:\s+(-?[\d.e+]+)")


def _solve(
    prob: pulp.LpProblem, solver: str, time_limit_s: float, gap: float
) -> tuple[bool, float | None, bool]:
    """Solve in place: (proven within gap, proven bound or None, whether the values are a solution).

    PuLP reads values back even when the solver stopped without an integer solution (CBC
    writes its last LP point; HiGHS' time limit is mapped to "integer feasible"), so whether
    there is a solution is asked of the solver itself.
    """
    if solver == "highs":
        prob.solve(pulp.HiGHS(msg=False, timeLimit=time_limit_s, gapRel=gap, threads=1))
        import highspy

        model = prob.solverModel
        proven = model.getModelStatus() == highspy.HighsModelStatus.kOptimal
        info = model.getInfo()
        found = info.primal_solution_status == 2  # kSolutionStatusFeasible
        bound = info.mip_dual_bound
        if bound is None or not math.isfinite(bound) or abs(bound) >= 1e30:
            return proven, None, found
        return proven, (-bound if prob.sense == pulp.LpMaximize else bound), found
    handle, log_path = tempfile.mkstemp(suffix=".log")
    os.close(handle)
    try:
        prob.solve(
            pulp.PULP_CBC_CMD(
                msg=False, timeLimit=time_limit_s, gapRel=gap, threads=1, logPath=log_path
            )
        )
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    finally:
        os.unlink(log_path)
    proven = "Result - Optimal solution found" in log
    found = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    objective = pulp.value(prob.objective)
    if found and (proven or "Search completed" in log) and objective is not None:
        return proven, float(objective), found
    printed = _CBC_LOWER.findall(log) or _CBC_BOUND.findall(log)
    if not printed:
        return proven, None, found
    bound = float(printed[-1])
    # CBC minimises internally: a maximisation's bound is printed negated.
    return proven, (abs(bound) if prob.sense == pulp.LpMaximize else bound), found


def _phase(name: str, limit: float, began: float, proven: bool, bound: float | None) -> dict:
    return {
        "phase": name,
        "time_limit_s": round(limit, 2),
        "solve_s": round(time.perf_counter() - began, 2),
        "proven": proven,
        "bound": bound,
    }


def run_bigm(
    instance: Instance, solver: str = "highs", time_limit_s: float | None = None
) -> BigMRun:
    """Build and solve the big-M model within `time_limit_s` (default: the policy's), build included."""
    began = time.perf_counter()
    budget = instance.policy.time_limit_s if time_limit_s is None else time_limit_s
    deadline = began + budget
    problem = prepare(instance)
    model = build(problem)
    build_s = time.perf_counter() - began
    prob = model.prob

    def served(grouping: list[tuple[int, list[int]]]) -> int:
        return sum(problem.buyers[i].quantity for _, m in grouping for i in m)

    # Phase 1: serve the most quantity. Serving nothing (x = 0) is always a solution.
    prob.sense = pulp.LpMaximize
    prob.setObjective(model.served)
    t0 = time.perf_counter()
    limit = max(1.0, (deadline - t0) / 3)
    proven_served, served_bound, found = _solve(prob, solver, limit, 0.0)
    first = _grouping(model) if found else []
    phases = [_phase("serve", limit, t0, proven_served, served_bound)]
    target = served(first)

    # Phase 2: pay the least for at least that much.
    prob.sense = pulp.LpMinimize
    prob.setObjective(model.cost)
    prob += model.served >= target, "serve_target"
    t0 = time.perf_counter()
    limit = max(1.0, deadline - t0)
    proven_cost, cost_bound, found = _solve(prob, solver, limit, instance.policy.mip_gap)
    second = _grouping(model) if found else None
    phases.append(_phase("cost", limit, t0, proven_cost, cost_bound))
    solve_s = time.perf_counter() - began - build_s

    candidates = [first] + ([second] if second is not None and served(second) >= target else [])
    best = min(candidates, key=lambda g: sum(problem.group_cost(o, m) for o, m in g))
    total = sum(problem.group_cost(o, m) for o, m in best)
    bound = None if cost_bound is None else min(total, math.ceil(cost_bound - 1e-6))
    gap = None if bound is None else (0.0 if total == 0 else (total - bound) / total)
    proven = (
        proven_served and proven_cost and gap is not None and gap <= instance.policy.mip_gap + 1e-12
    )
    status = "optimal" if proven else "feasible"
    result = build_result(problem, best, status, bound, gap, {"solver": f"{solver} big-M"})
    problems = check_result(instance, result)
    return BigMRun(
        status, total, bound, build_s, solve_s,
        served_quantity=result.served_quantity, gap=gap, valid=not problems, problems=problems,
        variables=len(prob.variables()), constraints=len(prob.constraints), phases=phases,
        result=result,
    )  # fmt: skip


def solve_bigm(
    instance: Instance, solver: str = "highs", time_limit_s: float | None = None
) -> tuple[str, int | None, int | None, float, float]:
    """(status, total_amount or None, bound or None, build_s, solve_s) of the big-M baseline."""
    run = run_bigm(instance, solver, time_limit_s)
    return run.status, run.total_amount, run.bound, run.build_s, run.solve_s
