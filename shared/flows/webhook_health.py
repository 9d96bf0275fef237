"""Webhook health: WooCommerce disables a webhook after repeated failures and then drops every event
(facts §1.7), silently. Each run checks that every webhook the connector needs exists, points at this
app and is active; it repairs what is not, raises an alert event, and backfills from the last time all
was well, so an outage loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.flows.backfill import backfill_store
from shared.flows.services import Services
from shared.telemetry import WEBHOOK_DISABLED, log_event

log = logging.getLogger("connector.webhooks")

# Orders only: product webhooks would fire for every stock change an order makes and for our own
# stock writes, and the connector acts on none of them (the ERP is master for stock and price).
REQUIRED_TOPICS = ("order.created", "order.updated", "order.deleted")


@dataclass
class HealthReport:
    store: str
    repaired: list[str] = field(default_factory=list)  # e.g. "order.updated: disabled → active"
    backfilled: int = 0

    @property
    def healthy(self) -> bool:
        return not self.repaired


def delivery_url(services: Services, store: str) -> str:
    """Where the store must deliver: this app's woo_webhook function, with its function key."""
    settings = services.settings
    key = settings.webhook_function_key.get_secret_value()
    url = f"{settings.public_base_url.rstrip('/')}/api/webhooks/woo/{store}"
    return f"{url}?code={key}" if key else url


def ok_watermark(store: str) -> str:
    return f"webhooks-ok:{store}"


def check_webhooks(services: Services) -> list[HealthReport]:
    return [check_store(services, store) for store in services.settings.woo_stores]


def check_store(services: Services, store: str) -> HealthReport:
    report = HealthReport(store)
    woo = services.woo(store)
    expected = delivery_url(services, store) if services.settings.public_base_url else None
    hooks = woo.list_webhooks()
    for topic in REQUIRED_TOPICS:
        repair = ensure_webhook(
            woo, hooks, topic, expected, services.settings.store(store).webhook_secret.get_secret_value()
        )
        if repair:
            report.repaired.append(f"{topic}: {repair}")
    now = datetime.now(UTC)
    if report.healthy:
        services.watermarks.set(ok_watermark(store), now.isoformat())
        return report
    log_event(log, WEBHOOK_DISABLED, logging.ERROR, store=store, repaired="; ".join(report.repaired))
    last_ok = services.watermarks.get(ok_watermark(store))
    since = datetime.fromisoformat(last_ok) if last_ok else None  # None: the backfill's own look-back
    report.backfilled = backfill_store(services, store, since).enqueued
    services.watermarks.set(ok_watermark(store), now.isoformat())
    return report


def ensure_webhook(woo: Any, hooks: list[dict[str, Any]], topic: str, expected: str | None, secret: str) -> str:
    """Make one topic's webhook exist, point at `expected` and be active; say what was repaired."""
    candidates = [hook for hook in hooks if hook.get("topic") == topic]
    if expected is not None:
        exact = [hook for hook in candidates if hook.get("delivery_url") == expected]
        ours = exact or [hook for hook in candidates if _same_endpoint(hook.get("delivery_url", ""), expected)]
    else:
        ours = candidates
    if not ours:
        if expected is None:
            log.warning("no %s webhook and PUBLIC_BASE_URL is not set, so none can be created", topic)
            return "missing (not created: PUBLIC_BASE_URL not set)"
        woo.create_webhook(
            {"name": f"Dynamics connector {topic}", "topic": topic, "delivery_url": expected, "secret": secret}
        )
        return "missing → created"
    hook = next((h for h in ours if h.get("status") == "active"), ours[0])
    if hook.get("status") != "active":
        return _recreate(woo, hook, topic, expected, secret)
    if expected is None or hook.get("delivery_url") == expected:
        return ""
    woo.update_webhook(int(hook["id"]), {"delivery_url": expected})
    return "delivery URL corrected"


def _recreate(woo: Any, hook: dict[str, Any], topic: str, expected: str | None, secret: str) -> str:
    """Replace an inactive webhook with a new one rather than re-enabling it.

    Re-enabling keeps the store's failure count at 6, so the next single failed delivery would disable it
    again; a new webhook starts at 0 with the full tolerance (facts woocommerce.md §0, §1.7). The new one
    is created first, so a failure in between leaves no gap the old one did not already have; the old
    one delivers nothing while inactive, so there is no double delivery either.
    """
    url = expected if expected is not None else str(hook.get("delivery_url") or "")
    name = str(hook.get("name") or f"Dynamics connector {topic}")
    woo.create_webhook({"name": name, "topic": topic, "delivery_url": url, "secret": secret})
    woo.delete_webhook(int(hook["id"]))
    described = f"{hook.get('status')} → recreated"
    if url != hook.get("delivery_url"):
        described += ", delivery URL corrected"
    return described


def _same_endpoint(url: str, expected: str) -> bool:
    """The same app endpoint, whatever the query string (the function key may have been rotated)."""
    return url.split("?", 1)[0].rstrip("/") == expected.split("?", 1)[0].rstrip("/")
