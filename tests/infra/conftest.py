"""The `infra` fixture: all Bicep files of infra/ parsed once per session (see bicep_model.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from bicep_model import Infra


@pytest.fixture(scope="session")
def infra() -> Infra:
    return Infra()
