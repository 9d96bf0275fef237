"""Table storage with ETag-guarded writes.

Queue delivery is at-least-once and several instances may work on the same order at once, so every
state change is an optimistic write: insert-if-absent, or update-if-unchanged (If-Match on the ETag).
A lost race surfaces as `WriteConflict`; the caller re-reads and decides.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, TableServiceClient, UpdateMode

from shared.storage.names import AUDIT_TABLE, WATERMARKS_TABLE


class WriteConflict(Exception):
    """Another writer got there first: the row exists, or changed since it was read."""


@dataclass
class Row:
    partition: str
    key: str
    data: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None

    def entity(self) -> dict[str, Any]:
        return {"PartitionKey": self.partition, "RowKey": self.key, **self.data}


def ensure_tables(service: TableServiceClient, names: tuple[str, ...]) -> None:
    for name in names:
        with contextlib.suppress(ResourceExistsError):
            service.create_table(name)


def _row(entity: Any) -> Row:
    data = {k: v for k, v in entity.items() if k not in ("PartitionKey", "RowKey")}
    return Row(entity["PartitionKey"], entity["RowKey"], data, entity.metadata.get("etag"))


def safe_key(value: str) -> str:
    """Table keys may not contain / \\ # ? or control characters."""
    return "".join("_" if ch in "/\\#?" or ord(ch) < 32 or 127 <= ord(ch) < 160 else ch for ch in value)


class Table:
    """A thin typed wrapper over one table: get, insert, guarded update, query."""

    def __init__(self, client: TableClient):
        self.client = client

    @classmethod
    def of(cls, service: TableServiceClient, name: str) -> Table:
        return cls(service.get_table_client(name))

    def get(self, partition: str, key: str) -> Row | None:
        try:
            return _row(self.client.get_entity(partition, key))
        except ResourceNotFoundError:
            return None

    def insert(self, row: Row) -> Row:
        """Create the row; WriteConflict if it already exists."""
        try:
            meta = self.client.create_entity(row.entity())
        except ResourceExistsError as exc:
            raise WriteConflict(f"{row.partition}/{row.key} exists") from exc
        row.etag = meta.get("etag")
        return row

    def replace(self, row: Row) -> Row:
        """Replace the row only if its ETag still matches; WriteConflict otherwise."""
        if row.etag is None:
            raise ValueError("replace needs the ETag the row was read with")
        try:
            meta = self.client.update_entity(
                row.entity(),
                mode=UpdateMode.REPLACE,
                etag=row.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceNotFoundError, ResourceExistsError) as exc:
            raise WriteConflict(f"{row.partition}/{row.key} changed or vanished") from exc
        except HttpResponseError as exc:
            if exc.status_code == 412:
                raise WriteConflict(f"{row.partition}/{row.key} changed since read") from exc
            raise
        row.etag = meta.get("etag")
        return row

    def upsert(self, row: Row) -> Row:
        meta = self.client.upsert_entity(row.entity(), mode=UpdateMode.REPLACE)
        row.etag = meta.get("etag")
        return row

    def delete(self, partition: str, key: str) -> None:
        self.client.delete_entity(partition, key)

    def query(self, filter_: str, **params: Any) -> Iterator[Row]:
        for entity in self.client.query_entities(filter_, parameters=params or None):
            yield _row(entity)

    def partition(self, partition: str) -> Iterator[Row]:
        return self.query("PartitionKey eq @pk", pk=partition)


class Watermarks:
    """Named high-water marks for the timers (e.g. last backfill time per store)."""

    PARTITION = "watermark"

    def __init__(self, service: TableServiceClient):
        self.table = Table.of(service, WATERMARKS_TABLE)

    def get(self, name: str) -> str | None:
        row = self.table.get(self.PARTITION, safe_key(name))
        return None if row is None else str(row.data.get("value"))

    def set(self, name: str, value: str) -> None:
        """Advance the mark; a concurrent writer makes this raise WriteConflict rather than go backwards."""
        key = safe_key(name)
        row = self.table.get(self.PARTITION, key)
        if row is None:
            self.table.insert(Row(self.PARTITION, key, {"value": value}))
            return
        row.data["value"] = value
        self.table.replace(row)


class AuditTrail:
    """Append-only record of every step per order: queryable by order, enough to replay it."""

    def __init__(self, service: TableServiceClient):
        self.table = Table.of(service, AUDIT_TABLE)

    def record(self, subject: str, stage: str, outcome: str, **details: Any) -> None:
        now = datetime.now(UTC)
        # Row keys sort as strings: a fixed-width timestamp keeps the trail in order.
        key = f"{now:%Y%m%dT%H%M%S%f}-{stage}"
        data: dict[str, Any] = {"stage": stage, "outcome": outcome, "at": now.isoformat()}
        data.update({k: v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in details.items()})
        self.table.upsert(Row(safe_key(subject), key, data))

    def trail(self, subject: str) -> list[Row]:
        return sorted(self.table.partition(safe_key(subject)), key=lambda row: row.key)
