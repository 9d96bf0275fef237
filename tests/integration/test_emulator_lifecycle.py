"""The lifecycle and fault base every emulator shares (sandbox/lifecycle.py), on a made-up emulator."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

from sandbox.faults import FaultConfig
from sandbox.lifecycle import Emulator

pytestmark = pytest.mark.integration


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


class Toy(Emulator):
    name = "toy"

    def __init__(self) -> None:
        self.events: list[str] = []
        self.serve_with_faults(hello, error_body=lambda status: (b'{"toy":"fault"}', "application/json"))

    def on_start(self) -> None:
        self.events.append(f"started {self.base_url}")

    def on_stop(self) -> None:
        self.events.append("stopping")


def test_an_emulator_serves_tls_injects_faults_and_stops() -> None:
    toy = Toy()
    with pytest.raises(RuntimeError, match="Toy is not started"):
        toy.base_url  # noqa: B018
    with toy:
        assert toy.base_url.startswith("https://localhost:") and toy.events == [f"started {toy.base_url}"]
        with httpx.Client(verify=ssl.create_default_context(cafile=str(toy.ca_bundle)), timeout=10) as client:
            assert client.get(f"{toy.base_url}/x").text == "hello"
            toy.faults.config = FaultConfig(outage=True, retry_after_seconds=3)
            down = client.get(f"{toy.base_url}/x")
            assert (down.status_code, down.headers["retry-after"], down.json()) == (503, "3", {"toy": "fault"})
            toy.reset_faults()
            assert client.get(f"{toy.base_url}/x").status_code == 200
            assert toy.faults.counters["outage"] == 1
    assert toy.server is None and toy.events[-1] == "stopping"
