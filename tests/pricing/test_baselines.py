"""The heuristics the engine starts from: valid, and never serving less than buying alone."""

from __future__ import annotations

import pytest

from pricing.baselines import greedy_allocation, standalone_allocation
from pricing.check import check_result
from pricing.engine import build_result
from pricing.generate import bench_instance, generate_instance
from pricing.problem import prepare


def served(problem, grouping) -> int:
    return sum(problem.buyers[i].quantity for _, members in grouping for i in members)


@pytest.mark.parametrize(
    "instance",
    # bench_instance(200, 1): the greedy alone served 285,167 units where buying alone
    # serves 285,174 (the cheap offer's capacity went to big groups first).
    [bench_instance(200, 1), bench_instance(120, 3), generate_instance(40, 4, 7)],
    ids=["bench-200-1", "bench-120-3", "generated-40"],
)
def test_greedy_is_valid_and_serves_at_least_what_buying_alone_serves(instance) -> None:
    problem = prepare(instance)
    greedy = greedy_allocation(problem)
    alone = standalone_allocation(problem)
    assert served(problem, greedy) >= served(problem, alone)
    for grouping in (greedy, alone):
        result = build_result(problem, grouping, "feasible", None, None, {})
        assert check_result(instance, result) == []
