"""Reference allocations: every district alone, and a fast greedy grouping.

They are the yardsticks the engine's answer is never worse than, and its first incumbent.
All return plain lists of groups `(offer index, [buyer indices])` that satisfy every rule.
"""

from __future__ import annotations

import heapq
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
    """Lazy greedy: repeatedly take the best (box, offer) group.

    `pooled` ranks a group by the seats only a group can serve (members whose ceiling or
    standalone price needs pooling), then by savings; `saving` by its savings over buying
    alone only, the simple greedy a consortium would write first. Both scores only fall as
    buyers are taken (every member's share is at most its standalone price, so each member
    adds a saving >= 0), so re-scoring the top of the heap lazily is exact.
    """

    def __init__(self, problem: Problem, order: str = "pooled"):
        self.problem = problem
        self.order = order
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
        if self.order == "saving":
            return savings, pooled
        return pooled, savings

    def run(self, candidates: list[list[int]]) -> Grouping:
        """Group greedily until no group helps; the rest buy alone."""
        p = self.problem
        heap: list[tuple[int, int, int, int]] = []
        for c, members in enumerate(candidates):
            for o in range(len(p.offers)):
                group = self.best_group(members, o)
                if group:
                    first, second = self.score(o, group)
                    heapq.heappush(heap, (-first, -second, c, o))
        groups: Grouping = []
        while heap:
            _, _, c, o = heapq.heappop(heap)
            group = self.best_group(candidates[c], o)
            if not group:
                continue
            first, second = self.score(o, group)
            if heap and (-first, -second) > heap[0][:2]:
                heapq.heappush(heap, (-first, -second, c, o))
                continue
            pooled, savings = (second, first) if self.order == "saving" else (first, second)
            if savings <= 0 and (pooled == 0 or savings < 0 or self.order == "saving"):
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


def greedy_allocation(problem: Problem, candidates: list[list[int]] | None = None) -> Grouping:
    """The pooled greedy over candidate boxes (anchored boxes by default)."""
    if candidates is None:
        candidates = [box for block in problem.blocks for box in anchored_boxes(problem, block)]
    groups = _Greedy(problem).run(candidates)
    # The greedy spends scarce capacity on the groups that save most, which can leave a
    # district unserved that buying alone would have served; served quantity comes first.
    alone = standalone_allocation(problem)
    if served_quantity(problem, alone) > served_quantity(problem, groups):
        groups = alone
    return sorted((o, sorted(m)) for o, m in groups)


def max_saving_greedy(problem: Problem) -> Grouping:
    """The simple greedy: take the box-and-offer group saving the most over buying alone, repeat;
    then everyone left buys alone. No moves afterwards: it is a yardstick."""
    candidates = [box for block in problem.blocks for box in anchored_boxes(problem, block)]
    return _Greedy(problem, order="saving").run(candidates)


def served_quantity(problem: Problem, groups: Grouping) -> int:
    """Units a grouping serves."""
    return sum(problem.buyers[i].quantity for _, members in groups for i in members)
