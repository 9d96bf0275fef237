"""Where a connection's mapping file is: its setting's path, relative to the function app's root."""

from __future__ import annotations

from pathlib import Path

__all__ = ["APP_ROOT", "mapping_path"]

APP_ROOT = Path(__file__).resolve().parents[2]
"""The function app's root (where ``function_app.py`` is): relative mapping paths start here."""


def mapping_path(setting: str) -> Path:
    path = Path(setting).expanduser()
    return path if path.is_absolute() else APP_ROOT / path
