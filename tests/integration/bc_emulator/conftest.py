"""Fixtures: one Entra + BC emulator pair per session; a fresh BC company per test for isolation."""

from __future__ import annotations

import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sandbox.bc import BcEmulator, WebhookConfig
from sandbox.entra import BC_SCOPE, EntraEmulator
from sandbox.server import RunningServer, serve_in_thread

TENANT = "contoso-test.onmicrosoft.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "s3cret~value"


@pytest.fixture(scope="session")
def entra() -> Iterator[EntraEmulator]:
    emulator = EntraEmulator(clients={CLIENT_ID: SECRET, "other-app": "other-secret"})
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def bc(entra: EntraEmulator) -> Iterator[BcEmulator]:
    emulator = BcEmulator(
        entra=entra,
        tenant=TENANT,
        webhooks=WebhookConfig(debounce_seconds=0.3, retry_delays_s=(0.2,), max_attempts=3),
    )
    emulator.start()
    yield emulator
    emulator.stop()


def tls(emulator: BcEmulator | EntraEmulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(emulator.ca_bundle))


def get_token(entra: EntraEmulator, client_id: str = CLIENT_ID, secret: str = SECRET) -> str:
    response = httpx.post(
        entra.token_url(TENANT),
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": BC_SCOPE},
        verify=tls(entra),
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
def token(entra: EntraEmulator) -> str:
    return get_token(entra)


@pytest.fixture
def company(bc: BcEmulator) -> str:
    """A new company per test: tests share the server but never each other's data."""
    return bc.add_company(f"Test {uuid.uuid4().hex[:8]}")


@pytest.fixture
def api(bc: BcEmulator, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=bc.api_url, headers={"Authorization": f"Bearer {token}"}, verify=tls(bc), timeout=20
    ) as client:
        yield client


@pytest.fixture
def capi(bc: BcEmulator, token: str, company: str) -> Iterator[httpx.Client]:
    """Client whose base URL is the company: `capi.get("/customers")`."""
    with httpx.Client(
        base_url=f"{bc.api_url}/companies({company})",
        headers={"Authorization": f"Bearer {token}"},
        verify=tls(bc),
        timeout=20,
    ) as client:
        yield client


@pytest.fixture(autouse=True)
def _reset_faults(bc: BcEmulator) -> Iterator[None]:
    yield
    bc.reset_faults()


@dataclass
class Receiver:
    """A webhook subscriber: answers the validation handshake and records notifications."""

    server: RunningServer | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer, in order
    handshake_ok: dict[str, bool] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str | None = None) -> str:
        assert self.server
        return f"{self.server.url}/hook/{path or uuid.uuid4().hex}"

    def posts(self, url: str) -> list[dict[str, Any]]:
        path = httpx.URL(url).path
        with self.lock:
            return [r["body"] for r in self.received if r["path"] == path]

    async def endpoint(self, request: Request) -> Response:
        path = request.url.path
        token = request.query_params.get("validationToken")
        if token is not None:
            ok = self.handshake_ok.get(path, True)
            return PlainTextResponse(token if ok else "nope", status_code=200)
        body = await request.json()
        with self.lock:
            self.received.append({"path": path, "body": body, "headers": dict(request.headers)})
            queue = self.statuses.get(path, [])
            status = queue.pop(0) if queue else 202
        return Response(status_code=status)


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    app = Starlette(routes=[Route("/hook/{name}", rec.endpoint, methods=["POST"])])
    rec.server = serve_in_thread(app, name="receiver")
    yield rec
    rec.server.stop()
