"""Fixtures shared by every test: Azurite (started once per session) and storage settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.azurite import Azurite

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"  # the team handbook beside the repo (CI has it too)


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with Azurite() as running:
        yield running


@pytest.fixture
def storage_env(azurite: Azurite, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point AzureWebJobsStorage at the session's Azurite for this test."""
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    return azurite.connection_string


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # local.settings.json on a developer's machine must not leak into tests.
    for key in list(os.environ):
        if key.startswith(("WOO_STORES__", "BC_", "ERPS__")):
            monkeypatch.delenv(key)
