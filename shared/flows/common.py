"""Pieces the flows share: re-scheduling, flagging an order for a person, the ledger's document, and
recording why a message was poisoned."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from shared.erp.port import DocumentKind, ErpDocument
from shared.flows.services import Services
from shared.storage.ledger import LedgerEntry
from shared.storage.tables import WriteConflict
from shared.telemetry import NEEDS_ATTENTION, log_event

log = logging.getLogger("connector.orders")


class Reschedule(Exception):
    """Try this message again later (transient failure, or another worker holds the order)."""

    def __init__(self, reason: str, delay: float | None = None, *, routine: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.routine = routine  # a race between deliveries of one order, not a failure


def update_entry(entry: LedgerEntry, change: Callable[[LedgerEntry], bool], services: Services) -> LedgerEntry:
    """Apply `change` (False: nothing to change) and save; after a lost race re-read and apply it again.

    Returns the entry as saved (or as found), which the caller goes on with.
    """
    for _ in range(5):
        if not change(entry):
            return entry
        try:
            return services.ledger.save(entry)
        except WriteConflict:
            fresh = services.ledger.get(entry.store, entry.order_id)
            if fresh is None:
                break
            entry = fresh
    raise Reschedule("the order's ledger entry kept changing", 1.0, routine=True)


def flag(entry: LedgerEntry, reason: str, services: Services) -> LedgerEntry:
    """Mark an order for a person; recorded once per distinct reason, whatever races with it."""
    flagged: list[bool] = []

    def set_attention(current: LedgerEntry) -> bool:
        if current.attention == reason:
            return False
        current.attention = reason
        flagged.append(True)
        return True

    entry = update_entry(entry, set_attention, services)
    if flagged:
        subject = f"{entry.store}/{entry.order_id}"
        services.audit.record(subject, "flagged", "needs attention", reason=reason)
        log_event(log, NEEDS_ATTENTION, logging.WARNING, store=entry.store, order=entry.order_id, reason=reason)
    return entry


def document_of(entry: LedgerEntry, external_document_number: str) -> ErpDocument:
    """The ERP document the ledger recorded for an order."""
    return ErpDocument(
        id=entry.document_id,
        number=entry.document_number,
        external_document_number=external_document_number,
        kind=DocumentKind(entry.document_kind or DocumentKind.SALES_ORDER),
        total_including_tax=Decimal(entry.erp_total or "0"),
        customer_number=entry.customer_number,
    )


# ------------------------------------------------------------------------------ why a message was poisoned

POISONED = "poisoned"  # the audit stage of the failure that sent an order's message to the poison queue
CAUSE_LIMIT = 300  # characters of the error message kept
_EMAIL = re.compile(r"[^\s@'\"<>(),;:]+@[^\s@'\"<>(),;:]+")
_PHONE = re.compile(r"(?<![\w.])(?:\+\d[\d ()./-]{6,}\d|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4})(?![\w.])")


def failure_cause(error: BaseException) -> tuple[str, str]:
    """(class name, message) of an error, fit for the audit trail: nothing personal, one line.

    The message's first line only, with e-mail addresses and phone numbers masked and at most
    CAUSE_LIMIT characters (the class and that line say what failed; the payload is never included).
    """
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    first = _PHONE.sub("<phone>", _EMAIL.sub("<e-mail>", first))
    if len(first) > CAUSE_LIMIT:
        first = first[: CAUSE_LIMIT - 1] + "…"
    return type(error).__name__, first


def record_poisoned(
    services: Services,
    queue: str,
    message: Mapping[str, Any] | None,
    error: BaseException,
    *,
    message_id: str = "",
    tries: int = 0,
) -> None:
    """On a message's last try: an audit row saying why it is going to `<queue>-poison`.

    Only for messages that name an order (`store` and `resource_id`); a message that could not be read
    is described by the poison listing itself. Never raises: storage may be the very thing that failed.
    """
    if message is None:
        return
    store, order = message.get("store"), message.get("resource_id")
    if not isinstance(store, str) or not store or not isinstance(order, int) or isinstance(order, bool):
        return
    error_class, cause = failure_cause(error)
    try:
        services.audit.record(
            f"{store}/{order}",
            POISONED,
            "failed on its last try: moved to the poison queue",
            queue=queue,
            error=error_class,
            cause=cause,
            message_id=message_id,
            tries=tries,
        )
    except Exception as exc:  # the host moves the message all the same; the poison listing says "unknown"
        log.warning("the poison cause of %s/%s could not be recorded: %s", store, order, type(exc).__name__)
