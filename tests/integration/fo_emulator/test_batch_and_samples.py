"""`$batch` and the saved wire samples (../shared/reference/finance-operations/, read from there): the emulator's
answers compared key for key with what a real F&O sent (facts §1.4–§1.6)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from sandbox.fo import FoEmulator

from .conftest import reference

pytestmark = [pytest.mark.integration, pytest.mark.fo]


# ---- a small multipart reader, used on the saved sample and on the emulator's answers alike ---------------------


def read_multipart(text: str) -> list[dict[str, Any]]:
    """Changesets as lists of parts: {headers, status, status_headers, body}."""
    text = text.replace("\r\n", "\n")
    outer = text.split("\n", 1)[0][2:]
    out: list[dict[str, Any]] = []
    for chunk in text.split(f"--{outer}")[1:]:
        if chunk.startswith("--"):
            break
        head, _, rest = chunk.strip("\n").partition("\n\n")
        m = re.search(r"boundary=(\S+)", head)
        if m:
            inner = m.group(1)
            parts = [p for p in rest.split(f"--{inner}")[1:] if not p.startswith("--")]
            out.append({"changeset": True, "parts": [read_part(p) for p in parts]})
        else:
            out.append({"changeset": False, "parts": [read_part(chunk)]})
    return out


def read_part(chunk: str) -> dict[str, Any]:
    head, _, rest = chunk.strip("\n").partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.split("\n") if ": " in line)
    status_block, _, body = rest.partition("\n\n")
    status_line, *status_headers = status_block.split("\n")
    return {
        "headers": headers,
        "status": status_line.strip(),
        "status_headers": sorted(h.split(":", 1)[0] for h in status_headers if h),
        "body": json.loads(body) if body.strip() else None,
    }


def batch(client: httpx.Client, fo: FoEmulator, body: str, boundary: str) -> httpx.Response:
    return client.post(
        "$batch",
        content=body.replace("\n", "\r\n").encode(),
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
    )


def saved_request(fo: FoEmulator) -> str:
    text = reference("fo-batch-request-changeset.txt").read_text(encoding="utf-8")
    body = text.split("\n\n", 1)[1]  # the first two lines are the POST line and its Content-Type
    return body.replace("https://{{base_url}}", fo.base_url)


def shape(value: Any) -> Any:
    """Keys (in order) and value types, recursively: what 'key for key' compares."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__


# ---- $batch (facts §1.5) -----------------------------------------------------------------------------------------


def test_saved_failed_changeset_is_answered_as_recorded(fo: FoEmulator, client: httpx.Client) -> None:
    """The tutorial's capture: Batch2 already exists, the changeset creates Batch1 and Batch2 → outer 200, ONE
    part (Content-ID 1) with 500 and the AxODataWriteException, Batch1 rolled back."""
    for gid in ("Batch1", "Batch2"):
        key = f"CustomerGroups(dataAreaId='usmf',CustomerGroupId='{gid}')"
        client.delete(key)
    seeded = client.post(
        "CustomerGroups",
        json={"dataAreaId": "usmf", "CustomerGroupId": "Batch2", "Description": "Batch 2 Test group T1"},
    )
    assert seeded.status_code == 201
    response = batch(client, fo, saved_request(fo), "batch_boundary")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("multipart/mixed; boundary=batchresponse_")
    ours = read_multipart(response.text)
    recorded = read_multipart(reference("fo-batch-response-changeset-500.txt").read_text(encoding="utf-8"))
    assert [(c["changeset"], len(c["parts"])) for c in ours] == [(c["changeset"], len(c["parts"])) for c in recorded]
    mine, theirs = ours[0]["parts"][0], recorded[0]["parts"][0]
    assert mine["headers"] == theirs["headers"]  # Content-Type, Content-Transfer-Encoding, Content-ID: 1
    assert mine["status"] == theirs["status"] == "HTTP/1.1 500 Internal Server Error"
    assert mine["status_headers"] == theirs["status_headers"]
    assert shape(mine["body"]) == shape(theirs["body"])
    assert mine["body"]["error"]["innererror"]["message"] == theirs["body"]["error"]["innererror"]["message"]
    assert mine["body"]["error"]["innererror"]["type"] == theirs["body"]["error"]["innererror"]["type"]
    missing = client.get("CustomerGroups(dataAreaId='usmf',CustomerGroupId='Batch1')")
    assert missing.status_code == 404  # the changeset is atomic: Batch1 was rolled back


