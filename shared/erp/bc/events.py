"""Business Central webhook notifications and their subscriptions (facts: dynamics.md §1.8).

The adapter's :class:`~shared.erp.port.ErpEvents` capability:
- :func:`receive_notification`: ``?validationToken=…`` (the handshake on create and renew, within ~5 s)
  answers 200 with the token; a notification ``{"value": [...]}`` keeps the entries whose ``clientState``
  is ours (none left → 401: BC then deletes that subscription, and the upkeep makes a new one). The
  payload to queue is ``{"notifications": [...]}`` without the clientState.
- :func:`read_hints`: item ids of our company (created/updated), or a ``collection`` (over 1,000
  changes) that asks for a delta run. Item notifications come for the item card (price, name), not for
  stock movements: the stock timer covers those.
- :func:`ensure_subscriptions`: one live subscription per wanted resource pointed at our endpoint:
  none → create (BC handshakes first); expiring within the renew window, or another URL/clientState →
  PATCH + If-Match; more than one → keep the one expiring last, delete the others.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.erp.bc.subscriptions import BcSubscription, BcSubscriptions
from shared.erp.port import ErpConflict, ErpError, ErpHints, EventReceipt, PermanentErpError, SubscriptionReport
from shared.telemetry import ERP_SUBSCRIPTION_FAILED, log_event

log = logging.getLogger("connector.erp.bc.events")

SUBSCRIBED_ENTITY_SETS = ("items",)
_ITEM_RESOURCE = re.compile(r"companies\(([0-9a-fA-F-]{36})\)/items\(([0-9a-fA-F-]{36})\)$")


def receive_notification(params: Mapping[str, str], body: bytes, client_state: str) -> EventReceipt:
    """Answer a BC webhook call: the handshake, or verify the clientState of a notification."""
    token = params.get("validationToken")
    if token is not None:
        return EventReceipt(200, token)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        payload = None
    entries = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return EventReceipt(400, 'malformed notification: expected {"value": [...]}')
    ours = [
        {k: v for k, v in entry.items() if k != "clientState"}
        for entry in entries
        if isinstance(entry, dict)
        and client_state
        and hmac.compare_digest(str(entry.get("clientState") or "").encode(), client_state.encode())
    ]
    if not ours:
        log_event(log, "erp_notification_rejected", logging.WARNING, entries=len(entries))
        return EventReceipt(401, "unknown clientState")
    return EventReceipt(202, "queued", {"notifications": ours})


def read_hints(notifications: list[Mapping[str, Any]], company_id: str) -> ErpHints:
    """The changed item ids of our company, and whether a `collection` asks for a delta run."""
    hints = ErpHints()
    for entry in notifications:
        resource = str(entry.get("resource") or "")
        change = str(entry.get("changeType") or "")
        match = _ITEM_RESOURCE.search(resource.split("?", 1)[0])
        ours = company_id.lower() in resource.lower()
        if change == "collection" and ours and "/items" in resource:
            hints.full_sync = True
        elif match and ours and change in ("created", "updated"):
            hints.item_ids.add(match.group(2).lower())
        else:
            hints.ignored += 1  # deleted items, other entities, other companies
    return hints


def notifications_of(payload: Mapping[str, object]) -> list[Mapping[str, Any]]:
    entries = payload.get("notifications")
    return [entry for entry in entries if isinstance(entry, Mapping)] if isinstance(entries, list) else []


def _endpoint(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").lower()


def _same_app(url: str, expected: str) -> bool:
    return _endpoint(url) == _endpoint(expected)


def _same_resource(a: str, b: str) -> bool:
    return a.strip("/").lower() == b.strip("/").lower()


def needs_renewal(sub: BcSubscription, url: str, client_state: str, now: datetime, window: timedelta) -> bool:
    expiring = sub.expires_at is None or sub.expires_at - now < window
    return expiring or sub.notification_url != url or sub.client_state != client_state


def ensure_subscriptions(
    api: BcSubscriptions,
    resources: list[str],
    url: str,
    client_state: str,
    now: datetime,
    window: timedelta,
) -> SubscriptionReport:
    report = SubscriptionReport()
    existing = [sub for sub in api.list() if _same_app(sub.notification_url, url)]
    for resource in resources:
        mine = [sub for sub in existing if _same_resource(sub.resource, resource)]
        mine.sort(key=lambda sub: sub.expires_at or datetime.min.replace(tzinfo=UTC), reverse=True)
        try:
            for extra in mine[1:]:
                api.delete(extra)
                report.deleted.append(extra.subscription_id)
            if not mine:
                api.create(url, resource, client_state)
                report.created.append(resource)
            elif needs_renewal(mine[0], url, client_state, now, window):
                _renew(api, mine[0], resource, url, client_state, report)
        except ErpError as exc:
            report.failed.append(f"{resource}: {exc.message}")
            log_event(log, ERP_SUBSCRIPTION_FAILED, logging.ERROR, resource=resource, error=exc.message[:200])
    return report


def _renew(
    api: BcSubscriptions, sub: BcSubscription, resource: str, url: str, client_state: str, report: SubscriptionReport
) -> None:
    """PATCH with If-Match; a stale ETag re-reads once; a subscription gone meanwhile is re-created."""
    try:
        api.renew(sub, url, client_state)
    except ErpConflict:
        fresh = next((s for s in api.list() if s.subscription_id == sub.subscription_id), None)
        if fresh is None:
            api.create(url, resource, client_state)
            report.created.append(resource)
            return
        api.renew(fresh, url, client_state)
    except PermanentErpError as exc:
        if exc.status != 404:
            raise
        api.create(url, resource, client_state)
        report.created.append(resource)
        return
    report.renewed.append(resource)
