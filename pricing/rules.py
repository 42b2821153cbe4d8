"""The one definition of every rule of ALLOCATION.md that a group must keep.

The model (boxes, slots), the heuristics, the checker and the explanations all ask these
functions, so they cannot drift apart. Similarity:

- `max_ratio r`: largest / smallest <= r. Floating point can make `high / low <= r` and
  `high <= r * low` disagree in the last bit (0.9 / 0.3 is 3.0000000000000004); a pair is
  similar only when *both* hold, so every natural reading of the rule accepts the groups the
  engine forms, and a value exactly at the limit (2,800 and 700 under 4) is similar in all.
- `max_spread s`: largest - smallest <= s, with the same two-way reading (`high <= low + s`).
- `same`: equal values, where 1 and 1.0 are one value and the text "1" is another.

The numpy forms compute exactly the same float64 operations as the scalar ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from pricing.types import Buyer, FeatureValue, SimilarityRule


def same_key(value: object) -> tuple[str, object]:
    """The value a `same` rule compares: numbers by value (1 == 1.0), text as text."""
    if isinstance(value, str):
        return ("s", value)
    return ("n", float(value))  # type: ignore[arg-type]


def within(rule: SimilarityRule, low: float, high: float) -> bool:
    """Whether two values `low <= high` of a numeric rule's feature may share a group."""
    if rule.max_ratio is not None:
        return low > 0 and high / low <= rule.max_ratio and high <= rule.max_ratio * low
    assert rule.max_spread is not None
    return high - low <= rule.max_spread and high <= low + rule.max_spread


def within_array(rule: SimilarityRule, low: float, values: np.ndarray) -> np.ndarray:
    """`within(rule, low, v)` for every v of `values` that is at least `low` (others False)."""
    values = np.asarray(values, dtype=np.float64)
    above = values >= low
    if rule.max_ratio is not None:
        if low <= 0:
            return np.zeros(values.shape, dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            return above & (values / low <= rule.max_ratio) & (values <= rule.max_ratio * low)
    assert rule.max_spread is not None
    return above & (values - low <= rule.max_spread) & (values <= low + rule.max_spread)


def pairwise_array(rule: SimilarityRule, mine: float, values: np.ndarray) -> np.ndarray:
    """Which of `values` may share a group with the value `mine` (either may be the smaller)."""
    values = np.asarray(values, dtype=np.float64)
    low, high = np.minimum(values, mine), np.maximum(values, mine)
    if rule.max_ratio is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (low > 0) & (high / low <= rule.max_ratio) & (high <= rule.max_ratio * low)
    assert rule.max_spread is not None
    return (high - low <= rule.max_spread) & (high <= low + rule.max_spread)


def numeric_rules(rules: Sequence[SimilarityRule]) -> list[SimilarityRule]:
    return [r for r in rules if not r.same]


def compatible(buyers: Sequence[Buyer], rules: Sequence[SimilarityRule], a: int, b: int) -> bool:
    """Whether two buyers may share a group under every similarity rule."""
    return fits(buyers, rules, (a, b))


def fits(buyers: Sequence[Buyer], rules: Sequence[SimilarityRule], members: Sequence[int]) -> bool:
    """Whether a set of buyers keeps every similarity rule (rule 4)."""
    for rule in rules:
        values = [buyers[i].features[rule.feature] for i in members]
        if similarity_problem(rule, values) is not None:
            return False
    return True


def fit_window(buyers: Sequence[Buyer], similarity: Sequence[SimilarityRule], members: Sequence[int]) -> list[int]:
    """The members that can share a group with the first one, in one window per numeric rule.

    For each rule the window starts at the smallest value that may sit with the first member
    and spans the rule's width; those inside every window (and sharing every `same` value
    with the first) are mutually similar, the first among them.
    """
    if not members:
        return []
    first = members[0]
    kept = [i for i in members
            if all(same_key(buyers[i].features[r.feature]) == same_key(buyers[first].features[r.feature])
                   for r in similarity if r.same)]
    for rule in numeric_rules(similarity):
        values = feature_values(buyers, rule, kept)
        mine = float(buyers[first].features[rule.feature])  # type: ignore[arg-type]
        partners = pairwise_array(rule, mine, values) & (values <= mine)
        low = float(values[partners].min()) if partners.any() else mine
        inside = within_array(rule, low, values)
        kept = [i for i, ok in zip(kept, inside, strict=True) if ok]
    return kept


def similarity_problem(rule: SimilarityRule, values: Sequence[object]) -> str | None:
    """What breaks `rule` among a group's feature values (e.g. `3210/700 = 4.59 > 4.0`), or None."""
    if any(value is None for value in values):
        return f"a member without {rule.feature}"
    if len(values) < 2:
        return None
    if rule.same:
        distinct = {same_key(value) for value in values}
        if len(distinct) == 1:
            return None
        return "different values " + ", ".join(sorted(_show(v) for v in {str(x) for x in values}))
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "a value that is not a number"
    numbers = [float(value) for value in values]  # type: ignore[arg-type]
    low, high = min(numbers), max(numbers)
    if within(rule, low, high):
        return None
    if rule.max_ratio is not None:
        if low <= 0:
            return f"value {_show(low)} is not > 0"
        return f"{_show(high)}/{_show(low)} = {high / low:.6g} > {rule.max_ratio}"
    return f"{_show(high)} - {_show(low)} = {high - low:.6g} > {rule.max_spread}"


def _show(value: object) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


def rule_label(rule: SimilarityRule) -> str:
    """How a checker message names a similarity rule, e.g. `similarity enrollment max_ratio 4`."""
    if rule.same:
        return f"similarity {rule.feature} same"
    bound = rule.max_ratio if rule.max_ratio is not None else rule.max_spread
    return f"similarity {rule.feature} {rule.kind} {bound}"


FEATURE_WORDS = {
    "enrollment": "enrollment",
    "mbps_per_student": "broadband per student",
    "locale": "locale",
    "frl_share": "share of students eligible for free or reduced-price lunch",
}


def describe(rule: SimilarityRule) -> str:
    """A similarity rule in a manager's words, e.g. `enrollment within a factor of 4`."""
    name = FEATURE_WORDS.get(rule.feature, rule.feature.replace("_", " "))
    if rule.same:
        return f"the same {name}"
    if rule.max_ratio is not None:
        return f"{name} within a factor of {rule.max_ratio:g}"
    return f"{name} within {rule.max_spread:g} of each other"


def feature_values(buyers: Sequence[Buyer], rule: SimilarityRule, members: Sequence[int]) -> np.ndarray:
    """The members' values of a numeric rule's feature as float64, in member order."""
    return np.array([float(buyers[i].features[rule.feature]) for i in members], dtype=np.float64)  # type: ignore[arg-type]


def same_block_key(features: Mapping[str, FeatureValue], rules: Sequence[SimilarityRule]) -> tuple[object, ...]:
    """The key that splits buyers into independent blocks: their values of every `same` feature."""
    return tuple(same_key(features[r.feature]) for r in rules if r.same)
