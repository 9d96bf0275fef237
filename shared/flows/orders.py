"""Order to cash: a queued Woo order event becomes exactly one ERP sales document.

The story of one message:
1. Read the order: the webhook body, or WooCommerce itself when the body is missing or stale.
2. Route by Woo status: paid → post; cancelled → cancel; anything else → remember and wait.
3. Post: claim the order in the ledger (ETag-guarded), look the document up in the ERP when an earlier
   attempt may have created it, resolve the customer (cached), create the document in one call, and
   record the result. Totals are compared with the Woo total (invariant 5).
4. Data problems hold the order with a readable reason (invariant 3); transient failures re-queue the
   message with backoff (the queue trigger itself has none); unexpected errors raise, so the host's
   retries end in the poison queue (invariant 2).
"""

from __future__ import annotations

import contextlib
import logging
import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.erp.port import DocumentKind, ErpConflict, ErpCustomer, ErpDataProblem, ErpDocument, TransientErpError
from shared.erp.rules import expected_total
from shared.events import WooEvent
from shared.flows import refunds
from shared.flows.common import Reschedule, document_of, flag, record_poisoned, update_entry
from shared.flows.services import Services
from shared.http import PermanentHttpError, TransientHttpError
from shared.model import HoldReason, Order
from shared.storage.customers import buyer_key
from shared.storage.ledger import LedgerEntry, OrderState, now_iso
from shared.storage.queues import open_message
from shared.storage.tables import WriteConflict
from shared.telemetry import NEEDS_ATTENTION, ORDER_CANCELLED, ORDER_HELD, POISON_MESSAGE, log_event
from shared.woo.mapping import IGNORED_ORDER_STATUSES, order_from_woo, woo_order_fingerprint

log = logging.getLogger("connector.orders")


# ------------------------------------------------------------------------------ entry point


def handle_woo_event(message: Mapping[str, Any], services: Services, *, message_id: str = "") -> None:
    """Process one message from the woo-events queue."""
    event = WooEvent.model_validate(message).model_copy(update={"message_id": message_id})
    try:
        if event.resource == "order":
            process_order_event(event, services)
        else:
            log_event(log, "event_ignored", store=event.store, topic=event.topic, resource_id=event.resource_id)
    except Reschedule as again:
        reschedule(event, again, services)


def reschedule(event: WooEvent, again: Reschedule, services: Services) -> None:
    """Re-queue a copy with a backoff delay; past the cap, raise so the host retries and poisons."""
    limit = services.settings.max_reschedules
    if event.attempt >= limit:
        subject = f"{event.store}/{event.resource_id}"
        raise RuntimeError(f"order {subject}: still failing after {limit} re-schedules: {again.reason}")
    backoff = min(900.0, 2.0 * 2**event.attempt) * random.uniform(0.5, 1.0)
    delay = max(again.delay or 0.0, backoff)
    services.enqueue_woo_event(event.model_copy(update={"attempt": event.attempt + 1}), delay_seconds=int(delay))
    log_event(
        log,
        "order_rescheduled",
        logging.INFO if again.routine else logging.WARNING,
        store=event.store,
        order=event.resource_id,
        attempt=event.attempt + 1,
        delay_s=int(delay),
        reason=again.reason,
    )


# ------------------------------------------------------------------------------ reading the order


def _is_stale(event: WooEvent, entry: LedgerEntry | None) -> bool:
    return bool(entry and entry.woo_modified and event.modified and event.modified < entry.woo_modified)


def read_order(event: WooEvent, entry: LedgerEntry | None, services: Services) -> dict[str, Any] | None:
    """The order's payload: the webhook body, unless missing, partial or older than what we saw."""
    body = event.body
    partial = body is None or "line_items" not in body or event.topic == "order.deleted"
    if not partial and not _is_stale(event, entry):
        return body
    try:
        return services.woo(event.store).get_order(event.resource_id)
    except PermanentHttpError as exc:
        if exc.status == 404:
            return None
        raise
    except TransientHttpError as exc:
        raise Reschedule(f"WooCommerce unavailable: {exc}", exc.retry_after) from exc


