"""A GP connection's mapping: the file ``ERPS__<connection>__MAPPING_FILE`` names, or the packaged default
(``default_mapping.yaml``), checked against what the connection writes (its document type, over its transport:
:func:`~shared.erp.gp.schema.gp_target_schema`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from shared.config import GpConnection
from shared.erp.gp.mapping import GpMapping
from shared.erp.gp.schema import gp_target_schema
from shared.mapping.files import checked_mapping
from shared.mapping.spec import MappingSpec, load_mapping

__all__ = ["DEFAULT_MAPPING_FILE", "connection_mapping", "default_mapping", "gp_mapping"]

DEFAULT_MAPPING_FILE = Path(__file__).with_name("default_mapping.yaml")
"""The mapping a GP connection uses when it names none: today's behaviour (README "Mapping your own fields")."""


@cache
def default_mapping() -> MappingSpec:
    """The packaged default mapping, read once."""
    return load_mapping(DEFAULT_MAPPING_FILE)


def connection_mapping(connection: GpConnection, file: str | None = None) -> MappingSpec:
    """The connection's checked mapping (``file`` instead of its setting, for ``connector mapping check``).

    Raises :class:`~shared.mapping.spec.MappingError` naming each problem's line."""
    return checked_mapping(
        connection.mapping_file, file, default_mapping, gp_target_schema(connection.document_type, connection.transport)
    )


def gp_mapping(connection: GpConnection) -> GpMapping:
    """What the adapter applies: the checked mapping with the schema it fits."""
    return GpMapping(connection_mapping(connection), gp_target_schema(connection.document_type, connection.transport))
