"""The F&O emulator's `/data/` over real HTTPS: auth, addressing, company scope, query options, writes, ETags.
Facts: finance-operations.md §1 (cited per test)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.entra import BC_SCOPE, EntraEmulator
from sandbox.fo import FoEmulator
from sandbox.fo.schema import SETS, load_schema
from sandbox.odata.schema import parse_csdl

from .conftest import get_token, reference, tls

pytestmark = [pytest.mark.integration, pytest.mark.fo]

ORDER_STATUS = "Microsoft.Dynamics.DataEntities.SalesStatus"


def seed(control: httpx.Client, company: str, **body: Any) -> None:
    control.post("seed", json={"dataAreaId": company, **body}).raise_for_status()


def cross(**params: str) -> dict[str, str]:
    return {"cross-company": "true", **params}


def inner(response: httpx.Response) -> str:
    body = response.json()["error"]
    assert body["code"] == ""  # facts §1.6: code is empty
    return str(body["innererror"]["message"])


# ---- auth (facts §1.7) ------------------------------------------------------------------------------------------


def test_without_a_token_is_401(fo: FoEmulator) -> None:
    response = httpx.get(f"{fo.data_url}/CustomersV3", verify=tls(fo))
    assert response.status_code == 401


def test_token_for_another_resource_is_401(fo: FoEmulator, entra: EntraEmulator) -> None:
    other = get_token(entra, BC_SCOPE)
    response = httpx.get(f"{fo.data_url}/CustomersV3", headers={"Authorization": f"Bearer {other}"}, verify=tls(fo))
    assert response.status_code == 401


def test_expired_token_is_401_and_a_new_one_works(fo: FoEmulator, entra: EntraEmulator) -> None:
    token = get_token(entra, fo.scope)
    entra.expire_all_tokens()
    url = f"{fo.data_url}/CustomerGroups"
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=tls(fo)).status_code == 401
    fresh = get_token(entra, fo.scope)
    assert httpx.get(url, headers={"Authorization": f"Bearer {fresh}"}, verify=tls(fo)).status_code == 200


# ---- $metadata, addressing -----------------------------------------------------------------------------------------


def test_metadata_is_our_csdl_in_the_dynamics_namespace(client: httpx.Client) -> None:
    response = client.get("$metadata")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    edm = "{http://docs.oasis-open.org/odata/ns/edm}"
    schema = next(root.iter(f"{edm}Schema"))
    assert schema.get("Namespace") == "Microsoft.Dynamics.DataEntities"
    sets = {s.get("Name") for s in root.iter(f"{edm}EntitySet")}
    assert {"CustomersV3", "SalesOrderHeadersV2", "SalesOrderLines", "ReleasedProductsV2", "WarehousesOnHandV2"} <= sets
    assert {"CustomerPaymentJournalHeaders", "CustomerPaymentJournalLines"} <= sets
    keys = {t.get("Name"): [r.get("Name") for r in t.iter(f"{edm}PropertyRef")] for t in root.iter(f"{edm}EntityType")}
    assert keys["CustomerV3"] == ["dataAreaId", "CustomerAccount"]
    assert keys["CustomerPaymentJournalLine"] == ["dataAreaId", "JournalBatchNumber", "LineNumber"]
    assert b"guesses" in response.content  # says the types are ours


def test_entity_set_names_are_case_sensitive(client: httpx.Client) -> None:
    assert client.get("CustomersV3").status_code == 200
    wrong = client.get("customersv3")
    assert wrong.status_code == 404
    assert client.get("CustomerV3").status_code == 404  # the entity type name is not a set (facts §1.1)


def test_composite_key_with_quoted_strings(client: httpx.Client, control: httpx.Client) -> None:
    seed(control, "usmf", customers=[{"CustomerAccount": "O'BRIEN", "PrimaryContactEmail": "ob@example.com"}])
    response = client.get("CustomersV3(dataAreaId='usmf',CustomerAccount='O''BRIEN')")
    assert response.status_code == 200
    body = response.json()
    assert body["CustomerAccount"] == "O'BRIEN" and body["dataAreaId"] == "usmf"
    assert body["@odata.etag"].startswith('W/"')
    # every key field is required (facts §1.2)
    assert client.get("CustomersV3(CustomerAccount='O''BRIEN')").status_code == 400
    assert client.get("CustomersV3('O''BRIEN')").status_code == 400
    assert client.get("CustomersV3(dataAreaId='usmf',CustomerAccount='NOPE')").status_code == 404


def test_company_scope_and_cross_company(client: httpx.Client, control: httpx.Client, company: str) -> None:
    seed(control, company, customers=[{"CustomerAccount": "X-1", "PrimaryContactEmail": "x1@example.com"}])
    flt = {"$filter": f"dataAreaId eq '{company}'"}
    assert client.get("CustomersV3", params=flt).json()["value"] == []  # default company only
    rows = client.get("CustomersV3", params=cross(**flt)).json()["value"]
    assert [(r["dataAreaId"], r["CustomerAccount"]) for r in rows] == [(company, "X-1")]
    key = f"CustomersV3(dataAreaId='{company}',CustomerAccount='X-1')"
    assert client.get(key).status_code == 404
    assert client.get(key, params=cross()).status_code == 200


# ---- $filter (facts §1.3) --------------------------------------------------------------------------------------


def order(client: httpx.Client, company: str, account: str, reference: str) -> dict[str, Any]:
    response = client.post(
        "SalesOrderHeadersV2",
        json={"dataAreaId": company, "OrderingCustomerAccountNumber": account, "CustomersOrderReference": reference},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_enum_literals_must_be_type_qualified(client: httpx.Client, control: httpx.Client, company: str) -> None:
    seed(control, company, customers=[{"CustomerAccount": "E-1"}])
    created = order(client, company, "E-1", "W-ENUM")
    flt = f"dataAreaId eq '{company}' and SalesOrderStatus eq {ORDER_STATUS}'Backorder'"
    rows = client.get("SalesOrderHeadersV2", params=cross(**{"$filter": flt})).json()["value"]
    assert [r["SalesOrderNumber"] for r in rows] == [created["SalesOrderNumber"]]
    assert rows[0]["SalesOrderStatus"] == "Backorder"  # members as strings in JSON
    bare = client.get("SalesOrderHeadersV2", params=cross(**{"$filter": "SalesOrderStatus eq 'Backorder'"}))
    assert bare.status_code == 400
    assert "Microsoft.Dynamics.DataEntities.SalesStatus" in inner(bare)
    wrong_type = client.get(
        "SalesOrderHeadersV2", params={"$filter": "SalesOrderStatus eq Microsoft.Dynamics.DataEntities.NoYes'Yes'"}
    )
    assert wrong_type.status_code == 400
    not_member = client.get("SalesOrderHeadersV2", params={"$filter": f"SalesOrderStatus eq {ORDER_STATUS}'OpenOrder'"})
    assert not_member.status_code == 400  # OpenOrder is not a SalesStatus member (facts §2.2)
    ordering = client.get("SalesOrderHeadersV2", params={"$filter": f"SalesOrderStatus gt {ORDER_STATUS}'None'"})
    assert ordering.status_code == 400  # eq/ne only


def test_wildcards_in_eq_and_unsupported_operators(client: httpx.Client, control: httpx.Client, company: str) -> None:
    seed(
        control,
        company,
        customers=[
            {"CustomerAccount": "W-1", "PrimaryContactEmail": "anna@retail.example"},
            {"CustomerAccount": "W-2", "PrimaryContactEmail": "bob@shop.example"},
        ],
    )

    def accounts(flt: str) -> list[str]:
        response = client.get("CustomersV3", params=cross(**{"$filter": f"dataAreaId eq '{company}' and {flt}"}))
        assert response.status_code == 200, response.text
        return sorted(r["CustomerAccount"] for r in response.json()["value"])

    assert accounts("PrimaryContactEmail eq '*retail*'") == ["W-1"]
    assert accounts("PrimaryContactEmail eq 'bob*'") == ["W-2"]
    assert accounts("PrimaryContactEmail eq '*.example'") == ["W-1", "W-2"]
    assert accounts("PrimaryContactEmail eq 'anna@retail.example'") == ["W-1"]
    assert accounts("PrimaryContactEmail ne '*retail*'") == ["W-2"]
    for unsupported in ("CustomerAccount in ('W-1')", "contains(PrimaryContactEmail,'x')", "NoSuchField eq 'x'"):
        assert client.get("CustomersV3", params={"$filter": unsupported}).status_code == 400


def test_top_skip_select_orderby_count(client: httpx.Client, control: httpx.Client, company: str) -> None:
    products = [{"ItemNumber": f"P{i}", "SalesPrice": 10 + i} for i in range(5)]
    seed(control, company, products=products)
    params = cross(
        **{
            "$filter": f"dataAreaId eq '{company}'",
            "$orderby": "SalesPrice desc",
            "$top": "2",
            "$skip": "1",
            "$select": "ItemNumber,SalesPrice",
            "$count": "true",
        }
    )
    body = client.get("ReleasedProductsV2", params=params).json()
    assert body["@odata.count"] == 5
    assert [(r["ItemNumber"], r["SalesPrice"]) for r in body["value"]] == [("P3", 13), ("P2", 12)]
    assert set(body["value"][0]) == {"@odata.etag", "ItemNumber", "SalesPrice"}
    count = client.get("ReleasedProductsV2/$count", params=cross(**{"$filter": f"dataAreaId eq '{company}'"}))
    assert count.text == "5"


def test_next_link_paging(fo: FoEmulator, client: httpx.Client, control: httpx.Client, company: str) -> None:
    seed(control, company, products=[{"ItemNumber": f"N{i:02d}", "SalesPrice": 1} for i in range(7)])
    fo.service.max_page_size = 3
    try:
        url: str | None = "ReleasedProductsV2"
        params: dict[str, str] | None = cross(**{"$filter": f"dataAreaId eq '{company}'", "$select": "ItemNumber"})
        seen: list[str] = []
        pages = 0
        while url:
            body = client.get(url, params=params).json()
            seen += [r["ItemNumber"] for r in body["value"]]
            url, params, pages = body.get("@odata.nextLink"), None, pages + 1
        assert seen == [f"N{i:02d}" for i in range(7)] and pages == 3
    finally:
        fo.service.max_page_size = 10_000


def test_first_level_expand(client: httpx.Client, control: httpx.Client, company: str) -> None:
    seed(control, company, customers=[{"CustomerAccount": "X-9"}], products=[{"ItemNumber": "EXP", "SalesPrice": 4}])
    header = order(client, company, "X-9", "W-EXP")
    number = header["SalesOrderNumber"]
    line = {"dataAreaId": company, "SalesOrderNumber": number, "ItemNumber": "EXP", "OrderedSalesQuantity": 3}
    assert client.post("SalesOrderLines", json=line).status_code == 201
    key = f"SalesOrderHeadersV2(dataAreaId='{company}',SalesOrderNumber='{number}')"
    body = client.get(key, params=cross(**{"$expand": "SalesOrderLines($select=ItemNumber,LineAmount)"})).json()
    assert [(ln["ItemNumber"], ln["LineAmount"]) for ln in body["SalesOrderLines"]] == [("EXP", 12)]
    assert body["OrderTotalAmount"] == 12
    nested = client.get("SalesOrderHeadersV2", params={"$expand": "SalesOrderLines($expand=SalesOrderHeader)"})
    assert nested.status_code == 400


# ---- writes, ETags, errors (facts §1.4, §1.6) --------------------------------------------------------------------


def test_create_201_patch_204_with_etags_delete_204(client: httpx.Client, company: str) -> None:
    created = client.post(
        "CustomersV3",
        json={"dataAreaId": company, "CustomerGroupId": "30", "PartyType": "Organization", "OrganizationName": "Acme"},
    )
    assert created.status_code == 201, created.text
    account = created.json()["CustomerAccount"]
    assert account  # numbered by the emulator's number sequence
    key = f"CustomersV3(dataAreaId='{company}',CustomerAccount='{account}')"
    etag = created.json()["@odata.etag"]
    patched = client.patch(key, params=cross(), json={"OnHoldStatus": "All"}, headers={"If-Match": etag})
    assert patched.status_code == 204
    stale = client.patch(key, params=cross(), json={"OnHoldStatus": "No"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    fresh = client.get(key, params=cross()).json()
    assert fresh["OnHoldStatus"] == "All" and fresh["@odata.etag"] != etag
    assert client.patch(key, params=cross(), json={"OnHoldStatus": "No"}).status_code == 204  # If-Match optional
    assert client.patch(key, params=cross(), json={"Nope": 1}).status_code == 400
    assert client.delete(key, params=cross()).status_code == 204
    assert client.get(key, params=cross()).status_code == 404


def test_write_failure_is_500_with_the_infolog_in_innererror(client: httpx.Client, company: str) -> None:
    response = client.post(
        "CustomersV3", json={"dataAreaId": company, "CustomerGroupId": "Local", "PartyType": "Person"}
    )
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["message"] == "An error has occurred."
    assert error["innererror"]["type"] == "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"
    assert "The value 'Local' in field 'Customer group' is not found" in error["innererror"]["message"]


def test_order_on_a_held_customer_or_unknown_item_fails(
    client: httpx.Client, control: httpx.Client, company: str
) -> None:
    seed(control, company, customers=[{"CustomerAccount": "H-1"}])
    header = order(client, company, "H-1", "W-HOLD")
    line = {"dataAreaId": company, "SalesOrderNumber": header["SalesOrderNumber"], "ItemNumber": "GHOST"}
    missing = client.post("SalesOrderLines", json=line)
    assert missing.status_code == 500 and "'GHOST' in field 'Item number'" in inner(missing)
    control.post("customers/hold", json={"dataAreaId": company, "customer": "H-1"}).raise_for_status()
    held = client.post("SalesOrderHeadersV2", json={"dataAreaId": company, "OrderingCustomerAccountNumber": "H-1"})
    assert held.status_code == 500 and "on hold" in inner(held)


def test_read_only_sets_refuse_writes(client: httpx.Client) -> None:
    response = client.post("WarehousesOnHandV2", json={"ItemNumber": "X"})
    assert response.status_code == 405


def test_payment_journal_header_and_lines_with_a_decimal_key_part(
    client: httpx.Client, control: httpx.Client, company: str
) -> None:
    seed(control, company, customers=[{"CustomerAccount": "PAY-1"}])
    header = client.post(
        "CustomerPaymentJournalHeaders", json={"dataAreaId": company, "JournalName": "CustPay", "Description": "Woo"}
    )
    assert header.status_code == 201, header.text
    batch = header.json()["JournalBatchNumber"]
    assert batch and header.json()["IsPosted"] == "No"  # assigned on POST (facts §2.4)
    line = {
        "dataAreaId": company,
        "JournalBatchNumber": batch,
        "LineNumber": 1.0,
        "AccountType": "Cust",
        "AccountDisplayValue": "PAY-1",
        "CreditAmount": 42.5,
        "CurrencyCode": "USD",
        "TransactionDate": "2026-12-04",
        "PaymentReference": "W-1001",
    }
    created = client.post("CustomerPaymentJournalLines", json=line)
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith(
        f"CustomerPaymentJournalLines(dataAreaId='{company}',JournalBatchNumber='{batch}',LineNumber=1)"
    )
    key = f"CustomerPaymentJournalLines(dataAreaId='{company}',JournalBatchNumber='{batch}',LineNumber=1)"
    got = client.get(key, params=cross(**{"$select": "CreditAmount,AccountType,PaymentReference"}))
    assert got.status_code == 200
    assert {k: got.json()[k] for k in ("CreditAmount", "AccountType", "PaymentReference")} == {
        "CreditAmount": 42.5,
        "AccountType": "Cust",
        "PaymentReference": "W-1001",
    }
    assert client.get(key.replace("LineNumber=1", "LineNumber='1'"), params=cross()).status_code == 400
    assert client.get(key.replace(f"'{batch}'", "7"), params=cross()).status_code == 400  # strings are quoted
    assert client.post("CustomerPaymentJournalLines", json=line).status_code == 500  # duplicate key
    bad_enum = client.post("CustomerPaymentJournalLines", json={**line, "LineNumber": 2, "AccountType": "Customer"})
    assert bad_enum.status_code == 400
    headers = client.get(
        "CustomerPaymentJournalHeaders",
        params=cross(**{"$filter": f"dataAreaId eq '{company}'", "$expand": "CustomerPaymentJournalLines"}),
    ).json()["value"]
    assert [len(h["CustomerPaymentJournalLines"]) for h in headers] == [1]
    posted = client.patch(
        f"CustomerPaymentJournalHeaders(dataAreaId='{company}',JournalBatchNumber='{batch}')",
        params=cross(),
        json={"IsPosted": "Yes"},
    )
    assert posted.status_code == 400  # read-only


def test_status_is_not_writable(client: httpx.Client, control: httpx.Client, company: str) -> None:
    seed(control, company, customers=[{"CustomerAccount": "RO-1"}])
    response = client.post(
        "SalesOrderHeadersV2",
        json={"dataAreaId": company, "OrderingCustomerAccountNumber": "RO-1", "SalesOrderStatus": "Invoiced"},
    )
    assert response.status_code == 400


def test_legal_entity_ids_are_unique(control: httpx.Client) -> None:
    ids = {control.post("companies", json={}).json()["dataAreaId"] for _ in range(3)}
    assert len(ids) == 3 and all(len(i) <= 4 for i in ids)
    taken = next(iter(ids))
    assert control.post("companies", json={"dataAreaId": taken}).status_code == 400


def test_every_property_is_a_cdm_name(client: httpx.Client, control: httpx.Client, company: str) -> None:
    """What the emulator emits is what the CDM export names (plus dataAreaId); CustomerGroups is from the capture."""
    fields = json.loads(reference("cdm-entity-field-names.json").read_text(encoding="utf-8"))
    seed(control, company, customers=[{"CustomerAccount": "CDM-1"}], products=[{"ItemNumber": "CDM", "SalesPrice": 1}])
    header = order(client, company, "CDM-1", "W-CDM")
    line = {"dataAreaId": company, "SalesOrderNumber": header["SalesOrderNumber"], "ItemNumber": "CDM"}
    assert client.post("SalesOrderLines", json=line).status_code == 201
    control.post("warehouse/ship", json={"dataAreaId": company, "order": "W-CDM"}).raise_for_status()
    control.post("warehouse/invoice", json={"dataAreaId": company, "order": "W-CDM"}).raise_for_status()
    checked = 0
    for entity_set in SETS.values():
        if entity_set.extra_props:  # names from a capture (CustomerGroups) or ours (guesses.py), not the CDM's
            continue
        rows = client.get(entity_set.name, params=cross(**{"$filter": f"dataAreaId eq '{company}'"})).json()["value"]
        names = {f["name"] for f in fields[entity_set.aot]} | {"dataAreaId"}
        for row in rows:
            extra = {k for k in row if not k.startswith("@")} - names
            assert not extra, (entity_set.name, extra)
            checked += 1
    assert checked >= 6


def test_metadata_reads_back_as_the_served_schema(client: httpx.Client, tmp_path: Path) -> None:
    path = tmp_path / "metadata.xml"
    path.write_bytes(client.get("$metadata").content)
    parsed = parse_csdl(path)
    served = load_schema()
    assert set(parsed.types) == set(served.types)
    for name, etype in served.types.items():
        assert {p.name: p.type for p in parsed.types[name].props.values()} == {
            p.name: p.type for p in etype.props.values()
        }
    assert parsed.enums == served.enums


def test_return_order_with_lines(client: httpx.Client, control: httpx.Client, company: str) -> None:
    seed(control, company, customers=[{"CustomerAccount": "RET-1"}], products=[{"ItemNumber": "RET", "SalesPrice": 9}])
    header = client.post(
        "ReturnOrderHeaders",
        json={"dataAreaId": company, "CustomerAccountNumber": "RET-1", "CustomersOrderReference": "W-R1"},
    )
    assert header.status_code == 201, header.text
    number = header.json()["ReturnOrderNumber"]
    assert header.json()["ReturnOrderStatus"] == "Created" and header.json()["RMANumber"] == number
    line = {"dataAreaId": company, "ReturnOrderNumber": number, "ItemNumber": "RET", "ReturnSalesQuantity": -2}
    created = client.post("ReturnOrderLines", json=line)
    assert created.status_code == 201, created.text
    assert (created.json()["LineAmount"], created.json()["ReturnStatus"]) == (-18, "Awaiting")
    assert client.post("ReturnOrderLines", json={**line, "ReturnSalesQuantity": 0}).status_code == 500
    assert client.post("ReturnOrderLines", json={**line, "ItemNumber": "NOPE"}).status_code == 500
    unknown = client.post("ReturnOrderHeaders", json={"dataAreaId": company, "CustomerAccountNumber": "NOBODY"})
    assert unknown.status_code == 500
    key = f"ReturnOrderHeaders(dataAreaId='{company}',ReturnOrderNumber='{number}')"
    body = client.get(key, params=cross(**{"$expand": "ReturnOrderLines($select=ItemNumber)"})).json()
    assert [ln["ItemNumber"] for ln in body["ReturnOrderLines"]] == ["RET"]


def test_negative_sales_order_line_is_a_credit(client: httpx.Client, control: httpx.Client, company: str) -> None:
    seed(control, company, customers=[{"CustomerAccount": "NEG-1"}], products=[{"ItemNumber": "NEG", "SalesPrice": 5}])
    header = order(client, company, "NEG-1", "W-NEG")
    line = {"dataAreaId": company, "SalesOrderNumber": header["SalesOrderNumber"], "ItemNumber": "NEG"}
    created = client.post("SalesOrderLines", json={**line, "OrderedSalesQuantity": -3})
    assert created.status_code == 201 and created.json()["LineAmount"] == -15


@pytest.mark.parametrize(
    ("prop", "reason"),
    [
        ("PurchaseOrderNumber", "does not exist"),
        ("FormattedInvoiceAddress", "read-only"),
        ("OrderTotalAmount", "read-only"),
    ],
)
def test_the_entities_a_mapping_writes_refuse_unknown_and_read_only_properties(
    client: httpx.Client, control: httpx.Client, company: str, prop: str, reason: str
) -> None:
    """What a mapping may write is checked against shared/erp/fo/schema.py; the emulator refuses the rest, so an
    e2e that posts a mapped field proves the field is one F&O takes."""
    seed(control, company, customers=[{"CustomerAccount": "MAP-1"}], products=[{"ItemNumber": "MAP", "SalesPrice": 2}])
    header = {"dataAreaId": company, "OrderingCustomerAccountNumber": "MAP-1", "SalesOrderNumber": "MAP-SO"}
    refused = client.post("SalesOrderHeadersV2", json={**header, prop: "x"})
    assert refused.status_code == 400 and reason in refused.json()["error"]["message"]
    assert client.post("SalesOrderHeadersV2", json={**header, "RequestedReceiptDate": "2026-12-24"}).status_code == 201
    line = {"dataAreaId": company, "SalesOrderNumber": "MAP-SO", "ItemNumber": "MAP", "OrderedSalesQuantity": 1}
    assert client.post("SalesOrderLines", json={**line, "SalesOrderLineStatus": "Invoiced"}).status_code == 400
    assert client.post("SalesOrderLines", json={**line, "OrderLineReference": "For Ann"}).status_code == 201
    customer = {"dataAreaId": company, "CustomerGroupId": "30", "PartyType": "Person"}
    assert client.post("CustomersV3", json={**customer, "FullPrimaryAddress": "x"}).status_code == 400
    assert client.post("CustomersV3", json={**customer, "TaxExemptNumber": "DE1"}).status_code == 201


# ---- Currencies: one table for all legal entities (guesses.py: set name, key and fields UNCONFIRMED) -------------


def test_currencies_list_every_legal_entitys_currencies_without_a_data_area(
    client: httpx.Client, control: httpx.Client, company: str
) -> None:
    def codes() -> set[str]:
        response = client.get("Currencies", params={"$select": "CurrencyCode"})
        response.raise_for_status()
        rows = response.json()["value"]
        assert all("dataAreaId" not in row for row in rows)  # shared by all legal entities
        return {row["CurrencyCode"] for row in rows}

    assert "USD" in codes() and "ISK" not in codes()  # every legal entity's accounting currency is listed
    seed(control, company, currencies=["ISK"])
    assert "ISK" in codes()  # set up in one legal entity: F&O has one Currency table
    control.delete("currencies", params={"code": "ISK", "dataAreaId": company}).raise_for_status()
    assert "ISK" not in codes()


def test_currencies_are_read_only_and_have_no_company_scope(client: httpx.Client) -> None:
    scoped = client.get("Currencies", params={"$filter": "dataAreaId eq 'usmf'"})
    assert scoped.status_code == 400  # no such property on a shared entity
    assert client.post("Currencies", json={"CurrencyCode": "XTS"}).status_code == 405
    assert client.get("Currencies('USD')").status_code == 405  # the emulator lists them only