def process_order_event(event: WooEvent, services: Services) -> None:
    entry = services.ledger.get(event.store, event.resource_id)
    payload = read_order(event, entry, services)
    subject = f"{event.store}/{event.resource_id}"
    if payload is None:
        services.audit.record(subject, "received", "order no longer exists in WooCommerce", topic=event.topic)
        return
    order = order_from_woo(payload, event.store).model_copy(
        update={"document_prefix": services.settings.store(event.store).document_prefix}
    )
    if order.status in IGNORED_ORDER_STATUSES:
        return
    if entry is None or entry.state == OrderState.RECEIVED:
        services.audit.record(subject, "received", order.status, topic=event.topic, delivery=event.delivery_id or "")
    rules = services.status_rules(event.store)  # the connection's mapping may say which statuses post or cancel
    if rules is not None and order.status in rules.ignore:
        return
    if order.status in (rules.post if rules is not None else services.settings.paid_statuses):
        post_order(order, payload, entry, services, message_id=event.message_id)
    elif order.status in (rules.cancel if rules is not None else ("cancelled",)):
        cancel_order(order, payload, entry, services)
    elif order.status == "refunded":
        refund_order(order, payload, entry, services)
    elif order.status in REVERTED_STATUSES and entry is not None and entry.state != OrderState.RECEIVED:
        reverted_after_posting(order, payload, entry, services)
    else:
        remember_unpaid(order, payload, entry, services)


# Statuses that take a paid order back (to the trash, on hold, unpaid or failed payment). After posting
# the ERP document stays as it is: a person decides (trash arrives as order.deleted, facts §0).
REVERTED_STATUSES = frozenset({"trash", "on-hold", "pending", "failed"})


def reverted_after_posting(order: Order, payload: dict[str, Any], entry: LedgerEntry, services: Services) -> None:
    """A posted order moved to the trash, on-hold, pending or failed: flagged, never re-posted or deleted."""
    if entry.state == OrderState.POSTING:
        raise Reschedule("order is being posted; look at its new status after", 5.0, routine=True)
    if entry.state != OrderState.POSTED:
        remember_unpaid(order, payload, entry, services)
        return
    entry = note_seen(entry, order, payload, services)
    where = "moved to the trash" if order.status == "trash" else f"set to {order.status}"
    document = entry.document_number or "the ERP document"
    flag(entry, f"{where} in WooCommerce after posting; {document} left unchanged", services)


def refund_order(order: Order, payload: dict[str, Any], entry: LedgerEntry | None, services: Services) -> None:
    """A fully refunded order: an unshipped, uninvoiced BC order is cancelled; otherwise credit memos."""
    if entry is None or entry.state != OrderState.POSTED:
        cancel_order(order, payload, entry, services)
        return
    entry = note_seen(entry, order, payload, services)
    unshipped_order = entry.document_kind == DocumentKind.SALES_ORDER and not refunds.credited(entry)
    if unshipped_order:
        try:
            unshipped_order = not services.erp_of(order.store).shipped_anything(
                document_of(entry, order.external_number)
            )
        except TransientErpError as exc:
            raise Reschedule(f"ERP unavailable: {exc.message}", exc.retry_after) from exc
    if unshipped_order:
        cancel_order(order, payload, entry, services)
    else:
        refunds.process_refunds(order, entry, services)


def remember_unpaid(order: Order, payload: dict[str, Any], entry: LedgerEntry | None, services: Services) -> None:
    if entry is not None and entry.state != OrderState.RECEIVED:
        return
    entry = entry or LedgerEntry(order.store, order.woo_order_id, order_number=order.number)
    entry.woo_status = order.status
    entry.woo_modified = str(payload.get("date_modified_gmt") or "")
    # A conflict means another delivery of the same order got there first and recorded as much.
    with contextlib.suppress(WriteConflict):
        services.ledger.save(entry)


# ------------------------------------------------------------------------------ posting


def post_order(
    order: Order,
    payload: dict[str, Any],
    entry: LedgerEntry | None,
    services: Services,
    *,
    message_id: str = "",
    first_look: bool = True,
) -> None:
    fingerprint = woo_order_fingerprint(payload)
    if entry is not None and entry.state in (OrderState.POSTED, OrderState.CANCELLED):
        entry = note_seen(entry, order, payload, services)
        if entry.state == OrderState.POSTED:
            record_payment(order, entry, services)
            refunds.process_refunds(order, entry, services)
            if entry.fingerprint != fingerprint:
                flag(entry, "changed in WooCommerce after posting; not re-posted", services)
        return
    try:
        claimed = claim(order, payload, entry, services, message_id=message_id)
    except WriteConflict as exc:
        if not first_look:
            raise Reschedule("the order's ledger entry changed while claiming", 1.0, routine=True) from exc
        # Another delivery of this order wrote the entry after we read it: decide again on what it wrote.
        fresh = services.ledger.get(order.store, order.woo_order_id)
        post_order(order, payload, fresh, services, message_id=message_id, first_look=False)
        return
    if claimed is None:
        log_event(log, "duplicate_dropped", logging.DEBUG, store=order.store, order=order.woo_order_id)
        return
    entry = claimed
    try:
        document = existing_document(order, entry, services) or create_document(order, payload, entry, services)
    except ErpDataProblem as problem:
        hold(order, entry, problem.holds, services)
        return
    except TransientErpError as exc:
        release_claim(entry, services, counted=exc.ambiguous)
        raise Reschedule(f"ERP unavailable: {exc.message}", exc.retry_after) from exc
    except Exception:
        release_claim(entry, services, counted=True)  # the host retries this message at once
        raise
    record_posted(order, fingerprint, entry, document, services)
    record_payment(order, entry, services)


