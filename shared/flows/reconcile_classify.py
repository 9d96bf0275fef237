"""Reconciliation, the pure part: how one Woo order, refund, SKU, held order or poison message compares
with the ERP, as a report row (no I/O). :mod:`shared.flows.reconcile` reads both sides and calls these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from shared.config import Settings
from shared.erp.port import ErpDocument, ErpItem
from shared.flows.poison import PoisonMessage
from shared.flows.report import ExceptionKind, ReconciliationException, format_age
from shared.flows.status import HeldOrder
from shared.flows.stock_plan import available_to_sell, stock_buffer
from shared.model import credit_memo_number, currency_places, external_document_number, round_money, to_money
from shared.storage.ledger import LedgerEntry


def day_bounds(day: date) -> tuple[str, str]:
    """Woo `after`/`before` for one GMT day: both exclusive at second precision, naive GMT (§2.3)."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    after = start - timedelta(seconds=1)
    before = start + timedelta(days=1)
    return after.strftime("%Y-%m-%dT%H:%M:%S"), before.strftime("%Y-%m-%dT%H:%M:%S")


def created_on(payload: Mapping[str, Any], day: date) -> bool:
    stamp = str(payload.get("date_created_gmt") or "")
    return not stamp or stamp.startswith(day.isoformat())


def order_number(order: Mapping[str, Any], prefix: str = "") -> str:
    """The Woo order's number in the ERP: the store's document prefix and the Woo order number."""
    return external_document_number(str(order.get("number") or order.get("id") or ""), prefix)


def classify_order(
    store: str,
    order: Mapping[str, Any],
    documents: Sequence[ErpDocument],
    *,
    paid_statuses: Sequence[str],
    tolerance: Decimal,
    held: bool = False,
    prefix: str = "",
) -> ReconciliationException | None:
    """The exception for one Woo order given the ERP documents carrying its number, if any.

    A paid order needs exactly one document with the same total. A held order is reported as held,
    not missing. Other statuses (a `refunded` order, say) are only compared when a document exists.
    """
    status = str(order.get("status") or "")
    number = order_number(order, prefix)
    order_id = str(order.get("id") or number)
    currency = str(order.get("currency") or "")
    woo_total = round_money(to_money(order.get("total") or "0"), currency_places(currency))
    label = f"order #{number}" if number != order_id else "order"
    if not documents:
        if status not in paid_statuses or held:
            return None
        return ReconciliationException(
            ExceptionKind.MISSING_ORDER,
            store,
            order_id,
            woo_value=format(woo_total, "f"),
            detail=f"{label} is {status} in WooCommerce; no ERP sales order or invoice has external "
            f"document number {number}",
            currency=currency,
        )
    if len(documents) > 1:
        numbers = ", ".join(sorted(doc.number for doc in documents))
        return ReconciliationException(
            ExceptionKind.DUPLICATE_DOCUMENT,
            store,
            order_id,
            woo_value=format(woo_total, "f"),
            erp_value=numbers,
            detail=f"{label}: {len(documents)} ERP documents carry external document number {number}",
        )
    document = documents[0]
    erp_total = document.total_including_tax
    difference = erp_total - woo_total
    if abs(difference) <= tolerance:
        return None
    return ReconciliationException(
        ExceptionKind.TOTAL_MISMATCH,
        store,
        order_id,
        woo_value=format(woo_total, "f"),
        erp_value=format(erp_total, "f"),
        difference=format(difference, "f"),
        detail=f"{label}: ERP {document.kind} {document.number} total differs from the Woo total",
        currency=currency,
    )


def classify_refund(
    store: str, order_id: int, number: str, refund: Mapping[str, Any], memos: Sequence[ErpDocument]
) -> ReconciliationException | None:
    if memos:
        return None
    expected = credit_memo_number(number, refund.get("id", "?"))
    amount = str(refund.get("amount") or "")
    return ReconciliationException(
        ExceptionKind.MISSING_CREDIT_MEMO,
        store,
        str(order_id),
        woo_value=amount,
        detail=f"refund {refund.get('id')} of order #{number}: no ERP credit memo {expected}",
    )


