"""OData query behaviour: $filter (and BC's limits), $select, $expand, $orderby, $top/$skip, paging."""

from __future__ import annotations

import httpx
import pytest

from sandbox.bc import BcEmulator

from .helpers import create_order, seed_basics

pytestmark = [pytest.mark.integration, pytest.mark.bc]


@pytest.fixture
def customers(bc: BcEmulator, company: str) -> list[dict]:
    names = ["Alpha", "Beta", "O'Brien & Sons", "Gamma", "Delta"]
    out = [
        bc.add_customer(company, number=f"C{i:05d}", displayName=n, email=f"{i}@x.test") for i, n in enumerate(names, 1)
    ]
    bc.block_customer("C00004", "All", company)
    return out


def numbers(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["number"] for c in response.json()["value"]]


def test_filter_operators(capi: httpx.Client, customers):
    assert numbers(capi.get("/customers", params={"$filter": "number eq 'C00002'"})) == ["C00002"]
    assert numbers(capi.get("/customers", params={"$filter": "number ne 'C00002'"})) == [
        "C00001",
        "C00003",
        "C00004",
        "C00005",
    ]
    assert numbers(capi.get("/customers", params={"$filter": "number gt 'C00003'"})) == ["C00004", "C00005"]
    assert numbers(capi.get("/customers", params={"$filter": "number ge 'C00003' and number lt 'C00005'"})) == [
        "C00003",
        "C00004",
    ]
    assert numbers(capi.get("/customers", params={"$filter": "number le 'C00001' or number eq 'C00005'"})) == [
        "C00001",
        "C00005",
    ]
    assert numbers(capi.get("/customers", params={"$filter": "displayName eq 'O''Brien & Sons'"})) == ["C00003"]
    assert numbers(capi.get("/customers", params={"$filter": "startswith(displayName,'Del')"})) == ["C00005"]
    assert numbers(capi.get("/customers", params={"$filter": "contains(displayName,'brien')"})) == ["C00003"]
    assert numbers(capi.get("/customers", params={"$filter": "blocked eq 'All'"})) == ["C00004"]
    assert numbers(
        capi.get(
            "/customers", params={"$filter": "blocked eq Microsoft.NAV.customerBlocked'_x0020_' and taxLiable eq false"}
        )
    ) == ["C00001", "C00002", "C00003", "C00005"]
    guid = customers[1]["id"]
    assert numbers(capi.get("/customers", params={"$filter": f"id eq {guid}"})) == ["C00002"]


def test_or_across_distinct_fields_is_rejected(capi: httpx.Client, customers):
    response = capi.get("/customers", params={"$filter": "number eq 'C00001' or displayName eq 'Beta'"})
    assert response.status_code == 400
    assert "The 'OR' operator is not supported on distinct fields" in response.json()["error"]["message"]


def test_filter_type_and_property_errors(capi: httpx.Client, customers):
    wrong_type = capi.get("/customers", params={"$filter": "number eq 10000"})
    assert wrong_type.status_code == 400
    assert "incompatible types" in wrong_type.json()["error"]["message"]
    quoted_guid = capi.get("/customers", params={"$filter": f"id eq '{customers[0]['id']}'"})
    assert quoted_guid.status_code == 400
    unknown = capi.get("/customers", params={"$filter": "nickname eq 'x'"})
    assert unknown.status_code == 400
    assert "Could not find a property named 'nickname'" in unknown.json()["error"]["message"]