def test_order_header_and_lines_in_one_changeset(fo: FoEmulator, client: httpx.Client, control: httpx.Client) -> None:
    control.post(
        "seed",
        json={"customers": [{"CustomerAccount": "B-1"}], "products": [{"ItemNumber": "BAT", "SalesPrice": 5}]},
    ).raise_for_status()
    number = f"B{uuid.uuid4().hex[:6]}"
    ops = [
        (
            "SalesOrderHeadersV2",
            {
                "dataAreaId": "usmf",
                "SalesOrderNumber": number,
                "OrderingCustomerAccountNumber": "B-1",
                "CustomersOrderReference": number,
            },
        ),
        (
            "SalesOrderLines",
            {"dataAreaId": "usmf", "SalesOrderNumber": number, "ItemNumber": "BAT", "OrderedSalesQuantity": 2},
        ),
        (
            "SalesOrderLines",
            {"dataAreaId": "usmf", "SalesOrderNumber": number, "ItemNumber": "BAT", "OrderedSalesQuantity": 1},
        ),
    ]
    response = batch(client, fo, changeset(fo, ops) + single_get(fo, number), "b1")
    assert response.status_code == 200
    parts = read_multipart(response.text)
    assert [p["headers"]["Content-ID"] for p in parts[0]["parts"]] == ["1", "2", "3"]
    assert [p["status"] for p in parts[0]["parts"]] == ["HTTP/1.1 201 Created"] * 3
    got = parts[1]["parts"][0]
    assert got["status"] == "HTTP/1.1 200 OK"
    assert got["body"]["value"][0]["OrderTotalAmount"] == 15


def test_failed_changeset_leaves_no_half_order(fo: FoEmulator, client: httpx.Client, control: httpx.Client) -> None:
    control.post("seed", json={"customers": [{"CustomerAccount": "B-2"}]}).raise_for_status()
    number = f"H{uuid.uuid4().hex[:6]}"
    ops = [
        (
            "SalesOrderHeadersV2",
            {"dataAreaId": "usmf", "SalesOrderNumber": number, "OrderingCustomerAccountNumber": "B-2"},
        ),
        ("SalesOrderLines", {"dataAreaId": "usmf", "SalesOrderNumber": number, "ItemNumber": "UNKNOWN"}),
    ]
    response = batch(client, fo, changeset(fo, ops) + single_get(fo, number), "b1")
    assert response.status_code == 200  # outer 200 even though the changeset failed
    parts = read_multipart(response.text)
    assert len(parts[0]["parts"]) == 1 and parts[0]["parts"][0]["status"].startswith("HTTP/1.1 500")
    assert "'UNKNOWN' in field 'Item number'" in parts[0]["parts"][0]["body"]["error"]["innererror"]["message"]
    assert parts[1]["parts"][0]["body"]["value"] == []  # the header was rolled back with the line


def changeset(fo: FoEmulator, ops: list[tuple[str, dict[str, Any]]]) -> str:
    out = ["--b1", "Content-Type: multipart/mixed; boundary=cs1", ""]
    for i, (entity_set, body) in enumerate(ops, start=1):
        out += [
            "--cs1",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            f"Content-ID: {i}",
            "",
            f"POST {fo.data_url}/{entity_set} HTTP/1.1",
            "OData-Version: 4.0",
            "Content-Type: application/json;odata.metadata=minimal",
            "",
            json.dumps(body),
        ]
    out += ["--cs1--", ""]
    return "\n".join(out)


def single_get(fo: FoEmulator, number: str) -> str:
    return "\n".join(
        [
            "--b1",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            f"GET {fo.data_url}/SalesOrderHeadersV2?$filter=SalesOrderNumber%20eq%20'{number}' HTTP/1.1",
            "Accept: application/json",
            "",
            "",
            "--b1--",
            "",
        ]
    )


