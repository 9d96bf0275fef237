"""Fault injection shared by every emulator: latency, error rates, timeouts, resets, throttling.

Wrap an emulator's ASGI app in `FaultInjector`; tests (or the control API) change `injector.config`
at run time. Counters record every fault injected so a test or benchmark can report them.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Throttle:
    """Service-protection limits per user (BC online: 6,000 requests / 5 min, 5 concurrent, 95 queued)."""

    requests_per_window: int = 6000
    window_seconds: float = 300.0
    concurrent: int = 5
    queued: int = 95
    retry_after_seconds: int | None = None  # BC documents Retry-After only for 502/503


@dataclass
class FaultConfig:
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    retry_after_seconds: int | None = 1
    timeout_rate: float = 0.0
    timeout_hang_seconds: float = 30.0
    reset_rate: float = 0.0
    outage: bool = False  # every request answers 503 until switched off
    throttle: Throttle | None = None
    exempt_paths: tuple[str, ...] = ("/_sandbox",)
    seed: int | None = None


ErrorBody = Callable[[int], tuple[bytes, str]]


def default_error_body(status: int) -> tuple[bytes, str]:
    return (b'{"error":{"code":"Unknown","message":"Injected fault."}}', "application/json")


@dataclass
class _UserState:
    hits: deque[float] = field(default_factory=deque)
    active: int = 0
    waiting: int = 0
    slot: asyncio.Condition | None = None


class FaultInjector:
    """ASGI middleware that injects faults before the wrapped app sees a request."""

    def __init__(
        self,
        app: ASGIApp,
        config: FaultConfig | None = None,
        *,
        user_of: Callable[[Scope], str] | None = None,
        error_body: ErrorBody = default_error_body,
    ) -> None:
        self.app = app
        self.config = config or FaultConfig()
        self.user_of = user_of or (lambda scope: "anonymous")
        self.error_body = error_body
        self.counters: Counter[str] = Counter()
        self._rng = random.Random(self.config.seed)
        self._users: dict[str, _UserState] = {}
        self._lock = threading.Lock()

    def reset_counters(self) -> None:
        with self._lock:
            self.counters.clear()

    def reset(self) -> None:
        """No faults and no throttling from now on; per-user throttle windows forgotten."""
        self.config = FaultConfig()
        self._users.clear()

    def _count(self, key: str) -> None:
        with self._lock:
            self.counters[key] += 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.config.exempt_paths):
            await self.app(scope, receive, send)
            return
        cfg = self.config
        self._count("requests")
        if cfg.latency_ms or cfg.latency_jitter_ms:
            await asyncio.sleep((cfg.latency_ms + self._rng.uniform(0, cfg.latency_jitter_ms)) / 1000)
        if cfg.outage:
            self._count("outage")
            await self._error(send, 503, cfg.retry_after_seconds)
            return
        roll = self._rng.random()
        if roll < cfg.reset_rate:
            self._count("reset")
            await self._reset(send)
            return
        roll -= cfg.reset_rate
        if roll < cfg.timeout_rate:
            self._count("timeout")
            await asyncio.sleep(cfg.timeout_hang_seconds)
            await self._reset(send)
            return
        roll -= cfg.timeout_rate
        if roll < cfg.error_rate:
            status = self._rng.choice(cfg.error_statuses)
            self._count(f"status_{status}")
            await self._error(send, status, cfg.retry_after_seconds)
            return
        if cfg.throttle is None:
            await self.app(scope, receive, send)
            return
        await self._throttled(cfg.throttle, scope, receive, send)

    async def _throttled(self, limits: Throttle, scope: Scope, receive: Receive, send: Send) -> None:
        user = self._users.setdefault(self.user_of(scope), _UserState())
        now = time.monotonic()
        while user.hits and now - user.hits[0] > limits.window_seconds:
            user.hits.popleft()
        if len(user.hits) >= limits.requests_per_window:
            self._count("throttled_rate")
            await self._error(send, 429, limits.retry_after_seconds)
            return
        user.hits.append(now)
        if user.slot is None:
            user.slot = asyncio.Condition()
        if user.active >= limits.concurrent and user.waiting >= limits.queued:
            self._count("throttled_concurrency")
            await self._error(send, 429, limits.retry_after_seconds)
            return
        async with user.slot:
            user.waiting += 1
            await user.slot.wait_for(lambda: user.active < limits.concurrent)
            user.waiting -= 1
            user.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            async with user.slot:
                user.active -= 1
                user.slot.notify()

    async def _error(self, send: Send, status: int, retry_after: int | None) -> None:
        body, content_type = self.error_body(status)
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        if retry_after is not None and status in (429, 502, 503):
            headers.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _reset(self, send: Send) -> None:
        """Announce a body, send part of it, then fail: the client sees a broken connection."""
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
        raise ConnectionResetError("injected connection reset")
