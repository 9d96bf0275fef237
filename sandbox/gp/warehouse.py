"""The warehouse and back office of the emulated GP: stock movements, price changes, holds, currencies and
shipments, as people or other GP modules would make them (the connector only polls; facts §4: GP has no webhooks).

A shipment of a SOP order is transferred to an SOP invoice for the shipped quantities (GP's "Transfer to
invoice"; the invoice number is the shipment's, its ``OriginalSalesDocumentKey`` the order). A shipment of a SOP
document records its tracking numbers on the document (``SalesDocument.TrackingNumbers``,
``SalesTrackingNumber.Key.Id``), sets ``ActualShipDate``, adds ``QuantityFulfilled`` to its lines and takes the
quantities off the site's on-hand stock. Shipping carrier names are not part of GP's SOP object (the shipping
method is ``ShippingMethodKey``); the carrier given is recorded as the document's shipping method.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.gp.soap import SOP_KINDS
from sandbox.gp.store import Company, Shipment, now


class NotFound(LookupError):
    pass


class NothingToShip(ValueError):
    pass


def _qty(value: Any) -> Decimal:
    return Decimal(str(value["Value"])) if isinstance(value, dict) and value.get("Value") is not None else Decimal(0)


def _site(company: Company, item_id: str, warehouse: str | None = None) -> dict[str, Any]:
    item = company.entities["Item"].get((item_id,))
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    sites = ((item.get("Quantities") or {}).get("SalesItemWarehouse")) or []
    for site in sites:
        if warehouse is None or (site.get("Key") or {}).get("WarehouseKey", {}).get("Id") == warehouse:
            return site
    raise NotFound(f"item {item_id} has no site {warehouse}")


def move_stock(company: Company, item_id: str, delta: Decimal) -> Decimal:
    """An inventory adjustment: the site quantity changes, the item card itself is not modified."""
    site = _site(company, item_id)
    on_hand = _qty(site.get("OnHandQuantity")) + delta
    site["OnHandQuantity"] = {"Value": on_hand, "DecimalDigits": 0}
    return on_hand


def set_price(company: Company, item_id: str, price: Decimal, price_level: str | None = None) -> None:
    """A price change on the item's price level (a master-data change: the item is modified)."""
    item = company.entities["Item"].get((item_id,))
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    level = price_level or (item.get("DefaultPriceLevelKey") or {}).get("Id")
    pricing = company.entities["Pricing"].get((item_id, company.currency, str(level)))
    if pricing is None:
        raise NotFound(f"item {item_id} has no price on level {level}")
    for detail in (pricing.get("Details") or {}).get("PricingDetail") or []:
        detail["UofMPrice"] = {"Amount": {"Currency": company.currency, "Value": price, "DecimalDigits": 2}}
    stamp = now()
    pricing["LastModifiedDate"] = stamp
    item["ModifiedDate"] = item["LastModifiedDate"] = stamp


def rename_item(company: Company, item_id: str, description: str) -> None:
    """A person changes the item card's description (a master-data change: the item is modified)."""
    item = company.entities["Item"].get((item_id,))
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    item["Description"] = description
    item["ModifiedDate"] = item["LastModifiedDate"] = now()


def set_hold(company: Company, customer_id: str, on_hold: bool) -> None:
    customer = company.entities["Customer"].get((customer_id,))
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    customer["IsOnHold"] = on_hold
    customer["ModifiedDate"] = customer["LastModifiedDate"] = now()


def find_sop(company: Company, reference: str) -> tuple[str, dict[str, Any]]:
    """The unvoided SOP order or invoice whose customer PO number (or document number) is ``reference``."""
    for kind in ("SalesOrder", "SalesInvoice"):
        for doc in company.entities[kind].values():
            if doc.get("IsVoided"):
                continue
            if reference in (doc.get("CustomerPONumber"), (doc.get("Key") or {}).get("Id")):
                return kind, doc
    raise NotFound(f"no sales document for {reference}")


