"""`make run` installs only what running needs: the app venv and Azurite, not the Python 3.13
worker-parity venv nor the checkov venv (those are `make test`'s), so it works where Python 3.13 is absent.

The targets run with `make -n` (print, do not execute) in a fresh copy of the Makefile and its inputs, with
PY313 pointing nowhere and no environments present, so every install step the target would take is listed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INPUTS = ("Makefile", "requirements.txt", "requirements-dev.txt", "requirements-iac.txt", "package.json")
NOWHERE = "/nonexistent/python3.13"


def _dry_run(tmp_path: Path, target: str) -> list[str]:
    make = shutil.which("make")
    assert make, "GNU make is needed (the README's two commands use it)"
    for name in (*INPUTS, "package-lock.json"):
        shutil.copy(REPO / name, tmp_path / name)
    result = subprocess.run(
        [make, "-n", target, f"PY313={NOWHERE}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},  # no pyenv, no python3.13 on the PATH
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_make_run_sets_up_only_the_app_venv_and_azurite(tmp_path: Path) -> None:
    commands = _dry_run(tmp_path, "run")
    text = "\n".join(commands)
    assert "-m venv .venv" in text and "-r requirements-dev.txt" in text  # the app and the sandbox
    assert "npm ci" in text  # Azurite
    assert commands[-1] == ".venv/bin/python -m sandbox"
    for not_for_running in (".venv313", ".venv-iac", "requirements-iac.txt", "azure-functions-runtime", NOWHERE):
        assert not_for_running not in text, f"make run would set up {not_for_running}"


def test_make_emulators_runs_the_fixed_port_stack_with_the_same_setup(tmp_path: Path) -> None:
    commands = _dry_run(tmp_path, "emulators")
    assert commands[-1] == ".venv/bin/python -m sandbox --emulators-only"
    assert ".venv313" not in "\n".join(commands)


@pytest.mark.parametrize("target", ["test", "setup"])
def test_make_test_still_sets_up_python_313_and_checkov(tmp_path: Path, target: str) -> None:
    text = "\n".join(_dry_run(tmp_path, target))
    assert f"{NOWHERE} -m venv .venv313" in text and "azure-functions-runtime" in text
    assert "-r requirements-iac.txt" in text
