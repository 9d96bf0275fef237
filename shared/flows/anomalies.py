"""Anomaly flags: an order or refund far outside its store's own history (shared/anomalies/rules.py).

``ANOMALY_ACTION`` says what happens to one:
- ``flag`` (default): it posts as usual and is marked for a person (the ledger's ``anomaly``, the audit
  trail, ``order_anomaly`` and ``order_needs_attention`` events, which the operations alert watches,
  and :func:`flagged_orders` for a report section);
- ``hold``: an order is held for review (hold code ``anomaly_review``, with the reason in the hold note)
  until a person runs `connector release <store>/<order>`; refunds are only flagged (the money has
  already gone back in WooCommerce);
- ``off``: nothing is checked or learnt.

The history is learnt as orders post and refunds are credited (never by re-reading orders): three table
requests per order before posting (one query for the store's statistics shards, the e-mail's and the
address's rows) and three read-modify-writes after (one statistics shard, the two buyer rows).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC

from azure.core.exceptions import AzureError

from shared.anomalies import rules
from shared.anomalies.history import BuyerActivity, buyer_keys
from shared.anomalies.rules import Flag, OrderFacts, RefundFacts, Thresholds, check_order, check_refund
from shared.config import Settings
from shared.events import WooEvent
from shared.flows.common import Reschedule, update_entry
from shared.flows.services import Services
from shared.model import HoldCode, HoldReason, Order, Refund
from shared.storage.ledger import LedgerEntry, OrderState, now_iso
from shared.storage.tables import WriteConflict
from shared.telemetry import NEEDS_ATTENTION, log_event

log = logging.getLogger("connector.anomalies")

ORDER_ANOMALY = "order_anomaly"


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        min_history=settings.anomaly_min_history,
        order_total_ratio=settings.anomaly_order_total_ratio,
        quantity_ratio=settings.anomaly_quantity_ratio,
        new_customer_ratio=settings.anomaly_new_customer_ratio,
        rare_country_share=settings.anomaly_rare_country_share,
        velocity_orders=settings.anomaly_velocity_orders,
        velocity_hours=settings.anomaly_velocity_hours,
        min_refunds=settings.anomaly_min_refunds,
        refund_ratio=settings.anomaly_refund_ratio,
        customer_refunds=settings.anomaly_customer_refunds,
        customer_refund_days=settings.anomaly_customer_refund_days,
        refund_rate_ratio=settings.anomaly_refund_rate_ratio,
        refund_rate_days=settings.anomaly_refund_rate_days,
        refund_rate_min_refunds=settings.anomaly_refund_rate_min_refunds,
        refund_rate_baseline_days=settings.anomaly_refund_rate_baseline_days,
    )


def _keys(order: Order) -> dict[str, str]:
    ship = order.shipping if order.shipping.address_1.strip() else order.billing
    email = order.customer.email or order.billing.email
    return buyer_keys(email or "", ship.address_1, ship.postcode, ship.country)


def _facts(order: Order, buyers: dict[str, BuyerActivity]) -> OrderFacts:
    country = order.shipping.country or order.billing.country
    quantities = tuple((line.name, line.quantity) for line in order.lines if line.quantity > 0)
    return OrderFacts(order.total, order.currency, quantities, country, order.created_at, buyers)


def message(flags: list[Flag]) -> str:
    return "; ".join(f.reason for f in flags)


def check(order: Order, services: Services) -> list[Flag]:
    """What is unusual about the order for its store (nothing when off or the history is unreadable)."""
    if services.settings.anomaly_action == "off":
        return []
    try:
        stats = services.store_history.stats(order.store)
        buyers = {kind: services.store_history.buyer(order.store, key) for kind, key in _keys(order).items()}
    except AzureError as exc:
        log.warning("store history unreadable, order not checked for anomalies: %s", type(exc).__name__)
        return []
    return check_order(_facts(order, buyers), stats, thresholds(services.settings))


def review_hold(order: Order, entry: LedgerEntry, flags: list[Flag]) -> HoldReason | None:
    """The hold for review, when the setting holds anomalies and no person released this order yet."""
    if entry.anomaly_released:
        return None
    if entry.hold_code == HoldCode.ANOMALY_REVIEW and entry.hold_reason:
        # Already waiting for a person: the same reason, however the history moved since (no new note).
        return HoldReason(code=HoldCode.ANOMALY_REVIEW, message=entry.hold_reason, subject=entry.hold_reason)
    if not flags:
        return None
    subject = f"{order.store}/{order.woo_order_id}"
    return HoldReason(
        code=HoldCode.ANOMALY_REVIEW,
        message=f"Held for review: {message(flags)}. Release it with `connector release {subject}`",
        subject=subject,
    )


def after_posting(order: Order, entry: LedgerEntry, flags: list[Flag], services: Services) -> None:
    """Flag the posted order (in ``flag`` mode, or when released from review) and learn it."""
    if services.settings.anomaly_action == "off":
        return
    if flags:
        reviewed = f" (released by {entry.anomaly_released})" if entry.anomaly_released else ""
        mark(entry, f"unusual order{reviewed}: {message(flags)}", ",".join(f.code for f in flags), services)
    learn_order(order, services)


def mark(entry: LedgerEntry, reason: str, codes: str, services: Services) -> LedgerEntry:
    """Record an unusual order or refund once: the ledger's ``anomaly`` (kept apart from ``attention``,
    which says what to correct in the ERP), the audit trail, and the events the alert watches."""
    added: list[bool] = []

    def add(current: LedgerEntry) -> bool:
        if reason in current.anomaly.split(" | "):
            return False
        current.anomaly = " | ".join(part for part in (current.anomaly, reason) if part)
        added.append(True)
        return True

    try:
        entry = update_entry(entry, add, services)
    except Reschedule:
        log.warning("ledger kept changing; the anomaly is in the audit trail and the events only")
        added.append(True)
    if added:
        subject = f"{entry.store}/{entry.order_id}"
        services.audit.record(subject, "anomaly", "unusual", reason=reason)
        log_event(log, ORDER_ANOMALY, logging.WARNING, store=entry.store, order=entry.order_id, codes=codes)
        log_event(log, NEEDS_ATTENTION, logging.WARNING, store=entry.store, order=entry.order_id, reason="unusual")
    return entry


def learn_order(order: Order, services: Services) -> None:
    """Add a posted order to its store's history; a storage failure costs the history one order, never
    the order its posting."""
    limits = thresholds(services.settings)
    facts = _facts(order, {})
    try:
        for key in _keys(order).values():
            services.store_history.update_buyer(
                order.store, key, lambda a: rules.learn_buyer_order(a, facts.at, limits)
            )
        services.store_history.update_stats(order.store, lambda stats: rules.learn_order(facts, stats, limits))
    except (AzureError, WriteConflict) as exc:
        log.warning("store history not updated for an order: %s", type(exc).__name__)


def refund_credited(order: Order, refund: Refund, entry: LedgerEntry, services: Services) -> LedgerEntry:
    """Check a credited refund against the store's refunds (flagged, never held), then learn it."""
    if services.settings.anomaly_action == "off":
        return entry
    limits = thresholds(services.settings)
    email_key = _keys(order).get("email")
    try:
        stats = services.store_history.stats(order.store)
        customer = services.store_history.buyer(order.store, email_key) if email_key else None
    except AzureError as exc:
        log.warning("store history unreadable, refund not checked: %s", type(exc).__name__)
        return entry
    at = refund.created_at if refund.created_at.tzinfo else refund.created_at.replace(tzinfo=UTC)
    facts = RefundFacts(refund.amount, order.currency, at, customer)
    flags = check_refund(facts, stats, limits)
    if flags:
        codes = ",".join(f.code for f in flags)
        entry = mark(entry, f"unusual refund {refund.woo_refund_id}: {message(flags)}", codes, services)
    try:
        if email_key:
            services.store_history.update_buyer(
                order.store, email_key, lambda a: rules.learn_buyer_refund(a, at, limits)
            )
        services.store_history.update_stats(order.store, lambda stats: rules.learn_refund(facts, stats, limits))
    except (AzureError, WriteConflict) as exc:
        log.warning("store history not updated for a refund: %s", type(exc).__name__)
    return entry


