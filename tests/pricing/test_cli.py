"""`python -m pricing`: exit codes, one-line errors on stderr, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest

from pricing.check import check_result
from pricing.cli import main
from pricing.io import dumps, instance_to_dict, load_instance, load_result
from pricing.types import Instance, Result
from tests.pricing.bruteforce import exhaustive_allocation, result_for
from tests.pricing.paths import EXAMPLES_DIR

EXAMPLE = EXAMPLES_DIR / "example-volume.json"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "pricing", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in completed.stderr
    return completed


@pytest.fixture
def instance_file(tmp_path: Path) -> Path:
    path = tmp_path / "instance.json"
    path.write_bytes(EXAMPLE.read_bytes())
    return path


def optimal_result(instance: Instance) -> Result:
    _, _, grouping = exhaustive_allocation(instance)
    return result_for(instance, grouping)


def broken(tmp_path: Path, change) -> Path:  # noqa: ANN001
    data = json.loads(EXAMPLE.read_text())
    change(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["buyers"][2].update(quantity=-3),
            "buyers[2].quantity: must be an integer >= 1",
        ),
        (
            lambda d: d["buyers"][0].update(quantity=True),
            "buyers[0].quantity: must be an integer >= 1",
        ),
        (
            lambda d: d["offers"][1]["tiers"][1].update(unit_amount=99999),
            "offers[1].tiers[1].unit_amount: must not be higher than the tier before",
        ),
        (lambda d: d.update(buyers=[]), "buyers: must be a non-empty list"),
    ],
)
def test_solve_invalid_instance_exits_2_naming_the_field(
    tmp_path: Path,
    change,
    expected: str,  # noqa: ANN001
) -> None:
    path = broken(tmp_path, change)
    completed = run("solve", str(path))
    assert completed.returncode == 2
    assert f"{path}: {expected}" in completed.stderr
    assert completed.stdout == ""


def test_every_problem_on_its_own_line(tmp_path: Path) -> None:
    def two(d: dict) -> None:
        d["buyers"][1]["quantity"] = 0
        d["buyers"][3]["id"] = d["buyers"][2]["id"]

    path = broken(tmp_path, two)
    lines = run("solve", str(path)).stderr.splitlines()
    assert lines == [
        f"{path}: buyers[1].quantity: must be an integer >= 1, got 0",
        f"{path}: buyers[3].id: duplicate id 'XX00002'",
    ]


def test_solve_non_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n "currency": "usd",\n  oops')
    completed = run("solve", str(path))
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"{path}: $: not valid JSON (line 3 column 3)"
    missing = run("solve", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_bad_arguments_exit_2() -> None:
    assert run("solve", str(EXAMPLE), "--solver", "gurobi").returncode == 2
    assert run("solve", str(EXAMPLE), "--time-limit", "0").returncode == 2
    assert run().returncode == 2


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_solve_writes_a_valid_optimal_result(
    instance_file: Path, tmp_path: Path, solver: str
) -> None:
    output = tmp_path / "result.json"
    completed = run("solve", str(instance_file), "-o", str(output), "--solver", solver)
    assert completed.returncode == 0, completed.stderr
    instance = load_instance(instance_file.read_bytes())
    result = load_result(output.read_bytes())
    assert check_result(instance, result) == []
    assert (result.served_quantity, result.total_amount) == (13874, 24152006)


def fake_engine(monkeypatch: pytest.MonkeyPatch, solve) -> None:  # noqa: ANN001
    module = types.ModuleType("pricing.engine")
    module.solve = solve  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pricing.engine", module)


def test_solve_outcomes_with_a_stand_in_engine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], instance_file: Path
) -> None:
    instance = load_instance(instance_file.read_bytes())
    good = optimal_result(instance)
    seen = {}

    def solve(given: Instance, *, solver: str | None, time_limit_s: float | None,
              progress: object = None) -> Result:
        seen.update(solver=solver, time_limit_s=time_limit_s, progress=progress)
        return good

    fake_engine(monkeypatch, solve)
    assert main(["solve", str(instance_file), "--solver", "highs", "--time-limit", "5"]) == 0
    assert seen == {"solver": "highs", "time_limit_s": 5.0, "progress": None}
    assert load_result(capsys.readouterr().out) == good

    fake_engine(monkeypatch, lambda *a, **k: Result("infeasible", 0, 0, None, None))
    assert main(["solve", str(instance_file)]) == 1
    assert "infeasible" in capsys.readouterr().err

    fake_engine(monkeypatch, lambda *a, **k: Result("error", 0, 0, None, None, message="boom"))
    assert main(["solve", str(instance_file)]) == 1
    assert capsys.readouterr().err.strip() == f"{instance_file}: error: boom"

    def crash(*args: object, **kwargs: object) -> Result:
        raise RuntimeError("solver binary missing")

    fake_engine(monkeypatch, crash)
    assert main(["solve", str(instance_file)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"{instance_file}: solver failed: RuntimeError: solver binary missing"


def test_validate_valid_and_invalid(instance_file: Path, tmp_path: Path) -> None:
    instance = load_instance(instance_file.read_bytes())
    result = optimal_result(instance)
    good = tmp_path / "good.json"
    good.write_text(dumps(result))
    completed = run("validate", str(instance_file), str(good))
    assert completed.returncode == 0
    assert completed.stdout.strip() == (
        f"valid: {len(result.assignments)} assignments, {len(result.groups)} groups"
    )
    bad = tmp_path / "bad.json"
    bad.write_text(dumps(replace(result, served_quantity=1, unassigned=())))
    completed = run("validate", str(instance_file), str(bad))
    assert completed.returncode == 1
    lines = completed.stdout.splitlines()
    assert "served_quantity 1 != assignments' sum 13874" in lines
    assert any(line.startswith("coverage:") for line in lines) or not result.unassigned


def test_validate_unreadable_input_exits_2(instance_file: Path, tmp_path: Path) -> None:
    malformed = tmp_path / "result.json"
    malformed.write_text('{"status": "optimal"}')
    completed = run("validate", str(instance_file), str(malformed))
    assert completed.returncode == 2
    assert f"{malformed}: served_quantity: must be an integer >= 0, got null" in completed.stderr
    missing = run("validate", str(instance_file), str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    not_json = tmp_path / "x.json"
    not_json.write_text("nope")
    assert run("validate", str(not_json), str(malformed)).returncode == 2


def test_generate_writes_a_loadable_deterministic_instance(tmp_path: Path) -> None:
    output = tmp_path / "generated.json"
    completed = run("generate", "--buyers", "30", "--offers", "3", "--seed", "4", "-o", str(output))
    assert completed.returncode == 0
    instance = load_instance(output.read_bytes())
    assert len(instance.buyers) == 30 and len(instance.offers) == 3
    again = run("generate", "--buyers", "30", "--offers", "3", "--seed", "4")
    assert again.stdout == output.read_text()
    assert json.loads(again.stdout) == instance_to_dict(instance)
    assert run("generate", "--buyers", "0", "--offers", "3", "--seed", "4").returncode == 2
