"""Why a buyer was left out, and how much any group containing it could ever buy.

The same derived facts the model is built from (minimum group quantities, boxes,
capacities) name the rule that stopped each unassigned buyer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pricing import rules
from pricing.baselines import Grouping
from pricing.problem import Problem
from pricing.tiers import min_quantity_for_average
from pricing.types import Unassigned


def block_values(problem: Problem, block: Sequence[int]) -> list[np.ndarray]:
    """The block's values of each numeric similarity feature, in block order."""
    return [
        np.array([float(problem.buyers[j].features[rule.feature]) for j in block])  # type: ignore[arg-type]
        for rule in problem.rules
        if not rule.same
    ]


def compatible_mask(
    problem: Problem, i: int, block: Sequence[int], values: list[np.ndarray] | None = None
) -> np.ndarray:
    """Which buyers of i's block may share a group with i under every numeric rule."""
    values = block_values(problem, block) if values is None else values
    mask = np.ones(len(block), dtype=bool)
    for rule, column in zip(rules.numeric_rules(problem.rules), values, strict=True):
        mask &= rules.pairwise_array(rule, float(problem.buyers[i].features[rule.feature]), column)  # type: ignore[arg-type]
    return mask


def reachable_mass(problem: Problem, candidates: Sequence[Sequence[int]] | None) -> dict[tuple[int, int], int]:
    """Largest quantity a group of offer o containing buyer i could hold, for every usable (i, o).

    With every maximal box: the heaviest box containing i. Without: every buyer compatible
    with i (a superset of any box containing i), which keeps it an upper bound.
    """
    if candidates is None and problem.compatible_mass is not None:
        return problem.compatible_mass
    qty = [b.quantity for b in problem.buyers]
    mass: dict[tuple[int, int], int] = {}
    if candidates is not None:
        for box in candidates:
            for o in range(len(problem.offers)):
                total = sum(qty[j] for j in box if o in problem.need[j])
                for i in box:
                    if o in problem.need[i] and total > mass.get((i, o), 0):
                        mass[i, o] = total
        return mass
    for block in problem.blocks:
        q = np.array([qty[j] for j in block], dtype=np.int64)
        usable = {o: np.array([o in problem.need[j] for j in block]) for o in range(len(problem.offers))}
        values = block_values(problem, block)
        for position, i in enumerate(block):
            if not problem.need[i]:
                continue
            mask = compatible_mask(problem, i, block, values)
            mask[position] = True
            for o in problem.need[i]:
                mass[i, o] = int(q[mask & usable[o]].sum())
    problem.compatible_mass = mass
    return mass


def partner_count(problem: Problem, i: int) -> int:
    """How many buyers (i included) could share a group with i on some common offer."""
    block = next(b for b in problem.blocks if i in b)
    mask = compatible_mask(problem, i, block)
    offers = set(problem.need[i])
    return sum(1 for k, j in enumerate(block) if mask[k] and offers & set(problem.need[j])) or 1


def servable(problem: Problem, candidates: Sequence[Sequence[int]] | None) -> list[bool]:
    """Buyers for which some group could exist, ignoring competition for partners and capacity."""
    mass = reachable_mass(problem, candidates)
    out = []
    for i in range(len(problem.buyers)):
        ok = any(mass.get((i, o), 0) >= need for o, need in problem.need[i].items())
        if ok and problem.policy.min_group_size > 1:
            ok = partner_count(problem, i) >= problem.policy.min_group_size
        out.append(ok)
    return out


def served_upper_bound(problem: Problem, candidates: Sequence[Sequence[int]] | None) -> int:
    """Quantity of every buyer that could be served at all: an upper bound on served quantity."""
    flags = servable(problem, candidates)
    return sum(b.quantity for b, ok in zip(problem.buyers, flags, strict=True) if ok)


