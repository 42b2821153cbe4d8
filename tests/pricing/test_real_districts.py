"""Real district rows: read every row, build valid instances, and never do worse than a baseline.

The rows are the shared real-district table, copied to tests/data so a clean clone has them.
Slices are small (a small state, a sample of the whole file) and time limits short: what is
asserted is validity, robustness to odd rows and the baselines, not the benchmark's figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pricing.baselines import (
    greedy_allocation,
    max_saving_greedy,
    served_quantity,
    standalone_allocation,
)
from pricing.check import check_result
from pricing.cli import main
from pricing.districts import District, read_districts, real_instance
from pricing.engine import solve
from pricing.io import dumps, load_instance
from pricing.problem import prepare
from pricing.types import Policy, SimilarityRule

pytestmark = pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning")

CSV = Path(__file__).resolve().parents[1] / "data" / "districts.csv"
SIZES_2_TO_5 = Policy(
    similarity=(SimilarityRule("enrollment", max_ratio=4.0), SimilarityRule("mbps_per_student", max_ratio=4.0),
                SimilarityRule("locale", same=True)),
    min_group_size=2, max_group_size=5,
)
SIZES_3_TO_8 = Policy(
    similarity=(SimilarityRule("enrollment", max_ratio=4.0), SimilarityRule("mbps_per_student", max_ratio=4.0)),
    min_group_size=3, max_group_size=8,
)


@pytest.fixture(scope="module")
def rows() -> list[District]:
    return read_districts(CSV)


def test_every_row_is_read_with_its_odd_values(rows: list[District]) -> None:
    assert len(rows) == 8098
    assert max(d.enrollment for d in rows) == 944146  # New York City
    assert sum(1 for d in rows if d.kbps_per_student == 0) == 4
    assert sum(1 for d in rows if d.enrollment < 20) == 61
    assert {d.locale for d in rows} == {"rural", "town", "suburban", "urban"}


def test_a_bandwidth_of_zero_cannot_be_compared_by_ratio(rows: list[District]) -> None:
    zero = [d for d in rows if d.kbps_per_student == 0]
    states = sorted({d.state for d in zero})
    with_ratio = real_instance(rows, 3, 1, states=states)
    ids = {b.id for b in with_ratio.buyers}
    assert not ids & {d.nces_id for d in zero}
    spread = Policy(similarity=(SimilarityRule("mbps_per_student", max_spread=0.5),))
    kept = real_instance(rows, 3, 1, states=states, policy=spread)
    assert {d.nces_id for d in zero} <= {b.id for b in kept.buyers}
    load_instance(dumps(with_ratio))  # both are valid instances
    load_instance(dumps(kept))


def test_an_instance_depends_on_its_seed_and_selection_only(rows: list[District]) -> None:
    a = real_instance(rows, 4, 7, states=["VT"], share=0.5)
    assert dumps(a) == dumps(real_instance(rows, 4, 7, states=["VT"], share=0.5))
    assert dumps(a) != dumps(real_instance(rows, 4, 8, states=["VT"], share=0.5))
    vermont = sum(1 for d in rows if d.state == "VT" and d.kbps_per_student > 0)
    assert len(a.buyers) == round(vermont * 0.5)
    assert {b.features["locale"] for b in a.buyers} <= {"rural", "town", "suburban", "urban"}


def test_selection_errors_name_what_is_wrong(rows: list[District]) -> None:
    with pytest.raises(ValueError, match="share"):
        real_instance(rows, 3, 1, share=1.5)
    with pytest.raises(ValueError, match="no district"):
        real_instance(rows, 3, 1, states=["XX"])


def assert_never_worse_than_the_baselines(instance, time_limit_s: float) -> None:
    result = solve(instance, time_limit_s=time_limit_s)
    assert check_result(instance, result) == []
    problem = prepare(instance)
    for name, grouping in (("standalone", standalone_allocation(problem)),
                           ("greedy", greedy_allocation(problem)),
                           ("max-saving greedy", max_saving_greedy(problem))):
        served = served_quantity(problem, grouping)
        total = sum(problem.group_cost(o, m) for o, m in grouping)
        assert (result.served_quantity, -result.total_amount) >= (served, -total), name
    assert result.served_bound is not None and result.served_bound >= result.served_quantity
    if result.bound is not None:
        assert result.bound <= result.total_amount


@pytest.mark.parametrize("state", ["DE", "WY", "VT"])
def test_small_states_are_never_worse_than_a_baseline(rows: list[District], state: str) -> None:
    assert_never_worse_than_the_baselines(real_instance(rows, 6, 1, states=[state]), 15.0)


@pytest.mark.parametrize("policy", [SIZES_2_TO_5, SIZES_3_TO_8], ids=["2-5", "3-8 no locale"])
def test_group_size_policies_are_never_worse_than_a_baseline(rows: list[District], policy: Policy) -> None:
    instance = real_instance(rows, 6, 2, states=["ME"], share=0.6, policy=policy)
    assert_never_worse_than_the_baselines(instance, 15.0)


def test_an_instance_drawn_from_the_whole_file_solves(rows: list[District]) -> None:
    instance = real_instance(rows, 8, 3, sample=400)
    odd = [d for d in rows if d.enrollment > 500_000 or 0 < d.kbps_per_student >= 100_000 or d.enrollment < 20]
    assert odd
    with_odd = real_instance([*rows[:0], *odd, *(d for d in rows if d.state == "RI")], 6, 3)
    for case in (instance, with_odd):
        assert_never_worse_than_the_baselines(case, 20.0)


def test_the_command_line_builds_real_instances(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "de.json"
    code = main(["generate", "--districts", str(CSV), "--states", "DE", "--offers", "4",
                 "--seed", "2", "-o", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert len(data["offers"]) == 4 and len(data["buyers"]) >= 10
    with pytest.raises(SystemExit) as exited:
        main(["generate", "--districts", str(CSV), "--states", "D1", "--offers", "4", "--seed", "2"])
    assert exited.value.code == 2
    assert "two-letter state codes" in capsys.readouterr().err
