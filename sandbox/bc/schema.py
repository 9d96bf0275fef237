"""Entity types and enums from the real BC API v2.0 `$metadata`, plus the custom tracking page's type.
The emulator emits, accepts and filters only properties defined here. This is the one reading of
BC's `$metadata` (the emulator and the tests use it); the CSDL parsing itself is the shared engine's
(sandbox/odata/schema.py).

The `$metadata` document is read from the team handbook beside the repo (`../shared/reference/`), or
from the file named by `SANDBOX_BC_METADATA`; it is not copied into the repo."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from sandbox.odata.schema import (
    WRITE_RESTRICTIONS,
    EntityType,
    Prop,
    Schema,
    decode_enum,
    encode_enum,
    parse_csdl,
)

__all__ = [
    "METADATA_PATH",
    "NAMESPACE",
    "WRITE_RESTRICTIONS",
    "EntityType",
    "Prop",
    "Schema",
    "decode_enum",
    "encode_enum",
    "load_schema",
    "read_metadata",
]

METADATA_PATH = Path(
    os.environ.get(
        "SANDBOX_BC_METADATA",
        Path(__file__).resolve().parents[3] / "shared" / "reference" / "business-central" / "bc-api-v2.0-metadata.xml",
    )
)
NAMESPACE = "Microsoft.NAV"


def _custom_types() -> dict[str, EntityType]:
    tracking = EntityType("shipmentTracking", namespace=NAMESPACE)
    for name, typ, length in [
        ("id", "Edm.Guid", None),
        ("shipmentId", "Edm.Guid", None),
        ("shipmentNumber", "Edm.String", 20),
        ("orderNumber", "Edm.String", 20),
        ("externalDocumentNumber", "Edm.String", 35),
        ("customerNumber", "Edm.String", 20),
        ("postingDate", "Edm.Date", None),
        ("shippingAgentCode", "Edm.String", 10),
        ("shippingAgentName", "Edm.String", 50),
        ("shippingAgentServiceCode", "Edm.String", 10),
        ("packageTrackingNumber", "Edm.String", 30),
        ("trackingUrl", "Edm.String", 250),
        ("lastModifiedDateTime", "Edm.DateTimeOffset", None),
    ]:
        tracking.props[name] = Prop(name, typ, length, name != "id")
    return {"shipmentTracking": tracking}


def read_metadata(path: Path = METADATA_PATH) -> Schema:
    """BC's standard API v2.0 `$metadata` as it is, read afresh (what the tests hold the emulator to)."""
    if not path.exists():
        raise FileNotFoundError(
            f"BC $metadata not found at {path}: the BC emulator needs the real API v2.0 $metadata; "
            "keep the handbook (shared/) beside the repo or set SANDBOX_BC_METADATA to the file"
        )
    return parse_csdl(path)


@functools.cache
def load_schema(path: Path = METADATA_PATH) -> Schema:
    """What the emulator serves: BC's `$metadata` plus the tracking extension's entity type."""
    schema = read_metadata(path)
    schema.types.update(_custom_types())
    return schema
