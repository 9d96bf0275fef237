"""The warehouse simulator (pick/pack/packing slip with tracking, invoice, on-hand moves) seen through `/data/`,
and business-event delivery to an HTTPS endpoint with F&O's envelope and retry rule (facts §2.6, §2.7, §3)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.fo import FoEmulator
from sandbox.server import RunningServer, free_port, serve_in_thread

from .conftest import reference

pytestmark = [pytest.mark.integration, pytest.mark.fo]


@dataclass
class Endpoint:
    """An HTTPS business-event endpoint that answers the statuses queued for it (then 202)."""

    server: RunningServer | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle(self, request: Request) -> Response:
        body = await request.json()
        with self.lock:
            self.received.append(body)
            status = self.statuses.pop(0) if self.statuses else 202
        return Response(status_code=status)


@pytest.fixture(scope="module")
def endpoint(fo: FoEmulator, control: httpx.Client) -> Iterator[Endpoint]:
    ep = Endpoint()
    ep.server = serve_in_thread(Starlette(routes=[Route("/events", ep.handle, methods=["POST"])]), tls=True, name="be")
    control.post("events/endpoints", json={"event": "*", "url": f"{ep.server.url}/events"}).raise_for_status()
    yield ep
    ep.server.stop()


def place_order(client: httpx.Client, control: httpx.Client, company: str, reference_no: str) -> str:
    control.post(
        "seed",
        json={
            "dataAreaId": company,
            "customers": [{"CustomerAccount": "WH-1"}],
            "products": [{"ItemNumber": "SHIRT", "SalesPrice": 20, "stock": 10}],
        },
    ).raise_for_status()
    header = client.post(
        "SalesOrderHeadersV2",
        json={"dataAreaId": company, "OrderingCustomerAccountNumber": "WH-1", "CustomersOrderReference": reference_no},
    ).json()
    number = str(header["SalesOrderNumber"])
    line = {"dataAreaId": company, "SalesOrderNumber": number, "ItemNumber": "SHIRT", "OrderedSalesQuantity": 3}
    assert client.post("SalesOrderLines", json=line).status_code == 201
    return number


def rows(client: httpx.Client, company: str, entity_set: str, flt: str = "") -> list[dict[str, Any]]:
    text = f"dataAreaId eq '{company}'" + (f" and {flt}" if flt else "")
    response = client.get(entity_set, params={"cross-company": "true", "$filter": text})
    assert response.status_code == 200, response.text
    return list(response.json()["value"])


def ship(control: httpx.Client, company: str, order: str, **body: Any) -> dict[str, Any]:
    response = control.post("warehouse/ship", json={"dataAreaId": company, "order": order, **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_partial_then_full_shipment_with_tracking_and_on_hand(
    client: httpx.Client, control: httpx.Client, company: str, endpoint: Endpoint
) -> None:
    number = place_order(client, control, company, "W-SHIP")
    first = ship(control, company, "W-SHIP", quantities={"SHIRT": 1}, carrier="UPS", trackingNumber="1Z999")
    assert rows(client, company, "SalesOrderHeadersV2")[0]["SalesOrderStatus"] == "Backorder"
    second = ship(control, company, "W-SHIP", carrier="DHL", trackingNumber="JD0001")
    assert first["packingSlipNumber"] != second["packingSlipNumber"]
    tracking = rows(client, company, "SalesPackingSlipTrackingInformation", f"SalesOrderNumber eq '{number}'")
    assert sorted((t["PackingSlipNumber"], t["TrackingNumber"]) for t in tracking) == sorted(
        [(first["packingSlipNumber"], "1Z999"), (second["packingSlipNumber"], "JD0001")]
    )
    assert all(t["TrackingURL"].endswith(t["TrackingNumber"]) for t in tracking)
    slip_lines = rows(client, company, "SalesPackingSlipLines", f"SalesOrderNumber eq '{number}'")
    assert sorted((r["PackingSlipNumber"], r["ItemNumber"], r["DeliveredQuantity"]) for r in slip_lines) == sorted(
        [(first["packingSlipNumber"], "SHIRT", 1), (second["packingSlipNumber"], "SHIRT", 2)]
    )
    refused = client.post("SalesPackingSlipLines", params={"cross-company": "true"}, json={"dataAreaId": company})
    assert refused.status_code >= 400  # posted documents are read-only
    header = rows(client, company, "SalesOrderHeadersV2")[0]
    assert header["SalesOrderStatus"] == "Delivered"
    on_hand = rows(client, company, "WarehousesOnHandV2", "ItemNumber eq 'SHIRT'")
    assert [r["AvailableOnHandQuantity"] for r in on_hand] == [7]
    line = rows(client, company, "SalesOrderLines")[0]
    patched = client.patch(
        f"SalesOrderLines(dataAreaId='{company}',InventoryLotId='{line['InventoryLotId']}')",
        params={"cross-company": "true"},
        json={"OrderedSalesQuantity": 5},
    )
    assert patched.status_code == 500  # a delivered line cannot be changed
    with pytest.raises(httpx.HTTPStatusError):
        control.post("warehouse/ship", json={"dataAreaId": company, "order": "W-SHIP"}).raise_for_status()


def test_invoice_and_business_events(
    client: httpx.Client, control: httpx.Client, company: str, endpoint: Endpoint
) -> None:
    number = place_order(client, control, company, "W-INV")
    assert control.post("warehouse/invoice", json={"dataAreaId": company, "order": "W-INV"}).status_code == 400
    ship(control, company, "W-INV", carrier="UPS", trackingNumber="1ZINV")
    invoice = control.post("warehouse/invoice", json={"dataAreaId": company, "order": "W-INV"}).json()
    invoices = rows(client, company, "SalesInvoiceHeadersV2", f"SalesOrderNumber eq '{number}'")
    assert [(i["InvoiceNumber"], i["CustomersOrderReference"], i["TotalInvoiceAmount"]) for i in invoices] == [
        (invoice["invoiceNumber"], "W-INV", 60)
    ]
    assert rows(client, company, "SalesOrderHeadersV2")[0]["SalesOrderStatus"] == "Invoiced"
    assert control.post("events/flush", json={}).json()["flushed"]
    mine = [e for e in endpoint.received if e.get("SalesOrderId") == number and e.get("LegalEntity") == company]
    assert [e["BusinessEventId"] for e in mine] == [
        "SalesPackingSlipPostedBusinessEvent",
        "SalesInvoicePostedBusinessEvent",
    ]
    invoice_event = mine[1]
    recorded = json.loads(reference("fo-business-event-envelope-sample.json").read_text(encoding="utf-8"))
    envelope = {k for k in recorded if k not in ("DeliveryDate", "ValueOne")}  # the sample's payload fields
    assert envelope <= set(invoice_event)
    for key in envelope:
        assert type(invoice_event[key]) is type(recorded[key]), key
    assert list(invoice_event) == sorted(invoice_event)  # flat, alphabetical, like the sample
    assert invoice_event["InvoiceId"] == invoice["invoiceNumber"]
    assert invoice_event["EventTime"].startswith("/Date(") and invoice_event["EventTime"].endswith(")/")
    assert mine[0]["ControlNumber"] < invoice_event["ControlNumber"]
    members = {"InvoiceAccount", "InvoiceId", "SalesOrderId", "InvoiceDate", "InvoiceDueDate", "LegalEntity"}
    assert members | {"InvoiceAmountInAccountingCurrency", "InvoiceTaxAmount"} <= set(invoice_event)


def test_delivery_is_retried_three_times_then_kept_as_an_error(
    fo: FoEmulator, client: httpx.Client, control: httpx.Client, company: str, endpoint: Endpoint
) -> None:
    place_order(client, control, company, "W-RETRY")
    with endpoint.lock:
        endpoint.statuses[:] = [500, 503]  # two failures, then the third attempt is accepted
    ship(control, company, "W-RETRY")
    assert control.post("events/flush", json={}).json()["flushed"]
    log = control.get("events/log").json()
    retried = [d for d in log if d["event"]["BusinessEventLegalEntity"] == company.upper()]
    assert retried[-1]["attempts"] == [500, 503, 202] and retried[-1]["delivered"]
    same = [e for e in endpoint.received if e.get("BusinessEventLegalEntity") == company.upper()]
    assert len({e["EventId"] for e in same}) == 1 and len(same) == 3  # the same event, resent
    with endpoint.lock:
        endpoint.statuses[:] = [500] * 4
    control.post("warehouse/invoice", json={"dataAreaId": company, "order": "W-RETRY"}).raise_for_status()
    assert control.post("events/flush", json={}).json()["flushed"]
    failed = fo.events.errors[-1]
    assert failed.attempts == [500, 500, 500, 500] and not failed.delivered  # 1 try + 3 retries


def test_unreachable_endpoint_is_retried_then_kept_as_an_error(fo: FoEmulator) -> None:
    dead = f"https://localhost:{free_port()}/events"
    fo.events.activate("UnreachableTestEvent", dead)
    event = fo.events.publish("UnreachableTestEvent", "usmf", {"Value": "x"})
    assert fo.events.flush(30)
    failed = [d for d in fo.events.errors if d.event["EventId"] == event["EventId"]]
    assert len(failed) == 1 and len(failed[0].attempts) == 4  # the first try and 3 retries
    assert all(isinstance(a, str) for a in failed[0].attempts)  # connection errors, not statuses