def test_malformed_batch_is_400(client: httpx.Client) -> None:
    response = client.post("$batch", content=b"nonsense", headers={"Content-Type": "multipart/mixed; boundary=x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == ""


# ---- single-request samples ----------------------------------------------------------------------------------------


def seed_t1(client: httpx.Client, description: str) -> None:
    client.delete("CustomerGroups(dataAreaId='usmf',CustomerGroupId='T1')")
    created = client.post(
        "CustomerGroups", json={"dataAreaId": "usmf", "CustomerGroupId": "T1", "Description": description}
    )
    assert created.status_code == 201


def test_customer_groups_minimal_get_matches_the_capture(client: httpx.Client) -> None:
    recorded = json.loads(reference("fo-customergroups-get-response-minimal.json").read_text(encoding="utf-8"))
    seed_t1(client, "Test group T123")
    body = client.get("CustomerGroups", params={"$filter": "CustomerGroupId eq 'T1'"}).json()
    assert shape(body) != [] and list(body) == list(recorded)
    assert body["@odata.context"].endswith("/data/$metadata#CustomerGroups")
    mine, theirs = body["value"][0], recorded["value"][0]
    assert shape(mine) == shape(theirs)
    assert {k: v for k, v in mine.items() if k != "@odata.etag"} == {
        k: v for k, v in theirs.items() if k != "@odata.etag"
    }
    assert re.fullmatch(r'W/"[A-Za-z0-9+/=]+"', mine["@odata.etag"])


def test_customer_groups_full_metadata_matches_the_capture(client: httpx.Client) -> None:
    """Key for key, except the two navigation links (DimensionSet, Prospects) of entities the emulator does not
    model: the capture's annotations @odata.type/id/etag/editLink and the enum's @odata.type are all there."""
    recorded = json.loads(reference("fo-customergroups-get-response.json").read_text(encoding="utf-8"))
    seed_t1(client, "Test group T1")
    body = client.get(
        "CustomerGroups",
        params={"$filter": "CustomerGroupId eq 'T1'"},
        headers={"Accept": "application/json;odata.metadata=full"},
    ).json()
    theirs = {k: v for k, v in recorded["value"][0].items() if not k.startswith(("DimensionSet@", "Prospects@"))}
    mine = body["value"][0]
    assert shape(mine) == shape(theirs)
    base = body["@odata.context"].split("/data/")[0]
    assert mine["@odata.id"] == f"{base}/data/CustomerGroups(dataAreaId='usmf',CustomerGroupId='T1')"
    assert mine["@odata.editLink"] == theirs["@odata.editLink"]
    assert mine["IsSalesTaxIncludedInPrice@odata.type"] == theirs["IsSalesTaxIncludedInPrice@odata.type"]


def test_write_error_matches_the_capture(client: httpx.Client) -> None:
    recorded = json.loads(reference("fo-error-customerv3-write-failed.json").read_text(encoding="utf-8"))
    response = client.post(
        "CustomersV3", json={"dataAreaId": "usmf", "CustomerGroupId": "Local", "PartyType": "Person"}
    )
    assert response.status_code == 500
    body = response.json()
    assert shape(body) == shape(recorded)
    assert body["error"]["innererror"]["message"] == recorded["error"]["innererror"]["message"]
    assert body["error"]["innererror"]["type"] == recorded["error"]["innererror"]["type"]
    assert body["error"]["message"] == recorded["error"]["message"]


def test_a_customer_in_a_currency_not_set_up_is_a_write_failure(fo: FoEmulator, client: httpx.Client) -> None:
    """SalesCurrencyCode refers to the currencies (like the sales order's CurrencyCode): same failure shape."""
    group = fo.customer_group
    body = {"dataAreaId": "usmf", "CustomerGroupId": group, "PartyType": "Person", "SalesCurrencyCode": "XTS"}
    response = client.post("CustomersV3", json=body)
    assert response.status_code == 500
    inner = response.json()["error"]["innererror"]
    assert "AxODataWriteException" in inner["type"]
    assert "'XTS' in field 'Currency'" in inner["message"] and "SalesCurrencyCode" in inner["message"]
    assert client.post("CustomersV3", json={**body, "SalesCurrencyCode": "USD"}).status_code == 201


def test_standalone_failure_and_content_id_reference(
    fo: FoEmulator, client: httpx.Client, control: httpx.Client
) -> None:
    """A failed request outside a changeset answers its own part; the rest still runs. Inside a changeset `$1`
    names the entity request 1 created."""
    control.post("seed", json={"customers": [{"CustomerAccount": "REF-1"}]}).raise_for_status()
    reference_no = f"R{uuid.uuid4().hex[:6]}"
    standalone = "\n".join(
        [
            "--b1",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "Content-ID: 9",
            "",
            f"POST {fo.data_url}/CustomersV3 HTTP/1.1",
            "Content-Type: application/json",
            "",
            json.dumps({"dataAreaId": "usmf", "CustomerGroupId": "Local"}),
            "",
        ]
    )
    body = standalone + changeset(
        fo,
        [("SalesOrderHeadersV2", {"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "REF-1"})],
    ).replace("--cs1--", "\n".join(patch_part(reference_no)) + "\n--cs1--")
    response = batch(client, fo, body + "--b1--\n", "b1")
    assert response.status_code == 200
    parts = read_multipart(response.text)
    assert parts[0]["parts"][0]["status"] == "HTTP/1.1 500 Internal Server Error"
    assert parts[0]["parts"][0]["headers"]["Content-ID"] == "9"
    assert [p["status"] for p in parts[1]["parts"]] == ["HTTP/1.1 201 Created", "HTTP/1.1 204 No Content"]
    found = client.get("SalesOrderHeadersV2", params={"$filter": f"CustomersOrderReference eq '{reference_no}'"})
    assert len(found.json()["value"]) == 1


def patch_part(reference_no: str) -> list[str]:
    return [
        "--cs1",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "Content-ID: 2",
        "",
        "PATCH $1 HTTP/1.1",
        "Content-Type: application/json",
        "",
        json.dumps({"CustomersOrderReference": reference_no}),
    ]
