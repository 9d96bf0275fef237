"""BC webhook subscriptions: keep one live subscription on items pointed at this app (facts §1.8).

Each run (timer ``renew_erp_subscriptions``, hourly) lists the subscriptions, and for every resource
the connector wants (``items`` of the configured company):
- none pointing at this app's ``erp_webhook`` → create one (BC handshakes first);
- one expiring within ``BC_SUBSCRIPTION_RENEW_HOURS``, or with another URL/key or clientState → renew
  it with PATCH + If-Match (a new handshake and three more days);
- more than one → keep the one expiring last, delete the others.
BC deletes a subscription whose notification got a 4xx answer, and drops expired ones: the next run
re-creates it, and the stock timer's polling covers the gap (hints only speed things up).

Needs ``PUBLIC_BASE_URL``, ``WEBHOOK_FUNCTION_KEY`` and ``BC_WEBHOOK_CLIENT_STATE``; without them the
connector polls only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared.config import Settings
from shared.erp.bc.subscriptions import BcSubscription, resource_path
from shared.erp.port import ErpConflict, ErpError, PermanentErpError
from shared.flows.services import Services
from shared.telemetry import ERP_SUBSCRIPTION_FAILED, log_event

log = logging.getLogger("connector.subscriptions")

ERP_WEBHOOK_ROUTE = "webhooks/erp/bc"
SUBSCRIBED_ENTITY_SETS = ("items",)


@dataclass
class SubscriptionReport:
    configured: bool = True
    created: list[str] = field(default_factory=list)  # resources
    renewed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # subscription ids (duplicates)
    failed: list[str] = field(default_factory=list)  # "resource: reason"


def endpoint(settings: Settings) -> str:
    return f"{settings.public_base_url.rstrip('/')}/api/{ERP_WEBHOOK_ROUTE}"


def notification_url(settings: Settings) -> str | None:
    """Where BC must send notifications, with the function key; None when not configured."""
    key = settings.webhook_function_key.get_secret_value()
    if not (settings.public_base_url and key and settings.bc_webhook_client_state.get_secret_value()):
        return None
    return f"{endpoint(settings)}?code={key}"


def _same_endpoint(url: str, expected: str) -> bool:
    return url.split("?", 1)[0].rstrip("/").lower() == expected.split("?", 1)[0].rstrip("/").lower()


def _same_resource(a: str, b: str) -> bool:
    return a.strip("/").lower() == b.strip("/").lower()


def needs_renewal(sub: BcSubscription, url: str, client_state: str, now: datetime, window: timedelta) -> bool:
    expiring = sub.expires_at is None or sub.expires_at - now < window
    return expiring or sub.notification_url != url or sub.client_state != client_state


def ensure_erp_subscriptions(services: Services, now: datetime | None = None) -> SubscriptionReport:
    settings = services.settings
    report = SubscriptionReport()
    url = notification_url(settings)
    if settings.erp != "bc" or url is None:
        report.configured = False
        log.info("BC subscriptions not configured (PUBLIC_BASE_URL, WEBHOOK_FUNCTION_KEY, BC_WEBHOOK_CLIENT_STATE)")
        return report
    client_state = settings.bc_webhook_client_state.get_secret_value()
    window = timedelta(hours=settings.bc_subscription_renew_hours)
    now = now or datetime.now(UTC)
    api = services.erp.subscriptions()
    existing = [sub for sub in api.list() if _same_endpoint(sub.notification_url, url)]
    for entity_set in SUBSCRIBED_ENTITY_SETS:
        resource = resource_path(settings, entity_set)
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
                renew(services, mine[0], resource, url, client_state, report)
        except ErpError as exc:
            report.failed.append(f"{resource}: {exc.message}")
            log_event(log, ERP_SUBSCRIPTION_FAILED, logging.ERROR, resource=resource, error=exc.message[:200])
    if report.created or report.renewed or report.deleted:
        log_event(
            log,
            "erp_subscriptions_ensured",
            created=len(report.created),
            renewed=len(report.renewed),
            deleted=len(report.deleted),
        )
    return report


def renew(
    services: Services, sub: BcSubscription, resource: str, url: str, client_state: str, report: SubscriptionReport
) -> None:
    """PATCH with If-Match; a stale ETag re-reads once; a subscription gone meanwhile is re-created."""
    api = services.erp.subscriptions()
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
