"""The lifecycle every emulator shares: its ASGI app behind the fault injector, served over TLS in a
background thread (start/stop, a context manager), its URL and the CA bundle clients trust."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from sandbox.faults import ASGIApp, ErrorBody, FaultConfig, FaultInjector, Scope, default_error_body
from sandbox.server import RunningServer, serve_in_thread
from sandbox.tls import ensure_tls_files


class Emulator:
    """Base of the emulators. A subclass builds its app, then calls `serve_with_faults(app, ...)`;
    `on_start`/`on_stop` start and stop its background workers (webhook delivery) with the server."""

    name = "emulator"
    faults: FaultInjector
    server: RunningServer | None = None

    def serve_with_faults(
        self,
        app: ASGIApp,
        config: FaultConfig | None = None,
        *,
        user_of: Callable[[Scope], str] | None = None,
        error_body: ErrorBody = default_error_body,
    ) -> None:
        self.faults = FaultInjector(app, config or FaultConfig(), user_of=user_of, error_body=error_body)
        self.server = None

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1", *, tls: bool = True) -> RunningServer:
        self.server = serve_in_thread(self.faults, host=host, port=port, tls=tls, name=self.name)
        self.on_start()
        return self.server

    def stop(self) -> None:
        self.on_stop()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def on_start(self) -> None:
        """Called once the server accepts connections."""

    def on_stop(self) -> None:
        """Called before the server stops."""

    def __enter__(self) -> Self:
        if self.server is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Scheme, host and port the emulator serves on (no trailing slash)."""
        if not self.server:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self.server.url

    @property
    def ca_bundle(self) -> Path:
        """The sandbox CA that signed the emulators' TLS certificates."""
        return ensure_tls_files().ca_bundle

    # ---- faults ---------------------------------------------------------------------------------
    def reset_faults(self) -> None:
        """No faults, no throttling; forget per-user throttle windows."""
        self.faults.reset()


def run_until_stopped(announcement: str | dict[str, Any], *running: Emulator) -> None:
    """The `python -m sandbox.<emulator>` loop: print how to reach it (a line, or JSON of the connection
    details), wait for Ctrl-C or SIGTERM, then stop the emulators in the order given."""
    import json
    import signal
    import threading

    text = announcement if isinstance(announcement, str) else json.dumps(announcement, indent=2)
    print(text, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    for emulator in running:
        emulator.stop()
