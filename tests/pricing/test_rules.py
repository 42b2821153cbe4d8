"""One definition of each rule: the model's boxes, the heuristics and the checker agree.

`same` compares 1 and 1.0 as one value; a `max_ratio` or `max_spread` exactly at its limit is
similar everywhere; a value one float step past it is similar nowhere.
"""

from __future__ import annotations

import pytest

from pricing import boxes, rules
from pricing.check import check_result
from pricing.engine import build_result, solve
from pricing.problem import prepare
from pricing.types import Buyer, Instance, Offer, Policy, SimilarityRule, Tier

pytestmark = pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning")

# 100 seats at 10.00 or 200+ at 8.00: two 100-seat districts save by pooling.
POOL = Offer("pool", "Pool Co", "volume", (Tier(199, 1000), Tier(None, 800)))


def pair(feature: str, a: object, b: object, rule: SimilarityRule) -> Instance:
    buyers = tuple(Buyer(name, 100, {feature: value}) for name, value in (("a", a), ("b", b)))
    return Instance("usd", buyers, (POOL,), Policy(similarity=(rule,), mip_gap=0.0))


def agree(instance: Instance) -> bool:
    """Whether the two buyers may share a group, asked of every part; fails if they disagree."""
    problem = prepare(instance)
    in_one_box = any(set(box.members) == {0, 1} for block_id, block in enumerate(problem.blocks)
                     for box in boxes.maximal_boxes(problem.buyers, problem.rules, block, block_id))
    heuristic = problem.group_is_valid(0, [0, 1])
    result = build_result(problem, [(0, [0, 1])], "feasible", None, None, {})
    checker = not any("rule 4" in v for v in check_result(instance, result))
    engine = len(solve(instance).groups) == 1  # pooling saves, so it pools when it may
    assert in_one_box == heuristic == checker == engine, (in_one_box, heuristic, checker, engine)
    return heuristic


def test_same_treats_1_and_1_0_as_one_value() -> None:
    assert agree(pair("band", 1, 1.0, SimilarityRule("band", same=True)))
    assert not agree(pair("band", 1, "1", SimilarityRule("band", same=True)))


@pytest.mark.parametrize(("low", "high", "ratio", "similar"), [
    (700, 2800, 4.0, True),          # exactly at the limit
    (700, 2800.0000000000005, 4.0, False),  # one float step past it
    (0.3, 0.9, 3.0, False),          # 0.9 / 0.3 is 3.0000000000000004: past it in both readings
    (0.25, 1.0, 4.0, True),
])
def test_max_ratio_at_its_limit(low: float, high: float, ratio: float, similar: bool) -> None:
    assert agree(pair("enrollment", low, high, SimilarityRule("enrollment", max_ratio=ratio))) is similar


@pytest.mark.parametrize(("low", "high", "spread", "similar"), [
    (1.5, 2.5, 1.0, True),
    (1.5, 2.5000000000000004, 1.0, False),
])
def test_max_spread_at_its_limit(low: float, high: float, spread: float, similar: bool) -> None:
    assert agree(pair("mbps", low, high, SimilarityRule("mbps", max_spread=spread))) is similar


def test_fit_window_keeps_the_first_and_a_similar_set() -> None:
    rule = SimilarityRule("e", max_ratio=2.0)
    buyers = [Buyer(str(k), 1, {"e": v}) for k, v in enumerate([10, 6, 19, 30, 5])]
    kept = rules.fit_window(buyers, [rule], [0, 1, 2, 3, 4])
    assert kept[0] == 0 and rules.fits(buyers, [rule], kept)
    # The window starts at 10's smallest partner, 5, and spans [5, 10]: 19 and 30 are out.
    assert set(kept) == {0, 1, 4}
