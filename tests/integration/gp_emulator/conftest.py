"""Fixtures: one GP emulator per session; a fresh GP company per test for isolation."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from zeep import Client
from zeep.transports import Transport

from sandbox.gp import GpEmulator
from sandbox.gp.store import Company
from sandbox.gp.wsdl import SERVICE_PATH

from .ntlm_auth import HttpxNtlmAuth, RequestsNtlmAuth

USER = "GPDOM\\gpuser"
PASSWORD = "Password01"
TIMEOUT_SECONDS = 20.0
DYN_NS = "http://schemas.microsoft.com/dynamics/2006/01"


@pytest.fixture(scope="session")
def gp() -> Iterator[GpEmulator]:
    emulator = GpEmulator(users={"gpuser": PASSWORD})
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def _no_faults(gp: GpEmulator) -> Iterator[None]:
    yield
    gp.reset_faults()
    gp.gate.always_unauthorized = False


def tls(gp: GpEmulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(gp.ca_bundle))


def service_url(gp: GpEmulator) -> str:
    return gp.base_url + SERVICE_PATH


def ntlm_client(gp: GpEmulator, user: str = USER, password: str = PASSWORD) -> httpx.Client:
    return httpx.Client(verify=tls(gp), auth=HttpxNtlmAuth(user, password), timeout=TIMEOUT_SECONDS)


@pytest.fixture(scope="session")
def soap(gp: GpEmulator) -> Iterator[Client]:
    """A zeep client that reads the WSDL from the emulator (through NTLM), as the adapter will."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override the sandbox CA
    session.verify = str(gp.ca_bundle)
    session.auth = RequestsNtlmAuth(USER, PASSWORD)
    client = Client(
        service_url(gp) + "?wsdl",
        transport=Transport(session=session, timeout=TIMEOUT_SECONDS, operation_timeout=TIMEOUT_SECONDS),
    )
    yield client
    session.close()


@pytest.fixture
def company(gp: GpEmulator) -> Company:
    return gp.add_company(f"Test {uuid.uuid4().hex[:8]}")


def context(soap: Client, company: Company) -> dict[str, Any]:
    company_key = soap.get_type(f"{{{DYN_NS}}}CompanyKey")
    return {"OrganizationKey": company_key(Id=company.id), "CurrencyType": "Transactional"}
