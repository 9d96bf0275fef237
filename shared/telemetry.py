"""Structured log events: one name per thing that happened, with order id, store, stage and outcome.

With Application Insights (OpenTelemetry) the `extra` attributes become customDimensions, so alert
rules and saved queries filter on `customDimensions.event`. Never pass secrets or personal data here:
ids, numbers, states, codes and counts only.
"""

from __future__ import annotations

import logging
from typing import Any

# Events the alert rules in infra/ watch.
ORDER_HELD = "order_held"
POISON_MESSAGE = "poison_message"
WEBHOOK_DISABLED = "webhook_disabled"
RECONCILIATION_EXCEPTIONS = "reconciliation_exceptions"
NEEDS_ATTENTION = "order_needs_attention"
# A held (or unposted) order cancelled in WooCommerce: its hold ends without a post.
ORDER_CANCELLED = "order_cancelled"
# ERP → store sync (stock, prices, shipments).
STOCK_WRITE_FAILED = "stock_write_failed"
SKU_CONFLICTS = "sku_conflicts"
SHIPMENT_NOT_APPLIED = "shipment_not_applied"
ERP_SUBSCRIPTION_FAILED = "erp_subscription_failed"
# The two-way product sync: a field changed on both sides since the last sync (nothing overwritten).
PRODUCT_FIELD_CONFLICT = "product_field_conflict"


# The Azure SDK and httpx log every request at INFO (about 30 records per order); each would be billed as
# Application Insights ingestion. Their warnings and errors still get through.
CHATTY_LIBRARY_LOGGERS = ("azure", "httpx", "httpcore")


def quiet_library_loggers() -> None:
    for name in CHATTY_LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **dimensions: Any) -> None:
    details = " ".join(f"{key}={value}" for key, value in dimensions.items() if value not in (None, ""))
    logger.log(level, "%s %s", event, details, extra={"event": event, **dimensions})
