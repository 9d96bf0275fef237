"""Fixtures: a running WooEmulator, an authenticated HTTPS client, and a webhook receiver capturing raw bytes."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from sandbox.server import serve_in_thread
from sandbox.woo import DeliveryOptions, WooEmulator

CK, CS = "ck_test_0123456789abcdef", "cs_test_fedcba9876543210"


@dataclass
class Captured:
    path: str
    headers: list[tuple[str, str]]  # in the order received
    body: bytes
    at: float

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def is_ping(self) -> bool:
        return self.body.startswith(b"webhook_id=")


@dataclass
class Receiver:
    """A webhook endpoint: answers `status` (or `ping_status` for pings) and records every request."""

    url: str = ""
    status: int = 200
    ping_status: int = 200
    captured: list[Captured] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        with self.lock:
            self.captured.append(Captured(scope["path"], headers, body, time.monotonic()))
        status = self.ping_status if body.startswith(b"webhook_id=") else self.status
        await Response(b"ok", status)(scope, receive, send)

    def deliveries(self, topic: str | None = None) -> list[Captured]:
        with self.lock:
            return [
                c for c in self.captured if not c.is_ping and (topic is None or c.header("x-wc-webhook-topic") == topic)
            ]

    def pings(self) -> list[Captured]:
        with self.lock:
            return [c for c in self.captured if c.is_ping]

    def clear(self) -> None:
        with self.lock:
            self.captured.clear()


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    receiver = Receiver()
    server = serve_in_thread(receiver, name="woo-receiver")
    receiver.url = server.url + "/hooks"
    yield receiver
    server.stop()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.clear()
    receiver_server.status = 200
    receiver_server.ping_status = 200
    return receiver_server


@pytest.fixture
def emu() -> Iterator[WooEmulator]:
    emulator = WooEmulator(CK, CS, delivery=None)
    emulator.delivery.options.delay_seconds = 0.05
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def slow_emu() -> Iterator[WooEmulator]:
    """Deliveries wait 0.6 s in the queue, enough to make several changes before they run."""
    emulator = WooEmulator(CK, CS)
    emulator.delivery.options = DeliveryOptions(delay_seconds=0.6, verify=str(emulator.ca_bundle))
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def api(emu: WooEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emu.api_url, verify=ssl.create_default_context(cafile=str(emu.ca_bundle)), auth=(CK, CS), timeout=10
    ) as client:
        yield client


def seed_catalog(emu: WooEmulator) -> dict[str, int]:
    """A simple stocked product, an unmanaged one, and a variable product whose variations inherit stock."""
    ids = {
        "single": emu.add_product("Woo Single #1", "SINGLE-1", "3.00", stock_quantity=10)["id"],
        "album": emu.add_product("Woo Album #2", "ALBUM-2", "9.00")["id"],
    }
    parent = emu.add_variable_product(
        "Ship Your Idea",
        "SYI",
        [
            {"sku": "SYI-BLACK", "regular_price": "12.00", "option": "Black"},
            {"sku": "SYI-GREEN", "regular_price": "10.00", "option": "Green", "stock_quantity": 5},
        ],
        stock_quantity=20,
    )
    ids["variable"] = parent["id"]
    ids["black"], ids["green"] = parent["variations"]
    return ids


def wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
