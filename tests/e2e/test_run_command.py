"""A fresh clone's `make run`, then the README's CLI commands exactly as written (README "CLI").

The clone is made from this repository's committed HEAD, with the handbook (`../shared`) beside it as CI has
it. Its environments are the ones `make run` sets up
(`.venv`, `node_modules`), linked in from this checkout and marked up to date for make (`-o`), so the test does
not reinstall them: what the setup installs is checked by tests/unit/test_make_run.py. Everything else (the
settings file, the host keys, the demo orders, the CLI) is the real thing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.bc]  # runs the sandbox with its default ERP, BC

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def readme_cli_block() -> str:
    text = README.read_text()
    section = text[text.index("### CLI") :]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "README: the CLI section has a bash block"
    return block[1]


def _wait_for(process: subprocess.Popen[str], log: Path, needle: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if needle in text:
            return text
        if process.poll() is not None:
            raise AssertionError(f"make run exited with {process.returncode}:\n{text[-3000:]}")
        time.sleep(0.5)
    raise AssertionError(f"make run did not print {needle!r} within {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.mark.timeout(420)
def test_make_run_in_a_fresh_clone_then_the_readme_cli_commands_as_written(tmp_path: Path) -> None:
    make, git = shutil.which("make"), shutil.which("git")
    assert make and git, "make and git are needed"
    clone = tmp_path / "clone"
    subprocess.run([git, "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    for env in (".venv", "node_modules"):
        (clone / env).symlink_to((REPO / env).resolve())
    (tmp_path / "shared").symlink_to((REPO.parent / "shared").resolve())  # the handbook beside the repo, as in CI
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [make, "-o", ".venv/.installed", "-o", "node_modules/.installed", "run"],
            cwd=clone,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, "COLUMNS": "200"},
        )
    try:
        printed = _wait_for(process, log, "Press Ctrl-C to stop.", timeout=240)
        # What the run command promises: the settings file and the host keys, where it says they are.
        assert ".sandbox/local.settings.json" in printed and ".sandbox/host-keys.json" in printed
        settings = json.loads((clone / ".sandbox" / "local.settings.json").read_text())["Values"]
        keys = json.loads((clone / ".sandbox" / "host-keys.json").read_text())
        assert keys["functionKeys"]["default"] == settings["WEBHOOK_FUNCTION_KEY"]
        assert re.search(r"│ 109\s+│ [\d.]+ USD\s+│ posted", printed), printed[-2000:]  # the first demo order
        amounts = re.findall(r"\b\d+\.\d+\b", printed[printed.index("Demo orders") :])
        assert amounts and all(len(a.split(".")[1]) == 2 for a in amounts), amounts  # 1212.90, not 1212.9
        # The host accepts the keys from the file: the function key for /api/status, not without it.
        host = re.search(r"Functions host\s+(http://127\.0\.0\.1:\d+)/api", printed)
        assert host
        assert httpx.get(f"{host[1]}/api/status", timeout=30).status_code == 401
        keyed = httpx.get(f"{host[1]}/api/status", params={"code": keys["functionKeys"]["default"]}, timeout=30)
        assert keyed.status_code == 200, keyed.text[:500]
        mastered = httpx.get(f"{host[1]}/api/status", headers={"x-functions-key": keys["masterKey"]}, timeout=30)
        assert mastered.status_code == 200

        # The README's CLI block, run as written, in one shell from the clone's root.
        script = "set -euo pipefail\nset -x\n" + readme_cli_block()
        # As in a user's shell: no app settings in the environment (they would win over --settings, and
        # this session's own stacks leave theirs in os.environ).
        clean = {key: value for key, value in os.environ.items() if key not in settings}
        cli = subprocess.run(["bash", "-c", script], cwd=clone, capture_output=True, text=True, timeout=240, env=clean)
        assert cli.returncode == 0, cli.stdout[-3000:] + cli.stderr[-3000:]
        assert "Audit trail of main/109" in cli.stdout and "posted" in cli.stdout
        assert "woo-events-poison" in cli.stdout
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the README says
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
    assert "Stopped." in log.read_text()
