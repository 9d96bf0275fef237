"""REST API v3 behaviour: pagination, filters, batch limits, auth, products/stock, refunds, notes, faults."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

from sandbox.faults import FaultConfig
from sandbox.woo import WooEmulator

from .conftest import CK, CS, seed_catalog

pytestmark = pytest.mark.integration


def client(emu: WooEmulator, **kw: Any) -> httpx.Client:
    return httpx.Client(
        base_url=emu.api_url, verify=ssl.create_default_context(cafile=str(emu.ca_bundle)), timeout=10, **kw
    )


def test_pagination_headers_links_and_bounds(emu: WooEmulator, api: httpx.Client) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    ids = [emu.place_order([("MUG-1", 1)])["id"] for _ in range(5)]
    first = api.get("/orders", params={"per_page": 2})
    assert (first.headers["x-wp-total"], first.headers["x-wp-totalpages"]) == ("5", "3")
    assert [o["id"] for o in first.json()] == sorted(ids, reverse=True)[:2]
    assert first.headers["link"] == f'<{emu.api_url}/orders?per_page=2&page=2>; rel="next"'
    middle = api.get("/orders", params={"per_page": 2, "page": 2})
    assert middle.headers["link"] == (
        f'<{emu.api_url}/orders?per_page=2&page=1>; rel="prev", <{emu.api_url}/orders?per_page=2&page=3>; rel="next"'
    )
    assert 'rel="first"' not in middle.headers["link"] and 'rel="last"' not in middle.headers["link"]
    beyond = api.get("/orders", params={"per_page": 2, "page": 9})
    assert (beyond.status_code, beyond.json(), beyond.headers["x-wp-total"]) == (200, [], "5")
    asc = api.get("/orders", params={"orderby": "id", "order": "asc", "per_page": 100})
    assert [o["id"] for o in asc.json()] == sorted(ids)
    too_many = api.get("/orders", params={"per_page": 101})
    assert too_many.status_code == 400
    assert too_many.json() == {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): per_page",
        "data": {
            "status": 400,
            "params": {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
            "details": {
                "per_page": {
                    "code": "rest_out_of_bounds",
                    "message": "per_page must be between 1 (inclusive) and 100 (inclusive)",
                    "data": None,
                }
            },
        },
    }
    assert api.get("/orders", params={"per_page": 0}).status_code == 400


def test_order_status_and_modified_filters() -> None:
    emu = WooEmulator(CK, CS, timezone_offset_hours=2)
    emu.start()
    try:
        with client(emu, auth=(CK, CS)) as api:
            emu.add_product("Mug", "MUG-1", "9.50")
            old = emu.place_order([("MUG-1", 1)], pay=True)
            emu.advance_clock(60)
            new = emu.place_order([("MUG-1", 1)])
            assert old["date_created"][11:13] != old["date_created_gmt"][11:13]  # site time is UTC+2
            pending = api.get("/orders", params={"status": "pending"}).json()
            assert [o["id"] for o in pending] == [new["id"]]
            both = api.get("/orders", params={"status": "pending,processing"}).json()
            assert {o["id"] for o in both} == {old["id"], new["id"]}
            assert len(api.get("/orders", params=[("status[]", "processing")]).json()) == 1
            assert api.get("/orders", params={"status": "bogus"}).status_code == 400
            # exclusive, second precision; naive values are site-local unless dates_are_gmt
            at_old = api.get("/orders", params={"modified_after": old["date_modified"]}).json()
            assert [o["id"] for o in at_old] == [new["id"]]
            gmt = api.get("/orders", params={"modified_after": old["date_modified_gmt"], "dates_are_gmt": "true"})
            assert [o["id"] for o in gmt.json()] == [new["id"]]
            with_z = api.get("/orders", params={"modified_after": old["date_modified_gmt"] + "Z"})
            assert [o["id"] for o in with_z.json()] == [new["id"]]
            before = api.get("/orders", params={"before": new["date_created"]}).json()
            assert [o["id"] for o in before] == [old["id"]]
            assert api.get("/orders", params={"after": "yesterday"}).status_code == 400
    finally:
        emu.stop()


def test_batch_limit_and_per_item_errors(emu: WooEmulator, api: httpx.Client) -> None:
    ids = seed_catalog(emu)
    too_big = api.post("/products/batch", json={"update": [{"id": ids["single"]}] * 101})
    assert too_big.status_code == 413
    assert too_big.json() == {
        "code": "woocommerce_rest_request_entity_too_large",
        "message": "Unable to accept more than 100 items for this request.",
        "data": {"status": 413},
    }
    emu.fail_batch_items([ids["album"]], status=500, code="woocommerce_rest_cannot_edit", message="Boom.")
    result = api.post(
        "/products/batch",
        json={
            "update": [
                {"sku": "SINGLE-1", "stock_quantity": 1},
                {"id": ids["single"], "stock_quantity": 7},
                {"id": ids["album"], "regular_price": "1.00"},
                {"id": 987654, "regular_price": "1.00"},
            ]
        },
    )
    assert result.status_code == 200
    update = result.json()["update"]
    assert update[0] == {
        "id": None,
        "error": {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 400}},
    }
    assert update[1]["id"] == ids["single"] and update[1]["stock_quantity"] == 7
    assert update[2] == {
        "id": ids["album"],
        "error": {"code": "woocommerce_rest_cannot_edit", "message": "Boom.", "data": {"status": 500}},
    }
    assert update[3]["error"]["message"] == "Invalid ID."
    assert list(result.json()) == ["update"]
    emu.clear_batch_failures()
    dup = api.post("/products/batch", json={"create": [{"name": "Copy", "sku": "SINGLE-1"}]}).json()["create"][0]
    assert dup["id"] == 0 and dup["error"]["code"] == "product_invalid_sku"
    assert dup["error"]["data"] == {"status": 400, "resource_id": ids["single"], "unique_sku": "SINGLE-1-1"}


def test_authentication_errors(emu: WooEmulator) -> None:
    with client(emu, auth=(CK, "cs_wrong")) as wrong:
        r = wrong.get("/orders")
        assert r.status_code == 401 and r.json()["code"] == "woocommerce_rest_authentication_error"
        assert r.json()["message"] == "Consumer secret is invalid."
        assert r.headers["www-authenticate"].startswith('Basic realm="WooCommerce API.')
    with client(emu, auth=("ck_unknown", CS)) as unknown:
        r = unknown.get("/orders")
        assert (r.status_code, r.json()["code"]) == (401, "woocommerce_rest_cannot_view")
        assert r.json()["message"] == "Sorry, you cannot list resources."
    with client(emu) as anonymous:
        r = anonymous.get("/orders/1")
        assert (r.status_code, r.json()["message"]) == (401, "Sorry, you cannot view this resource.")
        assert anonymous.post("/products", json={}).json()["code"] == "woocommerce_rest_cannot_create"
        assert anonymous.get("").status_code == 200  # the namespace index needs no auth
        query = anonymous.get("/orders", params={"consumer_key": CK, "consumer_secret": CS})
        assert query.status_code == 200
    emu.add_api_key("ck_read", "cs_read", "read")
    with client(emu, auth=("ck_read", "cs_read")) as reader:
        assert reader.get("/products").status_code == 200
        r = reader.post("/products", json={"name": "x"})
        assert (r.status_code, r.json()["message"]) == (401, "The API key provided does not have write permissions.")
    plain = WooEmulator(CK, CS)
    plain.start(tls=False)
    try:
        with httpx.Client(base_url=plain.api_url, auth=(CK, CS)) as http:
            r = http.get("/orders")  # basic auth is not attempted over plain HTTP
            assert (r.status_code, r.json()["code"]) == (401, "woocommerce_rest_cannot_view")
    finally:
        plain.stop()


def test_products_sku_search_and_stock_rules(emu: WooEmulator, api: httpx.Client) -> None:
    ids = seed_catalog(emu)
    found = api.get("/products", params={"sku": "SYI-BLACK,ALBUM-2"}).json()
    by_id = {p["id"]: p for p in found}
    assert set(by_id) == {ids["black"], ids["album"]}
    black = by_id[ids["black"]]
    assert (black["type"], black["parent_id"], black["manage_stock"], black["stock_quantity"]) == (
        "variation",
        ids["variable"],
        "parent",
        20,
    )
    assert api.get("/products", params={"sku": "SYI-BLA"}).json() == []  # exact match only
    assert ids["black"] not in [p["id"] for p in api.get("/products", params={"per_page": 100}).json()]
    # stock writes are ignored unless stock is managed
    album = api.put(f"/products/{ids['album']}", json={"stock_quantity": 99}).json()
    assert (album["manage_stock"], album["stock_quantity"]) == (False, None)
    album = api.put(f"/products/{ids['album']}", json={"manage_stock": True, "stock_quantity": 0}).json()
    assert (album["stock_quantity"], album["stock_status"]) == (0, "outofstock")
    emu.store.options.manage_stock = False
    single = api.put(f"/products/{ids['single']}", json={"stock_quantity": 1}).json()
    assert single["stock_quantity"] == 10
    emu.store.options.manage_stock = True
    sale = api.put(f"/products/{ids['single']}", json={"sale_price": "2.50"}).json()
    assert (sale["price"], sale["regular_price"], sale["sale_price"], sale["on_sale"]) == ("2.50", "3.00", "2.50", True)
    dup = api.put(f"/products/{ids['album']}", json={"sku": "SYI-GREEN"})
    assert (dup.status_code, dup.json()["code"], dup.json()["data"]["resource_id"]) == (
        400,
        "product_invalid_sku",
        ids["green"],
    )
    variations = api.get(f"/products/{ids['variable']}/variations").json()
    assert {v["id"] for v in variations} == {ids["black"], ids["green"]}
    missing = api.get(f"/products/{ids['variable']}/variations/{ids['single']}")
    assert (missing.status_code, missing.json()["code"]) == (404, "woocommerce_rest_product_variation_invalid_id")
    assert api.get("/products", params={"type": "variable"}).json()[0]["id"] == ids["variable"]
    assert api.get("/products/424242").json()["code"] == "woocommerce_rest_product_invalid_id"


def test_refunds(emu: WooEmulator, api: httpx.Client) -> None:
    seed_catalog(emu)
    emu.add_tax_rate("10", "VAT")
    order = emu.place_order(
        [("SINGLE-1", 3), ("SYI-GREEN", 1)],
        pay=True,
        shipping=[{"method_id": "flat_rate", "method_title": "Flat rate", "total": "5.00"}],
    )
    oid, line = order["id"], order["line_items"][0]
    tax_id = line["taxes"][0]["id"]
    r = api.post(
        f"/orders/{oid}/refunds",
        json={
            "reason": "broken",
            "api_refund": False,
            "line_items": [
                {
                    "id": line["id"],
                    "quantity": 1,
                    "refund_total": "3.00",
                    "refund_tax": [{"id": tax_id, "refund_total": "0.30"}],
                }
            ],
        },
    )
    assert r.status_code == 201
    refund = r.json()
    assert (refund["amount"], refund["refunded_payment"], refund["reason"]) == ("3.30", False, "broken")
    item = refund["line_items"][0]
    assert (item["quantity"], item["subtotal"], item["total"], item["total_tax"], item["price"]) == (
        -1,
        "-3.00",
        "-3.00",
        "-0.30",
        -3,
    )
    assert item["taxes"] == [{"id": tax_id, "total": "-0.3", "subtotal": "-0.3"}]
    assert {"key": "_refunded_item_id", "value": str(line["id"])}.items() <= item["meta_data"][0].items()
    after = api.get(f"/orders/{oid}").json()
    assert after["refunds"] == [{"id": refund["id"], "reason": "broken", "total": "-3.30"}]
    assert after["status"] == "processing"
    assert emu.product_by_sku("SINGLE-1")["stock_quantity"] == 8  # 10 - 3 sold + 1 restocked
    neg = api.post(f"/orders/{oid}/refunds", json={"amount": "-1"})
    assert (neg.status_code, neg.json()["code"]) == (400, "woocommerce_rest_invalid_order_refund")
    gone = api.post("/orders/999999/refunds", json={"amount": "1"})
    assert (gone.status_code, gone.json()["code"]) == (404, "woocommerce_rest_invalid_order_id")
    too_much = api.post(f"/orders/{oid}/refunds", json={"amount": "10000", "api_refund": False})
    assert (too_much.status_code, too_much.json()["code"]) == (500, "woocommerce_rest_cannot_create_order_refund")
    bacs = emu.place_order([("ALBUM-2", 1)], pay=True, payment_method="bacs")
    gateway = api.post(f"/orders/{bacs['id']}/refunds", json={"amount": "1.00"})  # api_refund defaults to true
    assert gateway.status_code == 500
    assert gateway.json()["message"] == "The payment gateway for this order does not support automatic refunds."
    rest = api.get(f"/orders/{oid}").json()
    full = api.post(f"/orders/{oid}/refunds", json={"amount": str(float(rest["total"]) - 3.30)[:6]})
    assert full.status_code == 201 and full.json()["refunded_payment"] is True
    assert api.get(f"/orders/{oid}").json()["status"] == "refunded"
    # WooCommerce 8.2.2 (the emulator's default) has no top-level refunds route (facts §0, §2.5)...
    missing = api.get("/refunds")
    assert (missing.status_code, missing.json()["code"]) == (404, "rest_no_route")
    assert "/wc/v3/refunds" not in api.get("").json()["routes"]
    assert "/wc/v3/orders/(?P<id>[\\d]+)/refunds" in api.get("").json()["routes"]
    # ...a newer one has, and lists it in its route index.
    emu.store.options.wc_version = "9.1.0"
    assert "/wc/v3/refunds" in api.get("").json()["routes"]
    listing = api.get("/refunds").json()
    assert {r["parent_id"] for r in listing} == {oid} and len(listing) == 2
    emu.store.options.wc_version = "8.2.2"
    shipping = emu.place_order(
        [("ALBUM-2", 1)], pay=True, shipping=[{"method_id": "flat_rate", "method_title": "Flat", "total": "5.00"}]
    )
    ship_refund = emu.refund_order(shipping["id"], shipping=True, api_refund=False)
    assert ship_refund["amount"] == "5.50" and ship_refund["shipping_lines"][0]["total"] == "-5.00"
    assert ship_refund["line_items"] == []


def test_order_notes_and_updates(emu: WooEmulator, api: httpx.Client) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    order = emu.place_order([("MUG-1", 1)], pay=True, customer_note="Leave at the door")
    oid = order["id"]
    assert order["customer_note"] == "Leave at the door" and order["number"] == str(oid)
    note = api.post(
        f"/orders/{oid}/notes", json={"note": "Tracking 1Z999", "customer_note": True, "added_by_user": True}
    )
    assert note.status_code == 201 and note.json()["author"] == "admin" and note.json()["customer_note"] is True
    assert api.post(f"/orders/{oid}/notes", json={}).json()["code"] == "rest_missing_callback_param"
    customer_notes = api.get(f"/orders/{oid}/notes", params={"type": "customer"}).json()
    assert [n["note"] for n in customer_notes] == ["Tracking 1Z999"]
    assert any(n["author"] == "system" for n in api.get(f"/orders/{oid}/notes").json())
    updated = api.put(
        f"/orders/{oid}",
        json={"status": "completed", "meta_data": [{"key": "_erp_id", "value": "SO-1"}, {"key": "x", "value": "1"}]},
    ).json()
    assert updated["status"] == "completed" and updated["date_completed"] is not None
    again = api.put(f"/orders/{oid}", json={"meta_data": [{"key": "_erp_id", "value": "SO-2"}]}).json()
    assert [(m["key"], m["value"]) for m in again["meta_data"]] == [("_erp_id", "SO-2"), ("x", "1")]
    assert api.put("/orders/99999", json={"status": "completed"}).status_code == 400
    assert api.get("/orders/99999").json()["code"] == "woocommerce_rest_shop_order_invalid_id"
    status = api.get("/system_status").json()
    assert status["environment"]["version"] == "8.2.2" and status["settings"]["currency"] == "USD"


def test_faults_control_api_and_call_counters(emu: WooEmulator, api: httpx.Client) -> None:
    emu.faults.config = FaultConfig(outage=True, retry_after_seconds=7)
    r = api.get("/orders")
    assert (r.status_code, r.headers["retry-after"], r.json()["data"]) == (503, "7", {"status": 503})
    with httpx.Client(base_url=emu.url.rstrip("/"), verify=False) as control:
        assert control.get("/_sandbox/health").json()["ok"] is True  # exempt from faults
        control.delete("/_sandbox/faults")
        assert api.get("/orders").status_code == 200
        control.post(
            "/_sandbox/products", json={"name": "Mug", "sku": "MUG-1", "regular_price": "9.50", "stock_quantity": 30}
        )
        placed = control.post("/_sandbox/orders", json={"lines": [["MUG-1", 2]], "pay": True}).json()
        assert placed["status"] == "processing" and placed["total"] == "19.00"
        assert control.get(f"/_sandbox/products/{placed['line_items'][0]['product_id']}").json()["stock_quantity"] == 28
        refunded = control.post(f"/_sandbox/orders/{placed['id']}/refund", json={"amount": "19.00"}).json()
        assert refunded["amount"] == "19.00"
        assert control.get(f"/_sandbox/orders/{placed['id']}").json()["status"] == "refunded"
        generated = control.post("/_sandbox/orders/generate", json={"seed": 3, "count": 2}).json()
        assert len(generated) == 2
        control.put("/_sandbox/faults", json={"error_rate": 1.0, "error_statuses": [429]})
        assert api.get("/orders").status_code == 429
        control.delete("/_sandbox/faults")
        emu.reset_api_calls()
        api.get("/orders")
        api.get(f"/orders/{placed['id']}")
        api.put(f"/orders/{placed['id']}", json={"status": "completed"})
        assert control.get("/_sandbox/calls").json() == {"GET /orders": 1, "GET /orders/{id}": 1, "PUT /orders/{id}": 1}
        state = control.get("/_sandbox/state").json()
        assert state["counts"]["orders"] == 3
        bad = control.post("/_sandbox/orders", json={"lines": [["NOPE", 1]]})
        assert bad.status_code == 400


def test_generate_says_how_many_orders_it_made_when_it_stops_halfway(emu: WooEmulator) -> None:
    with httpx.Client(base_url=emu.url.rstrip("/"), verify=False) as control:
        control.post(
            "/_sandbox/products", json={"name": "Rare", "sku": "RARE-1", "regular_price": "5.00", "stock_quantity": 4}
        )
        stopped = control.post("/_sandbox/orders/generate", json={"seed": 1, "count": 10})
        assert stopped.status_code == 400
        body = stopped.json()
        made = body["data"]["created"]
        assert body["code"] == "sandbox_generate_incomplete" and body["data"]["requested"] == 10
        assert 1 <= made < 10 and f"Made {made} of 10 orders" in body["message"]
        assert body["data"]["cause"] == "woocommerce_rest_invalid_product_id"  # nothing left in stock to buy
        kept = control.get("/_sandbox/orders").json()
        assert sorted(order["id"] for order in kept) == sorted(body["data"]["order_ids"]) and len(kept) == made
