"""What the backfill queued and when: one row per order it queued, until the ledger has that state.

Rows live in the watermarks table, one partition per store (`backfill-queued:<store>`), so the status
listing of watermarks (partition `watermark`) never shows them. Row key: the Woo order id; data: the
order's `date_modified_gmt` and status that were queued, and the time they were queued.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableServiceClient

from shared.storage.names import WATERMARKS_TABLE
from shared.storage.tables import Row, Table, safe_key


@dataclass(frozen=True)
class QueuedMark:
    order_id: int
    modified: str  # the order's date_modified_gmt as queued (naive GMT, sorts as text)
    status: str  # its Woo status then (two changes within one second share a modified time)
    queued_at: str  # ISO time (UTC) the backfill queued it


class BackfillMarks:
    def __init__(self, service: TableServiceClient) -> None:
        self.table = Table.of(service, WATERMARKS_TABLE)

    @staticmethod
    def partition(store: str) -> str:
        return safe_key(f"backfill-queued:{store}")

    def load(self, store: str) -> dict[int, QueuedMark]:
        """Every mark of the store (one query)."""
        marks: dict[int, QueuedMark] = {}
        for row in self.table.partition(self.partition(store)):
            order_id = int(row.key)
            data = {name: str(row.data.get(name, "")) for name in ("modified", "status", "queued_at")}
            marks[order_id] = QueuedMark(order_id, **data)
        return marks

    def mark(self, store: str, mark: QueuedMark) -> None:
        data = {"modified": mark.modified, "status": mark.status, "queued_at": mark.queued_at}
        self.table.upsert(Row(self.partition(store), str(mark.order_id), data))

    def forget(self, store: str, order_id: int) -> None:
        """Drop a mark (gone already is fine: another run forgot it first)."""
        with contextlib.suppress(ResourceNotFoundError):
            self.table.delete(self.partition(store), str(order_id))
