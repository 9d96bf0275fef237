"""Contract tests: responses match the reference samples and every property exists in the real $metadata."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.bc import BcEmulator

from .helpers import create_order, sample, seed_basics, shape_diff

pytestmark = [pytest.mark.integration, pytest.mark.bc]

METADATA = (
    Path(__file__).resolve().parents[4] / "shared" / "reference" / "business-central" / "bc-api-v2.0-metadata.xml"
)
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"

# Documented exceptions: value-level differences only (types and keys still match).
ALLOWED_DIFFERENCES = {
    # MS docs samples show " " for a blank enum; real BC (and the emulator) send "_x0020_". Same type (string).
    "customer.blocked": "docs sample shows ' ', wire format is '_x0020_'",
    # The batch sample's second operation PATCHes items(..)/picture(..)/contentValue; pictures are not emulated.
    "batch.requests[1]": "item pictures are not emulated (404 BadRequest_NotFound)",
}


def metadata_props() -> dict[str, tuple[set[str], set[str]]]:
    out = {}
    for node in ET.parse(METADATA).getroot().iter(f"{EDM}EntityType"):
        props = {p.get("Name", "") for p in node.findall(f"{EDM}Property")}
        navs = {p.get("Name", "") for p in node.findall(f"{EDM}NavigationProperty")}
        out[node.get("Name", "")] = (props, navs)
    return out


def test_customer_item_and_order_match_docs_samples(bc: BcEmulator, capi: httpx.Client, company: str):
    data = seed_basics(bc, company)
    customer = capi.get(f"/customers({data['customer']['id']})").json()
    assert customer["blocked"] == "_x0020_"
    assert shape_diff(sample("bc-v2-customer-get.json"), customer) == []
    item = capi.get(f"/items({data['desk']['id']})").json()
    assert shape_diff(sample("bc-v2-item-get.json"), item) == []
    order = create_order(capi)
    got = capi.get(f"/salesOrders({order['id']})").json()
    assert shape_diff(sample("bc-v2-salesorder-get.json"), got) == []
    assert got["@odata.context"].endswith(f"/$metadata#companies({company})/salesOrders/$entity")
    assert got["@odata.etag"].startswith('W/"')


def test_sample_create_requests_are_accepted(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    gbp = [c for c in capi.get("/currencies").json()["value"] if c["code"] == "GBP"]
    assert gbp
    request = sample("bc-v2-salesorder-create-request.json")
    request.update(customerNumber="C10000", paymentTermsId="00000000-0000-0000-0000-000000000000")
    order = capi.post("/salesOrders", json=request)
    assert order.status_code == 201, order.text
    assert order.json()["currencyCode"] == "GBP"
    line = sample("bc-v2-salesorderline-create-request.json")
    line.pop("itemId")
    line.pop("unitOfMeasureId")
    line.update(lineObjectNumber="1896-S", description="ATHENS Desk", taxCode="STANDARD")
    created = capi.post(f"/salesOrders({order.json()['id']})/salesOrderLines", json=line)
    assert created.status_code == 201, created.text
    assert created.json()["quantity"] == 12


def test_error_response_matches_sample(capi: httpx.Client):
    response = capi.post("/items", json={"displayName": "x", "type": "Invalid Type"})
    assert response.status_code == 400
    body = response.json()
    assert shape_diff(sample("bc-v2-error-response.json"), body) == []
    assert body["error"]["message"].startswith(
        "'Invalid Type' is not an option. The existing options are: Inventory,Service,Non-Inventory  CorrelationId:  "
    )


def test_batch_sample_runs_with_per_request_results(bc: BcEmulator, api: httpx.Client, company: str):
    data = seed_basics(bc, company)
    body = sample("bc-v2-batch-request.json")
    name = bc.company(company).name
    for request in body["requests"]:
        request["url"] = request["url"].replace("7ce0af2e-0963-460f-9b1f-0014aea3e117", data["desk"]["id"])
        request["headers"]["Company"] = name
    response = api.post("/$batch", json=body)
    assert response.status_code == 200
    results = response.json()["responses"]
    assert [r["status"] for r in results] == [200, 404, 400]
    assert results[0]["body"]["displayName"] == "Touring Bicycle v2"
    assert shape_diff(sample("bc-v2-error-response.json"), results[2]["body"]) == []


def test_subscription_and_notification_match_samples(bc: BcEmulator, api: httpx.Client, company: str, receiver):
    url = receiver.url()
    created = api.post(
        "/subscriptions",
        json={
            "notificationUrl": url,
            "resource": f"/api/v2.0/companies({company})/customers",
            "clientState": "state-1",
        },
    )
    assert created.status_code == 201, created.text
    assert shape_diff(sample("bc-v2-subscription-object.json"), created.json()) == []
    bc.add_customer(company, displayName="Notified Ltd")
    bc.flush_webhooks()
    posts = receiver.posts(url)
    assert posts, "no notification received"
    expected = sample("bc-v2-webhook-notification.json")
    assert shape_diff(expected, posts[0]) == []
    assert set(posts[0]["value"][0]) == set(expected["value"][0])


def _exercise(
    bc: BcEmulator, capi: httpx.Client, api: httpx.Client, company: str, receiver
) -> list[tuple[str, dict[str, Any]]]:
    """Touch every entity set; return (entity type, entity) for everything the emulator sent back."""
    data = seed_basics(bc, company)
    bc.add_item_variant("1896-S", "OAK", "Oak top", company)
    order = create_order(capi)
    invoice = capi.post(
        "/salesInvoices",
        json={"customerNumber": "C10000", "salesInvoiceLines": [{"lineObjectNumber": "1896-S", "quantity": 1}]},
    ).json()
    memo = capi.post(
        "/salesCreditMemos",
        json={"customerNumber": "C10000", "salesCreditMemoLines": [{"lineObjectNumber": "1900-S", "quantity": 1}]},
    ).json()
    journal = capi.get("/customerPaymentJournals").json()["value"][0]
    capi.post(
        f"/customerPaymentJournals({journal['id']})/customerPayments",
        json={"customerNumber": "C10000", "amount": -10, "description": "Woo payment"},
    )
    bc.ship_order(order["number"], {"10000": 1}, "UPS", "1Z999", company_id=company)
    api.post(
        "/subscriptions", json={"notificationUrl": receiver.url(), "resource": f"/api/v2.0/companies({company})/items"}
    )
    seen: list[tuple[str, dict[str, Any]]] = []
    lists = {
        "customers": "customer",
        "items": "item",
        "itemVariants": "itemVariant",
        "currencies": "currency",
        "salesOrders": "salesOrder",
        "salesInvoices": "salesInvoice",
        "salesCreditMemos": "salesCreditMemo",
        "salesShipments": "salesShipment",
        "customerPaymentJournals": "customerPaymentJournal",
        "customerPayments": "customerPayment",
        "itemLedgerEntries": "itemLedgerEntry",
    }
    for entity_set, type_name in lists.items():
        response = capi.get(f"/{entity_set}")
        assert response.status_code == 200, (entity_set, response.text)
        assert response.json()["value"], entity_set
        seen += [(type_name, e) for e in response.json()["value"]]
    for doc_set, line_set, doc in (
        ("salesOrders", "salesOrderLines", order),
        ("salesInvoices", "salesInvoiceLines", invoice),
        ("salesCreditMemos", "salesCreditMemoLines", memo),
    ):
        expanded = capi.get(f"/{doc_set}({doc['id']})", params={"$expand": f"{line_set},customer"}).json()
        type_name = doc_set[:-1]
        seen.append((type_name, expanded))
        seen += [(type_name + "Line", line) for line in expanded[line_set]]
        seen.append(("customer", expanded["customer"]))
        capi.post(f"/{doc_set}({doc['id']})/{line_set}", json={"lineType": "Comment", "description": "note"})
        seen.append((type_name, capi.get(f"/{doc_set}({doc['id']})").json()))
    shipment = capi.get("/salesShipments").json()["value"][0]
    seen += [
        ("salesShipmentLine", x)
        for x in capi.get(f"/salesShipments({shipment['id']})/salesShipmentLines").json()["value"]
    ]
    item = capi.get(f"/items({data['desk']['id']})", params={"$expand": "itemVariants"}).json()
    seen += [("item", item)] + [("itemVariant", x) for x in item["itemVariants"]]
    seen += [("company", c) for c in api.get("/companies").json()["value"]]
    seen += [("subscriptions", s) for s in api.get("/subscriptions").json()["value"]]
    return seen


def test_every_returned_property_exists_in_metadata(bc: BcEmulator, capi, api, company, receiver):
    meta = metadata_props()
    seen = _exercise(bc, capi, api, company, receiver)
    assert {t for t, _ in seen} >= {
        "customer",
        "item",
        "itemVariant",
        "currency",
        "salesOrder",
        "salesOrderLine",
        "salesInvoice",
        "salesInvoiceLine",
        "salesCreditMemo",
        "salesCreditMemoLine",
        "salesShipment",
        "salesShipmentLine",
        "customerPaymentJournal",
        "customerPayment",
        "itemLedgerEntry",
        "company",
        "subscriptions",
    }
    problems = []
    for type_name, entity in seen:
        props, navs = meta[type_name]
        for key in entity:
            if key.startswith("@odata."):
                continue
            if key not in props and key not in navs:
                problems.append(f"{type_name}.{key}")
        missing = props - set(entity)
        if missing:
            problems.append(f"{type_name} lacks {sorted(missing)}")
    assert problems == []


def test_every_accepted_property_exists_in_metadata(bc: BcEmulator, capi: httpx.Client, company: str):
    """The emulator accepts exactly the metadata properties: unknown ones are rejected with OData's error."""
    seed_basics(bc, company)
    for entity_set, body, type_name in (
        ("customers", {"displayName": "x", "nickname": "y"}, "customer"),
        ("items", {"displayName": "x", "stock": 1}, "item"),
        ("salesOrders", {"customerNumber": "C10000", "trackingNumber": "1"}, "salesOrder"),
        (
            "salesOrders",
            {"customerNumber": "C10000", "salesOrderLines": [{"lineObjectNumber": "1896-S", "sku": "a"}]},
            "salesOrderLine",
        ),
    ):
        response = capi.post(f"/{entity_set}", json=body)
        assert response.status_code == 400, (entity_set, response.text)
        assert f"on type 'Microsoft.NAV.{type_name}'" in response.json()["error"]["message"]
    meta = metadata_props()
    for type_name in (
        "customer",
        "item",
        "salesOrder",
        "salesOrderLine",
        "salesInvoice",
        "salesCreditMemo",
        "customerPayment",
        "itemVariant",
        "currency",
        "subscriptions",
    ):
        schema_props = set(bc.store.etype(type_name).props)
        assert schema_props == meta[type_name][0], type_name
