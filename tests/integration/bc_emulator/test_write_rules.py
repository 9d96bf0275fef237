"""What the emulator lets a client write, as BC does (sandbox/bc/write_rules.py, issue 18):
read-only properties refused, gross prices refused in a sales-tax company, Code fields upper-cased,
amounts rounded to the currency's precision, and a clear 400 from the control API."""

from __future__ import annotations

import httpx
import pytest

from sandbox.bc import BcEmulator

from .conftest import tls
from .helpers import create_order, seed_basics

pytestmark = [pytest.mark.integration, pytest.mark.bc]


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    return str(response.json()["error"]["message"]).split("  CorrelationId:")[0]


@pytest.mark.parametrize("entity_set", ["salesInvoices", "salesCreditMemos"])
@pytest.mark.parametrize("value", [True, False])
def test_prices_include_tax_is_read_only_on_invoices_and_credit_memos(
    bc: BcEmulator, capi: httpx.Client, company: str, entity_set: str, value: bool
):
    seed_basics(bc, company)
    message = refusal(capi.post(f"/{entity_set}", json={"customerNumber": "C10000", "pricesIncludeTax": value}))
    assert "'pricesIncludeTax'" in message and "read-only" in message
    assert bc.records(entity_set, company) == []  # nothing half-created
    created = capi.post(f"/{entity_set}", json={"customerNumber": "C10000"})
    assert created.status_code == 201 and created.json()["pricesIncludeTax"] is False
    patch = capi.patch(
        f"/{entity_set}({created.json()['id']})", json={"pricesIncludeTax": value}, headers={"If-Match": "*"}
    )
    assert "read-only" in refusal(patch)


def test_computed_properties_are_refused(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    body = {"customerNumber": "C10000", "totalAmountIncludingTax": 1}
    assert "'totalAmountIncludingTax'" in refusal(capi.post("/salesOrders", json=body))
    assert "'customerName'" in refusal(
        capi.post("/salesOrders", json={"customerNumber": "C10000", "customerName": "X"})
    )
    assert "'balanceDue'" in refusal(capi.post("/customers", json={"displayName": "Y", "balanceDue": 0}))


def test_a_sales_tax_company_refuses_gross_prices_on_a_sales_order(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    gross = {"pricesIncludeTax": True}
    assert "Prices Including Tax" in refusal(capi.post("/salesOrders", json={"customerNumber": "C10000", **gross}))
    order = create_order(capi, pricesIncludeTax=False)
    assert order["pricesIncludeTax"] is False
    patch = capi.patch(f"/salesOrders({order['id']})", json=gross, headers={"If-Match": "*"})
    assert "Prices Including Tax" in refusal(patch)


def test_code_fields_are_stored_upper_case(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    item = capi.post("/items", json={"number": "blue-mug", "displayName": "Blue mug"})
    assert item.status_code == 201 and item.json()["number"] == "BLUE-MUG"
    assert capi.get("/items", params={"$filter": "number eq 'BLUE-MUG'"}).json()["value"][0]["id"] == item.json()["id"]
    order = capi.post(
        "/salesOrders",
        json={"customerNumber": "c10000", "salesOrderLines": [{"lineObjectNumber": "blue-mug", "quantity": 1}]},
    )
    assert order.status_code == 201, order.text
    lines = capi.get(f"/salesOrders({order.json()['id']})/salesOrderLines").json()["value"]
    assert order.json()["customerNumber"] == "C10000" and lines[0]["lineObjectNumber"] == "BLUE-MUG"


def test_amounts_round_to_the_currency_precision(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    bc.add_currency("JPY", "Japanese yen", company_id=company)
    bc.add_currency("KWD", "Kuwaiti dinar", company_id=company)
    currencies = {row["code"]: row for row in capi.get("/currencies").json()["value"]}
    assert currencies["JPY"]["amountRoundingPrecision"] == 1 and currencies["JPY"]["amountDecimalPlaces"] == "0:0"
    assert currencies["KWD"]["amountRoundingPrecision"] == 0.001
    line = {"lineType": "Account", "lineObjectNumber": "6110", "quantity": 3, "unitPrice": 333.335, "taxCode": "ZERO"}
    yen = capi.post("/salesOrders", json={"customerNumber": "C10000", "currencyCode": "JPY", "salesOrderLines": [line]})
    assert yen.status_code == 201, yen.text
    assert yen.json()["totalAmountIncludingTax"] == 1000  # 1000.005 to the yen
    dinar = capi.post(
        "/salesOrders", json={"customerNumber": "C10000", "currencyCode": "KWD", "salesOrderLines": [line]}
    )
    assert dinar.json()["totalAmountIncludingTax"] == 1000.005


def test_records_without_a_set_is_a_clear_400(bc: BcEmulator, company: str):
    base = f"{bc.base_url}/_sandbox/records"
    missing = httpx.get(base, verify=tls(bc))
    assert missing.status_code == 400
    assert "'set' is missing" in missing.json()["error"] and "salesOrders" in missing.json()["error"]
    unknown = httpx.get(base, params={"set": "nosuch"}, verify=tls(bc))
    assert unknown.status_code == 400 and "unknown entity set 'nosuch'" in unknown.json()["error"]
    found = httpx.get(base, params={"set": "currencies", "companyId": company}, verify=tls(bc))
    assert found.status_code == 200 and any(row["code"] == "EUR" for row in found.json())


def test_entity_sets_take_the_writes_metadata_allows(bc: BcEmulator, capi: httpx.Client):
    """Insertable/Updatable/Deletable come from the sets' Capabilities annotations in the real `$metadata`."""
    schema = bc.store.schema
    restricted = {name for name, rules in schema.restrictions.items() if rules.get("Insertable") is False}
    served = set(bc.registry.standard) & restricted
    assert {"salesShipments", "salesShipmentLines", "itemLedgerEntries"} <= served
    for entity_set in sorted(served - {"companies"}):
        response = capi.post(f"/{entity_set}", json={})
        assert response.status_code == 405, entity_set
        assert response.json()["error"]["code"] == "BadRequest_MethodNotAllowed"
    assert schema.allows("salesOrders", "POST") and schema.allows("salesOrders", "PATCH")
    assert not schema.allows("salesShipments", "DELETE")