def note_seen(entry: LedgerEntry, order: Order, payload: dict[str, Any], services: Services) -> LedgerEntry:
    """Remember the newest Woo state seen, so the backfill does not queue it again."""
    modified = str(payload.get("date_modified_gmt") or "")

    def newer(current: LedgerEntry) -> bool:
        if modified <= current.woo_modified and current.woo_status == order.status:
            return False
        current.woo_modified = max(modified, current.woo_modified)
        current.woo_status = order.status
        return True

    return update_entry(entry, newer, services)


def claim(
    order: Order, payload: dict[str, Any], entry: LedgerEntry | None, services: Services, *, message_id: str = ""
) -> LedgerEntry | None:
    """Take the order for this worker (None: another worker is posting this very state).

    A live claim by another message means a duplicate delivery raced this one. When this delivery is
    no newer than what the claim took, it is dropped: the claiming message posts that state, and if
    its worker dies that message comes back and takes over its own claim. A newer state waits.
    Raises WriteConflict when another delivery wrote the entry after `entry` was read.
    """
    timeout = timedelta(seconds=services.settings.claim_timeout_seconds)
    if entry is not None and entry.state == OrderState.POSTING and entry.claimed_at:
        age = datetime.now(UTC) - datetime.fromisoformat(entry.claimed_at)
        ours = bool(message_id) and entry.claim_id == message_id
        if age < timeout and not ours:
            if not _newer_than_claim(order, payload, entry):
                return None
            raise Reschedule(
                "another worker is posting this order", min(5.0, (timeout - age).total_seconds()), routine=True
            )
    entry = entry or LedgerEntry(order.store, order.woo_order_id)
    entry.state = OrderState.POSTING
    entry.order_number = order.number
    entry.external_number = order.external_number
    entry.connection = services.settings.connection_of(order.store)
    entry.woo_status = order.status
    entry.woo_modified = str(payload.get("date_modified_gmt") or "")
    entry.woo_total = str(order.total)
    entry.currency = order.currency
    entry.attempts += 1
    entry.claim_id = message_id or uuid.uuid4().hex
    entry.claimed_at = now_iso()
    return services.ledger.save(entry)  # WriteConflict: another delivery got there first


def _newer_than_claim(order: Order, payload: dict[str, Any], entry: LedgerEntry) -> bool:
    modified = str(payload.get("date_modified_gmt") or "")
    return modified > entry.woo_modified or order.status != entry.woo_status


def release_claim(entry: LedgerEntry, services: Services, *, counted: bool) -> None:
    """Free the order for the retry at once; an attempt that cannot have written the document (the
    ERP refused or never received it) does not count, so the retry needs no look-up first."""
    entry.claim_id = entry.claimed_at = ""
    if not counted:
        entry.attempts = max(0, entry.attempts - 1)
    with contextlib.suppress(WriteConflict):  # taken over meanwhile: the taker carries on
        services.ledger.save(entry)


def existing_document(order: Order, entry: LedgerEntry, services: Services) -> ErpDocument | None:
    """After an earlier attempt, the document may exist (crash after the ERP write): look it up."""
    if entry.attempts <= 1:
        return None
    return services.erp_of(order.store).find_sales_document(order.external_number)


def create_document(order: Order, payload: dict[str, Any], entry: LedgerEntry, services: Services) -> ErpDocument:
    customer = resolve_customer(order, services)
    entry.customer_number = customer.number
    return services.erp_of(order.store).create_sales_document(
        order, customer, parent_skus=parent_skus(order, payload, services)
    )


def parent_skus(order: Order, payload: dict[str, Any], services: Services) -> dict[int, str]:
    """SKUs of the parents of variation lines, to catch variations that only inherit the parent's SKU."""
    parents = sorted({line.product_id for line in order.lines if line.variation_id and line.product_id})
    if not parents:
        return {}
    cache = services.parent_skus
    missing = [pid for pid in parents if (order.store, pid) not in cache]
    if missing:
        try:
            products = services.woo(order.store).list_products(include=",".join(map(str, missing)))
            for product in products:
                cache[(order.store, int(product["id"]))] = str(product.get("sku") or "")
        except TransientHttpError as exc:
            raise Reschedule(f"WooCommerce unavailable: {exc}", exc.retry_after) from exc
    return {pid: cache[(order.store, pid)] for pid in parents if (order.store, pid) in cache}


