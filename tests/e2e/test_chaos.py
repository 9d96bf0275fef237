"""The CI-sized fault-injection run, once per ERP kind: 500 orders under every fault the ERP can meet
(5xx, its throttling while a lowered limit binds, credentials expiring, host kills, an Azurite restart, a
webhook outage, SKUs the ERP only gets later); nothing lost, nothing doubled, every total equal.

Each runs `python -m sandbox.chaos --erp <kind>` in a subprocess (it kills and restarts its own Functions
host and Azurite) and judges from the ERP emulator's own state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def run_chaos(kind: str, out: Path) -> tuple[dict[str, Any], subprocess.Popen[str]]:
    command = [sys.executable, "-m", "sandbox.chaos", "--erp", kind, "--orders", "500", "--seconds", "45"]
    process = subprocess.Popen(
        [*command, "--json", str(out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        process.terminate()  # SIGTERM: the run stops its host and Azurite before exiting
        stdout, stderr = process.communicate(timeout=60)
    assert out.exists(), stdout[-3000:] + stderr[-3000:]
    print(stdout[-2500:])
    return json.loads(out.read_text()), process


@pytest.mark.timeout(660)
@pytest.mark.parametrize("kind", [pytest.param(kind, marks=getattr(pytest.mark, kind)) for kind in ("bc", "fo", "gp")])
def test_500_orders_under_faults_are_each_posted_exactly_once(kind: str, tmp_path: Path) -> None:
    report, process = run_chaos(kind, tmp_path / "chaos.json")
    assert report["placed"] == report["paid"] == 500
    assert report["lost"] == 0, report["lost_orders"]
    assert report["duplicated"] == 0
    assert report["total_mismatches"] == 0
    assert report["posted"] + report["held"] == 500
    assert report["queue_drained"]  # the duplicates were all dropped, nothing left unexplained
    # The faults really happened.
    faults = report["faults"]
    assert faults["host_sigkill"] == 3 and faults["azurite_restart"] == 1 and faults["tokens_expired"] >= 1
    assert faults[f"{kind}_injected_5xx"] > 0 and faults["duplicate_deliveries"] > 0 and faults["webhook_repaired"] >= 1
    if kind != "gp":  # GP documents no throttling: nothing to lower, no 429s
        # The lowered limit bound: the ERP answered 429, and the run measured what that cost.
        throttling = report["throttling"]
        assert faults[f"{kind}_limit_lowered_seconds"] > 0 and throttling[f"{kind}_429"] > 0
        assert throttling["retried_in_the_call"] + throttling["executions_requeued"] > 0
    queue = report["queue"]
    assert queue["peak_depth"] > 0 and queue["queued_by_webhook"] > 0
    # Orders with the SKUs the ERP only got later were held, then posted once the items existed; nothing else.
    assert report["held_then_posted"] > 0
    assert set(report["held_then_posted_codes"]) == {"unknown_sku"}, report["held_then_posted_codes"]
    assert process.returncode == 0
