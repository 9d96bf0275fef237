"""Business Central reads for the ERP → store sync: items (stock, price), item ledger entries, posted
shipments with package tracking (facts: dynamics.md §1.2, §1.4, §1.8).

Functions over a :class:`~shared.erp.bc.client.BcClient` (its calls classify errors and follow
``@odata.nextLink``); the adapter exposes them as methods of the ERP port.

Why item ledger entries: a stock movement posts an item ledger entry and changes the ``inventory``
flowfield, but does not modify the Item record, so neither ``lastModifiedDateTime`` nor an item webhook
sees it. Entry numbers only grow, so ``entryNumber gt <cursor>`` is an exact delta.

Package tracking is not in the standard API (``salesShipments`` has no tracking or shipping-agent
field): it comes from a custom API page over Sales Shipment Header + Shipping Agent when
``BC_TRACKING_API`` names one (e.g. ``wooConnector/shipping/v1.0``, entity set ``shipmentTrackings``
with ``shipmentNumber``, ``shippingAgentCode``/``shippingAgentName``, ``packageTrackingNumber`` and
``trackingUrl``/``internetAddress``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.config import BcConnection
from shared.erp.bc.client import BcClient, odata_string
from shared.erp.bc.mapping import bc_item_from_json, bc_shipment_from_json
from shared.erp.port import ErpItem
from shared.model import Shipment

FILTER_CHUNK = 20  # values per `a eq x or a eq y` filter (OR on one field is allowed; keep URLs short)
ITEM_SELECT = "id,number,displayName,type,inventory,unitPrice,blocked,lastModifiedDateTime"
STOCK_ITEM_TYPE = "Inventory"


def odata_stamp(moment: datetime) -> str:
    """An aware datetime as BC writes it in filters: UTC, milliseconds, Z."""
    text = moment.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def any_of(field: str, values: Sequence[str], *, quote: bool = True) -> list[str]:
    """`field eq v1 or field eq v2 …` filters, FILTER_CHUNK values each."""
    filters = []
    for start in range(0, len(values), FILTER_CHUNK):
        chunk = values[start : start + FILTER_CHUNK]
        filters.append(" or ".join(f"{field} eq {odata_string(v) if quote else v}" for v in chunk))
    return filters


# ------------------------------------------------------------------------------------------ items


def catalog_item_from_json(row: Mapping[str, Any]) -> ErpItem:
    """An ``items`` row → :class:`ErpItem`; only ``Inventory`` items have stock to push."""
    kind = str(row.get("type") or STOCK_ITEM_TYPE)
    return replace(bc_item_from_json(row), stock_tracked=kind == STOCK_ITEM_TYPE)


def catalog_items(
    client: BcClient,
    numbers: Sequence[str] | None = None,
    *,
    ids: Sequence[str] | None = None,
    changed_since: datetime | None = None,
) -> list[ErpItem]:
    """Items by number, by id, modified after ``changed_since``, or all (blocked ones included)."""
    base = {"$select": ITEM_SELECT}
    if numbers is not None:
        filters = any_of("number", sorted(set(numbers)))
    elif ids is not None:
        filters = any_of("id", sorted({i.lower() for i in ids}), quote=False)
    elif changed_since is not None:
        filters = [f"lastModifiedDateTime gt {odata_stamp(changed_since)}"]
    else:
        return [catalog_item_from_json(row) for row in client.get_all("items", base)]
    rows: list[dict[str, Any]] = []
    for expression in filters:
        rows.extend(client.get_all("items", {**base, "$filter": expression}))
    return [catalog_item_from_json(row) for row in rows]


OPEN_ORDER_LINES = "salesOrderLines($select=lineType,lineObjectNumber,quantity,shippedQuantity)"
OPEN_ORDER_PAGE = 1000  # sales orders per page (their lines come along)


def open_order_quantities(client: BcClient) -> dict[str, Decimal]:
    """Item number → units on sales orders not yet shipped (quantity − shippedQuantity of item lines).

    BC's ``inventory`` still counts units sold on an open sales order until it ships. The lines are read
    through their orders (``salesOrders?$filter=fullyShipped eq false&$expand=salesOrderLines``): the
    ``salesOrderLines`` set answers only for one document (facts §1.2: a temporary buffer page keyed by
    ``documentId``). One paged read for the whole company, however many items: a few calls a run.
    """
    params = {"$filter": "fullyShipped eq false", "$select": "id", "$expand": OPEN_ORDER_LINES}
    open_quantities: dict[str, Decimal] = defaultdict(Decimal)
    for order in client.iter_rows("salesOrders", params, page_size=OPEN_ORDER_PAGE):
        for line in order.get("salesOrderLines") or []:
            if line.get("lineType") != "Item" or not line.get("lineObjectNumber"):
                continue
            outstanding = Decimal(str(line.get("quantity") or 0)) - Decimal(str(line.get("shippedQuantity") or 0))
            if outstanding > 0:
                open_quantities[str(line["lineObjectNumber"])] += outstanding
    return dict(open_quantities)


def stock_cursor(client: BcClient) -> str:
    """The newest item ledger entry number ("0" when there is none)."""
    params = {"$orderby": "entryNumber desc", "$top": "1", "$select": "entryNumber"}
    rows = client.get_all("itemLedgerEntries", params)
    return str(int(rows[0]["entryNumber"])) if rows else "0"


def stock_moves_since(client: BcClient, cursor: str) -> tuple[set[str], str]:
    """Item numbers with ledger entries after ``cursor`` and the newest entry number seen."""
    last = int(cursor or 0)
    params = {"$filter": f"entryNumber gt {last}", "$select": "entryNumber,itemNumber"}
    numbers: set[str] = set()
    for row in client.get_all("itemLedgerEntries", params):
        numbers.add(str(row["itemNumber"]))
        last = max(last, int(row["entryNumber"]))
    return numbers, str(last)


# -------------------------------------------------------------------------------------- shipments


def tracking_api_url(connection: BcConnection) -> str | None:
    """`…/api/<publisher>/<group>/<version>/companies(<id>)/<entity set>`, or None when not configured."""
    api = connection.tracking_api.strip().strip("/")
    if not api:
        return None
    return (
        f"{connection.api_url.rstrip('/')}/v2.0/{connection.tenant_id}/{connection.environment}"
        f"/api/{api}/companies({connection.company_id})/{connection.tracking_entity_set}"
    )


def tracking_rows(
    client: BcClient, connection: BcConnection, shipment_numbers: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Tracking rows of the custom API by shipment number (empty when no tracking API is configured)."""
    url = tracking_api_url(connection)
    if url is None or not shipment_numbers:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for expression in any_of("shipmentNumber", sorted(set(shipment_numbers))):
        for row in client.get_all(url, {"$filter": expression}):
            found[str(row.get("shipmentNumber") or "")] = row
    return found


