"""Refunds: each WooCommerce refund of a posted order becomes one BC sales credit memo.

The credit memo's external document number is `<order number>-R<refund id>`. The ledger lists the
refunds already credited; a refund in flight is marked first, so a retry after a crash looks the
credit memo up before creating another (exactly once, as for orders).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from shared.erp.port import ErpDataProblem, ErpDocument, TransientErpError
from shared.flows import anomalies
from shared.flows.common import Reschedule, document_of, flag
from shared.flows.services import Services
from shared.http import TransientHttpError
from shared.model import Order, Refund, credit_memo_number
from shared.storage.ledger import LedgerEntry
from shared.storage.tables import WriteConflict
from shared.telemetry import log_event
from shared.woo.mapping import refunds_from_woo

log = logging.getLogger("connector.refunds")


def credited(entry: LedgerEntry) -> set[str]:
    return {part for part in entry.refunds_posted.split(",") if part}


def process_refunds(order: Order, entry: LedgerEntry, services: Services) -> int:
    """Credit every refund of a posted order not credited yet; returns how many were credited now."""
    done = credited(entry)
    pending = {summary.woo_refund_id for summary in order.refunds if str(summary.woo_refund_id) not in done}
    if not pending:
        return 0
    try:
        details = services.woo(order.store).list_refunds(order.woo_order_id)
    except TransientHttpError as exc:
        raise Reschedule(f"WooCommerce unavailable: {exc}", exc.retry_after) from exc
    count = 0
    for refund in sorted(refunds_from_woo(details, order.woo_order_id), key=lambda r: r.woo_refund_id):
        if refund.woo_refund_id in pending:
            credit_refund(order, refund, entry, services)
            count += 1
    return count


def credit_refund(order: Order, refund: Refund, entry: LedgerEntry, services: Services) -> None:
    marker = f"refund:{refund.woo_refund_id}"
    number = credit_memo_number(order.external_number, refund.woo_refund_id)
    try:
        memo = services.erp_of(order.store).find_credit_memo(number) if entry.claim_id == marker else None
        if memo is None:
            entry.claim_id = marker  # in flight: a retry looks the credit memo up first
            services.ledger.save(entry)
            memo = services.erp_of(order.store).create_credit_memo(
                refund, order, document_of(entry, order.external_number)
            )
    except TransientErpError as exc:
        raise Reschedule(f"ERP unavailable for a credit memo: {exc.message}", exc.retry_after) from exc
    except ErpDataProblem as problem:
        flag(entry, f"refund {refund.woo_refund_id} cannot be credited: {problem.message}", services)
        return
    except WriteConflict as exc:
        raise Reschedule("ledger changed while crediting a refund", 1.0, routine=True) from exc
    entry.refunds_posted = ",".join(sorted(credited(entry) | {str(refund.woo_refund_id)}, key=int))
    entry.claim_id = ""
    try:
        services.ledger.save(entry)
    except WriteConflict as exc:
        raise Reschedule("ledger changed after crediting a refund", 1.0, routine=True) from exc
    services.audit.record(
        f"{order.store}/{order.woo_order_id}",
        "refunded",
        "credit memo created",
        refund=refund.woo_refund_id,
        credit_memo=memo.number,
        amount=str(refund.amount),
        erp_total=str(memo.total_including_tax),
    )
    log_event(log, "refund_credited", store=order.store, order=order.woo_order_id, refund=refund.woo_refund_id)
    entry = anomalies.refund_credited(order, refund, entry, services)
    mismatch = credit_memo_mismatch(refund, memo, services.settings.total_tolerance)
    if mismatch:
        flag(entry, mismatch, services)


def credit_memo_mismatch(refund: Refund, memo: ErpDocument, tolerance: Decimal) -> str:
    """Why the credit memo's total is not the money refunded (beyond the tolerance), or ""."""
    expected = refund.amount
    if abs(memo.total_including_tax - expected) <= tolerance:
        return ""
    return (
        f"credit memo {memo.number} for refund {refund.woo_refund_id} totals {memo.total_including_tax}, "
        f"but {expected} was refunded"
    )
