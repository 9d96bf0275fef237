"""ERP events: Business Central webhook notifications, taken as hints (facts: dynamics.md §1.8).

The HTTP function ``erp_webhook`` (route ``webhooks/erp/bc``, function key in ``?code=``):
- ``?validationToken=…`` (the handshake on create and renew, within ~5 s): 200 with the token as text/plain;
- a notification ``{"value": [...]}``: entries whose ``clientState`` is not ``BC_WEBHOOK_CLIENT_STATE``
  are dropped; none left → 401 (BC then deletes that subscription: it is not ours, or its secret was
  rotated, and ``ensure_erp_subscriptions`` makes a new one); else one message on ``erp-events``, then 202.
  A storage failure answers 503, which BC retries (any other 4xx would delete the subscription).

The queue function ``handle_erp_event`` pushes the items named now (stock and price, through
:func:`shared.flows.stock.push_erp_items`); a ``collection`` notification (over 1,000 changes) runs
the delta push. Item notifications come for changes to the item card (price, name), not for stock
movements: the stock timer covers those. A hint that fails transiently is dropped with a warning,
since the timer pushes the same values a few minutes later.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.config import Settings
from shared.erp.port import TransientErpError
from shared.flows import stock
from shared.flows.services import Services
from shared.http import TransientHttpError
from shared.storage.queues import open_message
from shared.telemetry import POISON_MESSAGE, log_event

log = logging.getLogger("connector.erp_events")

SOURCE_BC = "bc"
_ITEM_RESOURCE = re.compile(r"companies\(([0-9a-fA-F-]{36})\)/items\(([0-9a-fA-F-]{36})\)$")


@dataclass(frozen=True)
class Reply:
    status: int
    message: str


def receive_bc_notification(
    params: Mapping[str, str], body: bytes, settings: Settings, enqueue: Callable[[dict[str, Any]], object]
) -> Reply:
    """Answer a BC webhook call: the handshake, or verify and queue a notification."""
    token = params.get("validationToken")
    if token is not None:
        return Reply(200, token)
    secret = settings.bc_webhook_client_state.get_secret_value()
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        payload = None
    entries = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return Reply(400, 'malformed notification: expected {"value": [...]}')
    ours = [
        {k: v for k, v in entry.items() if k != "clientState"}
        for entry in entries
        if isinstance(entry, dict)
        and secret
        and hmac.compare_digest(str(entry.get("clientState") or "").encode(), secret.encode())
    ]
    if not ours:
        log_event(log, "erp_notification_rejected", logging.WARNING, entries=len(entries))
        return Reply(401, "unknown clientState")
    try:
        enqueue({"v": 1, "source": SOURCE_BC, "notifications": ours})
    except Exception:
        log.exception("BC notification could not be queued")
        return Reply(503, "temporarily unable to queue the notification")
    log_event(log, "erp_notification_queued", source=SOURCE_BC, entries=len(ours))
    return Reply(202, "queued")


@dataclass
class Hints:
    item_ids: set[str]
    collection: bool
    ignored: int


def read_hints(notifications: list[Mapping[str, Any]], company_id: str) -> Hints:
    """The changed item ids of our company, and whether a `collection` asks for a delta run."""
    hints = Hints(set(), False, 0)
    for entry in notifications:
        resource = str(entry.get("resource") or "")
        change = str(entry.get("changeType") or "")
        match = _ITEM_RESOURCE.search(resource.split("?", 1)[0])
        ours = company_id.lower() in resource.lower()
        if change == "collection" and ours and "/items" in resource:
            hints.collection = True
        elif match and ours and change in ("created", "updated"):
            hints.item_ids.add(match.group(2).lower())
        else:
            hints.ignored += 1  # deleted items, other entities, other companies
    return hints


def handle_erp_message(message: Mapping[str, Any], services: Services) -> Hints:
    notifications = [n for n in message.get("notifications") or [] if isinstance(n, Mapping)]
    hints = read_hints(notifications, services.settings.bc_company_id)
    try:
        if hints.collection:
            stock.push_stock_and_prices(services)
        elif hints.item_ids:
            stock.push_erp_items(services, ids=sorted(hints.item_ids))
    except (TransientErpError, TransientHttpError) as exc:
        log.warning("ERP hint not acted on (the stock timer will): %s", exc)
    log_event(
        log,
        "erp_event_handled",
        items=len(hints.item_ids),
        collection=hints.collection,
        ignored=hints.ignored,
    )
    return hints


def process_queue_message(
    body: bytes, dequeue_count: int | None, services: Services, *, max_dequeue_count: int
) -> None:
    """The erp-events queue function: open the message (claim-check too) and handle it."""
    try:
        handle_erp_message(open_message(body, lambda: services.blobs), services)
    except Exception as exc:
        if (dequeue_count or 0) >= max_dequeue_count:
            log_event(log, POISON_MESSAGE, logging.ERROR, queue="erp-events", error=type(exc).__name__)
        raise
