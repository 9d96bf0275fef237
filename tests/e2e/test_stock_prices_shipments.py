"""ERP → store through the whole stack: stock/price writes that queue nothing, BC item notifications and subscriptions,
shipments with tracking back to the Woo order.

The host's own timers run too (they push the same store); every assertion holds whichever run wrote.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from azure.storage.queue import QueueServiceClient

from sandbox.stack import Stack
from shared.flows import shipments, stock
from shared.flows.services import Services
from shared.flows.subscriptions import ensure_erp_subscriptions
from shared.storage.ledger import OrderState

from .conftest import bc_documents_for, wait_for

pytestmark = pytest.mark.e2e

DAY = 86400


def posted(app: Services, order: dict) -> bool:
    entry = app.ledger.get("main", order["id"])
    return entry is not None and entry.state == OrderState.POSTED


def messages(caplog: pytest.LogCaptureFixture, event: str, **dimensions: object) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if getattr(r, "event", None) == event and all(getattr(r, k, None) == v for k, v in dimensions.items())
    ]


def queue_drained(stack: Stack, name: str = "woo-events") -> bool:
    queue = QueueServiceClient.from_connection_string(stack.settings["AzureWebJobsStorage"]).get_queue_client(name)
    return queue.get_queue_properties().approximate_message_count == 0


def on_open_orders(stack: Stack, item_number: str) -> int:
    """Units of the item on BC sales orders not yet shipped, read from the emulator's own records."""
    open_ids = {order["id"] for order in stack.bc.records("salesOrders") if not order["fullyShipped"]}
    return int(
        sum(
            Decimal(str(line["quantity"])) - Decimal(str(line["shippedQuantity"]))
            for line in stack.bc.records("salesOrderLines")
            if line["documentId"] in open_ids and line["lineObjectNumber"] == item_number
        )
    )


def customer_notes(stack: Stack, order_id: int) -> list[dict]:
    return [note for note in stack.woo.notes(order_id) if note["customer_note"]]


# ------------------------------------------------------------------------------ stock and prices


def test_stock_and_price_writes_and_order_stock_changes_queue_nothing(
    stack: Stack, app: Services, caplog: pytest.LogCaptureFixture
) -> None:
    # The connector subscribes to order topics only; a merchant's own product.updated webhook pointed
    # at it is answered and dropped: our stock writes and orders' stock changes cost no queue work.
    assert not [hook for hook in stack.woo.webhooks() if hook["topic"].startswith("product.")]
    merchant_hook = stack.woo.create_webhook("product.updated", stack.webhook_url, stack.webhook_secret)
    caplog.set_level(logging.INFO, logger="connector.ingress")
    try:
        product = stack.woo.product_by_sku("1964-W")
        stack.bc.set_stock("1964-W", 70)
        stack.bc.set_price("1964-W", Decimal("155"))
        stock.push_stock_and_prices(app, "main")
        shown = stack.woo.product(product["id"])
        # BC's 70 less the units other tests' orders hold on open BC sales orders (STOCK_SUBTRACT_OPEN_ORDERS)
        assert shown["stock_quantity"] == 70 - on_open_orders(stack, "1964-W") and shown["regular_price"] == "155.00"
        assert shown["name"] == product["name"] and shown["sale_price"] == product["sale_price"]  # marketing untouched

        order = stack.woo.place_order([("1964-W", 1)], pay=True, email="stock.buyer@example.com")
        stack.woo.flush_deliveries()
        product_deliveries = stack.woo.deliveries(merchant_hook["id"])
        # Woo coalesces the write's and the order's updates of one product when they fall close together.
        assert product_deliveries and all(d["status_code"] == 200 for d in product_deliveries)
        assert messages(caplog, "webhook_queued", topic="order.updated", resource_id=order["id"])
        assert not [r for r in caplog.records if getattr(r, "topic", "").startswith("product.")]
        wait_for(lambda: posted(app, order))
        (item,) = stack.bc.find("items", "number", "1964-W")
        assert Decimal(str(item["inventory"])) == 70 and Decimal(str(item["unitPrice"])) == 155  # never written back
    finally:
        stack.woo.update_webhook(merchant_hook["id"], status="paused")


def test_a_bc_item_notification_pushes_the_change_before_the_timer(stack: Stack, app: Services) -> None:
    assert ensure_erp_subscriptions(app).configured
    stack.bc.set_price("1896-S", Decimal("1099.5"))
    stack.bc.flush_webhooks()
    wait_for(lambda: stack.woo.product_by_sku("1896-S")["regular_price"] == "1099.50", timeout=20)
    delivered = [entry for entry in stack.bc.hub.log if entry["kind"] == "notification" and entry["status"] == 202]
    assert delivered