def test_datetime_numbers_and_booleans(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    items = capi.get("/items").json()["value"]
    stamp = max(i["lastModifiedDateTime"] for i in items)
    assert capi.get("/items", params={"$filter": f"lastModifiedDateTime gt {stamp}"}).json()["value"] == []
    bc.set_price("1900-S", 55, company)
    changed = capi.get("/items", params={"$filter": f"lastModifiedDateTime gt {stamp}"}).json()["value"]
    assert [i["number"] for i in changed] == ["1900-S"]
    assert [
        i["number"]
        for i in capi.get("/items", params={"$filter": "unitPrice ge 55.0 and inventory lt 5"}).json()["value"]
    ] == ["1900-S"]
    assert [
        i["number"]
        for i in capi.get("/items", params={"$filter": "blocked eq false and unitPrice gt 99"}).json()["value"]
    ] == ["1896-S"]


def test_select_orderby_top_skip_count(capi: httpx.Client, customers):
    response = capi.get(
        "/customers",
        params={
            "$select": "number,displayName",
            "$orderby": "displayName desc",
            "$top": "2",
            "$skip": "1",
            "$count": "true",
        },
    )
    body = response.json()
    assert body["@odata.count"] == 5
    assert [set(c) for c in body["value"]] == [{"@odata.etag", "number", "displayName"}] * 2
    assert [c["displayName"] for c in body["value"]] == ["Gamma", "Delta"]
    assert "customers(number,displayName)" in body["@odata.context"]


def test_expand_lines_with_nested_options(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    order = create_order(capi)
    got = capi.get(
        f"/salesOrders({order['id']})",
        params={"$expand": "salesOrderLines($select=lineObjectNumber,quantity;$filter=quantity gt 1),customer"},
    ).json()
    assert got["salesOrderLines"] == [
        {"@odata.etag": got["salesOrderLines"][0]["@odata.etag"], "lineObjectNumber": "1896-S", "quantity": 2}
    ]
    assert got["customer"]["number"] == "C10000"
    listing = capi.get("/salesOrders", params={"$expand": "salesOrderLines"}).json()["value"]
    assert len(listing[0]["salesOrderLines"]) == 2


def test_company_level_lines_need_a_document_filter(bc: BcEmulator, capi: httpx.Client, company: str):
    seed_basics(bc, company)
    order = create_order(capi)
    assert capi.get("/salesOrderLines").status_code == 400
    lines = capi.get("/salesOrderLines", params={"$filter": f"documentId eq {order['id']}"}).json()["value"]
    assert [line["sequence"] for line in lines] == [10000, 20000]


def test_server_paging_with_nextlink_and_maxpagesize(bc: BcEmulator, capi: httpx.Client, company: str):
    for i in range(23):
        bc.add_customer(company, number=f"P{i:03d}", displayName=f"Paged {i}")
    first = capi.get(
        "/customers",
        headers={"Prefer": "odata.maxpagesize=10"},
        params={"$filter": "startswith(number,'P')", "$select": "number"},
    )
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=10"
    seen = numbers(first)
    link = first.json()["@odata.nextLink"]
    assert "$skiptoken=" in link
    while link:
        page = capi.get(link, headers={"Prefer": "odata.maxpagesize=10"})
        seen += numbers(page)
        link = page.json().get("@odata.nextLink")
    assert seen == [f"P{i:03d}" for i in range(23)]
    old = bc.max_page_size
    bc.max_page_size = 20
    try:
        server_paged = capi.get("/customers")
        assert len(server_paged.json()["value"]) == 20
        assert "@odata.nextLink" in server_paged.json()
    finally:
        bc.max_page_size = old


def test_top_with_paging_stops_at_top(bc: BcEmulator, capi: httpx.Client, company: str):
    for i in range(7):
        bc.add_customer(company, number=f"T{i}", displayName=f"T {i}")
    first = capi.get("/customers", params={"$top": "5"}, headers={"Prefer": "odata.maxpagesize=3"})
    second = capi.get(first.json()["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=3"})
    assert len(first.json()["value"]) == 3
    assert len(second.json()["value"]) == 2
    assert "@odata.nextLink" not in second.json()


def test_unknown_entity_and_key(capi: httpx.Client):
    assert capi.get("/widgets").status_code == 404
    missing = capi.get("/customers(00000000-0000-0000-0000-00000000abcd)")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "BadRequest_NotFound"
