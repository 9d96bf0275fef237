"""The CI-sized fault-injection run on Finance & Operations: 500 orders under every fault (5xx, 429 with
Retry-After while the lowered limit binds, token expiry, host kills, an Azurite restart, a webhook outage,
SKUs F&O only gets later); nothing lost, nothing doubled, every total equal.

It runs `python -m sandbox.chaos --erp fo` in a subprocess and judges from the F&O emulator's own state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.fo]

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(660)
def test_500_orders_under_faults_are_each_posted_exactly_once_in_fo(tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    command = [sys.executable, "-m", "sandbox.chaos", "--erp", "fo", "--orders", "500", "--seconds", "45"]
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
    print(stdout[-2500:])
    assert report["placed"] == report["paid"] == 500
    assert report["lost"] == 0, report["lost_orders"]
    assert report["duplicated"] == 0
    assert report["total_mismatches"] == 0
    assert report["posted"] + report["held"] == 500
    assert report["queue_drained"]
    faults = report["faults"]
    assert faults["host_sigkill"] == 3 and faults["azurite_restart"] == 1 and faults["tokens_expired"] >= 1
    assert faults["fo_injected_5xx"] > 0 and faults["duplicate_deliveries"] > 0 and faults["webhook_repaired"] >= 1
    assert faults["fo_limit_lowered_seconds"] > 0 and report["throttling"]["fo_429"] > 0
    assert report["held_then_posted"] > 0
    assert set(report["held_then_posted_codes"]) == {"unknown_sku"}, report["held_then_posted_codes"]
    assert process.returncode == 0