def expected_stock(
    sku: str, item: ErpItem | None, settings: Settings, on_open_orders: Decimal = Decimal(0)
) -> int | None:
    """What WooCommerce should show for a SKU: the ERP item's available-to-sell (less the units on open
    ERP sales orders, as the stock push computes it); None: not comparable."""
    if item is None or not item.stock_tracked:
        return None
    on_hand = item.inventory - on_open_orders
    return 0 if item.blocked else available_to_sell(on_hand, stock_buffer(settings, sku, item.number))


def plain(quantity: Decimal) -> str:
    """A quantity as people write it: ``100``, ``2.5`` (never ``1E+2``, which ``normalize()`` gives)."""
    return format(quantity.normalize() if quantity == quantity.to_integral() else quantity, "f")


def classify_stock(
    store: str, sku: str, woo_quantity: Any, expected: int, *, item_number: str = ""
) -> ReconciliationException | None:
    try:
        actual = Decimal(str(woo_quantity if woo_quantity is not None else 0))
    except ArithmeticError:
        actual = Decimal(0)
    difference = actual - expected
    if difference == 0:
        return None
    item = f" (ERP item {item_number})" if item_number and item_number != sku else ""
    why = (
        "the store can sell more than the ERP has: oversell risk"
        if difference > 0
        else "the store sells less than the ERP has (often paid orders not yet shipped in the ERP)"
    )
    return ReconciliationException(
        ExceptionKind.STOCK_DRIFT,
        store,
        sku=sku,
        woo_value=plain(actual),
        erp_value=str(expected),
        difference=plain(difference),
        detail=f"WooCommerce shows {actual:f}, the ERP has {expected} available to sell{item}; {why}",
    )


def explained_by_lag(drift: ReconciliationException, pending_units: Decimal) -> bool:
    """Whether a stock drift is only the normal lag: WooCommerce shows less, by no more than the units of
    paid orders the ERP has not taken off its available to sell yet (not posted, or not shipped)."""
    try:
        difference = Decimal(drift.difference)
    except ArithmeticError:
        return False
    return difference < 0 and -difference <= pending_units


def held_exception(held: HeldOrder) -> ReconciliationException:
    number = f"order #{held.order_number}: " if held.order_number and held.order_number != str(held.order_id) else ""
    return ReconciliationException(
        ExceptionKind.HELD_ORDER,
        held.store,
        str(held.order_id),
        woo_value=held.woo_total,
        detail=f"{number}held for {format_age(held.age)} ({held.code}): {held.reason}",
    )


def attention_exception(entry: LedgerEntry) -> ReconciliationException:
    number = (
        f"order #{entry.order_number}: " if entry.order_number and entry.order_number != str(entry.order_id) else ""
    )
    document = f" (ERP {entry.document_number})" if entry.document_number else ""
    return ReconciliationException(
        ExceptionKind.NEEDS_ATTENTION,
        entry.store,
        str(entry.order_id),
        woo_value=entry.woo_total,
        erp_value=entry.erp_total,
        detail=f"{number}posted{document}; {entry.attention}",
    )


def poison_exception(message: PoisonMessage) -> ReconciliationException:
    what = message.topic or "message"
    problem = f"; {message.problem}" if message.problem else ""
    inserted = f", poisoned {message.inserted_on:%Y-%m-%d %H:%M} UTC" if message.inserted_on else ""
    return ReconciliationException(
        ExceptionKind.POISON_MESSAGE,
        message.store,
        str(message.order) if message.order is not None else "",
        detail=f"{what} in {message.queue}-poison (message {message.id}{inserted}){problem}",
    )


def failed_check(store: str, what: str, error: BaseException) -> ReconciliationException:
    return ReconciliationException(
        ExceptionKind.CHECK_FAILED, store, detail=f"{what} could not be checked: {type(error).__name__}: {error}"
    )
