"""The stock/price sync state of each store, in one table partition per store (PartitionKey = store id).

Three things are kept:
- the SKU map: where each Woo SKU lives (product id, parent, type, manage_stock), or that no product has
  it (``product_id`` 0, looked up again after a while);
- what the connector last wrote to each product (stock quantity, regular price), so an unchanged SKU
  costs no WooCommerce write;
- the SKUs whose last write failed transiently (``x:pending``), retried by the next run.

Entries are packed into bucket rows (``m:<nnn>`` by a hash of the SKU, ``p:<nnn>`` by product id; JSON
split over properties of ≤ 30,000 characters), so a catalogue of any size is a few hundred rows: a run
reads the partition once and rewrites only the buckets it changed, in transactions of ≤ 100 rows.
(One row per SKU would be tens of thousands of rows, and as many writes for a full reconcile.)
Concurrent runs write whole buckets, last writer wins: a lost entry costs one extra write or look-up
in the next run, never a wrong value in the store.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from azure.data.tables import TableServiceClient, UpdateMode

from shared.storage.names import STOCK_STATE_TABLE
from shared.storage.tables import Table

BUCKETS = 256
TRANSACTION_LIMIT = 100
PROPERTY_CHARS = 30_000  # a string property holds 64 KiB (UTF-16)
PENDING_KEY = "x:pending"
NAME_CHARS = 60


def sku_bucket(sku: str) -> int:
    return zlib.crc32(sku.encode()) % BUCKETS


def product_bucket(product_id: int) -> int:
    return product_id % BUCKETS


@dataclass
class SkuRow:
    """Where one Woo SKU lives. ``product_id`` 0: no product has it (as of ``checked_at``)."""

    sku: str
    product_id: int = 0
    parent_id: int = 0  # the variable product of a variation, else 0
    type: str = ""  # simple | variable | variation | external | conflict (left out: SKU conflict)
    manage_stock: str = "false"  # "true" | "false" | "parent" (a variation whose stock lives on the parent)
    name: str = ""
    checked_at: str = ""

    @property
    def found(self) -> bool:
        return self.product_id > 0

    @property
    def stock_owner_id(self) -> int:
        """The product a stock write must change: the parent when the variation's stock lives there."""
        return self.parent_id if self.manage_stock == "parent" and self.parent_id else self.product_id

    def same_place(self, other: SkuRow) -> bool:
        return (self.product_id, self.parent_id, self.type, self.manage_stock) == (
            other.product_id,
            other.parent_id,
            other.type,
            other.manage_stock,
        )

    def packed(self) -> list[Any]:
        return [self.product_id, self.parent_id, self.type, self.manage_stock, self.name[:NAME_CHARS], self.checked_at]

    @classmethod
    def unpacked(cls, sku: str, data: list[Any]) -> SkuRow:
        return cls(sku, int(data[0]), int(data[1]), str(data[2]), str(data[3]), str(data[4]), str(data[5]))


@dataclass
class PushedRow:
    """What the connector last wrote to one Woo product (None: never written / not known)."""

    product_id: int
    stock: int | None = None
    price: str | None = None
    manage_stock: bool = False  # manage_stock is known to be on (we switched it on, or it was)
    pushed_at: str = ""

    def packed(self) -> list[Any]:
        return [self.stock, self.price, 1 if self.manage_stock else 0, self.pushed_at]

    @classmethod
    def unpacked(cls, product_id: int, data: list[Any]) -> PushedRow:
        stock = data[0]
        return cls(
            product_id,
            stock=int(stock) if stock is not None else None,
            price=None if data[1] is None else str(data[1]),
            manage_stock=bool(data[2]),
            pushed_at=str(data[3] or ""),
        )


@dataclass
class StoreSyncState:
    store: str
    skus: dict[str, SkuRow] = field(default_factory=dict)
    pushed: dict[int, PushedRow] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)


def _split(text: str) -> dict[str, str]:
    return {
        f"d{n}": text[start : start + PROPERTY_CHARS] for n, start in enumerate(range(0, len(text), PROPERTY_CHARS))
    }


def _joined(data: dict[str, Any]) -> str:
    parts = sorted((int(key[1:]), str(value)) for key, value in data.items() if key[:1] == "d" and key[1:].isdigit())
    return "".join(value for _, value in parts)


class StockState:
    def __init__(self, service: TableServiceClient) -> None:
        self.table = Table.of(service, STOCK_STATE_TABLE)

    def load(self, store: str) -> StoreSyncState:
        state = StoreSyncState(store)
        for row in self.table.partition(store):
            if row.key.startswith("m:"):
                for sku, packed in json.loads(_joined(row.data) or "{}").items():
                    state.skus[sku] = SkuRow.unpacked(sku, packed)
            elif row.key.startswith("p:"):
                for product_id, packed in json.loads(_joined(row.data) or "{}").items():
                    state.pushed[int(product_id)] = PushedRow.unpacked(int(product_id), packed)
            elif row.key == PENDING_KEY:
                state.pending = set(json.loads(_joined(row.data) or "[]"))
        return state

    def save_skus(self, state: StoreSyncState, skus: Iterable[str]) -> int:
        """Rewrite the map buckets holding ``skus`` (entries as they are in ``state``); returns rows written."""
        buckets = {sku_bucket(sku) for sku in skus}
        if not buckets:
            return 0
        content: dict[int, dict[str, list[Any]]] = defaultdict(dict)
        for sku, row in state.skus.items():
            bucket = sku_bucket(sku)
            if bucket in buckets:
                content[bucket][sku] = row.packed()
        return self._upsert(state.store, [(f"m:{b:03d}", json.dumps(content.get(b, {}))) for b in sorted(buckets)])

    def save_pushed(self, state: StoreSyncState, product_ids: Iterable[int]) -> int:
        """Rewrite the buckets holding ``product_ids``; returns rows written."""
        buckets = {product_bucket(pid) for pid in product_ids}
        if not buckets:
            return 0
        content: dict[int, dict[str, list[Any]]] = defaultdict(dict)
        for pid, row in state.pushed.items():
            bucket = product_bucket(pid)
            if bucket in buckets:
                content[bucket][str(pid)] = row.packed()
        return self._upsert(state.store, [(f"p:{b:03d}", json.dumps(content.get(b, {}))) for b in sorted(buckets)])

    def save_pending(self, state: StoreSyncState) -> None:
        self._upsert(state.store, [(PENDING_KEY, json.dumps(sorted(state.pending)))])

    def _upsert(self, store: str, rows: list[tuple[str, str]]) -> int:
        operations = [
            ("upsert", {"PartitionKey": store, "RowKey": key, **_split(text)}, {"mode": UpdateMode.REPLACE})
            for key, text in rows
        ]
        for start in range(0, len(operations), TRANSACTION_LIMIT):
            self.table.client.submit_transaction(operations[start : start + TRANSACTION_LIMIT])  # type: ignore[arg-type]
        return len(operations)
