"""F&O reads for the ERP → store sync: released products (price, names), on-hand per warehouse, open
order quantities, packing slips with tracking (facts: finance-operations.md §2.6, §2.7).

F&O keeps no change date on released products or on-hand (facts §2.6), so every read is a full read of
what was asked (paged, at most 10,000 rows a page) and the stock push writes only what differs from what
it last pushed (``shared.flows.stock``: delta against the pushed state).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.erp.fo import guesses
from shared.erp.fo.client import FoClient, enum_literal, odata_string
from shared.erp.fo.mapping import item_from_json, shipment_from_rows
from shared.erp.port import ErpItem
from shared.model import Shipment

FILTER_CHUNK = 20  # values per `a eq x or a eq y` filter (OR is supported, `in` is not: facts §1.3)
PRODUCT_SELECT = "ItemNumber,SearchName,ProductSearchName,SalesPrice,ProductType"
ON_HAND_SELECT = "ItemNumber,InventoryWarehouseId,AvailableOnHandQuantity"


def any_of(field: str, values: Iterable[str]) -> list[str]:
    ordered = sorted(set(values))
    return [
        " or ".join(f"{field} eq {odata_string(value)}" for value in ordered[start : start + FILTER_CHUNK])
        for start in range(0, len(ordered), FILTER_CHUNK)
    ]


def _rows(client: FoClient, entity_set: str, select: str, filters: list[str] | None) -> list[dict[str, Any]]:
    if filters is None:
        return client.get_all(entity_set, {"$select": select})
    rows: list[dict[str, Any]] = []
    for expression in filters:
        rows.extend(client.get_all(entity_set, {"$select": select, "$filter": expression}))
    return rows


def on_hand(client: FoClient, numbers: Sequence[str] | None, warehouses: Sequence[str]) -> dict[str, Decimal]:
    """Item number → ``AvailableOnHandQuantity`` summed over the configured warehouses (all when none)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    wanted = {w.upper() for w in warehouses}
    for row in _rows(
        client, "WarehousesOnHandV2", ON_HAND_SELECT, None if numbers is None else any_of("ItemNumber", numbers)
    ):
        if wanted and str(row.get("InventoryWarehouseId") or "").upper() not in wanted:
            continue
        totals[str(row["ItemNumber"])] += Decimal(str(row.get("AvailableOnHandQuantity") or 0))
    return dict(totals)


def catalog_items(
    client: FoClient, numbers: Sequence[str] | None, warehouses: Sequence[str], *, stock: bool = True
) -> list[ErpItem]:
    """Released products by item number (all when None) with their available on-hand quantity (not read
    when ``stock`` is False: an order needs the items, not their stock)."""
    filters = None if numbers is None else any_of("ItemNumber", numbers)
    if filters == []:
        return []
    products = _rows(client, "ReleasedProductsV2", PRODUCT_SELECT, filters)
    if not stock or not products:
        return [item_from_json(product, None) for product in products]
    wanted = None if numbers is None else [str(p["ItemNumber"]) for p in products]
    stock_by_item = on_hand(client, wanted, warehouses)
    return [item_from_json(product, stock_by_item.get(str(product["ItemNumber"]))) for product in products]


def open_order_quantities(client: FoClient, namespace: str = guesses.NAMESPACE) -> dict[str, Decimal]:
    """Item number → quantity on sales order lines still open (status ``Backorder``): F&O's available on-hand
    counts them until they are reserved or delivered. Partly delivered lines count in full (a line's delivered
    quantity is not on the entity: facts §2.3)."""
    status = enum_literal(guesses.SALES_STATUS, guesses.OPEN_SALES_STATUS, namespace)
    params = {"$filter": f"SalesOrderLineStatus eq {status}", "$select": "ItemNumber,OrderedSalesQuantity"}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in client.iter_rows(guesses.SALES_ORDER_LINES, params):
        quantity = Decimal(str(row.get("OrderedSalesQuantity") or 0))
        if quantity > 0 and row.get("ItemNumber"):
            totals[str(row["ItemNumber"])] += quantity
    return dict(totals)


def shipments_since(client: FoClient, since: datetime) -> list[Shipment]:
    """Packing slips delivered on or after ``since``'s day, with tracking and lines, oldest number first.

    The tracking entity has a delivery *date* only (facts §2.7), so a day's packing slips are read again on
    every run of that day; the shipment log applies each one once. An order's slips are partial until the
    order is delivered in full; of several slips of a delivered order only the last completes it.
    """
    day = since.date().isoformat()
    tracking = client.get_all(guesses.PACKING_SLIP_TRACKING, {"$filter": f"DeliveryDate ge {day}"})
    if not tracking:
        return []
    slips = sorted({str(row["PackingSlipNumber"]) for row in tracking})
    lines_by_slip: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(
        client,
        guesses.PACKING_SLIP_LINES,
        "PackingSlipNumber,ItemNumber," + guesses.PACKING_SLIP_QUANTITY,
        any_of("PackingSlipNumber", slips),
    ):
        lines_by_slip[str(row["PackingSlipNumber"])].append(row)
    orders = {
        str(row["SalesOrderNumber"]): row
        for row in _rows(
            client,
            "SalesOrderHeadersV2",
            "SalesOrderNumber,CustomersOrderReference,SalesOrderStatus,ShippingCarrierId",
            any_of("SalesOrderNumber", (str(row.get("SalesOrderNumber") or "") for row in tracking)),
        )
    }
    by_order: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in tracking:  # one row per slip (several tracking numbers of one slip: the first)
        by_order[str(row.get("SalesOrderNumber") or "")].setdefault(str(row["PackingSlipNumber"]), row)
    shipments: list[Shipment] = []
    for order_number, slip_rows in by_order.items():
        order = orders.get(order_number)
        if order is None or not order.get("CustomersOrderReference"):
            continue  # not the connector's order
        delivered = str(order.get("SalesOrderStatus") or "") in ("Delivered", "Invoiced")
        numbers = sorted(slip_rows)
        for index, number in enumerate(numbers):
            complete = delivered and index == len(numbers) - 1
            shipments.append(
                shipment_from_rows(slip_rows[number], lines_by_slip.get(number, []), order, partial=not complete)
            )
    shipments.sort(key=lambda shipment: shipment.erp_shipment_number)
    return shipments
