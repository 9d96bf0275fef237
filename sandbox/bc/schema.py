"""Entity types and enums from the real BC API v2.0 `$metadata`, plus the custom tracking page's type.
The emulator emits, accepts and filters only properties defined here.

The `$metadata` document is read from the team handbook beside the repo (`../shared/reference/`), or
from the file named by `SANDBOX_BC_METADATA`; it is not copied into the repo."""

from __future__ import annotations

import functools
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

METADATA_PATH = Path(
    os.environ.get(
        "SANDBOX_BC_METADATA",
        Path(__file__).resolve().parents[3] / "shared" / "reference" / "business-central" / "bc-api-v2.0-metadata.xml",
    )
)
_EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


@dataclass(frozen=True)
class Prop:
    name: str
    type: str  # "Edm.String", "Edm.Guid", ..., or an enum type name "Microsoft.NAV.customerBlocked"
    max_length: int | None = None
    nullable: bool = True


@dataclass
class EntityType:
    name: str
    props: dict[str, Prop] = field(default_factory=dict)
    navs: dict[str, str] = field(default_factory=dict)  # nav property -> "Collection(...)" / target type

    @property
    def qualified(self) -> str:
        return f"Microsoft.NAV.{self.name}"


WRITE_RESTRICTIONS = {"POST": "Insertable", "PATCH": "Updatable", "DELETE": "Deletable"}


@dataclass
class Schema:
    types: dict[str, EntityType]
    enums: dict[str, list[str]]  # qualified enum name -> encoded member names
    # entity set -> {"Insertable"/"Updatable"/"Deletable": bool}, from the sets' Capabilities annotations
    restrictions: dict[str, dict[str, bool]] = field(default_factory=dict)

    def enum_members(self, type_name: str) -> list[str] | None:
        return self.enums.get(type_name)

    def allows(self, entity_set: str, method: str) -> bool:
        """What `$metadata` says of writing to the set (`Org.OData.Capabilities.V1.InsertRestrictions`
        …); a set it does not describe (a custom API page) is not restricted here."""
        term = WRITE_RESTRICTIONS.get(method.upper())
        return term is None or self.restrictions.get(entity_set, {}).get(term, True)


def _custom_types() -> dict[str, EntityType]:
    tracking = EntityType("shipmentTracking")
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


@functools.cache
def load_schema(path: Path = METADATA_PATH) -> Schema:
    if not path.exists():
        raise FileNotFoundError(
            f"BC $metadata not found at {path}: the BC emulator needs the real API v2.0 $metadata; "
            "keep the handbook (shared/) beside the repo or set SANDBOX_BC_METADATA to the file"
        )
    root = ET.parse(path).getroot()
    types: dict[str, EntityType] = {}
    enums: dict[str, list[str]] = {}
    for node in root.iter(f"{_EDM}EntityType"):
        et = EntityType(node.get("Name", ""))
        for child in node:
            tag = child.tag.removeprefix(_EDM)
            name = child.get("Name", "")
            if tag == "Property":
                length = child.get("MaxLength")
                et.props[name] = Prop(
                    name,
                    child.get("Type", "Edm.String"),
                    int(length) if length and length.isdigit() else None,
                    child.get("Nullable") != "false",
                )
            elif tag == "NavigationProperty":
                et.navs[name] = child.get("Type", "")
        types[et.name] = et
    for node in root.iter(f"{_EDM}EnumType"):
        enums[f"Microsoft.NAV.{node.get('Name')}"] = [m.get("Name", "") for m in node]
    restrictions: dict[str, dict[str, bool]] = {}
    for node in root.iter(f"{_EDM}EntitySet"):
        rules = restrictions.setdefault(node.get("Name", ""), {})
        for value in node.iter(f"{_EDM}PropertyValue"):
            if value.get("Property") in WRITE_RESTRICTIONS.values() and value.get("Bool") in ("true", "false"):
                rules[value.get("Property", "")] = value.get("Bool") == "true"
    types.update(_custom_types())
    return Schema(types, enums, restrictions)


def decode_enum(member: str) -> str:
    """`In_x0020_Review` -> `In Review`, `Non_x002D_Inventory` -> `Non-Inventory`."""
    out, i = [], 0
    while i < len(member):
        if member.startswith("_x", i) and len(member) >= i + 7 and member[i + 6] == "_":
            try:
                out.append(chr(int(member[i + 2 : i + 6], 16)))
                i += 7
                continue
            except ValueError:
                pass
        out.append(member[i])
        i += 1
    return "".join(out)


def encode_enum(value: str, members: list[str]) -> str | None:
    """Map a client-supplied enum value (encoded or plain text) to the encoded member name."""
    if value in members:
        return value
    for m in members:
        if decode_enum(m) == value or (value == "" and decode_enum(m) == " "):
            return m
    return None
