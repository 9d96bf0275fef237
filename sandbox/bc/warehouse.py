"""Warehouse simulator: what happens in BC outside the API (posting shipments/invoices, stock, prices)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.bc.documents import SHIPMENT_SERIES, DocumentHandler, check_blocked, is_posted
from sandbox.bc.entities import Handler, d, find_by, post_item_ledger
from sandbox.bc.errors import dialog
from sandbox.bc.store import Company, Record, Store

LINE_TYPE_TO_SHIPMENT = {
    "Item": "Item",
    "Account": "G_x002F_L_x0020_Account",
    "Resource": "Resource",
    "Fixed_x0020_Asset": "Fixed_x0020_Asset",
    "Charge": "Charge_x0020__x0028_Item_x0029_",
    "Comment": "_x0020_",
}
SHIPMENT_HEADER_FIELDS = (
    "externalDocumentNumber",
    "customerId",
    "customerNumber",
    "customerName",
    "billToCustomerId",
    "billToName",
    "billToCustomerNumber",
    "shipToName",
    "shipToContact",
    "sellToAddressLine1",
    "sellToAddressLine2",
    "sellToCity",
    "sellToCountry",
    "sellToState",
    "sellToPostCode",
    "billToAddressLine1",
    "billToAddressLine2",
    "billToCity",
    "billToCountry",
    "billToState",
    "billToPostCode",
    "shipToAddressLine1",
    "shipToAddressLine2",
    "shipToCity",
    "shipToCountry",
    "shipToState",
    "shipToPostCode",
    "currencyCode",
    "salesperson",
    "pricesIncludeTax",
    "phoneNumber",
    "email",
)


def _orders(registry: dict[str, Handler]) -> DocumentHandler:
    handler = registry["salesOrders"]
    assert isinstance(handler, DocumentHandler)
    return handler


def ship_order(
    store: Store,
    registry: dict[str, Handler],
    company: Company,
    order: Record,
    quantities: dict[str, Any] | None = None,
    shipping_agent_code: str = "",
    tracking_number: str = "",
    service_code: str = "",
) -> Record:
    """Post a sales shipment for the order (all outstanding quantities, or `quantities` keyed by line id,
    sequence or item number). Returns the salesShipment record."""
    orders = _orders(registry)
    customer = store.table(company, "customers").get(order["customerId"])
    if customer and customer["blocked"] in ("Ship", "All"):
        check_blocked(customer, "Order", action="ship")
    lines = orders.doc_lines(company, order)
    to_ship: list[tuple[Record, Decimal]] = []
    for line in lines:
        if line["lineType"] == "Comment":
            continue
        outstanding = d(line["quantity"]) - d(line["shippedQuantity"])
        if quantities is None:
            qty = outstanding
        else:
            keys = (line["id"], str(line["sequence"]), line["lineObjectNumber"])
            qty = next((d(quantities[k]) for k in keys if k in quantities), Decimal(0))
        if qty > outstanding:
            raise dialog(f"You cannot ship more than {outstanding} units for line {line['sequence']}.")
        if qty > 0:
            to_ship.append((line, qty))
    if not to_ship:
        raise dialog("There is nothing to post.")
    agent = company.shipping_agents.get(shipping_agent_code) if shipping_agent_code else None
    if shipping_agent_code and agent is None:
        raise dialog(f"The Shipping Agent {shipping_agent_code} does not exist.")

    today = store.clock.today()
    shipment = store.blank("salesShipment")
    for name in SHIPMENT_HEADER_FIELDS:
        shipment[name] = order[name]
    shipment.update(
        number=store.next_number(company, "salesShipments", SHIPMENT_SERIES),
        orderNumber=order["number"],
        postingDate=today,
        invoiceDate=today,
        dueDate=today,
        shipmentMethodCode="",
    )
    store.insert(company, "salesShipments", shipment)
    items = store.table(company, "items")
    for line, qty in to_ship:
        row = store.blank("salesShipmentLine")
        row.update(
            documentId=shipment["id"],
            documentNo=shipment["number"],
            sequence=line["sequence"],
            lineType=LINE_TYPE_TO_SHIPMENT.get(line["lineType"], "_x0020_"),
            lineObjectNumber=line["lineObjectNumber"],
            description=line["description"],
            unitOfMeasureCode=line["unitOfMeasureCode"],
            unitPrice=line["unitPrice"],
            quantity=qty,
            discountPercent=line["discountPercent"],
            taxPercent=line["taxPercent"],
            shipmentDate=today,
        )
        store.insert(company, "salesShipmentLines", row, notify=False)
        line["shippedQuantity"] = d(line["shippedQuantity"]) + qty
        store.touch(company, "salesOrderLines", line, notify=False)
        item = items.get(line["itemId"])
        if line["lineType"] == "Item" and item and item["type"] == "Inventory":
            post_item_ledger(
                store,
                company,
                item,
                -qty,
                "Sale",
                "Sales_x0020_Shipment",
                shipment["number"],
                order["customerNumber"],
            )
    orders.recalc(company, order)
    store.touch(company, "salesOrders", order)
    company.tracking[shipment["id"]] = {
        "id": shipment["id"],  # the AL page is keyed by the Sales Shipment Header's SystemId
        "shipmentId": shipment["id"],
        "shipmentNumber": shipment["number"],
        "orderNumber": order["number"],
        "externalDocumentNumber": order["externalDocumentNumber"],
        "customerNumber": order["customerNumber"],
        "postingDate": today,
        "shippingAgentCode": shipping_agent_code,
        "shippingAgentName": agent["name"] if agent else "",
        "shippingAgentServiceCode": service_code,
        "packageTrackingNumber": tracking_number,
        "trackingUrl": _tracking_url(agent, tracking_number),
        "lastModifiedDateTime": shipment["lastModifiedDateTime"],
    }
    return shipment


def _tracking_url(agent: Record | None, tracking_number: str) -> str:
    if not agent or not tracking_number or not agent.get("trackingUrl"):
        return ""
    return str(agent["trackingUrl"]).replace("%1", tracking_number)


def update_tracking(
    store: Store, company: Company, shipment: Record, tracking_number: str, shipping_agent_code: str | None = None
) -> Record:
    """'Update Document' on a posted shipment: change package tracking no. / shipping agent afterwards."""
    row = company.tracking[shipment["id"]]
    if shipping_agent_code is not None:
        agent = company.shipping_agents.get(shipping_agent_code)
        if agent is None:
            raise dialog(f"The Shipping Agent {shipping_agent_code} does not exist.")
        row["shippingAgentCode"], row["shippingAgentName"] = shipping_agent_code, agent["name"]
    row["packageTrackingNumber"] = tracking_number
    row["trackingUrl"] = _tracking_url(company.shipping_agents.get(row["shippingAgentCode"]), tracking_number)
    store.touch(company, "salesShipments", shipment, notify=False)
    row["lastModifiedDateTime"] = shipment["lastModifiedDateTime"]
    return row


def invoice_order(store: Store, registry: dict[str, Handler], company: Company, order: Record) -> Record:
    """Post an invoice for shipped-not-invoiced quantities. A fully shipped and invoiced order is then
    deleted, as BC does after posting."""
    orders = _orders(registry)
    invoices = registry["salesInvoices"]
    assert isinstance(invoices, DocumentHandler)
    lines = [line for line in orders.doc_lines(company, order) if line["lineType"] != "Comment"]
    to_invoice = [(line, d(line["shippedQuantity"]) - d(line["invoicedQuantity"])) for line in lines]
    to_invoice = [(line, qty) for line, qty in to_invoice if qty > 0]
    if not to_invoice:
        raise dialog("There is nothing to post.")
    invoice = store.blank("salesInvoice")
    for name in invoice:
        if name in order and name not in ("id", "number", "status", "lastModifiedDateTime"):
            invoice[name] = order[name]
    today = store.clock.today()
    invoice.update(
        number=store.next_number(company, "posted-salesInvoices", 103001),
        invoiceDate=today,
        postingDate=today,
        dueDate=today,
        orderId=order["id"],
        orderNumber=order["number"],
        status="Open",
    )
    store.insert(company, "salesInvoices", invoice)
    for line, qty in to_invoice:
        row = store.blank("salesInvoiceLine")
        for name in row:
            if name in line and name not in ("id", "documentId"):
                row[name] = line[name]
        row.update(documentId=invoice["id"], quantity=qty)
        if d(line["quantity"]):
            row["discountAmount"] = (d(line["discountAmount"]) * qty / d(line["quantity"])).quantize(Decimal("0.01"))
        store.insert(company, "salesInvoiceLines", row, notify=False)
        line["invoicedQuantity"] = d(line["invoicedQuantity"]) + qty
    invoices.recalc(company, invoice)
    orders.recalc(company, order)
    done = all(d(line["invoicedQuantity"]) >= d(line["quantity"]) for line in lines)
    if done and not company.keep_completed_orders:
        for line in orders.doc_lines(company, order):
            store.delete(company, "salesOrderLines", line["id"], notify=False)
        store.delete(company, "salesOrders", order["id"])
    else:
        store.touch(company, "salesOrders", order)
    return invoice


def set_stock(store: Store, company: Company, item: Record, quantity: Decimal) -> Record | None:
    delta = d(quantity) - d(item["inventory"])
    return adjust_stock(store, company, item, delta) if delta else None


def adjust_stock(store: Store, company: Company, item: Record, delta: Decimal) -> Record:
    entry_type = "Positive_x0020_Adjmt_x002E_" if delta > 0 else "Negative_x0020_Adjmt_x002E_"
    return post_item_ledger(store, company, item, d(delta), entry_type)


def set_price(store: Store, company: Company, item: Record, unit_price: Decimal) -> None:
    item["unitPrice"] = d(unit_price)
    store.touch(company, "items", item)


def find_order(store: Store, company: Company, ref: str) -> Record:
    table = store.table(company, "salesOrders")
    order = (
        table.get(ref.lower())
        or find_by(store, company, "salesOrders", "number", ref)
        or find_by(store, company, "salesOrders", "externalDocumentNumber", ref)
    )
    if order is None:
        raise dialog(f"The sales order {ref} does not exist.")
    if is_posted(order):
        raise dialog("The order has been posted.")
    return order
