"""Shipments written back to WooCommerce: one row per ERP shipment (PartitionKey = the ERP, e.g. "bc";
RowKey = shipment number), so each shipment is applied once, looked up before knowing its store.
Claimed with an insert (a second worker gets WriteConflict), finished with ETag-guarded replaces.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from azure.data.tables import TableServiceClient

from shared.storage.ledger import now_iso
from shared.storage.names import SHIPMENTS_TABLE
from shared.storage.tables import Row, Table, safe_key


class ShipmentState:
    APPLYING = "applying"  # claimed; the Woo writes may be half done
    APPLIED = "applied"
    SKIPPED = "skipped"  # the Woo order was cancelled/refunded: nothing written, a person decides


@dataclass
class ShipmentRecord:
    erp: str
    shipment_number: str
    store: str = ""
    state: str = ShipmentState.APPLYING
    order_id: int = 0
    order_number: str = ""
    erp_order_number: str = ""
    partial: bool = False
    carrier: str = ""
    tracking_number: str = ""
    claimed_at: str = ""
    status_set: bool = False  # the order status/meta write is done
    note_added: bool = False  # the customer note is written
    applied_at: str = ""
    outcome: str = ""
    etag: str | None = None

    def to_row(self) -> Row:
        data = {k: v for k, v in asdict(self).items() if k not in ("erp", "etag")}
        return Row(self.erp, safe_key(self.shipment_number), data, self.etag)

    @classmethod
    def from_row(cls, row: Row) -> ShipmentRecord:
        known = {f.name for f in fields(cls)} - {"erp", "etag"}
        data: dict[str, Any] = {k: v for k, v in row.data.items() if k in known}
        data.setdefault("shipment_number", row.key)
        return cls(erp=row.partition, etag=row.etag, **data)


class ShipmentLog:
    def __init__(self, service: TableServiceClient) -> None:
        self.table = Table.of(service, SHIPMENTS_TABLE)

    def get(self, erp: str, shipment_number: str) -> ShipmentRecord | None:
        row = self.table.get(erp, safe_key(shipment_number))
        return None if row is None else ShipmentRecord.from_row(row)

    def claim(self, record: ShipmentRecord) -> ShipmentRecord:
        """Insert (WriteConflict when it exists) or take over the record read (ETag-guarded)."""
        record.claimed_at = now_iso()
        row = record.to_row()
        saved = self.table.insert(row) if record.etag is None else self.table.replace(row)
        record.etag = saved.etag
        return record

    def save(self, record: ShipmentRecord) -> ShipmentRecord:
        saved = self.table.replace(record.to_row())
        record.etag = saved.etag
        return record
