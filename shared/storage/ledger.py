"""The order ledger: one row per Woo order, the idempotency record and the order's state.

Row key: PartitionKey = store id, RowKey = Woo order id. Every change is an ETag-guarded write, so two
workers racing on one order cannot both claim it (invariant 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from azure.data.tables import TableServiceClient

from shared.storage.names import LEDGER_TABLE
from shared.storage.tables import Row, Table


class OrderState(StrEnum):
    RECEIVED = "received"  # seen, not (yet) postable: unpaid, on hold at Woo
    POSTING = "posting"  # claimed by a worker; the ERP document may or may not exist
    POSTED = "posted"  # the ERP document exists
    HELD = "held"  # a data problem to fix; re-driven automatically
    CANCELLED = "cancelled"  # cancelled in Woo and in the ERP


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class LedgerEntry:
    store: str
    order_id: int
    state: str = OrderState.RECEIVED
    order_number: str = ""
    external_number: str = ""  # the order's number in the ERP (with the store's prefix), as posted
    connection: str = ""  # the ERP connection the order was posted to
    woo_status: str = ""
    woo_modified: str = ""
    woo_total: str = ""
    currency: str = ""
    fingerprint: str = ""
    attempts: int = 0  # posting attempts; after the first, look the document up before creating
    claim_id: str = ""
    claimed_at: str = ""
    customer_number: str = ""
    document_kind: str = ""
    document_id: str = ""
    document_number: str = ""
    erp_total: str = ""
    hold_code: str = ""
    hold_reason: str = ""
    held_since: str = ""
    suggestions: str = ""  # JSON {Woo SKU: [[ERP item, name, score], …]} for a held unknown SKU
    anomaly: str = ""  # why the order is unusual for its store (shared/flows/anomalies.py)
    anomaly_released: str = ""  # who released it from review, and when
    attention: str = ""  # needs a person: changed after posting, total mismatch, cancel after shipping
    refunds_posted: str = ""  # comma-separated Woo refund ids already credited
    payment_state: str = ""  # "" (none to record) | "pending" | "recorded"
    posted_at: str = ""
    updated_at: str = ""
    etag: str | None = None

    def to_row(self) -> Row:
        data = {k: v for k, v in asdict(self).items() if k not in ("store", "order_id", "etag")}
        return Row(self.store, str(self.order_id), data, self.etag)

    @classmethod
    def from_row(cls, row: Row) -> LedgerEntry:
        known = {f.name for f in fields(cls)}
        data: dict[str, Any] = {k: v for k, v in row.data.items() if k in known}
        return cls(store=row.partition, order_id=int(row.key), etag=row.etag, **data)


class Ledger:
    def __init__(self, service: TableServiceClient) -> None:
        self.table = Table.of(service, LEDGER_TABLE)

    def get(self, store: str, order_id: int) -> LedgerEntry | None:
        row = self.table.get(store, str(order_id))
        return None if row is None else LedgerEntry.from_row(row)

    def save(self, entry: LedgerEntry) -> LedgerEntry:
        """Insert a new entry or replace the one read; WriteConflict when another writer was first."""
        entry.updated_at = now_iso()
        row = entry.to_row()
        saved = self.table.insert(row) if entry.etag is None else self.table.replace(row)
        entry.etag = saved.etag
        return entry

    def in_state(self, state: OrderState, store: str | None = None) -> Iterator[LedgerEntry]:
        if store is None:
            rows = self.table.query("state eq @state", state=str(state))
        else:
            rows = self.table.query("PartitionKey eq @store and state eq @state", store=store, state=str(state))
        for row in rows:
            yield LedgerEntry.from_row(row)
