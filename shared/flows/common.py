"""Pieces the flows share: re-scheduling, flagging an order for a person, the ledger's document."""

from __future__ import annotations

import logging
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


def flag(entry: LedgerEntry, reason: str, services: Services) -> None:
    """Mark a posted order for a person; recorded once per distinct reason."""
    if entry.attention == reason:
        return
    entry.attention = reason
    try:
        services.ledger.save(entry)
    except WriteConflict:
        return  # a concurrent delivery of the same change flags it
    subject = f"{entry.store}/{entry.order_id}"
    services.audit.record(subject, "flagged", "needs attention", reason=reason)
    log_event(log, NEEDS_ATTENTION, logging.WARNING, store=entry.store, order=entry.order_id, reason=reason)


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
