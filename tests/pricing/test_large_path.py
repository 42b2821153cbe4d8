"""The path for instances too large for the exact model: valid, honest, and exact per small block.

The size limit is lowered so that tiny instances take that path and can be compared
with the exhaustive search.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import pricing.engine
from pricing.bounds import floor_prices, transport_bound
from pricing.check import check_result
from pricing.engine import solve
from pricing.generate import generate_instance
from pricing.problem import prepare
from tests.pricing.bruteforce import exhaustive_optimum

pytestmark = pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning")


def tiny(seed: int, *, capacities: bool):
    instance = generate_instance(7, 3, seed)
    offers = instance.offers if capacities else tuple(replace(o, capacity=None) for o in instance.offers)
    return replace(instance, offers=offers, policy=replace(instance.policy, mip_gap=0.0))


@pytest.mark.parametrize("seed", range(1, 13))
def test_transport_bound_never_exceeds_the_optimum(seed: int) -> None:
    instance = tiny(seed, capacities=True)
    served, total = exhaustive_optimum(instance)
    problem = prepare(instance)
    bound = transport_bound(problem, floor_prices(problem, None), served)
    assert bound is not None and bound <= total


@pytest.mark.parametrize("seed", range(1, 13))
def test_large_path_is_valid_and_never_claims_optimal(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pricing.engine, "EXACT_MODEL_LIMIT", 0)
    instance = tiny(seed, capacities=True)
    served, total = exhaustive_optimum(instance)
    result = solve(instance)
    assert check_result(instance, result) == []
    assert result.status == "feasible"
    assert result.stats["exact_model"] is False
    assert result.bound is not None and result.bound <= total <= result.total_amount or (
        result.served_quantity < served
    )


@pytest.mark.parametrize("seed", range(1, 13))
def test_small_blocks_are_resolved_to_the_optimum(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without capacities the `same` blocks are independent, so solving each exactly is optimal.
    monkeypatch.setattr(pricing.engine, "EXACT_MODEL_LIMIT", 0)
    instance = tiny(seed, capacities=False)
    result = solve(instance)
    assert check_result(instance, result) == []
    assert (result.served_quantity, result.total_amount) == exhaustive_optimum(instance)


def test_without_block_resolves_the_greedy_answer_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pricing.engine, "EXACT_MODEL_LIMIT", 0)
    monkeypatch.setattr(pricing.engine, "BLOCK_MODEL_LIMIT", 0)
    instance = tiny(3, capacities=False)
    result = solve(instance)
    assert check_result(instance, result) == []
    assert result.stats["blocks_resolved"] == 0


def test_an_infeasible_bound_lp_does_not_stop_later_solves(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found here: a bound LP solved with HiGHS's default thread count made every later
    # single-threaded HiGHS model come back unsolved (status kNotset) in the same process.
    capped = tiny(3, capacities=True)
    problem = prepare(capped)
    assert transport_bound(problem, floor_prices(problem, None), 10**9) is None
    monkeypatch.setattr(pricing.engine, "EXACT_MODEL_LIMIT", 0)
    instance = tiny(3, capacities=False)
    result = solve(instance)
    assert result.stats["blocks_resolved"] >= 1
    assert (result.served_quantity, result.total_amount) == exhaustive_optimum(instance)
