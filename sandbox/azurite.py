"""Start and stop Azurite (the npm package pinned in package.json) for the sandbox and the tests.

Azurite phones home unless told not to, so it always runs with --disableTelemetry. The default ports
(10000-10002) are used when free, otherwise free ones are picked. With a `location` the data persists
across restarts (the fault-injection run restarts Azurite); without one it lives in memory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.server import free_port

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "devstoreaccount1"
# The well-known development key from the Azurite documentation; not a secret.
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEFAULT_PORTS = (10000, 10001, 10002)


class AzuriteError(RuntimeError):
    pass


def azurite_binary() -> str:
    local = REPO / "node_modules" / ".bin" / "azurite"
    if local.exists():
        return str(local)
    found = shutil.which("azurite")
    if found:
        return found
    raise AzuriteError("Azurite is not installed: run `make setup` (npm ci installs the pinned version)")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pick_ports() -> tuple[int, int, int]:
    if all(_port_free(p) for p in DEFAULT_PORTS):
        return DEFAULT_PORTS
    return (free_port(), free_port(), free_port())


@dataclass
class Azurite:
    """One Azurite process. `start()`/`stop()` may be repeated; ports and data location are kept."""

    location: Path | None = None
    ports: tuple[int, int, int] = field(default_factory=_pick_ports)
    process: subprocess.Popen[bytes] | None = None

    @property
    def connection_string(self) -> str:
        blob, queue, table = self.ports
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{blob}/{ACCOUNT};"
            f"QueueEndpoint=http://127.0.0.1:{queue}/{ACCOUNT};"
            f"TableEndpoint=http://127.0.0.1:{table}/{ACCOUNT};"
        )

    def start(self, timeout: float = 30.0) -> Azurite:
        blob, queue, table = self.ports
        command = [
            azurite_binary(),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--loose",
            "--blobHost", "127.0.0.1", "--blobPort", str(blob),
            "--queueHost", "127.0.0.1", "--queuePort", str(queue),
            "--tableHost", "127.0.0.1", "--tablePort", str(table),
        ]  # fmt: skip
        if self.location is None:
            command.append("--inMemoryPersistence")
        else:
            self.location.mkdir(parents=True, exist_ok=True)
            command += ["--location", str(self.location)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while not all(self._accepts(p) for p in self.ports):
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise AzuriteError(f"Azurite exited with {self.process.returncode}: {err.strip()[:500]}")
            if time.monotonic() > deadline:
                self.stop()
                raise AzuriteError(f"Azurite did not open ports {self.ports} within {timeout}s")
            time.sleep(0.1)
        return self

    @staticmethod
    def _accepts(port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)
        self.process = None

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
