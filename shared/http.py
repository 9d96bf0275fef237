"""The one way the connector calls outside systems: timeouts, classified errors, backoff, token refresh.

Rules (ARCHITECTURE invariant 7):
- every call has a timeout;
- 429 / 503 and connection failures before the request was sent are retried with backoff, honouring
  Retry-After; so are 408 / 500 / 502 / 504 and timeouts, except for non-idempotent requests (POST),
  where the server may have acted: those raise `TransientHttpError(ambiguous=True)` so the caller can
  look up what happened before trying again;
- a Retry-After longer than the in-call budget is not slept through: the error goes up with
  `retry_after`, and the queue flow re-schedules the message instead of blocking a worker;
- 401 re-acquires the token once;
- other 4xx are permanent.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import certifi
import httpx

log = logging.getLogger("connector.http")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Statuses that say the server did not act on the request, so even a POST may be sent again.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class HttpError(Exception):
    """An outside call failed. `status` is None when no response arrived."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class TransientHttpError(HttpError):
    """Worth trying again later. `ambiguous`: the server may have acted on the request."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message, status=status, body=body)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class PermanentHttpError(HttpError):
    """Trying again will not help (validation errors, not found, forbidden...)."""


class TokenSource(Protocol):
    def token(self, *, refresh: bool = False) -> str: ...


class CallLimiter(Protocol):
    """Holds one of a limited number of slots while a request is in flight (shared/storage/erp_slots.py)."""

    def slot(self) -> AbstractContextManager[None]: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    # The longest Retry-After we sleep through inside one call; longer waits go back to the caller.
    max_inline_wait: float = 10.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter (attempt counts from 1)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Retry-After as seconds, from delta-seconds or an HTTP date."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


# ------------------------------------------------------------------ trust: extra CA bundles

PEM_MARKER = "-----BEGIN CERTIFICATE-----"


def _pem_of(bundle: str) -> str:
    """A bundle setting's certificates: the PEM text itself, or the file it names."""
    if PEM_MARKER in bundle:
        return bundle.replace("\\n", "\n")  # an app setting may carry the line breaks escaped
    try:
        with open(bundle, encoding="ascii") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"CA bundle {bundle!r} cannot be read ({type(exc).__name__})") from None
    if PEM_MARKER not in text:
        raise ValueError(f"CA bundle {bundle!r} holds no PEM certificate")
    return text


def ca_bundle_problem(bundle: str) -> str | None:
    """Why a CA bundle setting cannot be used (None: it can, or it is empty); checked at start-up."""
    if not bundle:
        return None
    try:
        _pem_of(bundle)
        ssl.create_default_context().load_verify_locations(cadata=_pem_of(bundle))
    except (ValueError, ssl.SSLError) as exc:
        return str(exc) if isinstance(exc, ValueError) else f"not a valid PEM certificate ({exc.reason})"
    return None


def _bundles(verify: str | Sequence[str]) -> list[str]:
    return [verify] if isinstance(verify, str) else list(verify)


def tls_context(ca_bundles: Sequence[str]) -> ssl.SSLContext | bool:
    """What to verify servers with: True (the default trust) without extra bundles; otherwise the
    system trust store and certifi's (httpx's default) **plus** the extra CAs, so a store or ERP behind a
    corporate CA is trusted and every public one still is."""
    extra = [bundle for bundle in ca_bundles if bundle]
    if not extra:
        return True
    context = ssl.create_default_context()  # the system trust store
    context.load_verify_locations(cafile=certifi.where())
    for bundle in extra:
        context.load_verify_locations(cadata=_pem_of(bundle))
    return context


def tls_bundle_file(ca_bundles: Sequence[str]) -> str | bool:
    """The same trust as one PEM file, for libraries that take only a path (azure-identity's requests
    transport replaces its trust with the file given, so the file carries the system and certifi CAs too)."""
    extra = [bundle for bundle in ca_bundles if bundle]
    if not extra:
        return True
    parts = []
    system = ssl.get_default_verify_paths().cafile
    if system and os.path.isfile(system):
        with open(system, encoding="ascii", errors="ignore") as handle:
            parts.append(handle.read())
    with open(certifi.where(), encoding="ascii") as handle:
        parts.append(handle.read())
    parts += [_pem_of(bundle) for bundle in extra]
    text = "\n".join(part.strip() for part in parts) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"connector-ca-{digest}.pem")
    if not os.path.exists(path):
        fd, partial = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".pem")
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
        os.replace(partial, path)
    return path


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


