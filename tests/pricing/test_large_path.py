"""The column path (instances too large for the compact model): valid, honest, never worse.

The exact model's size limit is lowered so that small instances take this path and can be
compared with the exhaustive search and with the exact path.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import pricing.exact
from pricing.check import check_result
from pricing.engine import solve
from pricing.generate import generate_instance
from tests.pricing.bruteforce import cheapest_serving, exhaustive_optimum

pytestmark = pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning")


@pytest.fixture
def column_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pricing.exact, "EXACT_MODEL_LIMIT", 0)


def tiny(seed: int, *, capacities: bool):
    instance = generate_instance(7, 3, seed)
    offers = instance.offers if capacities else tuple(replace(o, capacity=None) for o in instance.offers)
    return replace(instance, offers=offers, policy=replace(instance.policy, mip_gap=0.0))


@pytest.mark.parametrize("seed", range(1, 13))
def test_column_path_is_valid_and_its_bounds_hold(seed: int, column_path: None) -> None:
    instance = tiny(seed, capacities=True)
    most, least = exhaustive_optimum(instance)
    result = solve(instance)
    assert check_result(instance, result) == []
    assert result.stats["exact_model"] is False
    assert result.bound is not None and result.served_bound is not None
    assert result.bound <= cheapest_serving(instance, result.served_quantity)
    assert result.served_bound >= most >= result.served_quantity
    if result.status == "optimal":
        assert (result.served_quantity, result.total_amount) == (most, least)


@pytest.mark.parametrize("seed", range(1, 13))
def test_column_path_finds_the_optimum_of_tiny_instances(seed: int, column_path: None) -> None:
    # Not promised in general (it is a heuristic with proven bounds), but on 7 districts the
    # pool holds every group worth having and the neighbourhood MIP covers the instance.
    instance = tiny(seed, capacities=False)
    result = solve(instance)
    assert check_result(instance, result) == []
    assert (result.served_quantity, result.total_amount) == exhaustive_optimum(instance)


def test_column_path_is_deterministic(column_path: None) -> None:
    instance = tiny(4, capacities=True)
    first, second = solve(instance), solve(instance)
    assert first.groups == second.groups and first.assignments == second.assignments


@pytest.mark.parametrize("seed", range(1, 7))
def test_column_path_keeps_group_sizes_without_falling_back(seed: int, column_path: None) -> None:
    # A district alone is no group under min_group_size 2: the path must not offer one (the
    # final check would throw the whole answer away for a baseline without bounds).
    instance = tiny(seed, capacities=True)
    instance = replace(instance, policy=replace(instance.policy, min_group_size=2, max_group_size=3))
    most, least = exhaustive_optimum(instance)
    result = solve(instance)
    assert check_result(instance, result) == []
    assert "discarded" not in result.stats
    assert all(2 <= len(g.members) <= 3 for g in result.groups)
    assert result.served_bound is not None and result.served_bound >= most >= result.served_quantity
    assert result.bound is not None and result.bound <= cheapest_serving(instance, result.served_quantity)
