"""The whole stack for end-to-end tests: emulators, Azurite, the local host running function_app.

The `stack` fixture is parametrised by ERP kind (`ERP_KINDS`, sandbox/erp_kinds.py: ["bc", "fo", "gp"]), one
stack per kind per session, and each test gets the kind's marker (`-m bc`). A module whose behaviour is
one ERP's (it drives that ERP's emulator) carries that ERP's marker and runs only with that kind's stack;
the others are deselected (shown in the summary), so a new ERP joins by being added to the list.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from sandbox.azurite import Azurite
from sandbox.erp_kinds import ERP_KINDS
from sandbox.stack import Stack
from shared.flows.services import Services, reset_services, services

T = TypeVar("T")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked for one ERP runs only with that ERP's stack: drop its runs with another kind's."""
    kinds = set(ERP_KINDS) | {"bc", "fo", "gp"}
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        kind = callspec.params.get("stack") if callspec is not None else None
        marked = {mark.name for mark in item.iter_markers() if mark.name in kinds}
        (drop if kind is not None and marked - {kind} else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", params=[pytest.param(kind, marks=getattr(pytest.mark, kind)) for kind in ERP_KINDS])
def stack(request: pytest.FixtureRequest, azurite: Azurite) -> Iterator[Stack]:
    mp = pytest.MonkeyPatch()
    # A second kind's stack in this session imports function_app afresh: the azure-functions library rejects
    # indexing the same FunctionApp twice (as bench/stacks.py does).
    sys.modules.pop("function_app", None)
    # Each kind's stack has storage of its own: the store emulator numbers orders from 1 again, so a ledger
    # shared with the previous kind's stack would take its orders for ones already posted.
    own = azurite if request.param == ERP_KINDS[0] else None
    running = Stack(azurite=own, erp=request.param, extra_settings={"CLAIM_TIMEOUT_SECONDS": "20"}).start()
    for key, value in running.settings.items():
        mp.setenv(key, value)
    yield running
    running.stop()
    mp.undo()
    for key in running.settings:  # Stack.start put them in os.environ too: a later test sees none of them
        os.environ.pop(key, None)
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
