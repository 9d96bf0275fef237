"""The day's totals side by side, per currency, for the daily reconciliation report (no I/O).

WooCommerce: the paid orders created that day (count, gross sales, tax, shipping, fees, discounts) and the
refunds made that day. The ERP: the sales documents of those orders and their totals, the credit memos of
those refunds, and the payments the connector recorded dated that day (one read per ERP connection). The
differences are Woo minus ERP. Orders and refunds are filled from the pages the reconciliation checks anyway
(threads: one lock), so they cost no extra call. A connection that records no payments (no payment journal or
checkbook) is said to, never shown as zero.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.erp.port import ErpPayment
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
    payments: int = 0
    payments_total: Decimal = Decimal(0)
    payments_read: bool = False
    """Whether the ERP's payments were read (a connection records them and answered); else the payment
    figures are not shown as numbers."""

    @property
    def sales_difference(self) -> Decimal:
        """Woo gross sales of the orders minus the ERP totals of their documents (orders without one count
        in full: they are the missing or held ones)."""
        return self.gross - self.documents_total

    @property
    def refund_difference(self) -> Decimal:
        return self.refunded - self.credit_memos_total

    @property
    def payment_difference(self) -> Decimal:
        """Woo gross sales of the paid orders minus the payments recorded in the ERP that day."""
        return self.gross - self.payments_total


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
    ("payments", "ERP payments recorded", False),
    ("payments_total", "ERP payments' total", True),
    ("payment_difference", "Difference: gross sales − ERP payments", True),
)
PAYMENT_COLUMNS = frozenset({"payments", "payments_total", "payment_difference"})
NOT_RECORDED = "not recorded in the ERP"
NOT_READ = "could not be read"


@dataclass
class DayTotals:
    by_currency: dict[str, CurrencyTotals] = field(default_factory=dict)
    payments_read: bool = False
    """At least one ERP connection records payments and its payments of the day were read."""
    payments_not_recorded: list[str] = field(default_factory=list)
    """ERP connections that record no payments (no payment journal / checkbook)."""
    payments_failed: list[str] = field(default_factory=list)
    """ERP connections whose payments could not be read (the report has a check_failed row for each)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _of(self, currency: str) -> CurrencyTotals:
        code = (currency or "?").strip().upper()
        if code not in self.by_currency:
            self.by_currency[code] = CurrencyTotals(code, payments_read=self.payments_read)
        return self.by_currency[code]

    def add_payments(self, payments: Iterable[ErpPayment]) -> None:
        """A connection's payments of the day (it records them and answered): from now on every currency's
        payment figures are numbers, zero where no payment was recorded."""
        with self._lock:
            self.payments_read = True
            for row in self.by_currency.values():
                row.payments_read = True
            for payment in payments:
                row = self._of(payment.currency_code)
                row.payments += 1
                row.payments_total += payment.amount

    def payments_unrecorded(self, connection: str) -> None:
        with self._lock:
            self.payments_not_recorded.append(connection)

    def payments_unread(self, connection: str) -> None:
        with self._lock:
            self.payments_failed.append(connection)

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
        """JSON-ready: money as fixed-point text (never ``1E+2``), counts as numbers in text; payment figures
        that were not read say why instead."""
        return {
            row.currency: {name: cell(row, name, money, self.unread_text()) for name, _, money in COLUMNS}
            for row in self.rows()
        }

    def unread_text(self) -> str:
        """What a payment cell says when no payment was read: not recorded, or could not be read."""
        return NOT_READ if self.payments_failed else NOT_RECORDED


def cell(row: CurrencyTotals, name: str, is_money: bool, unread: str = NOT_RECORDED) -> str:
    if name in PAYMENT_COLUMNS and not row.payments_read:
        return unread
    value = getattr(row, name)
    return format_money(value, row.currency) if is_money else str(value)


def format_money(amount: Decimal, currency: str) -> str:
    """``1,234.50 USD``: fixed-point to the currency's minor unit."""
    places = currency_places(currency) if len(currency) == 3 else 2
    return f"{round_money(amount, places):,.{places}f} {currency}"
