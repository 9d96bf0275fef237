"""A BC connection's mapping: the file ``BC_MAPPING_FILE`` (``ERPS__<connection>__MAPPING_FILE``) names, or
the packaged default, checked against BC's writable fields for the connection's document kind."""

from __future__ import annotations

from shared.config import BcConnection
from shared.erp.bc.mapping import default_mapping
from shared.erp.bc.schema import bc_target_schema
from shared.mapping.files import APP_ROOT, checked_mapping, mapping_path
from shared.mapping.spec import MappingSpec

__all__ = ["APP_ROOT", "connection_mapping", "mapping_path"]


def connection_mapping(connection: BcConnection, file: str | None = None) -> MappingSpec:
    """The connection's checked mapping (``file`` instead of its setting, for ``connector mapping check``).

    Raises :class:`~shared.mapping.spec.MappingError` naming each problem's line."""
    return checked_mapping(connection.mapping_file, file, default_mapping, bc_target_schema(connection.document_kind))
