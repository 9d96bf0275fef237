"""ERP events (BC item notifications, F&O business events), taken as hints.

The HTTP function ``erp_webhook`` (route ``webhooks/erp/{connection}``, function key in ``?code=``) hands
the call to the connection's adapter, which answers the ERP's handshake or verifies the notification
(:class:`shared.erp.port.ErpEvents`); what it accepts is queued on ``erp-events`` before the answer. A
storage failure answers 503, which the ERP retries. A connection whose ERP has no events answers 404.

The queue function ``handle_erp_event`` asks the adapter what changed and pushes those items (stock and
price, through :func:`shared.flows.stock.push_erp_items`), or runs the delta push for a bulk change. A
hint that fails transiently is dropped with a warning: the stock timer pushes the same values a few
minutes later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.config import DEFAULT_CONNECTION
from shared.erp.port import ErpHints, TransientErpError, event_source
from shared.flows import shipments, stock
from shared.flows.services import Services
from shared.http import TransientHttpError
from shared.storage.queues import open_message
from shared.telemetry import POISON_MESSAGE, log_event

log = logging.getLogger("connector.erp_events")


@dataclass(frozen=True)
class Reply:
    status: int
    message: str


def connection_of_route(route_name: str, services: Services) -> str | None:
    """The connection a webhook route names, or None when there is no such connection."""
    connection = route_name.lower()
    return connection if connection in services.settings.connections() else None


def receive_erp_event(
    route_name: str,
    params: Mapping[str, str],
    body: bytes,
    services: Services,
    enqueue: Callable[[dict[str, Any]], object],
) -> Reply:
    """Answer an ERP's webhook call: the adapter decides, accepted payloads are queued first."""
    connection = connection_of_route(route_name, services)
    events = event_source(services.erp_for(connection)) if connection is not None else None
    if connection is None or events is None:
        return Reply(404, "no ERP events for this connection")
    receipt = events.receive_event(params, body)
    if receipt.payload is None:
        return Reply(receipt.status, receipt.message)
    subject = f"erp-events/{connection}/{receipt.dedupe_key}" if receipt.dedupe_key else None
    if subject is not None and _seen(services, subject):
        log_event(log, "erp_event_duplicate", connection=connection)
        return Reply(200, "already queued")
    try:
        enqueue({"v": 2, "connection": connection, "payload": receipt.payload})
    except Exception:
        log.exception("ERP event could not be queued")
        return Reply(503, "temporarily unable to queue the event")
    if subject is not None:
        _remember(services, subject)
    log_event(log, "erp_notification_queued", connection=connection)
    return Reply(receipt.status, receipt.message)


def _seen(services: Services, subject: str) -> bool:
    """Whether an event with this key was queued before (its audit row). A storage failure counts as unseen:
    the event is queued again, and what it triggers is idempotent."""
    try:
        return bool(services.audit.trail(subject))
    except Exception:
        log.warning("ERP event de-duplication unavailable; queueing", exc_info=True)
        return False


def _remember(services: Services, subject: str) -> None:
    try:
        services.audit.record(subject, "received", "queued")
    except Exception:
        log.warning("ERP event key not recorded; a retry of it would be queued again", exc_info=True)


def handle_erp_message(message: Mapping[str, Any], services: Services) -> ErpHints:
    # Messages queued before connections (v1) carried BC's payload at the top level, for the flat connection.
    connection = str(message.get("connection") or DEFAULT_CONNECTION) if message.get("v") == 2 else DEFAULT_CONNECTION
    payload = message.get("payload") if message.get("v") == 2 else message
    events = event_source(services.erp_for(connection))
    hints = events.read_hints(payload) if events is not None and isinstance(payload, Mapping) else ErpHints()
    try:
        if hints.full_sync:
            for store in services.settings.stores_of(connection):
                stock.push_stock_and_prices(services, store)
        elif hints.item_ids:
            stock.push_erp_items(services, connection, ids=sorted(hints.item_ids))
        if hints.shipments and services.settings.shipment_sync:
            shipments.push_connection_shipments(services, connection, None, shipments.ShipmentReport())
    except (TransientErpError, TransientHttpError) as exc:
        log.warning("ERP hint not acted on (the stock timer will): %s", exc)
    log_event(
        log,
        "erp_event_handled",
        connection=connection,
        items=len(hints.item_ids),
        collection=hints.full_sync,
        ignored=hints.ignored,
        shipments=hints.shipments,
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
