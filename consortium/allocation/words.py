"""A run's policy, result status and seats in the words a procurement manager reads.

One definition for every allocation page (run, live panel, compare, publish confirmation),
registered as template globals in `views.py`.
"""

from __future__ import annotations

import json
from typing import Any

from consortium.allocation.models import AllocationRun
from consortium.procurement.grouping import DEFAULT_POLICY

_FEATURES = {
    "enrollment": "enrollment",
    "mbps_per_student": "broadband per student",
    "locale": "locale",
    "state": "state",
}


def _num(value: float) -> str:
    return f"{value:,g}"


def policy_summary(policy: dict[str, Any] | None) -> str:
    """One line, e.g. "groups of 2 to 4 districts; same locale; enrollment within 2x; gap
    target 0.1%; time limit 60 s"."""
    policy = {**DEFAULT_POLICY, **(policy or {})}
    parts = [_group_sizes(policy.get("min_group_size") or 1, policy.get("max_group_size"))]
    for rule in policy.get("similarity") or []:
        name = _FEATURES.get(rule.get("feature"), str(rule.get("feature")).replace("_", " "))
        if rule.get("same"):
            parts.append(f"same {name}")
        elif rule.get("max_ratio") is not None:
            parts.append(f"{name} within {_num(rule['max_ratio'])}x")
        elif rule.get("max_spread") is not None:
            parts.append(f"{name} within {_num(rule['max_spread'])} of each other")
    if policy.get("individual_rationality"):
        parts.append("nobody pays more than alone")
    parts.append(f"gap target {gap_percent(policy.get('mip_gap'))}")
    parts.append(f"time limit {_num(policy.get('time_limit_s') or 0)} s")
    return "; ".join(parts)


def _group_sizes(low: int, high: int | None) -> str:
    if high is None:
        return "groups of any size" if low <= 1 else f"groups of {low} or more districts"
    if low == high:
        return f"groups of exactly {low} district{'s' if low != 1 else ''}"
    return f"groups of {low} to {high} districts"


def gap_percent(gap: float | None) -> str:
    """A gap (a fraction) as the percentage the forms take: 0.001 -> "0.1%"."""
    if gap is None:
        return "—"
    text = f"{gap * 100:.3f}".rstrip("0").rstrip(".")
    return f"{text}%"


RESULT_WORDS = {
    "optimal": "optimal: proven, no allocation serves more seats or costs less",
    "feasible": "feasible: the best allocation found in the time, not proven optimal",
    "infeasible": "no valid allocation exists under this policy",
    "error": "the solver failed",
}


def result_words(status: str | None) -> str:
    return RESULT_WORDS.get(status or "", "no result yet")


def asked_seats(run: AllocationRun) -> int | None:
    """Seats asked for: stored on the run (older runs: read from their input)."""
    if run.asked_quantity is not None:
        return run.asked_quantity
    if not run.input_json:
        return None
    return sum(int(b["quantity"]) for b in json.loads(run.input_json).get("buyers", []))


def served_sentence(run: AllocationRun, served: int | None = None,
                    served_bound: int | None = None) -> str:
    """"Serves N of M seats asked for; at most K can be served (proven)." (live figures when
    given, the stored result's otherwise)."""
    served = run.served_quantity if served is None else served
    bound = run.served_bound if served_bound is None else served_bound
    if served is None:
        return "No allocation yet."
    asked = asked_seats(run)
    text = f"Serves {served:,} of {asked:,} seats asked for" if asked is not None else (
        f"Serves {served:,} seats")
    if bound is None:
        return text + "; no limit on the seats that can be served is proven."
    if served >= bound:
        return text + f"; at most {bound:,} can be served (proven): no allocation serves more."
    return text + f"; at most {bound:,} can be served (proven), {bound - served:,} more than this."
