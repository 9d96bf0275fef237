"""In-memory BC database: companies, tables of records keyed by SystemId, ETags, change feed, clock."""

from __future__ import annotations

import base64
import copy
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.bc.schema import EntityType, Schema, load_schema

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
Record = dict[str, Any]


def iso(dt: datetime) -> str:
    """BC style: milliseconds, trailing Z (`2023-09-02T17:49:38.5Z` style; we always print 3 digits)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    value = text.strip().replace("Z", "+00:00")
    if "T" not in value:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Clock:
    """UTC wall clock that tests can move forward (subscription expiry, lastModifiedDateTime)."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self._last = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        # Strictly increasing, so `lastModifiedDateTime gt <previous>` always sees a later write.
        with self._lock:
            current = datetime.now(UTC) + self.offset
            if current <= self._last:
                current = self._last + timedelta(milliseconds=1)
            self._last = current
            return current

    def today(self) -> str:
        return self.now().date().isoformat()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += timedelta(seconds=seconds)


@dataclass
class Change:
    company_id: str
    entity_set: str
    entity_id: str
    change_type: str  # created | updated | deleted
    at: datetime


@dataclass
class Company:
    id: str
    name: str
    display_name: str
    lcy_code: str = "USD"
    created: str = ""
    tables: dict[str, dict[str, Record]] = field(default_factory=dict)
    series: dict[str, int] = field(default_factory=dict)
    tax_rates: dict[str, Decimal] = field(default_factory=dict)
    accounts: dict[str, Record] = field(default_factory=dict)  # G/L account no. -> {id, name}
    shipping_agents: dict[str, Record] = field(default_factory=dict)  # code -> {name, trackingUrl}
    tracking: dict[str, Record] = field(default_factory=dict)  # custom API rows by shipment id
    keep_completed_orders: bool = False  # BC deletes an order once fully shipped and invoiced
    sales_tax: bool = True  # a US company: sales tax, so no prices including tax (write_rules.py)


def default_value(prop_type: str, schema: Schema) -> Any:
    if prop_type == "Edm.Guid":
        return ZERO_GUID
    if prop_type == "Edm.Decimal":
        return Decimal(0)
    if prop_type in ("Edm.Int32", "Edm.Int64"):
        return 0
    if prop_type == "Edm.Boolean":
        return False
    if prop_type == "Edm.Date":
        return "0001-01-01"
    if prop_type == "Edm.DateTimeOffset":
        return "0001-01-01T00:00:00Z"
    members = schema.enum_members(prop_type)
    if members:
        return members[0]
    return ""


class Store:
    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.schema = load_schema()
        self.companies: dict[str, Company] = {}
        self.versions: dict[str, int] = {}
        self.listeners: list[Callable[[Change], None]] = []
        self._buffer: list[Change] | None = None
        self._inserted: list[tuple[str, str, str]] = []
        self._sequence = 0

    # ---- structure ----------------------------------------------------------------------------
    def etype(self, name: str) -> EntityType:
        return self.schema.types[name]

    def blank(self, type_name: str) -> Record:
        return {p.name: default_value(p.type, self.schema) for p in self.etype(type_name).props.values()}

    def company(self, company_id: str) -> Company | None:
        return self.companies.get(company_id.lower())

    def company_by_name(self, name: str) -> Company | None:
        for c in self.companies.values():
            if name in (c.name, c.display_name, c.id):
                return c
        return None

    def table(self, company: Company, entity_set: str) -> dict[str, Record]:
        return company.tables.setdefault(entity_set, {})

    def next_number(self, company: Company, series: str, start: int, prefix: str = "", step: int = 1) -> str:
        value = company.series.get(series, start - step) + step
        company.series[series] = value
        return f"{prefix}{value}" if not prefix else f"{prefix}{value:05d}"

    # ---- writes -------------------------------------------------------------------------------
    def insert(self, company: Company, entity_set: str, record: Record, notify: bool = True) -> Record:
        if record.get("id") in (None, "", ZERO_GUID):
            record["id"] = new_id()
        record["id"] = record["id"].lower()
        if "lastModifiedDateTime" in record:
            record["lastModifiedDateTime"] = iso(self.clock.now())
        self.table(company, entity_set)[record["id"]] = record
        self.versions[record["id"]] = self._next_version()
        if self._buffer is not None:
            self._inserted.append((company.id, entity_set, record["id"]))
        if notify:
            self.emit(Change(company.id, entity_set, record["id"], "created", self.clock.now()))
        return record

    def touch(self, company: Company, entity_set: str, record: Record, notify: bool = True) -> None:
        """Record a modification: new lastModifiedDateTime, new ETag, `updated` change."""
        if "lastModifiedDateTime" in record:
            record["lastModifiedDateTime"] = iso(self.clock.now())
        self.versions[record["id"]] = self._next_version()
        if notify:
            self.emit(Change(company.id, entity_set, record["id"], "updated", self.clock.now()))

    def delete(self, company: Company, entity_set: str, record_id: str, notify: bool = True) -> None:
        self.table(company, entity_set).pop(record_id, None)
        self.versions.pop(record_id, None)
        if notify:
            self.emit(Change(company.id, entity_set, record_id, "deleted", self.clock.now()))

    def _next_version(self) -> int:
        self._sequence += 1
        return self._sequence

    def etag(self, record_id: str) -> str:
        # Like a SQL rowversion: one database-wide counter, so every write gives a new, unique value.
        version = self.versions.get(record_id) or int(uuid.uuid5(uuid.NAMESPACE_OID, record_id)) % 10**9
        version = 10**17 + version * 7919
        text = str(version)
        inner = f"'{len(text)};{text};00;'"
        return f'W/"{base64.b64encode(inner.encode()).decode()}"'

    # ---- change feed and transactions ---------------------------------------------------------
    def emit(self, change: Change) -> None:
        if self._buffer is not None:
            self._buffer.append(change)
            return
        for listener in self.listeners:
            listener(change)

    @contextmanager
    def transaction(self, snapshot: bool = False) -> Iterator[None]:
        """All-or-nothing block; changes are published only when it succeeds.

        snapshot=False (deep insert): undo is deleting the records inserted inside the block, which is
        all a create does. snapshot=True (`$batch` with `Isolation: snapshot`): full copy and restore.
        """
        with self.lock:
            if self._buffer is not None:  # nested: the outer transaction decides
                yield
                return
            saved = (copy.deepcopy(self.companies), dict(self.versions)) if snapshot else None
            self._buffer, self._inserted = [], []
            try:
                yield
            except BaseException:
                if saved:
                    self.companies, self.versions = saved
                else:
                    for company_id, entity_set, record_id in self._inserted:
                        company = self.companies.get(company_id)
                        if company:
                            self.table(company, entity_set).pop(record_id, None)
                        self.versions.pop(record_id, None)
                self._buffer, self._inserted = None, []
                raise
            changes, self._buffer, self._inserted = self._buffer, None, []
        for change in changes:
            self.emit(change)