def ship(
    company: Company,
    reference: str,
    quantities: Mapping[str, Decimal] | None = None,
    *,
    carrier: str = "",
    tracking_number: str = "",
) -> Shipment:
    kind, doc = find_sop(company, reference)
    lines = ((doc.get("Lines") or {}).get(f"{kind}Line")) or []
    shipped: dict[str, Decimal] = {}
    for line in lines:
        item_id = str((line.get("ItemKey") or {}).get("Id"))
        outstanding = _qty(line.get("Quantity")) - _qty(line.get("QuantityFulfilled"))
        wanted = outstanding if quantities is None else min(Decimal(quantities.get(item_id, 0)), outstanding)
        if wanted <= 0:
            continue
        line["QuantityFulfilled"] = {"Value": _qty(line.get("QuantityFulfilled")) + wanted, "DecimalDigits": 0}
        move_stock(company, item_id, -wanted)
        shipped[item_id] = shipped.get(item_id, Decimal(0)) + wanted
    if not shipped:
        raise NothingToShip(f"nothing outstanding to ship on {reference}")
    document_id = str((doc.get("Key") or {}).get("Id"))
    if tracking_number:
        tracking = (doc.get("TrackingNumbers") or {}).get("SalesTrackingNumber") or []
        tracking.append({"Key": {"SalesDocumentKey": {"Id": document_id}, "Id": tracking_number}})
        doc["TrackingNumbers"] = {"SalesTrackingNumber": tracking}
    if carrier:
        doc["ShippingMethodKey"] = {"Id": carrier}
    stamp = now()
    doc["ActualShipDate"] = stamp
    doc["ModifiedDate"] = doc["LastModifiedDate"] = stamp
    if kind == "SalesOrder":
        number = _transfer_to_invoice(company, doc, shipped, carrier, tracking_number, stamp)
    else:
        number = company.next_number("SHP")
    shipment = Shipment(
        number=number,
        document_id=document_id,
        quantities=shipped,
        carrier=carrier,
        tracking_number=tracking_number,
    )
    company.shipments.append(shipment)
    return shipment


def _transfer_to_invoice(
    company: Company,
    order: dict[str, Any],
    shipped: Mapping[str, Decimal],
    carrier: str,
    tracking_number: str,
    stamp: Any,
) -> str:
    """What GP's "Transfer to invoice" does with a fulfilled order: an SOP invoice for the shipped quantities,
    pointing back at the order (``OriginalSalesDocumentKey``/``OriginalSalesDocumentType``), carrying the
    shipment's tracking number; the order keeps the rest. Returns the invoice number (the shipment's)."""
    number = company.next_number("INV")
    currency = company.currency
    prices = {
        str((line.get("ItemKey") or {}).get("Id")): line.get("UnitPrice")
        for line in ((order.get("Lines") or {}).get("SalesOrderLine")) or []
    }
    lines = []
    total = Decimal(0)
    for item_id, qty in shipped.items():
        price = _qty(prices.get(item_id))
        amount = (qty * price).quantize(Decimal("0.01"))
        total += amount
        lines.append(
            {
                "ItemKey": {"Id": item_id},
                "Quantity": {"Value": qty, "DecimalDigits": 0},
                "QuantityFulfilled": {"Value": qty, "DecimalDigits": 0},
                "UnitPrice": prices.get(item_id),
                "TotalAmount": {"Currency": currency, "Value": amount, "DecimalDigits": 2},
            }
        )
    order_id = str((order.get("Key") or {}).get("Id"))
    company.entities["SalesInvoice"][(number,)] = {
        "Key": {"Id": number},
        "Type": "Invoice",
        "DocumentTypeKey": {"Type": "Invoice", "Id": "STDINV"},
        "CustomerKey": order.get("CustomerKey"),
        "CustomerName": order.get("CustomerName"),
        "CustomerPONumber": order.get("CustomerPONumber"),
        "BatchKey": order.get("BatchKey"),
        "CurrencyKey": order.get("CurrencyKey"),
        "Date": stamp,
        "OriginalSalesDocumentKey": {"Id": order_id},
        "OriginalSalesDocumentType": "Order",
        "ShippingMethodKey": {"Id": carrier} if carrier else None,
        "TrackingNumbers": (
            {"SalesTrackingNumber": [{"Key": {"SalesDocumentKey": {"Id": number}, "Id": tracking_number}}]}
            if tracking_number
            else None
        ),
        "ActualShipDate": stamp,
        "TransactionState": "Work",
        "IsVoided": False,
        "Lines": {"SalesInvoiceLine": lines},
        "LineTotalAmount": {"Currency": currency, "Value": total, "DecimalDigits": 2},
        "TotalAmount": {"Currency": currency, "Value": total, "DecimalDigits": 2},
        "CreatedDate": stamp,
        "ModifiedDate": stamp,
        "LastModifiedDate": stamp,
    }
    return number


__all__ = ["SOP_KINDS", "NotFound", "NothingToShip", "find_sop", "move_stock", "set_hold", "set_price", "ship"]
