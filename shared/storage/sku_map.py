"""The SKU mapping table: per ERP connection, Woo SKU → ERP item number, with who changed it and when.

PartitionKey = the connection id; RowKey = ``sku:`` + the upper-cased Woo SKU, percent-encoded (table
keys may not hold ``/ \\ # ?``, and Woo SKUs are matched whatever their case, as rules.item_key does).
One more row per partition, ``version``, changes on every write, so a process holding the map checks
one row to know whether to read the whole partition again (thousands of rows).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from azure.core.exceptions import AzureError
from azure.data.tables import TableServiceClient

from shared.storage.names import SKU_MAP_TABLE
from shared.storage.tables import Row, Table

log = logging.getLogger("connector.sku_map")

SKU_PREFIX = "sku:"
VERSION_KEY = "version"
BATCH = 100  # entities per table transaction (Azure's limit)


@dataclass(frozen=True)
class SkuMapping:
    sku: str
    number: str
    updated_by: str = ""
    updated_at: str = ""
    source: str = ""  # "set", "import", "accept"


def sku_row_key(sku: str) -> str:
    return SKU_PREFIX + quote(sku.strip().upper(), safe="")


def _data(m: SkuMapping) -> dict[str, str]:
    return {
        "sku": m.sku,
        "number": m.number,
        "updated_by": m.updated_by,
        "updated_at": m.updated_at,
        "source": m.source,
    }


def _mapping(row: Row) -> SkuMapping:
    return SkuMapping(
        sku=str(row.data.get("sku", "")),
        number=str(row.data.get("number", "")),
        updated_by=str(row.data.get("updated_by", "")),
        updated_at=str(row.data.get("updated_at", "")),
        source=str(row.data.get("source", "")),
    )


class SkuMapTable:
    def __init__(self, service: TableServiceClient) -> None:
        self.table = Table.of(service, SKU_MAP_TABLE)

    def version(self, connection: str) -> str:
        """Changes whenever the connection's map changes ("" before its first change)."""
        row = self.table.get(connection, VERSION_KEY)
        return "" if row is None else str(row.data.get("value", ""))

    def mappings(self, connection: str) -> list[SkuMapping]:
        found = [_mapping(row) for row in self.table.partition(connection) if row.key.startswith(SKU_PREFIX)]
        return sorted(found, key=lambda m: m.sku.upper())

    def get(self, connection: str, sku: str) -> SkuMapping | None:
        row = self.table.get(connection, sku_row_key(sku))
        return None if row is None else _mapping(row)

    def put(self, connection: str, mapping: SkuMapping) -> SkuMapping:
        [stamped] = self.put_many(connection, [mapping])
        return stamped

    def put_many(self, connection: str, mappings: list[SkuMapping]) -> list[SkuMapping]:
        """Upsert the rows, a transaction of up to 100 at a time (one partition), then one new version."""
        now = datetime.now(UTC).isoformat()
        stamped = [
            SkuMapping(m.sku.strip(), m.number.strip().upper(), m.updated_by, m.updated_at or now, m.source)
            for m in mappings
        ]
        for start in range(0, len(stamped), BATCH):
            operations = [
                ("upsert", Row(connection, sku_row_key(m.sku), _data(m)).entity())
                for m in stamped[start : start + BATCH]
            ]
            self.table.client.submit_transaction(operations)
        if stamped:
            self.touch(connection)
        return stamped

    def remove(self, connection: str, sku: str) -> bool:
        if self.table.get(connection, sku_row_key(sku)) is None:
            return False
        self.table.delete(connection, sku_row_key(sku))
        self.touch(connection)
        return True

    def touch(self, connection: str) -> None:
        """A new version: every process reloads the map on its next check."""
        self.table.upsert(Row(connection, VERSION_KEY, {"value": uuid.uuid4().hex}))


def merged_map(seed: Mapping[str, str], mappings: list[SkuMapping]) -> dict[str, str]:
    """The seed (the connection's ``sku_map`` setting) with the table's rows over it: a table row wins
    over a seed entry for the same Woo SKU, whatever its case."""
    overridden = {m.sku.strip().upper() for m in mappings}
    merged = {sku: number for sku, number in seed.items() if sku.strip().upper() not in overridden}
    merged.update({m.sku: m.number for m in mappings})
    return merged


class LiveSkuMaps:
    """Each connection's merged map, as the adapters see it through ``connection.sku_map``.

    The version row is read at most every ``refresh_seconds``; the partition only when it changed. The
    same dict object is handed out until then, so a caller can tell a change by identity. When the table
    cannot be read, the last map read stays in use (storage trouble already fails the order elsewhere);
    with none read yet, the error is raised.
    """

    def __init__(
        self,
        table: SkuMapTable,
        seeds: Callable[[str], Mapping[str, str]],
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self.seeds = seeds
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._maps: dict[str, tuple[str, dict[str, str], float]] = {}
        self._lock = threading.Lock()

    def current(self, connection: str) -> dict[str, str]:
        with self._lock:
            known = self._maps.get(connection)
            now = self.clock()
            if known is not None and now - known[2] < self.refresh_seconds:
                return known[1]
            try:
                version = self.table.version(connection)
                if known is not None and known[0] == version:
                    self._maps[connection] = (version, known[1], now)
                    return known[1]
                rows = self.table.mappings(connection) if version else []
            except AzureError:
                if known is None:
                    raise
                log.warning("SKU mapping table unreadable; the map read before stays in use")
                return known[1]
            merged = merged_map(self.seeds(connection), rows)
            self._maps[connection] = (version, merged, now)
            return merged

    def forget(self) -> None:
        with self._lock:
            self._maps.clear()
