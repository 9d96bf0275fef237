"""Fixtures: one Entra + F&O emulator pair per session; a fresh legal entity per test for isolation."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.entra import EntraEmulator
from sandbox.fo import FoEmulator
from sandbox.fo.events import EventConfig

TENANT = "contoso-test.onmicrosoft.com"
CLIENT_ID = "22222222-3333-4444-5555-666666666666"
SECRET = "fo~s3cret"
REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "finance-operations"


@pytest.fixture(scope="session")
def entra() -> Iterator[EntraEmulator]:
    emulator = EntraEmulator(clients={CLIENT_ID: SECRET})
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def fo(entra: EntraEmulator) -> Iterator[FoEmulator]:
    emulator = FoEmulator(entra=entra, max_page_size=10_000, events=EventConfig(retry_delay_s=0.05))
    emulator.start()
    yield emulator
    emulator.stop()


def tls(emulator: FoEmulator | EntraEmulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(emulator.ca_bundle))


def get_token(entra: EntraEmulator, scope: str) -> str:
    response = httpx.post(
        entra.token_url(TENANT),
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET, "scope": scope},
        verify=tls(entra),
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
def token(entra: EntraEmulator, fo: FoEmulator) -> str:
    return get_token(entra, fo.scope)


class ClientCredentials(httpx.Auth):
    """Bearer token for the F&O scope, re-acquired once on 401 (tests expire every token now and then)."""

    def __init__(self, entra: EntraEmulator, scope: str) -> None:
        self.entra, self.scope = entra, scope
        self.token = get_token(entra, scope)

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.token = get_token(self.entra, self.scope)
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request


@pytest.fixture(scope="session")
def client(fo: FoEmulator, entra: EntraEmulator) -> Iterator[httpx.Client]:
    """An authenticated client on `/data/` of the default company (usmf)."""
    auth = ClientCredentials(entra, fo.scope)
    with httpx.Client(base_url=fo.data_url + "/", auth=auth, verify=tls(fo), timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def control(fo: FoEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fo.base_url + "/_sandbox/", verify=tls(fo), timeout=30) as c:
        yield c


@pytest.fixture
def company(control: httpx.Client) -> str:
    """A fresh legal entity (reached with cross-company=true) for tests that write."""
    response = control.post("companies", json={})
    response.raise_for_status()
    return str(response.json()["dataAreaId"])


def reference(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        pytest.fail(f"saved sample {path} is missing: keep the handbook (shared/) beside the repo")
    return path


@pytest.fixture(autouse=True)
def _reset_faults(fo: FoEmulator) -> Iterator[None]:
    yield
    fo.reset_faults()
