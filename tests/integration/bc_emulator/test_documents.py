"""Sales documents: deep insert, totals, BC validation messages, ETags, bound actions, payments."""

from __future__ import annotations

import httpx
import pytest

from sandbox.bc import BcEmulator

from .helpers import create_order, seed_basics

pytestmark = [pytest.mark.integration, pytest.mark.bc]


def error(response: httpx.Response, status: int = 400) -> tuple[str, str]:
    assert response.status_code == status, response.text
    err = response.json()["error"]
    assert "  CorrelationId:  " in err["message"]
    return err["code"], err["message"].split("  CorrelationId:")[0]


def test_deep_insert_computes_totals(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    order = create_order(capi, discountAmount=0)
    assert order["number"] and order["status"] == "Draft"
    assert order["customerName"] == "Adatum Corporation"
    assert order["shipToCity"] == "Atlanta"
    # desk 2 x 100 @20% tax, chair 1 x 50 -10% @5% tax
    assert order["totalAmountExcludingTax"] == 245
    assert order["totalTaxAmount"] == 42.25
    assert order["totalAmountIncludingTax"] == 287.25
    lines = capi.get(f"/salesOrders({order['id']})/salesOrderLines").json()["value"]
    assert [(x["lineObjectNumber"], x["discountAmount"], x["taxPercent"]) for x in lines] == [
        ("1896-S", 0, 20),
        ("1900-S", 5, 5),
    ]
    assert bc.request_counts["POST salesOrders"] >= 1


def test_prices_including_tax_and_invoice_discount(bc: BcEmulator, api: httpx.Client):
    """A VAT company takes gross prices on a sales order (a US sales-tax company refuses them:
    test_write_rules.py)."""
    company = bc.add_company("VAT company", sales_tax=False)
    seed_basics(bc, company)
    order = api.post(
        f"/companies({company})/salesOrders",
        json={
            "customerNumber": "C10000",
            "pricesIncludeTax": True,
            "discountAmount": 12,
            "salesOrderLines": [
                {"lineObjectNumber": "1896-S", "quantity": 1, "unitPrice": 120},
                {
                    "lineType": "Account",
                    "lineObjectNumber": "6410",
                    "quantity": 1,
                    "unitPrice": 12,
                    "discountAmount": 0,
                },
            ],
        },
    ).json()
    assert order["totalAmountIncludingTax"] == 120
    assert order["totalAmountExcludingTax"] == 100
    assert order["discountAmount"] == 12


def test_header_validation_messages(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    assert error(capi.post("/salesOrders", json={})) == (
        "Application_DialogException",
        'A "customerNumber" or a "customerId" must be provided.',
    )
    assert error(capi.post("/salesOrders", json={"customerNumber": "NOPE"}))[1] == (
        "The sell-to customer cannot be found."
    )
    assert error(capi.post("/salesOrders", json={"customerNumber": "C10000", "currencyCode": "XXX"}))[1] == (
        'The "currencyCode" does not match to a Currency.'
    )
    code, message = error(
        capi.post("/salesOrders", json={"customerNumber": "C10000", "externalDocumentNumber": "W" * 36})
    )
    assert code == "Application_StringExceededLength"
    assert message.startswith("The length of the string is 36, but it must be less than or equal to 35")
    bc.block_customer("C10000", "All", company)
    assert error(capi.post("/salesOrders", json={"customerNumber": "C10000"}))[1] == (
        "You cannot create this type of document when Customer C10000 is blocked with type All."
    )
    assert not capi.get("/salesOrders").json()["value"]


def test_line_validation_rolls_back_the_deep_insert(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    response = capi.post(
        "/salesOrders",
        json={
            "customerNumber": "C10000",
            "salesOrderLines": [
                {"lineObjectNumber": "1896-S", "quantity": 1},
                {"lineObjectNumber": "NOPE", "quantity": 1},
            ],
        },
    )
    assert error(response) == ("Application_DialogException", "Item does not exist.")
    assert capi.get("/salesOrders").json()["value"] == []


def test_item_rules(bc: BcEmulator, capi: httpx.Client, company: str):
    assert error(capi.post("/items", json={"displayName": "X", "inventory": 5}))[1] == (
        "Inventory cannot be changed during on insert."
    )
    item = capi.post("/items", json={"displayName": "New thing", "unitPrice": 9.5})
    assert item.status_code == 201
    assert item.headers["Location"].endswith(f"/items({item.json()['id']})")
    etag = item.json()["@odata.etag"]
    patched = capi.patch(f"/items({item.json()['id']})", json={"inventory": 7}, headers={"If-Match": etag})
    assert patched.status_code == 200 and patched.json()["inventory"] == 7
    assert patched.json()["lastModifiedDateTime"] == item.json()["lastModifiedDateTime"]
    entries = capi.get("/itemLedgerEntries", params={"$filter": f"itemNumber eq '{item.json()['number']}'"})
    assert [e["entryType"] for e in entries.json()["value"]] == ["Positive_x0020_Adjmt_x002E_"]


def test_etags_if_match_and_conflicts(bc: BcEmulator, capi: httpx.Client, company: str):
    data = seed_basics(bc, company)
    url = f"/customers({data['customer']['id']})"
    current = capi.get(url).json()
    missing = capi.patch(url, json={"displayName": "No etag"})
    assert error(missing)[0] == "BadRequest_InvalidToken"
    ok = capi.patch(url, json={"displayName": "Renamed"}, headers={"If-Match": current["@odata.etag"]})
    assert ok.status_code == 200
    assert ok.json()["@odata.etag"] != current["@odata.etag"]
    assert ok.json()["lastModifiedDateTime"] > current["lastModifiedDateTime"]
    stale = capi.patch(url, json={"displayName": "Stale"}, headers={"If-Match": current["@odata.etag"]})
    assert error(stale, 409) == ("Request_EntityChanged", "Another user has already changed the record.")
    assert capi.patch(url, json={"displayName": "Star"}, headers={"If-Match": "*"}).status_code == 200
    assert capi.get(url).json()["displayName"] == "Star"


def test_delete_order_with_if_match(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    order = create_order(capi)
    assert capi.delete(f"/salesOrders({order['id']})").status_code == 400
    assert capi.delete(f"/salesOrders({order['id']})", headers={"If-Match": 'W/"old"'}).status_code == 409
    fresh = capi.get(f"/salesOrders({order['id']})").json()["@odata.etag"]
    assert capi.delete(f"/salesOrders({order['id']})", headers={"If-Match": fresh}).status_code == 204
    assert capi.get(f"/salesOrders({order['id']})").status_code == 404
    shipped = create_order(capi, ext="WOO-2")
    bc.ship_order("WOO-2", {"10000": 1}, company_id=company)
    response = capi.delete(f"/salesOrders({shipped['id']})", headers={"If-Match": "*"})
    assert response.status_code == 400


def test_line_patch_updates_totals_and_header_etag(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    order = create_order(capi)
    line = capi.get(f"/salesOrders({order['id']})/salesOrderLines").json()["value"][0]
    patched = capi.patch(
        f"/salesOrders({order['id']})/salesOrderLines({line['id']})",
        json={"quantity": 3},
        headers={"If-Match": line["@odata.etag"]},
    )
    assert patched.status_code == 200
    after = capi.get(f"/salesOrders({order['id']})").json()
    assert after["totalAmountExcludingTax"] == 345
    assert after["@odata.etag"] != order["@odata.etag"]
    assert (
        error(capi.patch(f"/salesOrders({order['id']})", headers={"If-Match": "*"}, json={"salesOrderLines": []}))[0]
        == "BadRequest"
    )


def test_invoice_and_credit_memo_post(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    invoice = capi.post(
        "/salesInvoices",
        json={
            "customerNumber": "C10000",
            "externalDocumentNumber": "WOO-9",
            "salesInvoiceLines": [{"lineObjectNumber": "1896-S", "quantity": 2}],
        },
    )
    assert invoice.status_code == 201
    empty = capi.post("/salesInvoices", json={"customerNumber": "C10000"}).json()
    assert error(capi.post(f"/salesInvoices({empty['id']})/Microsoft.NAV.post"))[1] == "There is nothing to post."
    posted = capi.post(f"/salesInvoices({invoice.json()['id']})/Microsoft.NAV.post")
    assert posted.status_code == 204 and posted.content == b""
    got = capi.get(f"/salesInvoices({invoice.json()['id']})").json()
    assert got["status"] == "Open" and got["remainingAmount"] == 240
    assert got["number"] != invoice.json()["number"]
    assert bc.record("items", bc.find("items", "number", "1896-S", company)[0]["id"], company)["inventory"] == 8
    memo = capi.post(
        "/salesCreditMemos",
        json={
            "customerNumber": "C10000",
            "invoiceId": got["id"],
            "salesCreditMemoLines": [{"lineObjectNumber": "1896-S", "quantity": 1}],
        },
    ).json()
    assert memo["invoiceNumber"] == got["number"] or memo["invoiceId"] == got["id"]
    assert capi.post(f"/salesCreditMemos({memo['id']})/Microsoft.NAV.post").status_code == 204
    assert capi.get(f"/salesCreditMemos({memo['id']})").json()["status"] == "Open"
    assert (
        error(
            capi.patch(f"/salesInvoices({got['id']})", json={"externalDocumentNumber": "x"}, headers={"If-Match": "*"})
        )[0]
        == "Application_DialogException"
    )


def test_ship_and_invoice_action(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    order = create_order(capi, ext="WOO-SAI")
    assert capi.post(f"/salesOrders({order['id']})/Microsoft.NAV.shipAndInvoice").status_code == 204
    assert capi.get(f"/salesOrders({order['id']})").status_code == 404  # fully posted orders are deleted
    invoices = capi.get("/salesInvoices", params={"$filter": "externalDocumentNumber eq 'WOO-SAI'"}).json()["value"]
    assert invoices[0]["orderNumber"] == order["number"] and invoices[0]["totalAmountIncludingTax"] == 287.25
    shipments = capi.get("/salesShipments", params={"$filter": "orderNumber eq '" + order["number"] + "'"})
    assert len(shipments.json()["value"]) == 1


def test_customer_payments(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    journal = capi.get("/customerPaymentJournals").json()["value"][0]
    payment = capi.post(
        f"/customerPaymentJournals({journal['id']})/customerPayments",
        json={
            "customerNumber": "C10000",
            "amount": -287.25,
            "externalDocumentNumber": "WOO-1001",
            "description": "Stripe ch_123",
        },
    )
    assert payment.status_code == 201, payment.text
    assert payment.json()["lineNumber"] == 10000 and payment.json()["journalId"] == journal["id"]
    assert (
        error(
            capi.post(
                f"/customerPaymentJournals({journal['id']})/customerPayments",
                json={"customerNumber": "NOPE", "amount": 1},
            )
        )[0]
        == "Application_DialogException"
    )


def test_read_only_sets_reject_writes(capi: httpx.Client):
    response = capi.post("/salesShipments", json={})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "BadRequest_MethodNotAllowed"
    assert capi.post("/itemLedgerEntries", json={}).status_code == 405
