"""The day's totals side by side, per currency, for the daily reconciliation report (no I/O).

WooCommerce: the paid orders created that day (count, gross sales, tax, shipping, fees, discounts) and the
refunds made that day. The ERP: the sales documents of those orders and their totals, and the credit
memos of those refunds. The differences are Woo minus ERP. Filled from the pages the reconciliation
checks anyway (threads: one lock), so it costs no extra call.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.model import currency_places, round_money, to_money

ORDER_TOTAL_FIELDS = "total_tax,shipping_total,discount_total,fee_lines"
"""What the order check reads besides its own fields, for these totals."""


@dataclass
class CurrencyTotals:
    currency: str
    orders: int = 0
    gross: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    shipping: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    discounts: Decimal = Decimal(0)
    refunds: int = 0
    refunded: Decimal = Decimal(0)
    documents: int = 0
    documents_total: Decimal = Decimal(0)
    credit_memos: int = 0
    credit_memos_total: Decimal = Decimal(0)

    @property
    def sales_difference(self) -> Decimal:
        """Woo gross sales of the orders minus the ERP totals of their documents (orders without one count
        in full: they are the missing or held ones)."""
        return self.gross - self.documents_total

    @property
    def refund_difference(self) -> Decimal:
        return self.refunded - self.credit_memos_total


# (attribute, column heading, is money): the report's columns, in order, in the reader's words.
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("orders", "Paid orders in WooCommerce", False),
    ("gross", "Gross sales (order totals, tax included)", True),
    ("tax", "Tax", True),
    ("shipping", "Shipping (before tax)", True),
    ("fees", "Fees (before tax)", True),
    ("discounts", "Discounts (coupons, before tax)", True),
    ("refunds", "Refunds made", False),
    ("refunded", "Money refunded", True),
    ("documents", "ERP sales documents", False),
    ("documents_total", "ERP documents' total", True),
    ("sales_difference", "Difference: gross sales − ERP documents", True),
    ("credit_memos", "ERP credit memos", False),
    ("credit_memos_total", "ERP credit memos' total", True),
    ("refund_difference", "Difference: refunded − credit memos", True),
)


@dataclass
class DayTotals:
    by_currency: dict[str, CurrencyTotals] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _of(self, currency: str) -> CurrencyTotals:
        code = (currency or "?").strip().upper()
        if code not in self.by_currency:
            self.by_currency[code] = CurrencyTotals(code)
        return self.by_currency[code]

    def add_order(self, order: Mapping[str, Any], document_totals: Sequence[Decimal]) -> None:
        """A paid order of the day and the totals of the ERP documents carrying its number (usually one)."""
        fees = sum((to_money(fee.get("total") or "0") for fee in order.get("fee_lines") or []), Decimal(0))
        with self._lock:
            row = self._of(str(order.get("currency") or ""))
            row.orders += 1
            row.gross += to_money(order.get("total") or "0")
            row.tax += to_money(order.get("total_tax") or "0")
            row.shipping += to_money(order.get("shipping_total") or "0")
            row.fees += fees
            row.discounts += to_money(order.get("discount_total") or "0")
            row.documents += len(document_totals)
            row.documents_total += sum(document_totals, Decimal(0))

    def add_refund(self, currency: str, amount: Decimal, memo_totals: Sequence[Decimal]) -> None:
        with self._lock:
            row = self._of(currency)
            row.refunds += 1
            row.refunded += amount
            row.credit_memos += len(memo_totals)
            row.credit_memos_total += sum(memo_totals, Decimal(0))

    def rows(self) -> list[CurrencyTotals]:
        return [self.by_currency[code] for code in sorted(self.by_currency)]

    def summary(self) -> dict[str, dict[str, str]]:
        """JSON-ready: money as fixed-point text (never ``1E+2``), counts as numbers in text."""
        return {row.currency: {name: cell(row, name, money) for name, _, money in COLUMNS} for row in self.rows()}


def cell(row: CurrencyTotals, name: str, is_money: bool) -> str:
    value = getattr(row, name)
    return format_money(value, row.currency) if is_money else str(value)


def format_money(amount: Decimal, currency: str) -> str:
    """``1,234.50 USD``: fixed-point to the currency's minor unit."""
    places = currency_places(currency) if len(currency) == 3 else 2
    return f"{round_money(amount, places):,.{places}f} {currency}"
