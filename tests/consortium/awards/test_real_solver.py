"""The whole path with the real optimiser: run, publish, and re-check the downloads as an outsider."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
from sqlalchemy import select

from consortium.allocation.models import AllocationRun
from consortium.awards.models import Award
from consortium.extensions import db

pytest.importorskip("pricing.engine", reason="pricing.engine is not in this tree yet")


# pricing/ owns its PuLP calls and its own warning tests; this one is about the web path.
@pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")
def test_real_run_publishes_a_verifiable_award(client, login, make, clock, tmp_path):
    scenario = make.allocation_scenario(
        policy={"similarity": [{"feature": "locale", "same": True}], "time_limit_s": 10}
    )
    login(client, scenario.manager)
    client.post(
        f"/solicitations/{scenario.solicitation.id}/allocation",
        data={"label": "HiGHS", "same_locale": "y", "min_group_size": "1", "time_limit_s": "10",
              "mip_gap_pct": "0", "individual_rationality": "y", "solver": "highs"},
    )
    run = db.session.scalars(select(AllocationRun)).one()
    assert run.status == "succeeded", run.error
    assert run.result_status == "optimal" and run.solver == "highs" and run.solver_version
    assert (run.served_quantity, run.total_amount) == (1_000, 1_500_000)
    client.post(f"/allocation/runs/{run.id}/publish", data={"confirm": "yes"})
    award = db.session.scalars(select(Award)).one()
    client.post("/logout")

    page = client.get(f"/awards/{award.id}").get_data(as_text=True)
    assert award.input_sha256 in page and run.solver_version in page
    input_path, result_path = tmp_path / "input.json", tmp_path / "result.json"
    input_path.write_bytes(client.get(f"/awards/{award.id}/input.json").data)
    result_path.write_bytes(client.get(f"/awards/{award.id}/result.json").data)
    assert hashlib.sha256(input_path.read_bytes()).hexdigest() == award.input_sha256
    checked = subprocess.run(
        [sys.executable, "-m", "pricing", "validate", str(input_path), str(result_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