def resolve_customer(order: Order, services: Services) -> ErpCustomer:
    """The ERP customer for the buyer: the configured default, a cached match, a lookup, or a new one."""
    settings = services.settings
    erp = services.erp_of(order.store)
    if settings.customer_matching == "default_customer":
        found = erp.get_customer(settings.default_customer_number)
        if found is None:
            raise ErpDataProblem([HoldReason.blocked_customer(settings.default_customer_number, "missing")])
        return found
    buyer = order.customer
    key = buyer_key(buyer.email, buyer.phone)
    connection = settings.connection_of(order.store)  # one ERP customer per buyer and connection
    if key is not None:
        cached = services.customers.get(connection, key)
        if cached is not None:
            return ErpCustomer(number=cached[0], id=cached[1])
    customer = erp.find_customer(buyer.email or "", buyer.phone or None)
    if customer is None:
        currency = (
            order.currency if order.currency != settings.connection_of_store(order.store).local_currency else None
        )
        customer = erp.create_customer(buyer, currency)
    if key is not None:
        services.customers.put(connection, key, customer.number, customer.id)
    return customer


def record_posted(
    order: Order, fingerprint: str, entry: LedgerEntry, document: ErpDocument, services: Services
) -> None:
    entry.state = OrderState.POSTED
    entry.fingerprint = fingerprint
    entry.document_kind = str(document.kind)
    entry.document_id = document.id
    entry.document_number = document.number
    entry.erp_total = str(document.total_including_tax)
    entry.hold_code = entry.hold_reason = entry.held_since = ""
    entry.claim_id = entry.claimed_at = ""
    entry.posted_at = now_iso()
    records_payments = services.settings.connection_of_store(order.store).records_payments
    entry.payment_state = "pending" if records_payments and order.paid_at else ""
    entry.customer_number = document.customer_number or entry.customer_number
    difference = abs(document.total_including_tax - expected_total(order))
    if difference > services.settings.total_tolerance:
        entry.attention = f"ERP total {document.total_including_tax} differs from Woo total {order.total}"
    try:
        services.ledger.save(entry)
    except WriteConflict:
        # Our claim was taken over (it outlived claim_timeout); the taker looks the document up.
        log.warning(
            "ledger entry %s/%s changed while posting; left to the newer claim", order.store, order.woo_order_id
        )
        return
    subject = f"{order.store}/{order.woo_order_id}"
    services.audit.record(
        subject,
        "posted",
        "ok",
        document=document.number,
        kind=str(document.kind),
        erp_total=str(document.total_including_tax),
        woo_total=str(order.total),
        attempts=entry.attempts,
    )
    log_event(log, "order_posted", store=order.store, order=order.woo_order_id, document=document.number)
    if entry.attention:
        log_event(
            log,
            NEEDS_ATTENTION,
            logging.WARNING,
            store=order.store,
            order=order.woo_order_id,
            reason="total_mismatch",
            difference=str(difference),
        )


def record_payment(order: Order, entry: LedgerEntry, services: Services) -> None:
    """Record the Woo payment in the configured customer payment journal, once."""
    if entry.payment_state != "pending":
        return
    erp = services.erp_of(order.store)
    try:
        # The payment step runs after the document is recorded; a retry after an ambiguous attempt looks first.
        payment = erp.find_payment(order.external_number) if entry.attempts > 1 or entry.claim_id else None
        if payment is None:
            document = document_of(entry, order.external_number)
            entry.claim_id = "payment"  # marks an attempt in flight for the lookup above
            services.ledger.save(entry)
            payment = erp.record_payment(order, document, order.total)
    except TransientErpError as exc:
        raise Reschedule(f"ERP unavailable for the payment: {exc.message}", exc.retry_after) from exc
    except WriteConflict as exc:
        raise Reschedule("ledger changed while recording the payment", 1.0, routine=True) from exc
    entry.payment_state = "recorded"
    entry.claim_id = ""
    try:
        services.ledger.save(entry)
    except WriteConflict as exc:
        raise Reschedule("ledger changed after recording the payment", 1.0, routine=True) from exc
    services.audit.record(
        f"{order.store}/{order.woo_order_id}", "payment", "recorded", amount=str(payment.amount), line=payment.id
    )


# ------------------------------------------------------------------------------ holds and flags


