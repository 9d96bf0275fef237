"""Nothing accepted is lost: the backfill and the webhook health check recover missed orders."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandbox.stack import Stack
from shared.flows.backfill import backfill_orders
from shared.flows.webhook_health import REQUIRED_TOPICS, check_webhooks
from shared.storage.ledger import OrderState

from .conftest import bc_documents_for, wait_for

pytestmark = pytest.mark.e2e


def posted(app, order: dict) -> bool:
    entry = app.ledger.get("main", order["id"])
    return entry is not None and entry.state == OrderState.POSTED


def hooks_by_topic(stack: Stack) -> dict[str, dict]:
    return {hook["topic"]: hook for hook in stack.woo.webhooks()}


def test_orders_placed_while_the_webhook_was_disabled_are_posted_after_the_health_check(stack: Stack, app) -> None:
    check_webhooks(app)  # all healthy: records the last known good time
    for topic in ("order.created", "order.updated"):
        hook = stack.woo.store.webhooks[hooks_by_topic(stack)[topic]["id"]]
        with stack.woo.store.lock:  # what seven failed deliveries leave behind (facts woocommerce.md §1.7)
            hook.status, hook.failure_count = "disabled", 6
    missed = [stack.woo.place_order([("70000", 1)], pay=True, email=f"outage{i}@example.com") for i in range(3)]
    stack.woo.flush_deliveries()
    assert all(app.ledger.get("main", order["id"]) is None for order in missed)  # dropped, as Woo does

    (report,) = check_webhooks(app)
    assert sorted(report.repaired) == ["order.created: disabled → recreated", "order.updated: disabled → recreated"]
    assert report.backfilled >= 3
    hooks = hooks_by_topic(stack)
    assert {hooks[topic]["status"] for topic in REQUIRED_TOPICS} == {"active"}
    # Recreated, not re-enabled: the full failure tolerance again, pointing at this app with its secret.
    assert [hooks[t]["failure_count"] for t in ("order.created", "order.updated")] == [0, 0]
    assert all(hooks[t]["delivery_url"] == stack.webhook_url for t in REQUIRED_TOPICS)
    assert len(stack.woo.webhooks()) == len(REQUIRED_TOPICS)  # the disabled ones are gone
    wait_for(lambda: all(posted(app, order) for order in missed))
    for order in missed:
        assert len(bc_documents_for(stack, order)) == 1
    (again,) = check_webhooks(app)
    assert again.healthy


def test_a_deleted_webhook_is_recreated_pointing_at_this_app(stack: Stack, app) -> None:
    hook = hooks_by_topic(stack)["order.deleted"]
    deleted = httpx.delete(
        f"{stack.woo.api_url}/webhooks/{hook['id']}",
        params={"force": "true"},
        auth=(stack.woo.consumer_key, stack.woo.consumer_secret),
        verify=ssl.create_default_context(cafile=stack.settings["SANDBOX_CA_BUNDLE"]),
    )
    assert deleted.status_code == 200 and "order.deleted" not in hooks_by_topic(stack)
    (report,) = check_webhooks(app)
    assert report.repaired == ["order.deleted: missing → created"]
    recreated = hooks_by_topic(stack)["order.deleted"]
    assert recreated["status"] == "active" and recreated["delivery_url"] == stack.webhook_url
    assert recreated["secret"] == stack.webhook_secret


def test_backfill_finds_an_order_no_webhook_delivered_and_then_queues_nothing_new(stack: Stack, app) -> None:
    stack.woo.pause_deliveries()
    order = stack.woo.place_order([("1900-S", 1)], pay=True, email="silent@example.com")
    since = datetime.now(UTC) - timedelta(minutes=5)
    result = backfill_orders(app, "main", since=since)
    assert f"main/{order['id']}" in result.queued_orders
    wait_for(lambda: posted(app, order))
    stack.woo.resume_deliveries()  # the webhook deliveries arrive after the backfill: still one document
    stack.woo.flush_deliveries()
    wait_for(lambda: posted(app, order))
    again = backfill_orders(app, "main", since=since)
    assert again.scanned >= 1 and f"main/{order['id']}" not in again.queued_orders  # the ledger has it
    assert len(bc_documents_for(stack, order)) == 1
