"""Reference allocations: every district alone, and a fast greedy grouping.

They are the yardsticks for savings figures and the warm start of the MILP. Both return
plain lists of groups `(offer index, [buyer indices])` that satisfy every rule.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterable

import numpy as np

from pricing.problem import Problem
from pricing.rules import numeric_rules, within_array
from pricing.types import SimilarityRule

Grouping = list[tuple[int, list[int]]]


def standalone_allocation(problem: Problem) -> Grouping:
    """Each buyer alone with its cheapest offer it may use alone, capacity permitting."""
    if problem.policy.min_group_size > 1:
        return []
    left = [o.capacity for o in problem.offers]
    groups: Grouping = []
    for i, buyer in enumerate(problem.buyers):
        best = _best_alone(problem, i, left)
        if best is not None:
            groups.append((best, [i]))
            if left[best] is not None:
                left[best] -= buyer.quantity  # type: ignore[operator]
    return groups


def _best_alone(problem: Problem, i: int, left: list[int | None]) -> int | None:
    quantity = problem.buyers[i].quantity
    options = [
        (problem.group_cost(o, [i]), o)
        for o, need in problem.need[i].items()
        if need <= quantity and (left[o] is None or left[o] >= quantity)  # type: ignore[operator]
    ]
    return min(options)[1] if options else None


def anchored_boxes(problem: Problem, block: list[int]) -> list[list[int]]:
    """One box per buyer, cornered at that buyer's own values (numpy windows, exact float tests)."""
    numeric = numeric_rules(problem.rules)
    if not numeric:
        return [sorted(block)]
    members = np.array(sorted(block), dtype=np.int64)
    values = np.array([[_value(problem, int(i), r) for r in numeric] for i in members])
    found: dict[tuple[int, ...], None] = {}
    for k in range(len(members)):
        inside = np.ones(len(members), dtype=bool)
        for d, rule in enumerate(numeric):
            inside &= within_array(rule, values[k, d], values[:, d])
        found[tuple(members[inside].tolist())] = None
    return [list(m) for m in found]


def _value(problem: Problem, i: int, rule: SimilarityRule) -> float:
    return float(problem.buyers[i].features[rule.feature])  # type: ignore[arg-type]


