"""check_result catches each kind of violation; the exhaustive optimum matches the examples."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from pricing.check import check_result
from pricing.generate import generate_instance
from pricing.io import load_instance
from pricing.rules import similarity_problem
from pricing.types import (
    Assignment,
    Buyer,
    Group,
    Instance,
    Offer,
    Policy,
    Result,
    SimilarityRule,
    Tier,
    Unassigned,
)
from tests.pricing.bruteforce import exhaustive_allocation, exhaustive_optimum, result_for
from tests.pricing.paths import EXAMPLES_DIR

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.expected.json"))

VOL = Offer("vol", "Volume Co", "volume", (Tier(99, 1000), Tier(None, 800)), capacity=400)
GRAD = Offer("grad", "Graduated Co", "graduated", (Tier(99, 1000), Tier(None, 700)))
RULES = (SimilarityRule("enrollment", max_ratio=4.0), SimilarityRule("locale", same=True))


def rural(enrollment: int) -> dict[str, float | int | str]:
    return {"enrollment": enrollment, "locale": "rural", "mbps": 1.0}


INSTANCE = Instance(
    currency="usd",
    buyers=(
        Buyer("a", 60, rural(600)),
        Buyer("b", 70, rural(700)),
        Buyer("c", 50, rural(500), max_unit_amount=950, eligible_offers=("grad",)),
        Buyer("d", 80, rural(800)),
        Buyer("e", 10, rural(100), eligible_offers=()),
    ),
    offers=(VOL, GRAD),
    policy=Policy(similarity=RULES, max_group_size=3),
)

# Worked by hand from ALLOCATION.md, not from pricing.tiers:
# g1 (volume): 130 units, all at 800 -> a 48000, b 56000.
# g2 (graduated): 99 * 1000 + 31 * 700 = 120700, split 50:80 -> exact 46423.08 and 74276.92;
# the one leftover cent goes to d (remainder 120 > 10) -> c 46423, d 74277.
VALID = Result(
    status="optimal",
    served_quantity=260,
    total_amount=224700,
    bound=224700,
    gap=0.0,
    served_bound=260,
    groups=(
        Group("g1", "vol", ("a", "b"), 130, 104000),
        Group("g2", "grad", ("c", "d"), 130, 120700),
    ),
    assignments=(
        Assignment("a", "g1", "vol", 60, 48000, 60000),
        Assignment("b", "g1", "vol", 70, 56000, 70000),
        Assignment("c", "g2", "grad", 50, 46423, 50000),
        Assignment("d", "g2", "grad", 80, 74277, 80000),
    ),
    unassigned=(Unassigned("e", "no eligible offer"),),
    stats={"solver": "hand"},
)


def test_hand_built_result_is_valid() -> None:
    assert check_result(INSTANCE, VALID) == []
    assert result_for(INSTANCE, [("vol", ["a", "b"]), ("grad", ["c", "d"])]) == replace(
        VALID, stats={"solver": "exhaustive"}, unassigned=(Unassigned("e", "no valid group"),)
    )


def buyer(instance: Instance, buyer_id: str, **changes: object) -> Instance:
    buyers = tuple(replace(b, **changes) if b.id == buyer_id else b for b in instance.buyers)
    return replace(instance, buyers=buyers)


def assignment(result: Result, buyer_id: str, **changes: object) -> Result:
    items = tuple(replace(a, **changes) if a.buyer == buyer_id else a for a in result.assignments)
    return replace(result, assignments=items)


def group(result: Result, group_id: str, **changes: object) -> Result:
    items = tuple(replace(g, **changes) if g.id == group_id else g for g in result.groups)
    return replace(result, groups=items)


CHEAP = Offer("cheap", "Cheap Co", "volume", (Tier(None, 700),))

INSTANCE_CASES: list[tuple[str, Callable[[Instance], Instance], str]] = [
    ("rule 1", lambda i: buyer(i, "a", eligible_offers=("grad",)),
     "rule 1 (eligible_offers): buyer a in group g1 may not buy offer vol"),
    ("rule 2 volume", lambda i: buyer(i, "a", max_unit_amount=799),
     "rule 2 (max_unit_amount 799): buyer a in group g1 pays 800.00 per unit > 799"),
    ("rule 2 graduated exact share", lambda i: buyer(i, "c", max_unit_amount=928),
     "rule 2 (max_unit_amount 928): buyer c in group g2 pays 928.46 per unit > 928"),
    ("rule 3", lambda i: replace(buyer(i, "a", eligible_offers=("vol", "cheap")),
                                 offers=(VOL, GRAD, CHEAP)),
     "rule 3 (individual_rationality): buyer a in group g1 pays 48000.00 > standalone 42000"),
    ("rule 4 ratio", lambda i: buyer(i, "b", features={**rural(2500)}),
     "rule 4 (similarity enrollment max_ratio 4.0): group g1 has 2500/600 = 4.16667 > 4.0"),
    ("rule 4 same", lambda i: buyer(i, "d", features={**rural(800), "locale": "urban"}),
     "rule 4 (similarity locale same): group g2 has different values rural, urban"),
    ("rule 4 spread", lambda i: replace(i, policy=replace(
        i.policy, similarity=(SimilarityRule("enrollment", max_spread=150.0),))),
     "rule 4 (similarity enrollment max_spread 150.0): group g2 has 800 - 500 = 300 > 150.0"),
    ("rule 5 min", lambda i: replace(i, policy=replace(i.policy, min_group_size=3)),
     "rule 5 (min_group_size 3): group g1 has 2"),
    ("rule 5 max", lambda i: replace(i, policy=replace(i.policy, max_group_size=1)),
     "rule 5 (max_group_size 1): group g2 has 2"),
    ("rule 6", lambda i: replace(i, offers=(replace(VOL, capacity=129), GRAD)),
     "rule 6 (capacity 129): offer vol is assigned 130"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "expected"), [c[1:] for c in INSTANCE_CASES], ids=[c[0] for c in INSTANCE_CASES]
)
def test_rule_violations_are_named(change: Callable[[Instance], Instance], expected: str) -> None:
    assert expected in check_result(change(INSTANCE), VALID)


def test_exact_share_at_the_ceiling_is_valid() -> None:
    # 120700 * 50 / 130 is exactly 928.46...; a ceiling of 929 holds, and so does an
    # individual-rationality limit equal to the rounded-up share.
    assert check_result(buyer(INSTANCE, "c", max_unit_amount=929), VALID) == []
    assert check_result(INSTANCE, VALID) == []


def test_without_individual_rationality_rule_3_is_not_checked() -> None:
    cheaper = replace(
        buyer(INSTANCE, "a", eligible_offers=("vol", "cheap")), offers=(VOL, GRAD, CHEAP)
    )
    loose = replace(cheaper, policy=replace(cheaper.policy, individual_rationality=False))
    result = VALID
    for buyer_id, cheapest in [("a", 42000), ("b", 49000), ("d", 56000)]:
        result = assignment(result, buyer_id, standalone_amount=cheapest)
    assert check_result(loose, result) == []


RESULT_CASES: list[tuple[str, Callable[[Result], Result], str]] = [
    ("missing buyer", lambda r: replace(r, unassigned=()),
     "coverage: buyer e is neither assigned nor unassigned"),
    ("buyer twice", lambda r: replace(r, unassigned=(*r.unassigned, Unassigned("a", "x"))),
     "coverage: buyer a appears 2 times"),
    ("unknown buyer", lambda r: replace(r, unassigned=(*r.unassigned, Unassigned("zz", "x"))),
     "coverage: unknown buyer zz"),
    ("no reason", lambda r: replace(r, unassigned=(Unassigned("e", " "),)),
     "coverage: unassigned buyer e has no reason"),
    ("group total", lambda r: group(r, "g1", total_amount=104001),
     "group g1: total_amount 104001 != schedule price 104000 of 130 under vol"),
    ("group quantity", lambda r: group(r, "g1", quantity=131),
     "group g1: quantity 131 != members' sum 130"),
    ("members", lambda r: group(r, "g1", members=("a",)),
     "group g1: members ['a'] do not match the assignments ['a', 'b']"),
    ("volume amount", lambda r: assignment(r, "a", amount=48001),
     "assignment of buyer a: amount 48001 != 48000 (quantity * unit price in group g1)"),
    ("graduated split", lambda r: assignment(assignment(r, "c", amount=46424), "d", amount=74276),
     "assignment of buyer c: amount 46424 != 46423 (largest-remainder share in group g2)"),
    ("standalone", lambda r: assignment(r, "b", standalone_amount=1),
     "assignment of buyer b: standalone_amount 1 != 70000"),
    ("assignment quantity", lambda r: assignment(r, "b", quantity=7),
     "assignment of buyer b: quantity 7 != the buyer's 70"),
    ("offer mismatch", lambda r: assignment(r, "b", offer="grad"),
     "assignment of buyer b: offer grad but group g1 has vol"),
    ("unknown group", lambda r: assignment(r, "b", group="g9"),
     "assignment of buyer b: unknown group g9"),
    ("unknown offer", lambda r: group(assignment(r, "a", offer="nope"), "g1", offer="nope"),
     "group g1: unknown offer nope"),
    ("duplicate group", lambda r: replace(r, groups=(*r.groups, r.groups[0])),
     "groups: duplicate group id g1"),
    ("served", lambda r: replace(r, served_quantity=261),
     "served_quantity 261 != assignments' sum 260"),
    ("total", lambda r: replace(r, total_amount=1),
     "total_amount 1 != assignments' sum 224700"),
    ("gap", lambda r: replace(r, bound=200000),
     "gap 0.0 != (total_amount - bound) / total_amount = 0.109924"),
    ("bound above", lambda r: replace(r, bound=300000, gap=(224700 - 300000) / 224700),
     "bound 300000 > total_amount 224700"),
    ("gap without bound", lambda r: replace(r, bound=None), "gap 0.0 given without a bound"),
    ("optimal beyond mip_gap", lambda r: replace(r, bound=200000, gap=24700 / 224700),
     "status optimal with gap 0.109924 > mip_gap 0.001"),
    ("status", lambda r: replace(r, status="done"),
     "status: 'done' is not one of optimal, feasible, infeasible, error"),
    ("error without message", lambda r: replace(r, status="error", groups=(), assignments=()),
     "status: error needs a message"),
    ("infeasible allocates", lambda r: replace(r, status="infeasible"),
     "status: infeasible result must not allocate anything"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "expected"), [c[1:] for c in RESULT_CASES], ids=[c[0] for c in RESULT_CASES]
)
def test_result_inconsistencies_are_named(
    change: Callable[[Result], Result], expected: str
) -> None:
    problems = check_result(INSTANCE, change(VALID))
    assert expected in problems, problems


def test_feasible_with_a_gap_is_valid() -> None:
    result = replace(VALID, status="feasible", bound=200000, gap=24700 / 224700)
    assert check_result(INSTANCE, result) == []


def test_similarity_problem_tolerates_float_rounding() -> None:
    rule = SimilarityRule("mbps", max_ratio=4.0)
    assert similarity_problem(rule, [0.3, 1.2]) is None
    assert similarity_problem(rule, [0.3, 1.2001]) == "1.2001/0.3 = 4.00033 > 4.0"
    assert similarity_problem(rule, [5, None]) == "a member without mbps"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_exhaustive_optimum_matches_examples(path: Path) -> None:
    expected = json.loads(path.read_text())
    instance = load_instance(Path(str(path).replace(".expected", "")).read_bytes())
    assert exhaustive_optimum(instance) == (expected["served_quantity"], expected["total_amount"])
    documented = [(g["offer"], g["members"]) for g in expected["groups"]]
    assert check_result(instance, result_for(instance, documented)) == []


@pytest.mark.parametrize("seed", range(12))
def test_exhaustive_allocation_is_valid_and_beats_every_single_group(seed: int) -> None:
    instance = generate_instance(7, 3, seed)
    served, total, grouping = exhaustive_allocation(instance)
    result = result_for(instance, grouping)
    assert check_result(instance, result) == []
    assert (result.served_quantity, result.total_amount) == (served, total)
    # Serving everyone alone where allowed is one candidate; the optimum is never worse.
    alone = [(o.id, [b.id]) for b in instance.buyers for o in instance.offers[:1]]
    candidate = result_for(instance, alone)
    if not check_result(instance, candidate):
        assert (served, -total) >= (candidate.served_quantity, -candidate.total_amount)


def test_exhaustive_search_respects_capacity() -> None:
    # Both buyers fit the cheap offer alone but not together: one goes to the dear one
    # (allowed only without individual rationality, which compares with the cheap price).
    cheap = Offer("cheap", "A", "volume", (Tier(None, 100),), capacity=10)
    dear = Offer("dear", "B", "volume", (Tier(None, 300),))
    instance = Instance("usd", (Buyer("x", 6), Buyer("y", 5)), (cheap, dear))
    assert exhaustive_optimum(instance) == (6, 600)
    loose = replace(instance, policy=Policy(individual_rationality=False))
    served, total, grouping = exhaustive_allocation(loose)
    assert (served, total) == (11, 6 * 100 + 5 * 300)
    assert check_result(loose, result_for(loose, grouping)) == []


def every_allocation(instance: Instance) -> list[list[tuple[str, list[str]]]]:
    """Every grouping of every subset of buyers, each group with every offer (tiny instances)."""
    ids = [b.id for b in instance.buyers]
    found: list[list[tuple[str, list[str]]]] = []

    def place(index: int, blocks: list[list[str]]) -> None:
        if index == len(ids):
            for offers in itertools.product(instance.offers, repeat=len(blocks)):
                found.append([(o.id, list(b)) for o, b in zip(offers, blocks, strict=True)])
            return
        place(index + 1, blocks)  # unassigned
        for block in blocks:
            block.append(ids[index])
            place(index + 1, blocks)
            block.pop()
        place(index + 1, [*blocks, [ids[index]]])

    place(0, [])
    return found


POLICY_VARIANTS = {
    "default": {},
    "pairs": {"min_group_size": 2},
    "no similarity": {"similarity": ()},
    "loose, at most 3": {"similarity": (), "individual_rationality": False, "max_group_size": 3},
}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("variant", POLICY_VARIANTS)
def test_exhaustive_search_agrees_with_naive_enumeration(seed: int, variant: str) -> None:
    generated = generate_instance(5, 3, seed)
    policy = replace(generated.policy, **POLICY_VARIANTS[variant])  # type: ignore[arg-type]
    instance = replace(generated, policy=policy)
    best = (0, 0)
    for grouping in every_allocation(instance):
        result = result_for(instance, grouping)
        if not check_result(instance, result):
            best = max(best, (result.served_quantity, -result.total_amount))
    assert exhaustive_optimum(instance) == (best[0], -best[1])
