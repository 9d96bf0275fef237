"""An F&O connection's mapping: the file ``ERPS__<connection>__MAPPING_FILE`` names, or the packaged default
(``default_mapping.yaml``), checked against F&O's writable fields (:func:`~shared.erp.fo.schema.fo_target_schema`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from shared.config import FoConnection
from shared.erp.fo.schema import fo_target_schema
from shared.mapping.files import checked_mapping
from shared.mapping.spec import MappingSpec, load_mapping

__all__ = ["DEFAULT_MAPPING_FILE", "connection_mapping", "default_mapping"]

DEFAULT_MAPPING_FILE = Path(__file__).with_name("default_mapping.yaml")
"""The mapping an F&O connection uses when it names none: today's behaviour (README "Mapping your own fields")."""


@cache
def default_mapping() -> MappingSpec:
    """The packaged default mapping, read once."""
    return load_mapping(DEFAULT_MAPPING_FILE)


def connection_mapping(connection: FoConnection, file: str | None = None) -> MappingSpec:
    """The connection's checked mapping (``file`` instead of its setting, for ``connector mapping check``).

    Raises :class:`~shared.mapping.spec.MappingError` naming each problem's line."""
    return checked_mapping(connection.mapping_file, file, default_mapping, fo_target_schema())