def test_a_subscription_near_expiry_is_renewed_and_a_deleted_one_is_recreated(stack: Stack, app: Services) -> None:
    ensure_erp_subscriptions(app)
    (before,) = stack.bc.subscriptions()
    stack.bc.age_subscriptions(3 * DAY - 3600)  # one hour left
    report = ensure_erp_subscriptions(app)
    assert report.renewed and not report.created
    (renewed,) = stack.bc.subscriptions()
    assert renewed["subscriptionId"] == before["subscriptionId"]
    expires = datetime.fromisoformat(renewed["expirationDateTime"].replace("Z", "+00:00"))
    assert expires - datetime.now(UTC) > timedelta(days=2, hours=23)
    assert renewed["notificationUrl"].endswith(f"/api/webhooks/erp/bc?code={stack.function_key}")

    assert stack.bc.delete_subscriptions() == 1
    report = ensure_erp_subscriptions(app)
    assert report.created and not report.renewed
    (recreated,) = stack.bc.subscriptions()
    assert recreated["subscriptionId"] != before["subscriptionId"]
    assert stack.bc.hub.counters["handshakes_ok"] >= 3
    assert ensure_erp_subscriptions(app).created == []  # healthy: nothing to do


def test_a_forged_bc_notification_is_refused(stack: Stack) -> None:
    import httpx

    url = stack.host.function_url("webhooks/erp/bc")
    body = {"value": [{"subscriptionId": "x", "clientState": "wrong", "resource": "x", "changeType": "updated"}]}
    assert httpx.post(url, json=body, timeout=10).status_code == 401
    assert httpx.post(url.split("?")[0], json=body, timeout=10).status_code == 401  # no function key
    handshake = httpx.post(url + "&validationToken=abc123", timeout=10)
    assert handshake.status_code == 200 and handshake.text == "abc123"


# ------------------------------------------------------------------------------------- shipments


def test_a_shipped_order_is_completed_with_one_tracking_note_and_a_second_run_changes_nothing(
    stack: Stack, app: Services
) -> None:
    order = stack.woo.place_order([("1920-S", 1), ("70000", 2)], pay=True, email="shipped@example.com")
    wait_for(lambda: posted(app, order))
    (document,) = bc_documents_for(stack, order)
    stack.bc.ship_order(document["number"], shipping_agent_code="DHL", tracking_number="JD014600003828")

    shipments.push_shipments(app)
    shipped = stack.woo.order(order["id"])
    assert shipped["status"] == "completed"
    (note,) = customer_notes(stack, order["id"])
    assert "JD014600003828" in note["note"] and "DHL" in note["note"]
    assert "https://www.dhl.com/en/express/tracking.html?AWB=JD014600003828" in note["note"]
    (tracking,) = [m["value"] for m in shipped["meta_data"] if m["key"] == "_wc_shipment_tracking_items"]
    assert tracking[0]["tracking_number"] == "JD014600003828"
    assert tracking[0]["custom_tracking_provider"] == "DHL Systems, Inc."

    shipments.push_shipments(app)
    again = stack.woo.order(order["id"])
    assert again["date_modified_gmt"] == shipped["date_modified_gmt"]
    assert len(customer_notes(stack, order["id"])) == 1

    # Our own completion echoes back as order.updated: not flagged as "changed after posting".
    stack.woo.flush_deliveries()
    wait_for(lambda: queue_drained(stack))
    time.sleep(0.5)
    entry = app.ledger.get("main", order["id"])
    assert entry is not None and entry.state == OrderState.POSTED and entry.attention == ""
    assert len(bc_documents_for(stack, order)) == 1


def test_a_partial_shipment_adds_a_note_and_the_last_one_completes_the_order(stack: Stack, app: Services) -> None:
    order = stack.woo.place_order([("1900-S", 2), ("LAMP-WHITE", 1)], pay=True, email="partial@example.com")
    wait_for(lambda: posted(app, order))
    (document,) = bc_documents_for(stack, order)
    stack.bc.ship_order(document["number"], {"1900-S": 2}, shipping_agent_code="UPS", tracking_number="1Z999AA1")
    shipments.push_shipments(app)
    assert stack.woo.order(order["id"])["status"] == "processing"
    (first,) = customer_notes(stack, order["id"])
    assert first["note"].startswith("Part of your order has shipped: 2 × PARIS Guest Chair, black.")
    assert "1Z999AA1" in first["note"]

    stack.bc.ship_order(document["number"], shipping_agent_code="UPS", tracking_number="1Z999AA2")
    shipments.push_shipments(app)
    done = stack.woo.order(order["id"])
    assert done["status"] == "completed"
    notes = customer_notes(stack, order["id"])
    assert len(notes) == 2 and "1Z999AA2" in notes[-1]["note"]
    (tracking,) = [m["value"] for m in done["meta_data"] if m["key"] == "_wc_shipment_tracking_items"]
    assert [t["tracking_number"] for t in tracking] == ["1Z999AA1", "1Z999AA2"]
