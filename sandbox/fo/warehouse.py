"""The warehouse and finance clerks: products and on-hand, price changes, pick/pack/packing slip with tracking,
invoice posting, on-hand moves, customer holds. Writes the store directly (not through OData, as F&O's own
forms do) and publishes the matching business events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.fo.events import EventHub, ms_date
from sandbox.fo.store import FoStore, LegalEntity
from sandbox.odata.store import Record

DEFAULT_SITE, DEFAULT_WAREHOUSE = "1", "11"  # usmf-style ids (UNCONFIRMED values; configurable per call)
CARRIERS = {  # tracking URL templates (the emulator's; F&O keeps them on the carrier)
    "UPS": "https://www.ups.com/track?tracknum={}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={}",
    "FEDEX": "https://www.fedex.com/fedextrack/?trknbr={}",
}
PACKING_SLIP_EVENT = "SalesPackingSlipPostedBusinessEvent"  # name UNCONFIRMED (facts §2.7)
INVOICE_EVENT = "SalesInvoicePostedBusinessEvent"  # facts §3


class WarehouseError(ValueError):
    pass


class Warehouse:
    def __init__(self, store: FoStore, events: EventHub) -> None:
        self.store = store
        self.events = events

    def _one(self, company: LegalEntity, entity_set: str, **match: Any) -> Record:
        found = self.store.find(company, entity_set, **match)
        if not found:
            raise WarehouseError(f"no {entity_set} row with {match}")
        return found[0]

    # ---- master data ------------------------------------------------------------------------------------------
    def seed_product(self, company: LegalEntity, item: str, price: Decimal, name: str = "", unit: str = "ea") -> Record:
        record = self.store.blank("ReleasedProductV2")
        record.update(ItemNumber=item, ProductNumber=item, SearchName=name or item, ProductSearchName=name or item)
        record.update(SalesPrice=Decimal(price), SalesUnitSymbol=unit, InventoryUnitSymbol=unit)
        return self.store.put(company, "ReleasedProductsV2", record)

    def set_price(self, company: LegalEntity, item: str, price: Decimal) -> None:
        with self.store.lock:
            record = self._one(company, "ReleasedProductsV2", ItemNumber=item)
            record["SalesPrice"] = Decimal(price)
            record["SalesPriceDate"] = self.store.clock.today()
            self.store.touch(company, "ReleasedProductsV2", record)

    def on_hand(self, company: LegalEntity, item: str, site: str, warehouse: str) -> Record:
        rows = self.store.find(
            company, "WarehousesOnHandV2", ItemNumber=item, InventorySiteId=site, InventoryWarehouseId=warehouse
        )
        if rows:
            return rows[0]
        product = self._one(company, "ReleasedProductsV2", ItemNumber=item)
        record = self.store.blank("WarehouseOnHandV2")
        record.update(
            ItemNumber=item, ProductName=product["SearchName"], InventorySiteId=site, InventoryWarehouseId=warehouse
        )
        return self.store.put(company, "WarehousesOnHandV2", record)

    def move_stock(
        self,
        company: LegalEntity,
        item: str,
        delta: Decimal,
        site: str = DEFAULT_SITE,
        warehouse: str = DEFAULT_WAREHOUSE,
    ) -> Record:
        with self.store.lock:
            row = self.on_hand(company, item, site, warehouse)
            row["OnHandQuantity"] = Decimal(row["OnHandQuantity"]) + Decimal(delta)
            self._available(row)
            self.store.touch(company, "WarehousesOnHandV2", row)
            return row

    @staticmethod
    def _available(row: Record) -> None:
        row["AvailableOnHandQuantity"] = Decimal(row["OnHandQuantity"]) - Decimal(row["ReservedOnHandQuantity"])
        row["TotalAvailableQuantity"] = row["AvailableOnHandQuantity"] + Decimal(row["AvailableOrderedQuantity"])

    def hold_customer(self, company: LegalEntity, account: str, status: str) -> None:
        with self.store.lock:
            record = self._one(company, "CustomersV3", CustomerAccount=account)
            record["OnHoldStatus"] = status
            self.store.touch(company, "CustomersV3", record)

    # ---- documents --------------------------------------------------------------------------------------------
    def find_order(self, company: LegalEntity, reference: str) -> Record:
        """By the customer's order reference (the connector's idempotency key), else by the order number."""
        found = self.store.find(company, "SalesOrderHeadersV2", CustomersOrderReference=reference)
        return found[0] if found else self._one(company, "SalesOrderHeadersV2", SalesOrderNumber=reference)

    def ship(
        self,
        company: LegalEntity,
        reference: str,
        quantities: dict[str, Decimal] | None = None,
        carrier: str = "",
        tracking_number: str = "",
    ) -> dict[str, Any]:
        """Pick, pack and post a packing slip: deliver the quantities (default: all outstanding), move on-hand out
        of each line's warehouse, write the tracking row, set line and order status, publish the event."""
        with self.store.lock:
            order = self.find_order(company, reference)
            number = order["SalesOrderNumber"]
            if order["SalesOrderStatus"] not in ("Backorder", "Delivered"):
                raise WarehouseError(f"order {number} is {order['SalesOrderStatus']}")
            lines = self.store.find(company, "SalesOrderLines", SalesOrderNumber=number)
            shipped: dict[str, Decimal] = {}
            for line in sorted(lines, key=lambda r: r["LineCreationSequenceNumber"]):
                outstanding = Decimal(line["OrderedSalesQuantity"]) - Decimal(line.get("_delivered", 0))
                wanted = (
                    outstanding
                    if quantities is None
                    else min(outstanding, Decimal(quantities.get(line["ItemNumber"], 0)))
                )
                if wanted <= 0:
                    continue
                line["_delivered"] = Decimal(line.get("_delivered", 0)) + wanted
                if line["_delivered"] >= Decimal(line["OrderedSalesQuantity"]):
                    line["SalesOrderLineStatus"] = "Delivered"
                self.store.touch(company, "SalesOrderLines", line)
                site = line["ShippingSiteId"] or order["DefaultShippingSiteId"] or DEFAULT_SITE
                warehouse = line["ShippingWarehouseId"] or order["DefaultShippingWarehouseId"] or DEFAULT_WAREHOUSE
                self.move_stock(company, line["ItemNumber"], -wanted, site, warehouse)
                shipped[line["ItemNumber"]] = shipped.get(line["ItemNumber"], Decimal(0)) + wanted
            if not shipped:
                raise WarehouseError(f"order {number} has nothing to ship")
            slip = self.store.next_number(company, "packing_slip")
            today = self.store.clock.today()
            if all(line["SalesOrderLineStatus"] == "Delivered" for line in lines):
                order["SalesOrderStatus"] = "Delivered"
            if carrier:
                order["ShippingCarrierId"] = carrier
            self.store.touch(company, "SalesOrderHeadersV2", order)
            tracking = self.store.blank("SalesPackingSlipTrackingInformation")
            url = CARRIERS.get(carrier.upper(), "").format(tracking_number) if tracking_number else ""
            tracking.update(
                SalesOrderNumber=number,
                PackingSlipNumber=slip,
                DeliveryDate=today,
                TrackingNumber=tracking_number,
                TrackingURL=url,
            )
            self.store.put(company, "SalesPackingSlipTrackingInformation", tracking)
            for index, (item, quantity) in enumerate(shipped.items(), start=1):
                slip_line = self.store.blank("SalesPackingSlipLine")
                slip_line.update(
                    PackingSlipNumber=slip,
                    LineNumber=Decimal(index),
                    SalesOrderNumber=number,
                    ItemNumber=item,
                    DeliveredQuantity=quantity,
                    DeliveryDate=today,
                )
                self.store.put(company, "SalesPackingSlipLines", slip_line)
        self.events.publish(
            PACKING_SLIP_EVENT,
            company.id,
            {
                "PackingSlipId": slip,
                "SalesOrderId": number,
                "DeliveryDate": ms_date(self.store.clock.now()),
                "LegalEntity": company.id,
            },
        )
        return {
            "packingSlipNumber": slip,
            "salesOrderNumber": number,
            "shipped": {k: str(v) for k, v in shipped.items()},
        }

    def invoice(self, company: LegalEntity, reference: str) -> dict[str, Any]:
        with self.store.lock:
            order = self.find_order(company, reference)
            number = order["SalesOrderNumber"]
            if order["SalesOrderStatus"] != "Delivered":
                raise WarehouseError(f"order {number} is {order['SalesOrderStatus']}, not Delivered")
            lines = self.store.find(company, "SalesOrderLines", SalesOrderNumber=number)
            total = sum((Decimal(line["LineAmount"]) for line in lines), Decimal(0))
            invoice_id = self.store.next_number(company, "invoice")
            record = self.store.blank("SalesInvoiceHeaderV2")
            record.update(
                InvoiceNumber=invoice_id,
                InvoiceDate=self.store.clock.today(),
                CustomersOrderReference=order["CustomersOrderReference"],
                SalesOrderNumber=number,
                InvoiceCustomerAccountNumber=order["InvoiceCustomerAccountNumber"],
                CurrencyCode=order["CurrencyCode"],
                TotalInvoiceAmount=total,
            )
            self.store.put(company, "SalesInvoiceHeadersV2", record)
            order["SalesOrderStatus"] = "Invoiced"
            self.store.touch(company, "SalesOrderHeadersV2", order)
            for line in lines:
                line["SalesOrderLineStatus"] = "Invoiced"
                self.store.touch(company, "SalesOrderLines", line)
        now = ms_date(self.store.clock.now())
        self.events.publish(
            INVOICE_EVENT,
            company.id,
            {  # DataMembers of SalesInvoicePostedBusinessEvent (facts §3)
                "InvoiceAccount": order["InvoiceCustomerAccountNumber"],
                "InvoiceId": invoice_id,
                "SalesOrderId": number,
                "InvoiceDate": now,
                "InvoiceDueDate": now,
                "InvoiceAmountInAccountingCurrency": float(total),
                "InvoiceTaxAmount": 0.0,
                "LegalEntity": company.id,
            },
        )
        return {"invoiceNumber": invoice_id, "salesOrderNumber": number, "total": str(total)}
