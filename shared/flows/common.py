"""Pieces the flows share: re-scheduling, flagging an order for a person, the ledger's document."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

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
