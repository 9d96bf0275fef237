"""Backfill: find the orders the webhooks missed (invariant 2: WooCommerce never retries a delivery and
drops events while a webhook is disabled).

Each run lists the store's orders modified since the watermark minus an overlap window (the filter is
exclusive and at second precision; `dates_are_gmt` with naive GMT times, facts §2.3), and queues those
the ledger does not have in their current state. The order flow is idempotent, so a backfilled order
that a webhook also delivers is still posted once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.events import WooEvent
from shared.flows.services import Services
from shared.storage.ledger import LedgerEntry
from shared.telemetry import log_event
from shared.woo.mapping import IGNORED_ORDER_STATUSES

log = logging.getLogger("connector.backfill")

Progress = Callable[[str, int, int], None]  # (store, orders scanned, orders modified in the window)


@dataclass
class BackfillResult:
    scanned: int = 0
    enqueued: int = 0
    queued_orders: list[str] = field(default_factory=list)  # "store/order id" of each order queued

    def __iadd__(self, other: BackfillResult) -> BackfillResult:
        self.scanned += other.scanned
        self.enqueued += other.enqueued
        self.queued_orders += other.queued_orders
        return self


def naive_gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def watermark_name(store: str) -> str:
    return f"backfill:{store}"


def is_current(entry: LedgerEntry | None, order: dict[str, Any]) -> bool:
    """The ledger has already seen this state of the order (or a newer one)."""
    modified = str(order.get("date_modified_gmt") or "")
    return entry is not None and bool(entry.woo_modified) and entry.woo_modified >= modified


def backfill_orders(
    services: Services, store: str | None = None, since: datetime | None = None, *, progress: Progress | None = None
) -> BackfillResult:
    """Backfill one store or all; `since` (aware) overrides the watermark and leaves it as it is."""
    result = BackfillResult()
    for store_id in [store.lower()] if store else list(services.settings.woo_stores):
        result += backfill_store(services, store_id, since, progress=progress)
    return result


def _modified_orders(
    services: Services, store: str, params: dict[str, str], progress: Progress | None
) -> Iterator[dict[str, Any]]:
    """The orders page by page, telling `progress` how many were read of the total the store reports."""
    woo, number, scanned = services.woo(store), 1, 0
    while True:
        orders, pages, total = woo.page("orders", number, **params)
        for order in orders:
            yield order
            scanned += 1
            if progress:
                progress(store, scanned, max(total, scanned))
        if number >= pages or not orders:
            if progress:
                progress(store, scanned, scanned)
            return
        number += 1


def backfill_store(
    services: Services, store: str, since: datetime | None = None, *, progress: Progress | None = None
) -> BackfillResult:
    settings = services.settings
    started = datetime.now(UTC)
    from_watermark = since is None
    if since is None:
        mark = services.watermarks.get(watermark_name(store))
        since = datetime.fromisoformat(mark) if mark else started - timedelta(hours=settings.backfill_lookback_hours)
    since -= timedelta(minutes=settings.backfill_overlap_minutes)
    result = BackfillResult()
    params = {"modified_after": naive_gmt(since), "dates_are_gmt": "true", "orderby": "modified", "order": "asc"}
    for order in _modified_orders(services, store, params, progress):
        result.scanned += 1
        if order.get("status") in IGNORED_ORDER_STATUSES:
            continue
        if is_current(services.ledger.get(store, int(order["id"])), order):
            continue
        event = WooEvent(
            store=store,
            topic="order.updated",
            resource_id=int(order["id"]),
            modified=order.get("date_modified_gmt"),
            status=order.get("status"),
            delivery_id="backfill",
            body=order,
        )
        services.enqueue_woo_event(event)
        result.enqueued += 1
        result.queued_orders.append(f"{store}/{event.resource_id}")
    if from_watermark:
        services.watermarks.set(watermark_name(store), started.isoformat())
    log_event(
        log, "backfill_run", store=store, since=naive_gmt(since), scanned=result.scanned, enqueued=result.enqueued
    )
    return result
