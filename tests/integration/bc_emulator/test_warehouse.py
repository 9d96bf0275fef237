"""Warehouse simulator: shipments, the tracking custom API, invoicing, stock and item ledger entries."""

from __future__ import annotations

import httpx
import pytest

from sandbox.bc import BcEmulator

from .conftest import tls
from .helpers import create_order, seed_basics

pytestmark = [pytest.mark.integration, pytest.mark.bc]


def test_partial_ship_creates_shipment_and_tracking_row(bc: BcEmulator, capi: httpx.Client, token: str, company: str):
    seed_basics(bc, company)
    order = create_order(capi, ext="WOO-777")
    shipment = bc.ship_order("WOO-777", {"1896-S": 1}, "DHL", "JD0001", company_id=company)
    listed = capi.get(
        "/salesShipments", params={"$filter": "externalDocumentNumber eq 'WOO-777'", "$expand": "salesShipmentLines"}
    ).json()["value"]
    assert [s["number"] for s in listed] == [shipment["number"]]
    assert listed[0]["orderNumber"] == order["number"]
    assert [(x["lineObjectNumber"], x["quantity"]) for x in listed[0]["salesShipmentLines"]] == [("1896-S", 1)]
    lines = capi.get(f"/salesOrders({order['id']})/salesOrderLines").json()["value"]
    assert [(x["shippedQuantity"], x["shipQuantity"]) for x in lines] == [(1, 1), (0, 1)]
    assert capi.get(f"/salesOrders({order['id']})").json()["fullyShipped"] is False

    with httpx.Client(
        base_url=f"{bc.custom_api_url}/companies({company})",
        verify=tls(bc),
        headers={"Authorization": f"Bearer {token}"},
    ) as custom:
        rows = custom.get("/shipmentTrackings").json()["value"]
        assert len(rows) == 1
        row = rows[0]
        assert row["packageTrackingNumber"] == "JD0001" and row["shippingAgentCode"] == "DHL"
        assert row["trackingUrl"].endswith("JD0001") and row["externalDocumentNumber"] == "WOO-777"
        since = row["lastModifiedDateTime"]
        assert (
            custom.get("/shipmentTrackings", params={"$filter": f"lastModifiedDateTime gt {since}"}).json()["value"]
            == []
        )
        bc.update_tracking(shipment["number"], "JD0002", company_id=company)
        newer = custom.get("/shipmentTrackings", params={"$filter": f"lastModifiedDateTime gt {since}"}).json()
        assert [r["packageTrackingNumber"] for r in newer["value"]] == ["JD0002"]
        assert custom.post("/shipmentTrackings", json={}).status_code == 405

    rest = bc.ship_order(order["number"], shipping_agent_code="UPS", tracking_number="1Z", company_id=company)
    assert rest["number"] != shipment["number"]
    assert capi.get(f"/salesOrders({order['id']})").json()["fullyShipped"] is True
    ledger = capi.get("/itemLedgerEntries", params={"$filter": "entryType eq 'Sale'"}).json()["value"]
    assert sorted(e["quantity"] for e in ledger) == [-1, -1, -1]


def test_stock_changes_via_ledger_do_not_touch_item(bc: BcEmulator, capi: httpx.Client, company: str):
    data = seed_basics(bc, company)
    before = capi.get(f"/items({data['desk']['id']})").json()
    bc.adjust_stock("1896-S", 5, company)
    bc.set_stock("1900-S", 0, company)
    after = capi.get(f"/items({data['desk']['id']})").json()
    assert after["inventory"] == 15
    assert after["lastModifiedDateTime"] == before["lastModifiedDateTime"]
    assert after["@odata.etag"] == before["@odata.etag"]
    entries = capi.get("/itemLedgerEntries", params={"$orderby": "entryNumber desc", "$top": "2"}).json()["value"]
    assert [(e["itemNumber"], e["quantity"]) for e in entries] == [("1900-S", -3), ("1896-S", 5)]


def test_invoice_after_shipping_deletes_completed_order(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    order = create_order(capi, ext="WOO-INV")
    bc.ship_order("WOO-INV", company_id=company)
    invoice = bc.invoice_order("WOO-INV", company_id=company)
    assert invoice["status"] == "Open" and invoice["orderNumber"] == order["number"]
    assert invoice["totalAmountIncludingTax"] == order["totalAmountIncludingTax"]
    assert capi.get(f"/salesOrders({order['id']})").status_code == 404


def test_blocked_ship_customer_cannot_ship(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    create_order(capi, ext="WOO-BLK")
    bc.block_customer("C10000", "Ship", company)
    with pytest.raises(Exception, match="blocked with type Ship"):
        bc.ship_order("WOO-BLK", company_id=company)
