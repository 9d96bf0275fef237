"""The CI-sized fault-injection run on Dynamics GP: 500 orders under every fault GP can meet (no throttling:
GP documents none); nothing lost, nothing doubled, totals equal, judged from the GP emulator's own state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.gp]

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(660)
def test_500_orders_under_faults_are_each_posted_to_gp_exactly_once(tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    command = [sys.executable, "-m", "sandbox.chaos", "--erp", "gp", "--orders", "500", "--seconds", "45"]
    process = subprocess.Popen(
        [*command, "--json", str(out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        process.terminate()  # SIGTERM: the run stops its host and Azurite before exiting
        stdout, stderr = process.communicate(timeout=60)
    assert out.exists(), stdout[-3000:] + stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["placed"] == report["paid"] == 500
    assert report["lost"] == 0, report["lost_orders"]
    assert report["duplicated"] == 0
    assert report["total_mismatches"] == 0
    assert report["posted"] + report["held"] == 500
    assert report["queue_drained"]
    assert report["faults"]["gp_injected_5xx"] > 0 and report["faults"]["tokens_expired"] == 1
