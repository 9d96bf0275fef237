"""Entity types, typed properties and enums from a CSDL `$metadata` document (OData v4), and the
write capabilities its entity sets declare."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
WRITE_RESTRICTIONS = {"POST": "Insertable", "PATCH": "Updatable", "DELETE": "Deletable"}


@dataclass(frozen=True)
class Prop:
    name: str
    type: str  # "Edm.String", "Edm.Guid", ..., or a qualified enum type name "Microsoft.NAV.customerBlocked"
    max_length: int | None = None
    nullable: bool = True


@dataclass
class EntityType:
    name: str
    props: dict[str, Prop] = field(default_factory=dict)
    navs: dict[str, str] = field(default_factory=dict)  # nav property -> "Collection(Ns.type)" / "Ns.type"
    namespace: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    def nav_target(self, nav: str) -> str:
        """The entity type name a navigation property leads to (`Collection(Ns.line)` -> `line`)."""
        return self.navs[nav].removeprefix("Collection(").removesuffix(")").rsplit(".", 1)[-1]


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


def parse_csdl(path: Path) -> Schema:
    """Read every `Schema` of a CSDL document: entity types (properties with type, MaxLength and
    Nullable; navigation properties), enum types, and the entity sets' write restrictions."""
    root = ET.parse(path).getroot()
    types: dict[str, EntityType] = {}
    enums: dict[str, list[str]] = {}
    restrictions: dict[str, dict[str, bool]] = {}
    for schema in root.iter(f"{EDM}Schema"):
        namespace = schema.get("Namespace", "")
        for node in schema.findall(f"{EDM}EntityType"):
            et = EntityType(node.get("Name", ""), namespace=namespace)
            for child in node:
                tag = child.tag.removeprefix(EDM)
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
        for node in schema.findall(f"{EDM}EnumType"):
            qualified = f"{namespace}.{node.get('Name')}" if namespace else node.get("Name", "")
            enums[qualified] = [m.get("Name", "") for m in node.findall(f"{EDM}Member")]
    for node in root.iter(f"{EDM}EntitySet"):
        rules = restrictions.setdefault(node.get("Name", ""), {})
        for value in node.iter(f"{EDM}PropertyValue"):
            if value.get("Property") in WRITE_RESTRICTIONS.values() and value.get("Bool") in ("true", "false"):
                rules[value.get("Property", "")] = value.get("Bool") == "true"
    return Schema(types, enums, restrictions)


def decode_enum(member: str) -> str:
    """`In_x0020_Review` -> `In Review`, `Non_x002D_Inventory` -> `Non-Inventory` (XML name escapes)."""
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
