"""The product sync's table: the last-synced values of each item's synced fields, and the open conflicts.

PartitionKey ``synced:<connection>:<store>``, RowKey = the ERP item number (percent-encoded): per field
the value the ERP and the store had when they were last in step (``name_erp``, ``name_woo``, ``price_erp``,
``price_woo``); per store too, as a connection may serve several stores, each with its own values.
PartitionKey ``conflicts`` (few rows), RowKey ``<connection>|<store>|<item>|<field>``: a field both sides
changed since then, with both values, until the sides agree again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote

from azure.data.tables import TableServiceClient

from shared.storage.names import PRODUCT_FIELDS_TABLE
from shared.storage.tables import Row, Table


def _key(value: str) -> str:
    return quote(value, safe="")


@dataclass(frozen=True)
class FieldConflict:
    connection: str
    item: str
    field: str
    store: str
    product_id: int
    erp_value: str
    woo_value: str
    erp_before: str
    woo_before: str
    since: str  # when it was first seen (ISO, UTC)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class ProductFields:
    """Snapshots and conflicts of the two-way product sync, per ERP connection."""

    def __init__(self, service: TableServiceClient) -> None:
        self.table = Table.of(service, PRODUCT_FIELDS_TABLE)

    # ---- snapshots
    def snapshots(self, connection: str, store: str) -> dict[str, dict[str, tuple[str, str]]]:
        """Item number → field → (ERP value, store value) when last in step."""
        found: dict[str, dict[str, tuple[str, str]]] = {}
        for row in self.table.partition(f"synced:{connection}:{store}"):
            fields = {
                name[: -len("_erp")]: (str(value), str(row.data.get(name[: -len("_erp")] + "_woo", "")))
                for name, value in row.data.items()
                if name.endswith("_erp")
            }
            found[unquote(row.key)] = fields
        return found

    def save_snapshot(
        self, connection: str, store: str, item: str, fields: Mapping[str, tuple[str, str]], at: str
    ) -> None:
        data: dict[str, str] = {"item": item, "synced_at": at}
        for name, (erp, woo) in fields.items():
            data[f"{name}_erp"], data[f"{name}_woo"] = erp, woo
        self.table.upsert(Row(f"synced:{connection}:{store}", _key(item), data))

    # ---- conflicts
    def conflicts(self, connection: str | None = None) -> list[FieldConflict]:
        """The open conflicts of one connection, or of all of them."""
        rows = (
            self.table.query("PartitionKey eq @pk and connection eq @connection", pk=CONFLICTS, connection=connection)
            if connection
            else self.table.partition(CONFLICTS)
        )
        return [_conflict(row) for row in rows]

    def record_conflict(self, conflict: FieldConflict) -> None:
        self.table.upsert(Row(CONFLICTS, _conflict_key(conflict), conflict.to_dict()))

    def clear_conflict(self, conflict: FieldConflict) -> None:
        """Forget a conflict: the sides agree again."""
        self.table.delete(CONFLICTS, _conflict_key(conflict))


CONFLICTS = "conflicts"


def _conflict_key(conflict: FieldConflict) -> str:
    return _key(f"{conflict.connection}|{conflict.store}|{conflict.item}|{conflict.field}")


def _conflict(row: Row) -> FieldConflict:
    d = row.data
    return FieldConflict(
        connection=str(d.get("connection", "")),
        item=str(d.get("item", "")),
        field=str(d.get("field", "")),
        store=str(d.get("store", "")),
        product_id=int(d.get("product_id", 0)),
        erp_value=str(d.get("erp_value", "")),
        woo_value=str(d.get("woo_value", "")),
        erp_before=str(d.get("erp_before", "")),
        woo_before=str(d.get("woo_before", "")),
        since=str(d.get("since", "")),
    )
