"""Progress events: they never go back in time, beat at least every 5 s, and end on the result."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import pricing.exact
import pricing.progress
from pricing.cli import main
from pricing.engine import solve
from pricing.generate import generate_instance
from pricing.io import dumps, load_result
from pricing.progress import Tracker

pytestmark = pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning")
KEYS = {"t", "phase", "served", "total", "bound", "served_bound", "gap"}


def events_of(instance, **kwargs) -> tuple[list[dict], object]:
    events: list[dict] = []
    result = solve(instance, progress=events.append, **kwargs)
    return events, result


def assert_well_formed(events: list[dict], result) -> None:
    assert events and all(set(e) == KEYS for e in events)
    times = [e["t"] for e in events]
    assert times == sorted(times)
    served = [e["served"] for e in events if e["served"] is not None]
    assert served == sorted(served)  # the best allocation only ever gets better
    last = events[-1]
    assert last["phase"] == "done"
    assert (last["served"], last["total"], last["bound"], last["served_bound"], last["gap"]) == (
        result.served_quantity, result.total_amount, result.bound, result.served_bound, result.gap)


@pytest.mark.parametrize("path", ["exact", "columns"])
def test_events_go_forward_and_end_on_the_result(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if path == "columns":
        monkeypatch.setattr(pricing.exact, "EXACT_MODEL_LIMIT", 0)
    instance = generate_instance(40, 3, 11)
    events, result = events_of(instance, time_limit_s=20)
    assert_well_formed(events, result)
    assert any(e["phase"] != "done" for e in events)  # there was news before the end


def test_a_heartbeat_every_five_seconds_without_news(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(pricing.progress.time, "perf_counter", lambda: now[0])
    sent: list[dict] = []
    tracker = Tracker(sent.append, began=100.0)
    tracker.allocation(10, 500)
    for step in range(1, 40):
        now[0] = 100.0 + step * 0.5
        tracker.tick()
    beats = [e["t"] for e in sent]
    assert beats[0] == 0.0 and all(0 < b - a <= 5.0 for a, b in zip(beats, beats[1:], strict=False))
    assert len(beats) >= 4


def test_bounds_only_ever_tighten() -> None:
    sent: list[dict] = []
    tracker = Tracker(sent.append, began=0.0)
    tracker.allocation(100, 1000)
    tracker.bounds(bound=900, served_bound=120)
    tracker.bounds(bound=800, served_bound=130)  # weaker: ignored, nothing sent
    assert [(e["bound"], e["served_bound"]) for e in sent] == [(None, None), (900, 120)]
    assert sent[-1]["gap"] == 0.1


def test_the_command_line_writes_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = generate_instance(30, 3, 5)
    instance = replace(instance, policy=replace(instance.policy, time_limit_s=15))
    source, out = tmp_path / "in.json", tmp_path / "out.json"
    source.write_text(dumps(instance))
    assert main(["solve", str(source), "-o", str(out), "--progress"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert_well_formed(lines, load_result(out.read_text()))
