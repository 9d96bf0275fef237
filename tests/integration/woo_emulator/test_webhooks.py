"""Webhook delivery exactly as facts §1: headers, signature, ping, coalescing, failures, echoes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

import httpx
import pytest

from sandbox.woo import WooEmulator

from .conftest import Receiver, seed_catalog, wait_until

pytestmark = pytest.mark.integration

WC_HEADERS = [
    "x-wc-webhook-source",
    "x-wc-webhook-topic",
    "x-wc-webhook-resource",
    "x-wc-webhook-event",
    "x-wc-webhook-signature",
    "x-wc-webhook-id",
    "x-wc-webhook-delivery-id",
]


def expected_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_delivery_headers_signature_and_exact_body(emu: WooEmulator, receiver: Receiver) -> None:
    emu.add_product("Café crème / mug", "MUG-1", "9.50", stock_quantity=5)
    stored_secret = "a&amp;b&lt;c&gt;&quot;d&#039;e+%/="  # stored HTML-escaped, as old WooCommerce did
    hook = emu.create_webhook("order.created", receiver.url, secret=stored_secret)
    order = emu.place_order([("MUG-1", 1)], email="zoë@example.com")
    emu.flush_deliveries()
    [delivery] = receiver.deliveries()
    names = [k.lower() for k, _ in delivery.headers]
    assert [n for n in names if n.startswith("x-wc-webhook-")] == WC_HEADERS
    assert delivery.header("content-type") == "application/json"
    assert re.fullmatch(r"WooCommerce/8\.2\.2 Hookshot \(WordPress/6\.4\.1\)", delivery.header("user-agent") or "")
    assert delivery.header("x-wc-webhook-source") == emu.url and emu.url.endswith("/")
    assert delivery.header("x-wc-webhook-topic") == "order.created"
    assert delivery.header("x-wc-webhook-resource") == "order"
    assert delivery.header("x-wc-webhook-event") == "created"
    assert delivery.header("x-wc-webhook-id") == str(hook["id"])
    assert re.fullmatch(r"[0-9a-f]{32}", delivery.header("x-wc-webhook-delivery-id") or "")
    decoded_secret = "a&b<c>\"d'e+%/="
    assert delivery.header("x-wc-webhook-signature") == expected_signature(decoded_secret, delivery.body)
    assert delivery.header("x-wc-webhook-signature") != expected_signature(stored_secret, delivery.body)
    # wp_json_encode: compact, "/" escaped, non-ASCII as \uXXXX; re-serialising would break the signature
    assert b"\\/" in delivery.body and b"/" not in delivery.body.replace(b"\\/", b"")
    assert b"\\u00e9" in delivery.body and b", " not in delivery.body
    payload = json.loads(delivery.body)
    assert payload["id"] == order["id"] and payload["line_items"][0]["name"] == "Café crème / mug"
    assert payload["_links"]["self"][0]["href"].endswith(f"/wp-json/wc/v3/orders/{order['id']}")


def test_ping_is_unsigned_form_and_only_200_settles_it(emu: WooEmulator, receiver: Receiver) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    receiver.ping_status = 204
    hook = emu.create_webhook("order.updated", receiver.url)
    [ping] = receiver.pings()
    assert ping.body == f"webhook_id={hook['id']}".encode()
    assert not any(k.lower().startswith("x-wc-webhook") for k, _ in ping.headers)
    assert (ping.header("content-type") or "").startswith("application/x-www-form-urlencoded")
    assert hook["status"] == "active" and emu.webhook(hook["id"])["pending_delivery"] is True
    order = emu.place_order([("MUG-1", 1)], pay=True)
    emu.flush_deliveries()
    assert len(receiver.pings()) == 2  # pinged again after the delivery, still pending
    receiver.ping_status = 200
    emu.cancel_order(order["id"])
    emu.flush_deliveries()
    assert len(receiver.pings()) == 3
    assert emu.webhook(hook["id"])["pending_delivery"] is False
    emu.set_order_status(order["id"], "pending")
    emu.flush_deliveries()
    assert len(receiver.pings()) == 3 and len(receiver.deliveries()) == 3


def test_coalescing_and_payload_built_at_delivery_time(slow_emu: WooEmulator, receiver: Receiver) -> None:
    emu = slow_emu
    product = emu.add_product("Mug", "MUG-1", "9.50", stock_quantity=5)
    emu.create_webhook("product.updated", receiver.url)
    with httpx.Client(base_url=emu.api_url, verify=False, auth=(emu.consumer_key, emu.consumer_secret)) as api:
        for qty in (7, 8, 9):
            assert api.put(f"/products/{product['id']}", json={"stock_quantity": qty}).status_code == 200
    assert len(emu.delivery.pending()) == 1
    wait_until(lambda: receiver.deliveries(), timeout=5)
    time.sleep(0.1)
    [delivery] = receiver.deliveries()
    assert json.loads(delivery.body)["stock_quantity"] == 9


def test_failures_disable_on_seventh_and_reactivation_keeps_count(emu: WooEmulator, receiver: Receiver) -> None:
    product = emu.add_product("Mug", "MUG-1", "9.50", stock_quantity=50)
    hook = emu.create_webhook("product.updated", receiver.url)
    receiver.status = 500

    def one_event() -> None:
        emu.store.update_product(emu.store.products[product["id"]], {"regular_price": "9.99"})
        emu.flush_deliveries()

    for n in range(1, 7):
        one_event()
        state = emu.webhook(hook["id"])
        assert (state["status"], state["failure_count"]) == ("active", n)
    one_event()
    state = emu.webhook(hook["id"])
    assert (state["status"], state["failure_count"]) == ("disabled", 6)
    assert len(receiver.deliveries()) == 7  # one per event: never retried
    one_event()  # dropped: nothing queued, nothing sent while disabled
    assert len(receiver.deliveries()) == 7 and emu.delivery.pending() == []
    with httpx.Client(base_url=emu.api_url, verify=False, auth=(emu.consumer_key, emu.consumer_secret)) as api:
        assert api.put(f"/webhooks/{hook['id']}", json={"status": "active"}).json()["status"] == "active"
        assert "failure_count" not in api.get(f"/webhooks/{hook['id']}").json()
        disabled = api.get("/webhooks", params={"status": "disabled"}).json()
        assert disabled == []
    assert emu.webhook(hook["id"])["failure_count"] == 6
    one_event()  # the next single failure disables it again
    assert emu.webhook(hook["id"])["status"] == "disabled"
    emu.update_webhook(hook["id"], status="active")
    receiver.status = 302  # 200-302 is success, and resets the count
    one_event()
    assert emu.webhook(hook["id"])["failure_count"] == 0
    receiver.status = 303
    one_event()
    assert emu.webhook(hook["id"])["failure_count"] == 1
    log = emu.deliveries(hook["id"])
    assert [r["status_code"] for r in log[-3:]] == [500, 302, 303]
    assert all(r["duration_ms"] >= 0 and r["body_size"] > 0 and r["topic"] == "product.updated" for r in log)


def test_paused_webhook_drops_events(emu: WooEmulator, receiver: Receiver, api: httpx.Client) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    hook = emu.create_webhook("order.created", receiver.url)
    api.put(f"/webhooks/{hook['id']}", json={"status": "paused"})
    emu.place_order([("MUG-1", 1)])
    emu.flush_deliveries()
    assert receiver.deliveries() == []


def test_stock_echo_and_order_events(emu: WooEmulator, receiver: Receiver, api: httpx.Client) -> None:
    ids = seed_catalog(emu)
    for topic in ("order.created", "order.updated", "product.updated"):
        emu.create_webhook(topic, receiver.url)
    receiver.clear()
    order = emu.place_order([("SINGLE-1", 2), ("SYI-BLACK", 1), ("SYI-GREEN", 1), ("ALBUM-2", 1)], pay=True)
    emu.flush_deliveries()
    assert [json.loads(d.body)["id"] for d in receiver.deliveries("order.created")] == [order["id"]]
    assert [json.loads(d.body)["status"] for d in receiver.deliveries("order.updated")] == ["processing"]
    created = json.loads(receiver.deliveries("order.created")[0].body)
    assert created["status"] == "processing"  # built at delivery time, after payment
    products = {json.loads(d.body)["id"]: json.loads(d.body) for d in receiver.deliveries("product.updated")}
    # own-stock variation fires with its id; the "parent"-stock variation changes (and fires) the parent
    assert set(products) == {ids["single"], ids["green"], ids["variable"]}
    assert products[ids["green"]]["type"] == "variation" and products[ids["green"]]["parent_id"] == ids["variable"]
    assert products[ids["single"]]["stock_quantity"] == 8
    assert products[ids["variable"]]["stock_quantity"] == 19
    receiver.clear()
    # an ERP stock push comes straight back as product.updated (the echo the connector must ignore)
    api.post("/products/batch", json={"update": [{"id": ids["single"], "stock_quantity": 42}]})
    api.put(f"/products/{ids['variable']}/variations/{ids['green']}", json={"stock_quantity": 3})
    emu.flush_deliveries()
    echoes = {json.loads(d.body)["id"]: json.loads(d.body) for d in receiver.deliveries("product.updated")}
    assert echoes[ids["single"]]["stock_quantity"] == 42 and echoes[ids["green"]]["stock_quantity"] == 3


def test_trash_sends_id_only_and_force_delete_sends_nothing(
    emu: WooEmulator, receiver: Receiver, api: httpx.Client
) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    emu.create_webhook("order.deleted", receiver.url)
    first = emu.place_order([("MUG-1", 1)])
    second = emu.place_order([("MUG-1", 1)])
    assert api.delete(f"/orders/{first['id']}").json()["status"] == "trash"
    assert api.delete(f"/orders/{second['id']}", params={"force": "true"}).status_code == 200
    emu.flush_deliveries()
    assert [d.body for d in receiver.deliveries()] == [f'{{"id":{first["id"]}}}'.encode()]


def test_error_object_payloads_and_duplicates(emu: WooEmulator, receiver: Receiver) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    hook = emu.create_webhook("order.created", receiver.url, secret="s")
    emu.delivery.options.error_payload_next = 1
    emu.place_order([("MUG-1", 1)])
    emu.flush_deliveries()
    [delivery] = receiver.deliveries()
    assert json.loads(delivery.body) == {
        "code": "woocommerce_rest_cannot_view",
        "message": "Sorry, you cannot view this resource.",
        "data": {"status": 401},
    }
    assert delivery.header("x-wc-webhook-signature") == expected_signature("s", delivery.body)
    receiver.clear()
    emu.delivery.options.duplicate_max = 3
    orders = [emu.place_order([("MUG-1", 1)])["id"] for _ in range(6)]
    emu.flush_deliveries()
    bodies = [json.loads(d.body)["id"] for d in receiver.deliveries()]
    assert set(bodies) == set(orders) and len(bodies) > len(orders)
    copies = [r for r in emu.deliveries(hook["id"]) if r["copy"] > 1]
    assert copies and all(r["success"] for r in copies)


def test_pause_flush_and_delivery_log(emu: WooEmulator, receiver: Receiver) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    hook = emu.create_webhook("order.created", receiver.url)
    emu.pause_deliveries()
    order = emu.place_order([("MUG-1", 1)])
    time.sleep(0.2)
    assert receiver.deliveries() == []
    assert emu.delivery.pending() == [{"webhook_id": hook["id"], "resource_id": order["id"], "topic": "order.created"}]
    assert emu.flush_deliveries()
    [record] = emu.deliveries()
    assert record["status_code"] == 200 and record["resource_id"] == order["id"] and record["success"]
    assert record["body_size"] == len(receiver.deliveries()[0].body)
    emu.resume_deliveries()


def test_url_safety_rule_is_optional(emu: WooEmulator, receiver: Receiver) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    emu.delivery.options.enforce_url_safety = True
    hook = emu.create_webhook("order.created", receiver.url)
    emu.place_order([("MUG-1", 1)])
    emu.flush_deliveries()
    assert receiver.captured == []
    [record] = emu.deliveries(hook["id"])
    assert (record["status_code"], record["error"]) == (0, "A valid URL was not provided.")
    assert emu.webhook(hook["id"])["failure_count"] == 1


def test_webhook_rest_crud_and_errors(emu: WooEmulator, receiver: Receiver, api: httpx.Client) -> None:
    bad_topic = api.post("/webhooks", json={"topic": "order.exploded", "delivery_url": receiver.url})
    assert (bad_topic.status_code, bad_topic.json()["code"]) == (400, "woocommerce_rest_webhook_invalid_topic")
    bad_url = api.post("/webhooks", json={"topic": "order.created", "delivery_url": "ftp://x"})
    assert bad_url.json()["code"] == "woocommerce_rest_webhook_invalid_delivery_url"
    created = api.post("/webhooks", json={"topic": "order.created", "delivery_url": receiver.url, "secret": "x"})
    body = created.json()
    assert created.status_code == 201 and created.headers["location"].endswith(f"/webhooks/{body['id']}")
    assert body["status"] == "active" and body["hooks"] == ["woocommerce_new_order"] and "secret" not in body
    assert receiver.pings()  # pinged on create
    bad_status = api.put(f"/webhooks/{body['id']}", json={"status": "sleeping"})
    assert (bad_status.status_code, bad_status.json()["code"]) == (400, "woocommerce_rest_webhook_invalid_status")
    assert api.get("/webhooks/9999").status_code == 400
    no_force = api.delete(f"/webhooks/{body['id']}")
    assert (no_force.status_code, no_force.json()["code"]) == (501, "woocommerce_rest_trash_not_supported")
    assert api.delete("/webhooks/9999", params={"force": "true"}).status_code == 404
    assert api.delete(f"/webhooks/{body['id']}", params={"force": "true"}).json()["id"] == body["id"]
    assert api.get("/webhooks").json() == []
    action = api.post(
        "/webhooks", json={"topic": "action.woocommerce_order_status_completed", "delivery_url": receiver.url}
    )
    assert action.json()["resource"] == "action" and action.json()["event"] == "woocommerce_order_status_completed"
