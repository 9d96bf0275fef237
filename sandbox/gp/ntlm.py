"""Windows authentication in front of the GP emulator: NTLM / Negotiate through pyspnego's acceptor.

IIS in front of GP Web Services and SBA challenges with ``401`` + ``WWW-Authenticate: Negotiate`` and
``WWW-Authenticate: NTLM``; the client answers a type-1 token, the server a type-2 challenge, the client a
type-3 response, all on one TCP connection (MS-NTLMHTTP; facts: dynamics-gp.md §1.2). The acceptor is
``spnego.server(protocol="negotiate")``, which validates against the flat user file named by the env var
``NTLM_USER_FILE`` (lines ``DOMAIN:USER:PASSWORD``), so no domain controller is needed. The gate points the
variable at its own file only while pyspnego reads it.

Like IIS (NTLM authentication persists for the connection), an authenticated connection stays
authenticated until it closes. ASGI does not tell the app when a connection closes, so connections are
keyed by the client's address and port and forgotten after ``idle_seconds`` without a request (longer
than that, uvicorn has closed the keep-alive connection already).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spnego
import spnego.exceptions

from sandbox.faults import ASGIApp, Receive, Scope, Send

SCHEMES = ("NTLM", "Negotiate")
USER_FILE_ENV = "NTLM_USER_FILE"
# pyspnego reads the user file's path from the environment when the acceptor is made and when it checks
# the type-3 answer; emulators in one process each have their own file, so those steps take turns.
_ENV_LOCK = threading.Lock()
DEFAULT_IDLE_SECONDS = 4.0  # uvicorn closes idle keep-alive connections after 5 s


def write_user_file(path: Path, users: dict[str, str], domain: str) -> Path:
    """Write the acceptor's user file (Heimdal format ``DOMAIN:USER:PASSWORD``)."""
    path.write_text("".join(f"{domain}:{user}:{password}\n" for user, password in users.items()), encoding="utf-8")
    return path


@dataclass
class _Connection:
    context: Any = None  # the spnego acceptor while a handshake is in flight
    user: str | None = None  # DOMAIN\\user once authenticated
    last_seen: float = field(default_factory=time.monotonic)


class NtlmGate:
    """ASGI middleware: answers 401 with the NTLM/Negotiate challenge until the connection has authenticated.

    ``scope["state"]["gp_user"]`` carries the authenticated ``DOMAIN\\user`` to the app. ``exempt_paths``
    (the sandbox control API) pass without authentication.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        user_file: Path,
        exempt_paths: tuple[str, ...] = ("/_sandbox",),
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
    ) -> None:
        self.app = app
        self.user_file = user_file
        self.exempt_paths = exempt_paths
        self.idle_seconds = idle_seconds
        self.always_unauthorized = False  # the account lost its rights: every handshake ends in 401
        self._connections: dict[tuple[str, int], _Connection] = {}
        self._lock = threading.Lock()
        self.counters = {"challenges": 0, "negotiations": 0, "handshakes": 0, "rejected": 0}

    def forget_sessions(self) -> None:
        """Every connection must authenticate again (the credentials' session is gone)."""
        with self._lock:
            self._connections.clear()

    def _connection(self, scope: Scope) -> _Connection:
        client = scope.get("client") or ("?", 0)
        key = (str(client[0]), int(client[1]))
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, c in self._connections.items() if now - c.last_seen > self.idle_seconds]:
                del self._connections[stale]
            conn = self._connections.setdefault(key, _Connection())
            conn.last_seen = now
            return conn

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_paths):
            await self.app(scope, receive, send)
            return
        conn = self._connection(scope)
        if self.always_unauthorized:
            # The account lost its rights (or its password changed): IIS cannot know that before the type-3
            # answer, so it still challenges and sends the type-2 challenge, and refuses the type-3 (§1.2).
            conn.user = None
        header = _header(scope, b"authorization")
        if conn.user is not None and not header:
            await self._serve(conn.user, scope, receive, send)
            return
        scheme, _, token_b64 = header.partition(" ")
        if scheme not in SCHEMES or not token_b64.strip():
            conn.context, conn.user = None, None
            self.counters["challenges"] += 1
            await _unauthorized(send)
            return
        try:
            token = base64.b64decode(token_b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            await self._reject(conn, send)
            return
        if token[:8] != b"NTLMSSP\x00":
            # A Kerberos/SPNEGO blob: the emulator only speaks raw NTLM under either scheme name.
            await self._reject(conn, send)
            return
        message_type = int.from_bytes(token[8:12], "little") if len(token) >= 12 else 0
        if message_type == 1:
            conn.user = None
            self.counters["negotiations"] += 1
            try:
                with self._user_file_env():
                    conn.context = spnego.server(protocol="negotiate")
                    challenge = conn.context.step(token)
            except spnego.exceptions.SpnegoError:
                await self._reject(conn, send)
                return
            value = f"{scheme} {base64.b64encode(challenge or b'').decode()}"
            await _respond(send, 401, [(b"www-authenticate", value.encode())], b"")
            return
        if message_type == 3 and conn.context is not None:
            if self.always_unauthorized:
                await self._reject(conn, send)
                return
            try:
                with self._user_file_env():
                    conn.context.step(token)
            except spnego.exceptions.SpnegoError:
                await self._reject(conn, send)
                return
            if not conn.context.complete:
                await self._reject(conn, send)
                return
            conn.user = str(conn.context.client_principal)
            conn.context = None
            self.counters["handshakes"] += 1
            await self._serve(conn.user, scope, receive, send)
            return
        await self._reject(conn, send)

    @contextlib.contextmanager
    def _user_file_env(self) -> Iterator[None]:
        with _ENV_LOCK:
            before = os.environ.get(USER_FILE_ENV)
            os.environ[USER_FILE_ENV] = str(self.user_file)
            try:
                yield
            finally:
                if before is None:
                    os.environ.pop(USER_FILE_ENV, None)
                else:
                    os.environ[USER_FILE_ENV] = before

    async def _reject(self, conn: _Connection, send: Send) -> None:
        conn.context, conn.user = None, None
        self.counters["rejected"] += 1
        await _unauthorized(send)

    async def _serve(self, user: str, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})["gp_user"] = user
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


async def _unauthorized(send: Send) -> None:
    body = b"401 - Unauthorized: Access is denied due to invalid credentials."
    headers = [(b"www-authenticate", b"Negotiate"), (b"www-authenticate", b"NTLM"), (b"content-type", b"text/html")]
    await _respond(send, 401, headers, body)


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