class _Greedy:
    """Lazy greedy: repeatedly take the (box, offer) group that saves the most."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.left: list[int | None] = [o.capacity for o in problem.offers]
        self.taken: set[int] = set()

    def best_group(self, members: Iterable[int], offer: int) -> list[int]:
        """The largest valid subset of `members` for `offer` (dropping those whose need is unmet)."""
        p = self.problem
        group = [i for i in members if i not in self.taken and offer in p.need[i]]
        limit = p.policy.max_group_size
        cap = self.left[offer]
        while group:
            if limit is not None and len(group) > limit:
                group = sorted(group, key=lambda i: (-p.buyers[i].quantity, i))[:limit]
            quantity = sum(p.buyers[i].quantity for i in group)
            if cap is not None and quantity > cap:
                smallest = min(group, key=lambda i: (p.buyers[i].quantity, i))
                group = [i for i in group if i != smallest]
                continue
            kept = [i for i in group if p.need[i][offer] <= quantity]
            if len(kept) == len(group):
                break
            group = kept
        if len(group) < p.policy.min_group_size:
            return []
        return sorted(group)

    def score(self, offer: int, group: list[int]) -> tuple[int, int]:
        """(quantity only a group can serve, savings against standalone), higher is better."""
        p = self.problem
        pooled = sum(p.buyers[i].quantity for i in group if p.need[i][offer] > p.buyers[i].quantity)
        savings = sum(p.standalone[i] or 0 for i in group) - p.group_cost(offer, group)
        return pooled, savings

    def run(self, candidates: list[list[int]]) -> Grouping:
        """Group greedily until no group helps; the rest buy alone."""
        p = self.problem
        heap: list[tuple[int, int, int, int]] = []
        for c, members in enumerate(candidates):
            for o in range(len(p.offers)):
                group = self.best_group(members, o)
                if group:
                    pooled, savings = self.score(o, group)
                    heapq.heappush(heap, (-pooled, -savings, c, o))
        groups: Grouping = []
        while heap:
            _, _, c, o = heapq.heappop(heap)
            group = self.best_group(candidates[c], o)
            if not group:
                continue
            pooled, savings = self.score(o, group)
            if heap and (-pooled, -savings) > heap[0][:2]:
                heapq.heappush(heap, (-pooled, -savings, c, o))
                continue
            if savings < 0 and pooled == 0:
                continue
            groups.append((o, group))
            self.taken.update(group)
            if self.left[o] is not None:
                self.left[o] -= sum(p.buyers[i].quantity for i in group)  # type: ignore[operator]
        if p.policy.min_group_size == 1:
            for i in range(len(p.buyers)):
                if i not in self.taken:
                    best = _best_alone(p, i, self.left)
                    if best is not None:
                        groups.append((best, [i]))
                        self.taken.add(i)
                        if self.left[best] is not None:
                            self.left[best] -= p.buyers[i].quantity  # type: ignore[operator]
        return groups


def greedy_allocation(
    problem: Problem, candidates: list[list[int]] | None = None, deadline: float | None = None
) -> Grouping:
    """Greedy over candidate boxes (anchored boxes by default), then merges and moves."""
    if candidates is None:
        candidates = [box for block in problem.blocks for box in anchored_boxes(problem, block)]
    # The grouping itself is not cut short: stopping it early leaves districts buying alone
    # (measured on 13,000 buyers: a 10.6% gap instead of 1.4%); only the moves are timed.
    groups = _Greedy(problem).run(candidates)
    # The greedy spends scarce capacity on the groups that save most, which can leave a
    # district unserved that buying alone would have served; served quantity comes first.
    alone = standalone_allocation(problem)
    if served_quantity(problem, alone) > served_quantity(problem, groups):
        groups = alone
    return improve(problem, groups, deadline=deadline)


def served_quantity(problem: Problem, groups: Grouping) -> int:
    """Units a grouping serves."""
    return sum(problem.buyers[i].quantity for _, members in groups for i in members)


def improve(
    problem: Problem, groups: Grouping, rounds: int = 3, deadline: float | None = None
) -> Grouping:
    """Merge same-offer groups that fit one box, then move single buyers where it saves money.

    Moves are the slow part on thousands of buyers; they stop at `deadline` (perf_counter).
    """
    groups = [(o, sorted(m)) for o, m in groups]
    for _ in range(rounds):
        changed = _merge(problem, groups, deadline)
        if deadline is None or time.perf_counter() < deadline:
            changed |= _move(problem, groups, deadline)
        if not changed:
            break
    return sorted(groups, key=lambda g: (g[0], g[1]))


def _merge(problem: Problem, groups: Grouping, deadline: float | None = None) -> bool:
    """Merge same-offer groups whose union is a valid group (never dearer), until `deadline`."""
    changed = False
    k = 0
    while k < len(groups):
        if deadline is not None and time.perf_counter() >= deadline:
            break
        o, members = groups[k]
        for j in range(k + 1, len(groups)):
            other_offer, others = groups[j]
            if other_offer != o:
                continue
            union = sorted(members + others)
            if problem.group_is_valid(o, union):
                groups[k] = (o, union)
                del groups[j]
                changed = True
                break
        else:
            k += 1
    return changed


def _move(problem: Problem, groups: Grouping, deadline: float | None = None) -> bool:
    """Move one buyer to another group when the total falls and both groups stay valid."""
    changed = False
    used = _used(problem, groups)
    for a in range(len(groups)):
        if deadline is not None and time.perf_counter() >= deadline:
            break
        for i in list(groups[a][1]):
            oa, ma = groups[a]
            if i not in ma:
                continue
            rest = [m for m in ma if m != i]
            if rest and not problem.group_is_valid(oa, rest):
                continue
            before_a = problem.group_cost(oa, ma)
            after_a = problem.group_cost(oa, rest) if rest else 0
            best: tuple[int, int] | None = None
            for b, (ob, mb) in enumerate(groups):
                if b == a or (ob != oa and not _fits_capacity(problem, used, ob, i)):
                    continue
                grown = sorted(mb + [i])
                gain = before_a - after_a + problem.group_cost(ob, mb) - problem.group_cost(ob, grown)
                if gain > 0 and (best is None or gain > best[0]) and problem.group_is_valid(ob, grown):
                    best = (gain, b)
            if best is not None:
                b = best[1]
                ob, mb = groups[b]
                groups[b] = (ob, sorted(mb + [i]))
                groups[a] = (oa, rest)
                used[oa] -= problem.buyers[i].quantity
                used[ob] += problem.buyers[i].quantity
                changed = True
    groups[:] = [g for g in groups if g[1]]
    return changed


def _used(problem: Problem, groups: Grouping) -> list[int]:
    used = [0] * len(problem.offers)
    for o, members in groups:
        used[o] += sum(problem.buyers[i].quantity for i in members)
    return used


def _fits_capacity(problem: Problem, used: list[int], offer: int, i: int) -> bool:
    cap = problem.offers[offer].capacity
    return cap is None or used[offer] + problem.buyers[i].quantity <= cap
