"""ERP event subscriptions: keep the ERP pointed at this app's ``erp_webhook`` (BC: three-day expiry).

Each run (timer ``renew_erp_subscriptions``, hourly) hands the notification URL to the connection's
adapter (:meth:`shared.erp.port.ErpEvents.ensure_subscriptions`), which creates, renews and de-duplicates
its subscriptions. An ERP without events, or a deployment without ``PUBLIC_BASE_URL`` and
``WEBHOOK_FUNCTION_KEY``, is polled only: the timers cover what events would only speed up.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from shared.config import DEFAULT_CONNECTION, Settings
from shared.erp.port import SubscriptionReport, event_source
from shared.flows.services import Services
from shared.telemetry import log_event

log = logging.getLogger("connector.subscriptions")

ERP_WEBHOOK_ROUTE = "webhooks/erp"


def endpoint(settings: Settings, connection: str = DEFAULT_CONNECTION) -> str:
    return f"{settings.public_base_url.rstrip('/')}/api/{ERP_WEBHOOK_ROUTE}/{connection}"


def notification_url(settings: Settings, connection: str = DEFAULT_CONNECTION) -> str | None:
    """Where the ERP must send events, with the function key; None when not configured."""
    key = settings.webhook_function_key.get_secret_value()
    if not (settings.public_base_url and key):
        return None
    return f"{endpoint(settings, connection)}?code={key}"


def ensure_erp_subscriptions(services: Services, now: datetime | None = None) -> SubscriptionReport:
    """Every connection whose ERP has events: its subscriptions kept (one report for all of them)."""
    total = SubscriptionReport(configured=False)
    for connection in services.settings.connections():
        events = event_source(services.erp_for(connection))
        if events is None:
            continue
        report = events.ensure_subscriptions(notification_url(services.settings, connection), now or datetime.now(UTC))
        if not report.configured:
            log.info("ERP subscriptions of %s not configured (PUBLIC_BASE_URL, WEBHOOK_FUNCTION_KEY, its client state)",
                     connection)  # fmt: skip
            continue
        total.configured = True
        for name in ("created", "renewed", "deleted", "failed"):
            getattr(total, name).extend(getattr(report, name))
        if report.created or report.renewed or report.deleted:
            log_event(
                log,
                "erp_subscriptions_ensured",
                connection=connection,
                created=len(report.created),
                renewed=len(report.renewed),
                deleted=len(report.deleted),
            )
    return total
