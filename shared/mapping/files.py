"""Which mapping a connection uses: the file its setting names (relative to the function app's root), or its
ERP kind's packaged default, checked against that ERP's target schema before anything uses it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shared.mapping.check import checked
from shared.mapping.schema import TargetSchema
from shared.mapping.spec import MappingSpec, load_mapping

__all__ = ["APP_ROOT", "checked_mapping", "mapping_path"]

APP_ROOT = Path(__file__).resolve().parents[2]
"""The function app's root (where ``function_app.py`` is): relative mapping paths start here."""


def mapping_path(setting: str) -> Path:
    path = Path(setting).expanduser()
    return path if path.is_absolute() else APP_ROOT / path


def checked_mapping(
    setting: str, file: str | None, default: Callable[[], MappingSpec], schema: TargetSchema
) -> MappingSpec:
    """The mapping ``file`` (else the connection's ``setting``; else its kind's ``default``) held to ``schema``.

    Raises :class:`~shared.mapping.spec.MappingError` naming each problem's line."""
    chosen = setting if file is None else file
    return checked(load_mapping(mapping_path(chosen)) if chosen else default(), schema)
