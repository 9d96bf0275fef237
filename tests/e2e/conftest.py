"""The whole stack for end-to-end tests: emulators, Azurite, the local host running function_app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from sandbox.azurite import Azurite
from sandbox.stack import Stack
from shared.flows.services import Services, reset_services, services

T = TypeVar("T")


@pytest.fixture(scope="session")
def stack(azurite: Azurite) -> Iterator[Stack]:
    mp = pytest.MonkeyPatch()
    running = Stack(azurite=azurite, extra_settings={"CLAIM_TIMEOUT_SECONDS": "20"}).start()
    for key, value in running.settings.items():
        mp.setenv(key, value)
    yield running
    running.stop()
    mp.undo()
    reset_services()


@pytest.fixture
def app(stack: Stack) -> Services:
    """The connector's own services (ledger, audit...) as the host process sees them."""
    return services()


def wait_for(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {getattr(predicate, '__name__', 'condition')}"
            )
        time.sleep(interval)


def bc_documents_for(stack: Stack, order: dict[str, Any]) -> list[dict[str, Any]]:
    return stack.bc.find("salesOrders", "externalDocumentNumber", order["number"])
