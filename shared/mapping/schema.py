"""What a mapping may write on an ERP: the target entities, their fields, types, lengths and enums.

ERP-neutral. Each adapter describes its own entities with these classes (BC from its `$metadata`:
`shared/erp/bc/schema.py`), and :func:`shared.mapping.check.check_mapping` holds a mapping file to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

__all__ = ["FieldType", "Section", "TargetEntity", "TargetField", "TargetSchema"]

Section = Literal["document", "line", "customer"]
"""Where a mapped field lands: the sales document header, each item line, or a customer the connector creates."""


class FieldType(StrEnum):
    TEXT = "text"
    DATE = "date"
    GUID = "guid"
    ENUM = "enum"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class TargetField:
    """One property of an ERP entity.

    ``writable`` is False for what a client may not write (computed, ``Editable = false``);
    ``owned`` names why the connector itself sets the field (the external number, amounts, item
    numbers…): a mapping may not take those over, or exactly-once and the totals would break.
    """

    name: str
    type: FieldType = FieldType.TEXT
    max_length: int | None = None
    enum: tuple[str, ...] = ()
    writable: bool = True
    owned: str = ""
    unsupported: str = ""
    """Why this connection cannot write the field although the ERP has it (e.g. its transport does not carry it)."""


@dataclass(frozen=True, slots=True)
class TargetEntity:
    """An ERP entity a section of the mapping writes to (e.g. BC ``salesOrder``)."""

    name: str
    fields: Mapping[str, TargetField] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, *fields: TargetField) -> TargetEntity:
        return cls(name, {f.name: f for f in fields})


@dataclass(frozen=True, slots=True)
class TargetSchema:
    """The entities one connection writes: its document header, item line and customer."""

    erp: str
    document: TargetEntity
    line: TargetEntity
    customer: TargetEntity
    comment_length: int | None = None
    """The longest comment line the ERP takes (free text is split into lines of at most this)."""
    no_comments: str = ""
    """Why the ERP's document takes no ``comments`` (empty: it does); a mapping with comments is refused."""

    def entity(self, section: Section) -> TargetEntity:
        entity: TargetEntity = getattr(self, section)
        return entity
