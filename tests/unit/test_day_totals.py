"""The daily report's totals side by side per currency, and money and quantities never in scientific notation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.erp.port import ErpPayment
from shared.flows.day_totals import NOT_READ, NOT_RECORDED, DayTotals, format_money
from shared.flows.reconcile_classify import classify_stock, explained_by_lag
from shared.flows.report import Report, render_html


def woo_order(total: str, currency: str = "USD", **fields: object) -> dict[str, object]:
    return {"total": total, "currency": currency, "total_tax": "0.00", "shipping_total": "0.00",
            "discount_total": "0.00", "fee_lines": [], **fields}  # fmt: skip


def test_orders_refunds_documents_and_credit_memos_add_up_per_currency() -> None:
    totals = DayTotals()
    totals.add_order(
        woo_order("120.00", total_tax="20.00", shipping_total="10.00", discount_total="5.00",
                  fee_lines=[{"total": "2.50"}, {"total": "-1.00"}]),
        [Decimal("120.00")],
    )  # fmt: skip
    totals.add_order(woo_order("80.00"), [])  # not in the ERP (held or missing)
    totals.add_order(woo_order("3666", "JPY"), [Decimal("3666")])
    totals.add_refund("USD", Decimal("30.00"), [Decimal("29.00")])
    usd, jpy = totals.by_currency["USD"], totals.by_currency["JPY"]
    assert (usd.orders, usd.gross, usd.tax, usd.shipping, usd.fees, usd.discounts) == (
        2, Decimal("200.00"), Decimal("20.00"), Decimal("10.00"), Decimal("1.50"), Decimal("5.00"),
    )  # fmt: skip
    assert (usd.documents, usd.documents_total, usd.sales_difference) == (1, Decimal("120.00"), Decimal("80.00"))
    assert (usd.refunds, usd.credit_memos, usd.refund_difference) == (1, 1, Decimal("1.00"))
    assert (jpy.orders, jpy.sales_difference) == (1, Decimal(0))
    summary = totals.summary()
    assert summary["USD"]["gross"] == "200.00 USD"
    assert summary["JPY"]["gross"] == "3,666 JPY"


def test_payments_are_compared_with_the_gross_sales_per_currency() -> None:
    totals = DayTotals()
    totals.add_order(woo_order("120.00"), [Decimal("120.00")])
    totals.add_order(woo_order("80.00"), [Decimal("80.00")])
    totals.add_order(woo_order("3666", "JPY"), [Decimal("3666")])
    totals.add_payments(
        [
            ErpPayment("p1", "J1", Decimal("120.00"), "1001", "USD"),
            ErpPayment("p2", "J2", Decimal("3666"), "1003", "JPY"),
        ]
    )
    totals.add_refund("EUR", Decimal("5.00"), [])  # a currency seen after the payments were read
    usd, jpy = totals.by_currency["USD"], totals.by_currency["JPY"]
    assert (usd.payments, usd.payments_total, usd.payment_difference) == (1, Decimal("120.00"), Decimal("80.00"))
    assert (jpy.payments, jpy.payment_difference) == (1, Decimal(0))
    summary = totals.summary()
    assert summary["USD"]["payments_total"] == "120.00 USD"
    assert summary["USD"]["payment_difference"] == "80.00 USD"
    assert summary["JPY"]["payments_total"] == "3,666 JPY"
    assert (summary["EUR"]["payments"], summary["EUR"]["payments_total"]) == ("0", "0.00 EUR")  # read: none, zero


def test_a_connection_that_records_no_payments_says_so_not_zero() -> None:
    report = Report(day=date(2026, 5, 1), stores=("main",), generated_at=datetime(2026, 5, 2, 2, 30, tzinfo=UTC))
    report.totals.add_order(woo_order("100.00"), [Decimal("100.00")])
    report.totals.payments_unrecorded("bc-main")
    summary = report.totals.summary()["USD"]
    assert (summary["payments"], summary["payments_total"], summary["payment_difference"]) == (NOT_RECORDED,) * 3
    page = render_html(report)
    assert "ERP payments recorded" in page and NOT_RECORDED in page
    assert "The ERP connection bc-main records no payments" in page
    failed = DayTotals()
    failed.add_order(woo_order("100.00"), [])
    failed.payments_unread("bc-main")
    assert failed.summary()["USD"]["payments_total"] == NOT_READ


def test_money_is_fixed_point_with_the_currency() -> None:
    assert format_money(Decimal("1E+2"), "USD") == "100.00 USD"
    assert format_money(Decimal("1E+6"), "KWD") == "1,000,000.000 KWD"


def test_stock_quantities_are_never_scientific() -> None:
    row = classify_stock("main", "MUG", 100, 200)
    assert row is not None and (row.woo_value, row.erp_value, row.difference) == ("100", "200", "-100")


def test_the_html_puts_the_currencies_side_by_side_with_human_headings() -> None:
    report = Report(day=date(2026, 5, 1), stores=("main",), generated_at=datetime(2026, 5, 2, 2, 30, tzinfo=UTC))
    report.totals.add_order(woo_order("1E+2"), [Decimal("1E+2")])
    report.totals.add_order(woo_order("50.00", "EUR"), [])
    page = render_html(report)
    assert "<h2>The day's totals</h2>" in page
    assert "<th>EUR</th><th>USD</th>" in page
    assert "Gross sales (order totals, tax included)" in page and "Difference: gross sales − ERP documents" in page
    assert "100.00 USD" in page and "50.00 EUR" in page
    assert "status is processing or completed" in page and "TOTAL_TOLERANCE" not in page
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    assert not re.search(r"\b\d+(\.\d+)?[eE][+-]?\d+\b", text)


def test_drift_within_the_units_of_unposted_paid_orders_is_explained() -> None:
    lower = classify_stock("main", "MUG", 8, 10)
    higher = classify_stock("main", "MUG", 12, 10)
    assert lower is not None and higher is not None
    assert explained_by_lag(lower, Decimal(2)) and explained_by_lag(lower, Decimal(5))
    assert not explained_by_lag(lower, Decimal(1))  # more missing than the orders explain: a person looks
    assert not explained_by_lag(higher, Decimal(5))  # Woo higher is never lag: oversell risk


def test_explained_drift_is_shown_apart_and_is_no_exception() -> None:
    report = Report(day=date(2026, 5, 1), stores=("main",), generated_at=datetime(2026, 5, 2, 2, 30, tzinfo=UTC))
    drift = classify_stock("main", "MUG", 8, 10)
    assert drift is not None
    report.explain(drift)
    page = render_html(report)
    assert report.clean and "Clean day" in page
    assert "Stock drift explained by orders not yet in the ERP (1)" in page
    assert report.summary()["stock_drift_explained"] == 1


def test_exception_amounts_show_their_currency_in_the_page_and_stay_numbers_in_the_csv() -> None:
    from shared.erp.port import DocumentKind, ErpDocument
    from shared.flows.reconcile_classify import classify_order
    from shared.flows.report import render_csv

    document = ErpDocument("id", "SO-1", "7", DocumentKind.SALES_ORDER, Decimal("1E+2"))
    order = {"id": 7, "number": "7", "status": "processing", "total": "3666", "currency": "JPY"}
    row = classify_order("main", order, [document], paid_statuses=["processing"], tolerance=Decimal("0.01"))
    assert row is not None
    report = Report(day=date(2026, 5, 1), stores=("main",), generated_at=datetime(2026, 5, 2, 2, 30, tzinfo=UTC))
    report.add(row)
    page = render_html(report)
    assert '<td class="num">3,666 JPY</td><td class="num">100 JPY</td><td class="num">-3,566 JPY</td>' in page
    assert render_csv([row]).splitlines()[1].split(",")[4:7] == ["3666", "100", "-3566"]  # never 1E+2


def test_the_reconciliation_reads_each_connections_payments_or_says_why_not() -> None:
    from shared.config import Settings
    from shared.erp.port import TransientErpError
    from shared.flows.reconcile import read_payments
    from shared.flows.services import bootstrap
    from tests.fakes import FakeErp

    recorded, failing = FakeErp(), FakeErp()
    recorded.payments["1001"] = ErpPayment("p1", "J1", Decimal("40.00"), "1001", "EUR")
    recorded.payment_days["1001"] = date(2026, 5, 1)
    recorded.payments["0999"] = ErpPayment("p0", "J0", Decimal("9.00"), "0999", "EUR")
    recorded.payment_days["0999"] = date(2026, 4, 30)  # another day: not in this day's totals
    failing.fail_next.append(TransientErpError("BC is down", status=503))
    config = Settings.model_validate(
        {
            "erps": {
                "pays": {"kind": "bc", "company_id": "c1", "payment_journal": "CASHRCPT"},
                "down": {"kind": "bc", "company_id": "c2", "payment_journal": "CASHRCPT"},
                "quiet": {"kind": "bc", "company_id": "c3"},
            }
        }
    )
    app = bootstrap(config, erp={"pays": recorded, "down": failing, "quiet": FakeErp()})
    report = Report(day=date(2026, 5, 1), stores=("main",), generated_at=datetime(2026, 5, 2, 2, 30, tzinfo=UTC))
    read_payments(app, "pays", report.day, report)
    read_payments(app, "quiet", report.day, report)
    with pytest.raises(TransientErpError):  # reconcile_day's guard turns it into a check_failed row
        read_payments(app, "down", report.day, report)
    eur = report.totals.by_currency["EUR"]
    assert (eur.payments, eur.payments_total) == (1, Decimal("40.00"))
    assert (report.totals.payments_not_recorded, report.totals.payments_failed) == (["quiet"], ["down"])
    page = render_html(report)
    assert "The ERP connection quiet records no payments" in page and "The payments of down could not be read" in page
