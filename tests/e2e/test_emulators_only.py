"""`python -m sandbox --emulators-only` (README "With Azure Functions Core Tools"): Azurite and the emulators
on fixed ports, no local host, and a settings file naming those ports and func's 7071.

The documented ports (Azurite 10000-10002, 8443-8445) are often taken on a shared test machine, so the
positive run moves the fixed ports to free ones (the module constants) in a subprocess; the refusal to pick
other ports is tested against a port this test holds.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import __main__ as run_command
from sandbox.server import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.bc]  # runs the sandbox with its default ERP, BC

REPO = Path(__file__).resolve().parents[2]


def test_the_documented_fixed_ports() -> None:
    assert run_command.AZURITE_PORTS == (10000, 10001, 10002)
    ports = run_command.DEFAULT_PORTS
    assert (ports.host, ports.woo, ports.bc, ports.entra) == (7071, 8443, 8444, 8445)
    readme = (REPO / "README.md").read_text()
    assert "Azurite 10000-10002" in readme and "WooCommerce 8443, Business Central 8444, Entra ID 8445" in readme


def test_a_taken_fixed_port_stops_the_run_instead_of_moving(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        monkeypatch.setattr(run_command, "AZURITE_PORTS", (taken, free_port(), free_port()))
        with pytest.raises(SystemExit) as stopped:
            run_command.fixed_ports_or_exit(run_command.Console())
    assert stopped.value.code == 2


@pytest.mark.timeout(240)
def test_emulators_only_serves_the_settings_file_it_writes(tmp_path: Path) -> None:
    azurite = (free_port(), free_port(), free_port())
    woo, bc, entra = free_port(), free_port(), free_port()
    runner = (
        "import sys; from sandbox import __main__ as m; from sandbox.stack import StackPorts\n"
        f"m.AZURITE_PORTS = {azurite!r}\n"
        f"m.DEFAULT_PORTS = StackPorts(host=7071, woo={woo}, bc={bc}, entra={entra})\n"
        f"m.SANDBOX_DIR = __import__('pathlib').Path({str(tmp_path)!r})\n"
        "m.SETTINGS_FILE = m.SANDBOX_DIR / 'local.settings.json'; m.HOST_KEYS_FILE = m.SANDBOX_DIR / 'host-keys.json'\n"
        "sys.argv = ['sandbox', '--emulators-only']; m.main()\n"
    )
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", runner], cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 180
        while "Press Ctrl-C to stop." not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        values = json.loads((tmp_path / "local.settings.json").read_text())["Values"]
        assert values["PUBLIC_BASE_URL"] == "http://127.0.0.1:7071"  # func start's default port
        assert f"BlobEndpoint=http://127.0.0.1:{azurite[0]}/" in values["AzureWebJobsStorage"]
        assert values["WOO_STORES__main__URL"].startswith(f"https://localhost:{woo}")
        assert f":{bc}" in values["BC_API_URL"] and f":{entra}" in values["BC_AUTHORITY"]
        assert "Functions host      http://127.0.0.1:7071/api" in log.read_text()
        # No local host: nothing of ours listens on 7071 (func start will), and the CLI reads the stack.
        env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"}
        cli = subprocess.run(
            [sys.executable, "-m", "shared.cli", "status", "--settings", str(tmp_path / "local.settings.json")],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert cli.returncode == 0, cli.stderr[-2000:]
        assert "woo-events" in cli.stdout
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
