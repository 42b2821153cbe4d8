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

import numpy as np

from pricing import rules
from pricing.types import Buyer, SimilarityRule


@dataclass(frozen=True, slots=True)
class Box:
    """A maximal set of mutually similar buyers (indices into the instance's buyers)."""

    block: int
    members: tuple[int, ...]


def in_window(rule: SimilarityRule, low: float, value: float) -> bool:
    """Whether `value` may sit in a group whose smallest value on this feature is `low`."""
    return value >= low and rules.within(rule, low, value)


numeric_rules = rules.numeric_rules
compatible = rules.compatible
fits = rules.fits


def blocks(buyers: Sequence[Buyer], similarity: Sequence[SimilarityRule]) -> list[list[int]]:
    """Buyer indices split by the values of every `same` feature, in first-seen order."""
    keyed: dict[tuple[object, ...], list[int]] = {}
    for index, buyer in enumerate(buyers):
        keyed.setdefault(rules.same_block_key(buyer.features, similarity), []).append(index)
    return list(keyed.values())


def maximal_boxes(
    buyers: Sequence[Buyer],
    similarity: Sequence[SimilarityRule],
    block: Sequence[int],
    block_id: int = 0,
    limit: int | None = None,
) -> list[Box] | None:
    """Every maximal box of one block, or None once more than `limit` distinct sets appear.

    Corners are taken at member values feature by feature; a candidate is kept only if
    each corner is attained by one of its members (otherwise a shifted corner gives a
    superset), then duplicates and sets contained in another are dropped. Windows are
    tested with `rules.within_array`, the float64 twin of `rules.within`.
    """
    numeric, members, values = _feature_table(buyers, similarity, block)
    if values is None:
        return [Box(block_id, tuple(int(i) for i in members))]
    found: dict[bytes, None] = {}
    corner = np.zeros(len(numeric))

    def window(depth: int, inside: np.ndarray, low: float) -> np.ndarray:
        return inside[rules.within_array(numeric[depth], low, values[inside, depth])]

    def descend(depth: int, inside: np.ndarray) -> bool:
        if depth == len(numeric):
            if np.array_equal(values[inside].min(axis=0), corner):
                mask = np.zeros(len(members), dtype=bool)
                mask[inside] = True
                found[np.packbits(mask).tobytes()] = None
            return limit is None or len(found) <= limit
        for low in np.unique(values[inside, depth]).tolist():
            corner[depth] = low
            if not descend(depth + 1, window(depth, inside, low)):
                return False
        return True

    if not descend(0, np.arange(len(members))):
        return None
    out = []
    for positions in _maximal([np.flatnonzero(np.unpackbits(np.frombuffer(k, dtype=np.uint8))[: len(members)]) for k in found]):
        out.append(Box(block_id, tuple(int(i) for i in members[positions])))
    return out


def relaxed_boxes(
    buyers: Sequence[Buyer],
    similarity: Sequence[SimilarityRule],
    block: Sequence[int],
    block_id: int,
    step: float,
) -> list[Box]:
    """Supersets of every possible group: boxes cornered at grid cells instead of member values.

    Each numeric feature is cut into cells (geometric for `max_ratio`, by `step` times the
    spread for `max_spread`); a group whose smallest values fall in cells (k_1, ..., k_d) lies
    inside the box of those cells widened by one cell. Fewer boxes than the exact ones when a
    block is huge, and still a relaxation: a bound priced over them is a valid bound.
    """
    numeric, members, values = _feature_table(buyers, similarity, block)
    if values is None:
        return [Box(block_id, tuple(int(i) for i in members))]
    cells = np.empty_like(values, dtype=np.int64)
    for d, rule in enumerate(numeric):
        column = values[:, d]
        if rule.max_ratio is not None:
            cells[:, d] = np.floor(np.log(column) / np.log(step)).astype(np.int64)
        else:
            cells[:, d] = np.floor(column / _spread_width(rule, step)).astype(np.int64)
    found: dict[bytes, None] = {}

    def window(depth: int, inside: np.ndarray, cell: int) -> np.ndarray:
        rule, column = numeric[depth], values[inside, depth]
        if rule.max_ratio is not None:
            low, high = step ** cell, rule.max_ratio * step ** (cell + 1)
        else:
            width = _spread_width(rule, step)
            low, high = cell * width, (cell + 1) * width + rule.max_spread  # type: ignore[operator]
        # A hair of slack on both ends: a superset stays a relaxation.
        keep = (column >= low * (1 - 1e-9) - 1e-12) & (column <= high * (1 + 1e-9) + 1e-12)
        return inside[keep & (cells[inside, depth] >= cell)]

    def descend(depth: int, inside: np.ndarray) -> None:
        if depth == len(numeric):
            mask = np.zeros(len(members), dtype=bool)
            mask[inside] = True
            found[np.packbits(mask).tobytes()] = None
            return
        for cell in np.unique(cells[inside, depth]).tolist():
            descend(depth + 1, window(depth, inside, cell))

    descend(0, np.arange(len(members)))
    sets = [np.flatnonzero(np.unpackbits(np.frombuffer(k, dtype=np.uint8))[: len(members)]) for k in found]
    return [Box(block_id, tuple(int(i) for i in members[s])) for s in _maximal([s for s in sets if len(s)])]


def _feature_table(buyers: Sequence[Buyer], similarity: Sequence[SimilarityRule], block: Sequence[int]):
    """The block's numeric rules, its members in order, and their values (None when no
    numeric rule applies or the block is empty: the whole block is then one box)."""
    numeric = numeric_rules(similarity)
    members = np.array(sorted(block), dtype=np.int64)
    if not numeric or members.size == 0:
        return numeric, members, None
    values = np.array(
        [[float(buyers[i].features[r.feature]) for r in numeric] for i in members.tolist()]  # type: ignore[arg-type]
    ).reshape(len(members), len(numeric))
    return numeric, members, values


def _spread_width(rule: SimilarityRule, step: float) -> float:
    assert rule.max_spread is not None
    return max(rule.max_spread * (step - 1.0), 1e-9)


def _maximal(sets: list[np.ndarray]) -> list[np.ndarray]:
    """Drop every set contained in another; deterministic order (largest first, then members).

    A set can only lie inside a kept set that holds each of its members, so it is tested
    against the kept sets of its rarest member only, as integer bitmasks.
    """
    ordered = sorted(sets, key=lambda s: (-len(s), s.tolist()))
    holding: dict[int, list[int]] = {}
    out: list[np.ndarray] = []
    for candidate in ordered:
        mask = sum(1 << int(i) for i in candidate)
        rarest = min((holding.get(int(i), ()) for i in candidate), key=len)
        if not any(mask & bigger == mask for bigger in rarest):
            out.append(candidate)
            for i in candidate:
                holding.setdefault(int(i), []).append(mask)
    return out
