"""checkov (offline) finds nothing to fix in infra/, and every suppression is justified and still needed.

checkov lives in its own venv because its pins conflict with the app's. Set it up once:

    python3 -m venv .venv-iac && .venv-iac/bin/pip install -r requirements-iac.txt
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from bicep_model import INFRA, REPO

IAC_VENV = REPO / ".venv-iac"
CHECKOV = IAC_VENV / "bin" / "checkov"
SETUP = "python3 -m venv .venv-iac && .venv-iac/bin/pip install -r requirements-iac.txt"


# Both IaC trees: the Bicep (infra/, framework bicep) and the Terraform module (infra/terraform/, framework terraform).
TREES = {"bicep": (INFRA, "*.bicep", "//"), "terraform": (INFRA / "terraform", "*.tf", "#")}


@pytest.fixture(scope="module", params=sorted(TREES))
def report(request: pytest.FixtureRequest) -> dict[str, Any]:
    framework = request.param
    folder = TREES[framework][0]
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed in {IAC_VENV}. Set it up (once, ~4 min) with:\n    {SETUP}")
    pinned = re.search(r"^checkov==(\S+)", (REPO / "requirements-iac.txt").read_text(), re.MULTILINE)
    assert pinned, "requirements-iac.txt pins checkov"
    # checkov reads BC_* variables of its own (Bridgecrew: BC_API_URL...), which clash with the connector's
    # BC_* settings when an end-to-end test has put those in the environment: keep them away from checkov.
    clean_env = {key: value for key, value in os.environ.items() if not key.startswith("BC_")}
    version = subprocess.run(
        [str(CHECKOV), "--version"], capture_output=True, text=True, timeout=120, env=clean_env
    ).stdout.strip()
    if version != pinned[1]:
        pytest.fail(f"{CHECKOV} is checkov {version}, requirements-iac.txt pins {pinned[1]}: {SETUP}")
    env = {**clean_env, "BC_SKIP_MAPPING": "TRUE"}  # no download of the Bridgecrew check mapping (offline)
    result = subprocess.run(
        [str(CHECKOV), "-d", str(folder), "--framework", framework, "--skip-download", "-o", "json", "--compact"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert result.stdout.strip(), f"checkov printed nothing (exit {result.returncode}): {result.stderr[-2000:]}"
    parsed = json.loads(result.stdout)
    reports = parsed if isinstance(parsed, list) else [parsed]
    (scanned,) = [r for r in reports if r.get("check_type") == framework]
    scanned["framework"] = framework
    return scanned


def _describe(records: list[dict[str, Any]]) -> str:
    return "\n".join(f"{r['check_id']} {r['check_name']} -- {r['file_path']} {r['resource']}" for r in records)


def test_checkov_parses_and_scans_every_file(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, report["results"].get("parsing_errors")
    scanned = {r["file_path"] for kind in ("passed_checks", "skipped_checks") for r in report["results"][kind]}
    if report["framework"] == "bicep":
        assert summary["resource_count"] >= 40  # it really read the modules, not just main.bicep
        for name in ("storage.bicep", "keyvault.bicep", "functionapp.bicep"):
            assert f"/modules/{name}" in scanned
    else:
        assert summary["resource_count"] >= 30
        for name in ("main.tf", "functionapp.tf"):
            assert f"/{name}" in scanned, scanned


def test_checkov_finds_no_failed_checks(report: dict[str, Any]) -> None:
    failed = report["results"]["failed_checks"]
    assert failed == [], "checkov failed checks (fix them, or suppress with a reason in the Bicep):\n" + _describe(
        failed
    )


def test_every_suppression_has_a_reason(report: dict[str, Any]) -> None:
    for record in report["results"]["skipped_checks"]:
        reason = record["check_result"].get("suppress_comment", "")
        assert len(reason) >= 40 and reason != "No comment provided", f"{record['check_id']}: {reason!r}"


def test_every_suppression_is_still_needed(report: dict[str, Any]) -> None:
    """A `checkov:skip=` that no check uses any more is stale: remove it."""
    folder, pattern, comment = TREES[report["framework"]]
    skipped = {(r["check_id"], r["file_path"].lstrip("/")) for r in report["results"]["skipped_checks"]}
    for path in folder.rglob(pattern):
        if report["framework"] == "bicep" and "terraform" in path.relative_to(INFRA).parts:
            continue
        rel = path.relative_to(folder).as_posix()
        for check_id in re.findall(rf"{re.escape(comment)}\s*checkov:skip=(CKV\w+)", path.read_text()):
            assert (check_id, rel) in skipped, f"{rel}: suppression of {check_id} is not used by checkov"