def unassigned_reasons(problem: Problem, grouping: Grouping, left_out: Sequence[int]) -> list[Unassigned]:
    """One reason per left-out buyer, naming the rule that stopped it."""
    if not left_out:
        return []
    mass = reachable_mass(problem, None)
    used = [0] * len(problem.offers)
    for o, members in grouping:
        used[o] += sum(problem.buyers[i].quantity for i in members)
    reasons = [Unassigned(problem.buyers[i].id, _reason(problem, i, mass, used)) for i in left_out]
    return sorted(reasons, key=lambda u: u.buyer)


def _reason(problem: Problem, i: int, mass: dict[tuple[int, int], int], used: list[int]) -> str:
    """Why buyer i is out, in a manager's words, naming only rules the instance has."""
    buyer = problem.buyers[i]
    offers = problem.offers
    policy = problem.policy
    eligible = [o for o, offer in enumerate(offers) if buyer.may_buy(offer.id)]
    if not eligible:
        return "eligibility: none of the bids may serve this district (it is eligible for none of them)"
    fitting = [o for o in eligible if offers[o].capacity is None or offers[o].capacity >= buyer.quantity]
    if not fitting:
        largest = max(offers[o].capacity or 0 for o in eligible)
        return (f"capacity: its {buyer.quantity:,} seats are more than any vendor it may use can "
                f"supply (at most {largest:,})")
    ceiling = buyer.max_unit_amount
    if ceiling is not None and all(
        min_quantity_for_average(offers[o], ceiling, 1, buyer.quantity) is None for o in fitting
    ):
        return (f"price ceiling: no bid ever reaches its ceiling of {_money(ceiling)} per seat, "
                "even at its deepest volume tier")
    alone = problem.standalone[i]
    conditions = _conditions(problem, i)
    if not problem.need[i]:
        return (f"{conditions[0]}: no bid can price it {conditions[1]}, whatever the group")
    if all(mass.get((i, o), 0) < need for o, need in problem.need[i].items()):
        who = "no group of similar districts" if policy.similarity else "no group of districts"
        why = ""
        if policy.similarity:
            why = " (" + "; ".join(rules.describe(r) for r in policy.similarity) + ")"
        return f"{conditions[0]}: {who}{why} is large enough to bring its price {conditions[1]}"
    size = policy.min_group_size
    if size > 1 and partner_count(problem, i) < size:
        similar = "similar " if policy.similarity else ""
        return (f"group size: fewer than {size} {similar}districts that share a bid with it "
                f"opted in (the minimum group size is {size})")
    full = [o for o in problem.need[i]
            if offers[o].capacity is not None and used[o] + buyer.quantity > offers[o].capacity]  # type: ignore[operator]
    if full and len(full) == len(problem.need[i]):
        return ("capacity: the vendors it may use have no seats left; they serve groups that "
                "cover more seats in total")
    del alone
    limits = [name for name, present in (
        ("similarity", bool(policy.similarity)),
        ("group sizes", size > 1 or policy.max_group_size is not None),
        ("capacity", any(offers[o].capacity is not None for o in problem.need[i])),
        ("price conditions", True),
    ) if present]
    return ("not placed: every group it could join in this allocation would leave more seats "
            f"unserved elsewhere ({', '.join(limits)})")


def _conditions(problem: Problem, i: int) -> tuple[str, str]:
    """The rule name and the words for what a price must meet for buyer i."""
    buyer = problem.buyers[i]
    parts, names = [], []
    if buyer.max_unit_amount is not None:
        names.append("price ceiling")
        parts.append(f"within its ceiling of {_money(buyer.max_unit_amount)} per seat")
    if problem.policy.individual_rationality and problem.standalone[i] is not None:
        names.append("no dearer than alone")
        parts.append(f"at or below what it pays alone ({_money(problem.standalone[i])} for its {buyer.quantity:,} seats)")
    if not parts:  # pragma: no cover - an empty need always has one of the two
        return "price", "within its conditions"
    return " and ".join(names), " and ".join(parts)


def _money(cents: int | None) -> str:
    return "-" if cents is None else f"${cents / 100:,.2f}"
