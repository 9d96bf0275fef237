"""The code stays ruff-clean, formatted and type-checked (the standards CI holds every change to)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout[-3000:]


def test_code_is_formatted() -> None:
    result = run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout[-3000:]


def test_mypy_finds_no_type_errors() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_import_rules_hold() -> None:
    """pyproject.toml's import-linter contracts: flows import no ERP adapter, adapters no flows, the model
    nothing of ours, and no import circles between sibling modules."""
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout[-3000:]