class ApiClient:
    """An httpx client for one outside system, with the connector's call rules."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        auth: httpx.Auth | None = None,
        tokens: TokenSource | None = None,
        verify: str | bool | Sequence[str] | ssl.SSLContext = True,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        connection_per_thread: bool = False,
    ) -> None:
        """``connection_per_thread``: each thread gets a client (and connection pool) of its own, for
        connection-oriented authentication (NTLM): a handshake's legs must travel on one connection, and a
        pool shared by threads can hand the connection the challenge came on to another thread between them."""
        self.name = name
        self.policy = policy or RetryPolicy()
        self.tokens = tokens
        self.sleep = sleep
        self.calls = 0
        # Holds a slot around each request when set: the cross-instance ERP limit (shared/storage/erp_slots.py).
        self.limiter: CallLimiter | None = None
        self._client_options: dict[str, Any] = {
            "base_url": base_url.rstrip("/") + "/",
            "timeout": httpx.Timeout(timeout, connect=min(10.0, timeout)),
            "auth": auth,
            # Extra CA bundles (a path, PEM text, or several) are added to the default trust as a context.
            "verify": verify if isinstance(verify, bool | ssl.SSLContext) else tls_context(_bundles(verify)),
            "headers": dict(headers or {}),
        }
        self._thread = threading.local()
        self._clients: list[httpx.Client] = []
        self._clients_lock = threading.Lock()
        self._shared: httpx.Client | None = None if connection_per_thread else httpx.Client(**self._client_options)

    @property
    def client(self) -> httpx.Client:
        if self._shared is not None:
            return self._shared
        client: httpx.Client | None = getattr(self._thread, "client", None)
        if client is None:
            client = httpx.Client(**self._client_options)
            self._thread.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    @client.setter
    def client(self, client: httpx.Client) -> None:
        self._shared = client

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        content: bytes | None = None,
        is_answer: Callable[[httpx.Response], bool] | None = None,
    ) -> httpx.Response:
        """Send a request; return a 2xx response or raise a classified HttpError.

        ``idempotent`` overrides the method's default, e.g. for a POST that only reads (an OData `$batch` of GETs).
        ``content`` is a raw body (instead of ``json``); ``is_answer`` says which error responses are the
        server's answer to hand back as they are (a SOAP fault travels as HTTP 500).
        """
        method = method.upper()
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, path, params, json, headers, refresh=False, content=content)
            except httpx.ConnectError as exc:
                # Nothing reached the server: safe to send again, whatever the method.
                self._wait_or_raise(attempt, None, f"{self.name}: cannot connect ({type(exc).__name__})")
                continue
            except httpx.TransportError as exc:
                message = f"{self.name}: {method} {path} failed ({type(exc).__name__})"
                if not repeatable:
                    raise TransientHttpError(message, ambiguous=True) from exc
                self._wait_or_raise(attempt, None, message)
                continue
            status = response.status_code
            if status < 400 or (is_answer is not None and is_answer(response)):
                return response
            if status == 401 and self.tokens is not None and not refreshed:
                refreshed = True
                self.tokens.token(refresh=True)
                attempt -= 1
                continue
            message = f"{self.name}: {method} {path} answered {status}"
            if status not in RETRYABLE_STATUSES:
                raise PermanentHttpError(message, status=status, body=_body(response))
            wait = retry_after_seconds(response.headers)
            if not repeatable and status not in NOT_PROCESSED_STATUSES:
                raise TransientHttpError(message, status=status, body=_body(response), retry_after=wait, ambiguous=True)
            self._wait_or_raise(attempt, wait, message, status=status, body=_body(response))

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        *,
        refresh: bool,
        content: bytes | None = None,
    ) -> httpx.Response:
        merged = dict(headers or {})
        if self.tokens is not None:
            merged["Authorization"] = f"Bearer {self.tokens.token(refresh=refresh)}"
        self.calls += 1
        with self.limiter.slot() if self.limiter is not None else nullcontext():
            return self.client.request(method, path, params=params, json=json, content=content, headers=merged)

    def _wait_or_raise(
        self, attempt: int, retry_after: float | None, message: str, *, status: int | None = None, body: Any = None
    ) -> None:
        too_long = retry_after is not None and retry_after > self.policy.max_inline_wait
        if attempt >= self.policy.max_attempts or too_long:
            raise TransientHttpError(message, status=status, body=body, retry_after=retry_after)
        delay = retry_after if retry_after is not None else self.policy.backoff(attempt)
        log.info("%s; retrying in %.2fs (attempt %d of %d)", message, delay, attempt, self.policy.max_attempts)
        self.sleep(delay)
