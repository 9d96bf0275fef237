"""Reconciliation check: each ERP credit memo of the day totals the money its Woo refund returned.

The refund check (`shared.flows.reconcile`) finds refunds without a credit memo; this one finds credit
memos with the wrong total (a memo edited by hand, an amount-only refund credited on an account whose
tax differs from the order's, a currency rounding). It starts from the ERP side, so it costs little:
- the day's credit memos (`creditMemoDate` = the refund's UTC day, as the refund flow writes it) with
  their totals: a few paged calls (`document_totals`);
- their Woo orders with `refunds[]` (each refund's id and amount), 100 orders per call: a credit memo's
  external document number is `<order number>-R<refund id>`; an order number that is not the order id
  (a numbering plugin) is found with `search=`.

A credit memo whose refund WooCommerce does not have is reported too (a memo for nothing).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from shared.erp.port import DocumentKind
from shared.flows.report import ExceptionKind, ReconciliationException
from shared.flows.services import Services
from shared.model import to_money

MEMO_NUMBER = re.compile(r"^(?P<order>.+)-R(?P<refund>\d+)$")
ORDER_FIELDS = "id,number,refunds"
INCLUDE_CHUNK = 100


def parse_memo_number(number: str) -> tuple[str, int] | None:
    """(order number, refund id) of a credit memo the refund flow made, else None."""
    match = MEMO_NUMBER.match(number.strip())
    return (match["order"], int(match["refund"])) if match else None


def refund_amounts(order: Mapping[str, Any]) -> dict[int, Decimal]:
    """Refund id → money returned (positive) from an order's `refunds[]` (Woo sends `"total": "-10.00"`)."""
    amounts: dict[int, Decimal] = {}
    for entry in order.get("refunds") or []:
        if isinstance(entry, Mapping) and entry.get("id") is not None:
            amounts[int(entry["id"])] = -to_money(entry.get("total") or "0")
    return amounts


def classify_credit_memo(
    store: str,
    order_id: str,
    memo_number: str,
    memo_total: Decimal,
    refunded: Decimal | None,
    tolerance: Decimal,
) -> ReconciliationException | None:
    """The exception for one credit memo given what its Woo refund returned (None: no such refund)."""
    if refunded is None:
        return ReconciliationException(
            ExceptionKind.CREDIT_MEMO_MISMATCH,
            store,
            order_id,
            erp_value=format(memo_total, "f"),
            detail=f"ERP credit memo {memo_number}: WooCommerce has no such refund on the order",
        )
    difference = memo_total - refunded
    if abs(difference) <= tolerance:
        return None
    return ReconciliationException(
        ExceptionKind.CREDIT_MEMO_MISMATCH,
        store,
        order_id,
        woo_value=format(refunded, "f"),
        erp_value=format(memo_total, "f"),
        difference=format(difference, "f"),
        detail=f"ERP credit memo {memo_number} total differs from the money the Woo refund returned",
    )


def check_credit_memo_totals(
    services: Services, store: str, day: date, add: Callable[[ReconciliationException], None]
) -> None:
    """Compare the day's credit memos of the store's orders with their Woo refunds."""
    memos: dict[str, list[tuple[str, int, Decimal]]] = defaultdict(list)  # Woo order number → memos
    prefix = services.settings.store(store).document_prefix.upper()
    for number, total in services.erp_of(store).document_totals(DocumentKind.CREDIT_MEMO, day, day):
        parsed = parse_memo_number(number)
        if parsed is not None and parsed[0].upper().startswith(prefix):
            memos[parsed[0][len(prefix) :]].append((number, parsed[1], total))
    if not memos:
        return
    orders = _orders_by_number(services, store, memos)
    for order_number, entries in sorted(memos.items()):
        order = orders.get(order_number)
        if order is None:
            continue  # another store's order (stores may share an ERP connection)
        amounts = refund_amounts(order)
        for memo_number, refund_id, total in entries:
            exception = classify_credit_memo(
                store,
                str(order.get("id") or ""),
                memo_number,
                total,
                amounts.get(refund_id),
                services.settings.total_tolerance,
            )
            if exception is not None:
                add(exception)


def _orders_by_number(services: Services, store: str, numbers: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    woo = services.woo(store)
    wanted = sorted(set(numbers))
    numeric = [number for number in wanted if number.isdigit()]
    found: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(numeric), INCLUDE_CHUNK):
        chunk = numeric[start : start + INCLUDE_CHUNK]
        for order in woo.list_orders(include=",".join(chunk), _fields=ORDER_FIELDS):
            found[str(order.get("number") or order.get("id"))] = order
    for number in wanted:
        if number in found:
            continue
        for order in woo.list_orders(search=number, _fields=ORDER_FIELDS):
            if str(order.get("number") or "") == number:
                found[number] = order
                break
    return found
