"""Similarity rules as boxes: which sets of buyers may form one group.

Every pairwise rule is separable per feature, so a set of buyers is a valid group
exactly when, for each numeric rule, all members lie in a window whose lower end is
the smallest member value (`[v, v * r]` for `max_ratio`, `[v, v + s]` for
`max_spread`), and all members share the value of each `same` feature. `same` rules
split the buyers into independent blocks; inside a block a *box* is the set of buyers
in one window per numeric rule, cornered at member values.

A group fits in some maximal box (no box strictly contains it), so enumerating the
maximal boxes of each block enumerates every place a group can live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pricing.types import Buyer, SimilarityRule


@dataclass(frozen=True, slots=True)
class Box:
    """A maximal set of mutually similar buyers (indices into the instance's buyers)."""

    block: int
    members: tuple[int, ...]


def in_window(rule: SimilarityRule, low: float, value: float) -> bool:
    """Whether `value` may sit in a group whose smallest value on this feature is `low`.

    Written as the checker writes the pairwise rule (largest / smallest, largest - smallest)
    so that the model and the validator agree to the last bit of floating point.
    """
    if value < low:
        return False
    if rule.max_ratio is not None:
        return value / low <= rule.max_ratio
    assert rule.max_spread is not None
    return value - low <= rule.max_spread


def numeric_rules(rules: Sequence[SimilarityRule]) -> list[SimilarityRule]:
    return [r for r in rules if not r.same]


def blocks(buyers: Sequence[Buyer], rules: Sequence[SimilarityRule]) -> list[list[int]]:
    """Buyer indices split by the values of every `same` feature, in first-seen order."""
    keyed: dict[tuple[object, ...], list[int]] = {}
    same = [r.feature for r in rules if r.same]
    for index, buyer in enumerate(buyers):
        key = tuple(_same_key(buyer.features[f]) for f in same)
        keyed.setdefault(key, []).append(index)
    return list(keyed.values())


def _same_key(value: object) -> tuple[str, object]:
    # 1 and 1.0 are equal values; "1" is not the number 1.
    if isinstance(value, str):
        return ("s", value)
    return ("n", float(value))  # type: ignore[arg-type]


def compatible(buyers: Sequence[Buyer], rules: Sequence[SimilarityRule], a: int, b: int) -> bool:
    """Whether two buyers may share a group under every similarity rule."""
    for rule in rules:
        x, y = buyers[a].features[rule.feature], buyers[b].features[rule.feature]
        if rule.same:
            if _same_key(x) != _same_key(y):
                return False
        elif not in_window(rule, min(x, y), max(x, y)):  # type: ignore[type-var, arg-type]
            return False
    return True


def fits(buyers: Sequence[Buyer], rules: Sequence[SimilarityRule], members: Sequence[int]) -> bool:
    """Whether a set of buyers satisfies every similarity rule (pairwise)."""
    for rule in rules:
        values = [buyers[i].features[rule.feature] for i in members]
        if rule.same:
            if len({_same_key(v) for v in values}) > 1:
                return False
        elif values and not in_window(rule, min(values), max(values)):  # type: ignore[type-var, arg-type]
            return False
    return True


def maximal_boxes(
    buyers: Sequence[Buyer],
    rules: Sequence[SimilarityRule],
    block: Sequence[int],
    block_id: int = 0,
    limit: int | None = None,
) -> list[Box] | None:
    """Every maximal box of one block, or None once more than `limit` distinct sets appear.

    Corners are taken at member values feature by feature; a candidate is kept only if
    each corner is attained by one of its members (otherwise a shifted corner gives a
    superset), then duplicates and sets contained in another are dropped.
    """
    numeric = numeric_rules(rules)
    if not numeric:
        return [Box(block_id, tuple(sorted(block)))]
    values = [[float(buyers[i].features[r.feature]) for r in numeric] for i in range(len(buyers))]
    found: set[frozenset[int]] = set()

    def descend(depth: int, members: list[int]) -> bool:
        if depth == len(numeric):
            if all(min(values[i][d] for i in members) == corner[d] for d in range(depth)):
                found.add(frozenset(members))
            return limit is None or len(found) <= limit
        rule = numeric[depth]
        for low in sorted({values[i][depth] for i in members}):
            inside = [i for i in members if in_window(rule, low, values[i][depth])]
            corner[depth] = low
            if not descend(depth + 1, inside):
                return False
        return True

    corner = [0.0] * len(numeric)

    if not descend(0, list(block)):
        return None
    return [Box(block_id, tuple(sorted(s))) for s in _maximal(found)]


def _maximal(sets: set[frozenset[int]]) -> list[frozenset[int]]:
    """Drop every set contained in another; deterministic order (largest first, then members)."""
    ordered = sorted(sets, key=lambda s: (-len(s), sorted(s)))
    kept: list[frozenset[int]] = []
    for candidate in ordered:
        if not any(candidate <= bigger for bigger in kept if len(bigger) > len(candidate)):
            kept.append(candidate)
    return kept