def hold(order: Order, entry: LedgerEntry, reasons: tuple[HoldReason, ...], services: Services) -> None:
    first = reasons[0]
    message = "; ".join(reason.message for reason in reasons)
    newly_held = entry.hold_reason != message  # claim() keeps the previous reason: same reason, no new note
    entry.state = OrderState.HELD
    entry.hold_code = str(first.code)
    entry.hold_reason = message
    entry.held_since = entry.held_since or now_iso()
    entry.claim_id = entry.claimed_at = ""
    entry.attempts = 0  # nothing was created: the next attempt needs no lookup first
    try:
        services.ledger.save(entry)
    except WriteConflict as exc:
        raise Reschedule("the order's ledger entry changed while holding", 1.0) from exc
    if not newly_held:
        return
    subject = f"{order.store}/{order.woo_order_id}"
    services.audit.record(subject, "held", str(first.code), reason=message)
    log_event(log, ORDER_HELD, logging.WARNING, store=order.store, order=order.woo_order_id, code=str(first.code))
    if services.settings.hold_notes:
        note = f"Not yet in the ERP: {message}. It is retried automatically once fixed."
        try:
            services.woo(order.store).add_order_note(order.woo_order_id, note)
        except (TransientHttpError, PermanentHttpError):
            log.warning("could not write the hold note on %s", subject)


# ------------------------------------------------------------------------------ cancellation


def cancel_order(order: Order, payload: dict[str, Any], entry: LedgerEntry | None, services: Services) -> None:
    """Cancel the ERP order while nothing has shipped; otherwise a person decides."""
    modified = str(payload.get("date_modified_gmt") or "")
    if entry is None or entry.state in (OrderState.RECEIVED, OrderState.HELD):
        entry = entry or LedgerEntry(order.store, order.woo_order_id, order_number=order.number)
        entry.state = OrderState.CANCELLED
        entry.woo_status = order.status
        entry.woo_modified = max(modified, entry.woo_modified)
        try:
            services.ledger.save(entry)
        except WriteConflict as exc:
            raise Reschedule("ledger changed while cancelling", 1.0) from exc
        services.audit.record(f"{order.store}/{order.woo_order_id}", "cancelled", "never posted")
        # Ends a hold for the held-orders alert, as order_posted does (infra/modules/operations.bicep).
        log_event(log, ORDER_CANCELLED, store=order.store, order=order.woo_order_id)
        return
    if entry.state != OrderState.POSTED:
        if entry.state == OrderState.POSTING:
            raise Reschedule("order is being posted; cancel after", 5.0)
        note_seen(entry, order, payload, services)
        return
    document = document_of(entry, order.external_number)
    try:
        services.erp_of(order.store).cancel_sales_document(document)
    except ErpConflict:
        entry = note_seen(entry, order, payload, services)
        flag(entry, f"cancelled in WooCommerce but {document.number} has shipped or changed in the ERP", services)
        return
    except TransientErpError as exc:
        raise Reschedule(f"ERP unavailable: {exc.message}", exc.retry_after) from exc
    entry.state = OrderState.CANCELLED
    entry.woo_status = order.status
    entry.woo_modified = max(modified, entry.woo_modified)
    try:
        services.ledger.save(entry)
    except WriteConflict as exc:
        raise Reschedule("ledger changed while cancelling", 1.0) from exc
    services.audit.record(
        f"{order.store}/{order.woo_order_id}", "cancelled", "ERP document deleted", document=document.number
    )


# ------------------------------------------------------------------------------ re-driving held orders


def redrive_held_orders(services: Services) -> int:
    """Queue a retry for every held order; fixed data posts, unfixed stays held (no new note)."""
    count = 0
    for entry in services.ledger.in_state(OrderState.HELD):
        services.enqueue_woo_event(WooEvent(store=entry.store, topic="order.retry", resource_id=entry.order_id))
        count += 1
    if count:
        log_event(log, "held_orders_redriven", count=count)
    return count


def process_queue_message(
    body: bytes, dequeue_count: int, services: Services, *, max_dequeue_count: int, message_id: str = ""
) -> None:
    """The woo-events queue function: open the message (claim-check too) and handle it.

    A failure on the last try is logged as a poison event (the host then moves the message).
    """
    message: dict[str, Any] | None = None
    try:
        message = open_message(body, lambda: services.blobs)
        handle_woo_event(message, services, message_id=message_id)
    except Exception as exc:
        if dequeue_count >= max_dequeue_count:
            log_event(log, POISON_MESSAGE, logging.ERROR, queue="woo-events", error=type(exc).__name__)
            record_poisoned(services, "woo-events", message, exc, message_id=message_id, tries=dequeue_count)
        raise