def fully_shipped_orders(client: BcClient, order_numbers: Iterable[str]) -> dict[str, bool]:
    """`fullyShipped` per sales order number; an order no longer there was posted in full (deleted)."""
    wanted = sorted({n for n in order_numbers if n})
    result = dict.fromkeys(wanted, True)
    for expression in any_of("number", wanted):
        for row in client.get_all("salesOrders", {"$filter": expression, "$select": "number,fullyShipped"}):
            result[str(row["number"])] = bool(row.get("fullyShipped"))
    return result


def shipments_since(client: BcClient, since: datetime) -> list[Shipment]:
    """Posted shipments modified after ``since``, with tracking, ``partial`` set, oldest number first.

    An order's shipments are partial until the order is fully shipped; of several shipments read in
    one go for a fully shipped order only the last (highest number) completes it.
    """
    params = {"$filter": f"lastModifiedDateTime gt {odata_stamp(since)}", "$expand": "salesShipmentLines"}
    rows = [row for row in client.get_all("salesShipments", params) if row.get("externalDocumentNumber")]
    if not rows:
        return []
    tracking = tracking_rows(client, client.connection, [str(row["number"]) for row in rows])
    fully = fully_shipped_orders(client, (str(row.get("orderNumber") or "") for row in rows))
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_order[str(row.get("orderNumber") or row["number"])].append(row)
    shipments: list[Shipment] = []
    for order_number, group in by_order.items():
        group.sort(key=lambda row: str(row["number"]))
        for index, row in enumerate(group):
            complete = fully.get(order_number, True) and index == len(group) - 1
            shipments.append(bc_shipment_from_json(row, tracking.get(str(row["number"])), partial=not complete))
    shipments.sort(key=lambda shipment: shipment.erp_shipment_number)
    return shipments
