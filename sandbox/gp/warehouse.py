"""The warehouse and back office of the emulated GP: stock movements, price changes, holds, currencies and
shipments, as people or other GP modules would make them (the connector only polls; facts §4: GP has no webhooks).

A shipment of a SOP document records its tracking numbers on the document (``SalesDocument.TrackingNumbers``,
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
    shipment = Shipment(
        number=company.next_number("SHP"),
        document_id=document_id,
        quantities=shipped,
        carrier=carrier,
        tracking_number=tracking_number,
    )
    company.shipments.append(shipment)
    return shipment


__all__ = ["SOP_KINDS", "NotFound", "NothingToShip", "find_sop", "move_stock", "set_hold", "set_price", "ship"]
