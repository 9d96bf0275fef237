"""Run an ASGI app (an emulator or the local host) with uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from sandbox.tls import TlsFiles, ensure_tls_files


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Bind a listening socket; port 0 picks a free port (no race between choosing and binding)."""
    # IPPROTO_TCP (not 0) so asyncio sets TCP_NODELAY on accepted connections: no 40 ms delayed-ACK stalls.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def free_port() -> int:
    """A port free right now, for a process that binds it itself (Azurite, a host subprocess)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server(uvicorn.Server):
    """uvicorn, minus a false ERROR on every stop of a TLS server.

    On shutdown uvicorn closes each idle keep-alive connection and waits for it to go, up to
    `timeout_graceful_shutdown`. Closing a TLS connection sends close_notify and waits for the peer's
    answer, which a client's idle pooled connection (httpx in another thread) never gives. So every stop
    waited the full timeout and logged "Cancel 0 running task(s), timeout graceful shutdown exceeded".
    An idle connection has nothing in flight: abort it at once. A connection with a request in flight
    is left to uvicorn's graceful shutdown, whose ERROR then means what it says.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.config.is_ssl:
            for connection in list(self.server_state.connections):
                cycle = getattr(connection, "cycle", None)
                transport = getattr(connection, "transport", None)
                if transport is not None and (cycle is None or cycle.response_complete):
                    transport.abort()
        await super().shutdown(sockets)


@dataclass
class RunningServer:
    """A uvicorn server running in its own thread and event loop."""

    url: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread
    tls: TlsFiles | None = None
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = False,
    name: str = "server",
    startup_timeout: float = 15.0,
) -> RunningServer:
    """Start `app` on host:port (0 = any free port) and return once it accepts connections."""
    sock = bind_socket(host, port)
    actual_port = sock.getsockname()[1]
    files = ensure_tls_files() if tls else None
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="auto",
        timeout_graceful_shutdown=1,
        ssl_certfile=str(files.cert_chain) if files else None,
        ssl_keyfile=str(files.private_key) if files else None,
    )
    server = _Server(config)
    holder: dict[str, asyncio.AbstractEventLoop] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        holder["loop"] = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.serve(sockets=[sock]))
        loop.close()

    thread = threading.Thread(target=run, name=f"sandbox-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on {host}:{actual_port}")
        time.sleep(0.01)
    scheme = "https" if tls else "http"
    shown_host = "localhost" if tls and host == "127.0.0.1" else host
    return RunningServer(
        url=f"{scheme}://{shown_host}:{actual_port}",
        port=actual_port,
        server=server,
        thread=thread,
        tls=files,
        loop=holder.get("loop"),
    )