# ----------------------------------------------------------------------------- release and reporting


class ReleaseError(ValueError):
    """The order is not held for review."""


def release(services: Services, store: str, order_id: int, *, by: str) -> LedgerEntry:
    """A person looked at an order held for review: it posts on the retry queued now."""
    entry = services.ledger.get(store, order_id)
    if entry is None:
        raise ReleaseError(f"order {store}/{order_id} is not in the ledger")
    if entry.state != OrderState.HELD or entry.hold_code != HoldCode.ANOMALY_REVIEW:
        raise ReleaseError(f"order {store}/{order_id} is not held for review ({entry.state} {entry.hold_code})".strip())
    entry.anomaly_released = f"{by} at {now_iso()}"
    services.ledger.save(entry)  # WriteConflict: changed meanwhile; run it again
    services.audit.record(f"{store}/{order_id}", "released", "anomaly review", by=by)
    services.enqueue_woo_event(WooEvent(store=store, topic="order.retry", resource_id=order_id))
    return entry


@dataclass(frozen=True)
class FlaggedOrder:
    store: str
    order_id: int
    reason: str
    state: str
    released: str


def flagged_orders(services: Services, store: str | None = None) -> list[FlaggedOrder]:
    """Orders flagged as unusual, and those held for review (for the daily report's section)."""
    found: list[FlaggedOrder] = []
    for state in (OrderState.POSTED, OrderState.HELD):
        for entry in services.ledger.in_state(state, store):
            reason = entry.anomaly or (entry.hold_reason if entry.hold_code == HoldCode.ANOMALY_REVIEW else "")
            if reason:
                found.append(FlaggedOrder(entry.store, entry.order_id, reason, entry.state, entry.anomaly_released))
    return sorted(found, key=lambda f: (f.store, f.order_id))
