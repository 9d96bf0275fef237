"""The daily reconciliation compares totals to the currency's minor unit (issue 18)."""

from __future__ import annotations

from decimal import Decimal

from shared.erp.port import DocumentKind, ErpDocument
from shared.flows.reconcile import classify_order


def test_the_daily_order_check_keeps_the_currencys_minor_unit():
    """A KWD order's total has three decimals, a JPY one none (issue 18)."""

    def erp(total: str) -> ErpDocument:
        return ErpDocument("id", "SO-1", "7", DocumentKind.SALES_ORDER, Decimal(total))

    dinar = {"id": 7, "number": "7", "status": "processing", "total": "9.004", "currency": "KWD"}
    row = classify_order("main", dinar, [erp("9.104")], paid_statuses=["processing"], tolerance=Decimal("0.01"))
    assert row is not None and (row.woo_value, row.difference) == ("9.004", "0.100")
    yen = {**dinar, "total": "3666", "currency": "JPY"}
    row = classify_order("main", yen, [erp("3700")], paid_statuses=["processing"], tolerance=Decimal("0.01"))
    assert row is not None and row.woo_value == "3666"
