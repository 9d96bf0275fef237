"""The CI-sized fault-injection run: 500 orders under every fault, BC's limit binding for a stretch;
nothing lost, nothing doubled.

It runs `python -m sandbox.chaos` in a subprocess (it kills and restarts its own Functions host and
Azurite) and judges from the Business Central emulator's own state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.bc]

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(660)
def test_500_orders_under_faults_are_each_posted_exactly_once(tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    command = [sys.executable, "-m", "sandbox.chaos", "--orders", "500", "--seconds", "45", "--json", str(out)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        process.terminate()  # SIGTERM: the run stops its host and Azurite before exiting
        stdout, stderr = process.communicate(timeout=60)
    assert out.exists(), stdout[-3000:] + stderr[-3000:]
    report = json.loads(out.read_text())
    print(stdout[-2500:])
    assert report["placed"] == report["paid"] == 500
    assert report["lost"] == 0, report["lost_orders"]
    assert report["duplicated"] == 0
    assert report["total_mismatches"] == 0
    assert report["posted"] + report["held"] == 500
    assert report["queue_drained"]  # the duplicates were all dropped, nothing left unexplained
    # The faults really happened.
    faults = report["faults"]
    assert faults["host_sigkill"] == 3 and faults["azurite_restart"] == 1 and faults["tokens_expired"] >= 1
    assert faults["bc_injected_5xx"] > 0 and faults["duplicate_deliveries"] > 0 and faults["webhook_repaired"] >= 1
    # BC's lowered limit bound: it answered 429, and the run measured what that cost.
    throttling = report["throttling"]
    assert faults["bc_limit_lowered_seconds"] > 0 and throttling["bc_429"] > 0
    assert throttling["retried_in_the_call"] + throttling["executions_requeued"] > 0
    queue = report["queue"]
    assert queue["peak_depth"] > 0 and queue["queued_by_webhook"] > 0
    # Orders with the SKUs BC only got later were held, then posted once the items existed; nothing else held.
    assert report["held_then_posted"] > 0
    assert set(report["held_then_posted_codes"]) == {"unknown_sku"}, report["held_then_posted_codes"]
    assert process.returncode == 0
