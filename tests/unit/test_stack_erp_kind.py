"""`Stack(erp=...)` and `python -m sandbox --erp ...` pick the ERP emulator by kind; an unknown kind is
a clear error that lists the kinds the sandbox has."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sandbox.erp_kinds import ERP_KINDS, UnknownErpKind, erp_kind
from sandbox.stack import REPO, Stack


def test_the_kinds_are_business_central_finance_and_operations_and_gp() -> None:
    assert ERP_KINDS == ["bc", "fo", "gp"]
    assert erp_kind("bc").title == "Business Central"
    assert erp_kind("fo").title == "Finance & Operations"
    assert erp_kind("gp").title == "Dynamics GP"


def test_an_unknown_kind_fails_when_the_stack_is_made_listing_the_kinds() -> None:
    with pytest.raises(UnknownErpKind, match=r"unknown ERP kind 'sap': the sandbox has bc, fo, gp"):
        Stack(erp="sap")
    assert Stack().erp_kind.kind == "bc"  # the default


def test_a_stack_not_running_bc_has_no_bc_emulator() -> None:
    with pytest.raises(AttributeError, match="not Business Central"):
        Stack().bc  # noqa: B018 (not started: no emulator yet)


def test_the_run_command_takes_the_erp_kind() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sandbox", *args], cwd=REPO, capture_output=True, text=True, timeout=120
        )

    shown = run("--help")
    assert shown.returncode == 0 and "--erp {bc,fo,gp}" in shown.stdout
    refused = run("--erp", "sap")
    assert refused.returncode == 2 and "invalid choice: 'sap' (choose from" in refused.stderr
