"""The reconciliation report: exception classification on constructed inputs, CSV and HTML rendering."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from shared.config import Settings
from shared.erp.bc.client import any_of_within
from shared.erp.port import DocumentKind, ErpDocument, ErpItem
from shared.flows.operations import parse_order_ref
from shared.flows.poison import PoisonMessage, describe
from shared.flows.reconcile import (
    classify_order,
    classify_refund,
    classify_stock,
    day_bounds,
    expected_stock,
    held_exception,
    poison_exception,
)
from shared.flows.report import (
    CSV_COLUMNS,
    ExceptionKind,
    ReconciliationException,
    Report,
    bar_chart_svg,
    format_age,
    render_csv,
    render_html,
)
from shared.flows.status import HeldOrder
from shared.model import credit_memo_number

PAID = ["processing", "completed"]
TOLERANCE = Decimal("0.01")


def doc(number: str, total: str, external: str = "1001", kind: DocumentKind = DocumentKind.SALES_ORDER) -> ErpDocument:
    return ErpDocument(
        id=f"id-{number}",
        number=number,
        external_document_number=external,
        kind=kind,
        total_including_tax=Decimal(total),
    )


def woo_order(status: str = "processing", total: str = "120.00", order_id: int = 1001, number: str = "1001") -> dict:
    return {
        "id": order_id,
        "number": number,
        "status": status,
        "total": total,
        "date_created_gmt": "2026-05-01T10:00:00",
    }


# ------------------------------------------------------------------------ classification


def test_matching_order_is_not_an_exception() -> None:
    assert classify_order("main", woo_order(), [doc("SO-1", "120.00")], paid_statuses=PAID, tolerance=TOLERANCE) is None


def test_a_difference_within_the_tolerance_is_not_an_exception() -> None:
    found = classify_order(
        "main", woo_order(total="120.00"), [doc("SO-1", "120.01")], paid_statuses=PAID, tolerance=TOLERANCE
    )
    assert found is None


def test_total_mismatch_carries_both_values_and_the_difference() -> None:
    found = classify_order(
        "main", woo_order(total="120.00"), [doc("SO-7", "135.00")], paid_statuses=PAID, tolerance=TOLERANCE
    )
    assert found is not None
    assert found.kind == ExceptionKind.TOTAL_MISMATCH
    assert (found.store, found.order, found.woo_value, found.erp_value, found.difference) == (
        "main",
        "1001",
        "120.00",
        "135.00",
        "15.00",
    )
    assert "SO-7" in found.detail


def test_paid_order_without_document_is_missing_unless_held() -> None:
    missing = classify_order("main", woo_order(), [], paid_statuses=PAID, tolerance=TOLERANCE)
    assert missing is not None and missing.kind == ExceptionKind.MISSING_ORDER
    assert missing.woo_value == "120.00" and "1001" in missing.detail
    assert classify_order("main", woo_order(), [], paid_statuses=PAID, tolerance=TOLERANCE, held=True) is None


def test_unpaid_or_refunded_order_without_document_is_not_missing() -> None:
    for status in ("pending", "on-hold", "cancelled", "failed", "refunded"):
        assert classify_order("main", woo_order(status=status), [], paid_statuses=PAID, tolerance=TOLERANCE) is None


def test_refunded_order_with_a_document_is_still_compared() -> None:
    found = classify_order(
        "main", woo_order(status="refunded"), [doc("SO-2", "99.00")], paid_statuses=PAID, tolerance=TOLERANCE
    )
    assert found is not None and found.kind == ExceptionKind.TOTAL_MISMATCH


def test_two_documents_for_one_order_are_a_duplicate() -> None:
    found = classify_order(
        "main", woo_order(), [doc("SO-1", "120.00"), doc("SO-2", "120.00")], paid_statuses=PAID, tolerance=TOLERANCE
    )
    assert found is not None and found.kind == ExceptionKind.DUPLICATE_DOCUMENT
    assert found.erp_value == "SO-1, SO-2"


def test_order_number_differing_from_id_is_named() -> None:
    found = classify_order(
        "main", woo_order(order_id=55, number="WEB-0055"), [], paid_statuses=PAID, tolerance=TOLERANCE
    )
    assert found is not None and found.order == "55" and "#WEB-0055" in found.detail


def test_refund_needs_its_credit_memo() -> None:
    refund = {"id": 7, "parent_id": 1001, "amount": "10.00"}
    assert credit_memo_number("1001", 7) == "1001-R7"
    memo = doc("CM-1", "10.00", external="1001-R7", kind=DocumentKind.CREDIT_MEMO)
    assert classify_refund("main", 1001, "1001", refund, [memo]) is None
    missing = classify_refund("main", 1001, "1001", refund, [])
    assert missing is not None and missing.kind == ExceptionKind.MISSING_CREDIT_MEMO
    assert missing.woo_value == "10.00" and "1001-R7" in missing.detail


def item(number: str, inventory: str, *, blocked: bool = False, tracked: bool = True) -> ErpItem:
    return ErpItem(
        number=number, id=f"id-{number}", inventory=Decimal(inventory), blocked=blocked, stock_tracked=tracked
    )


def test_expected_stock_is_available_to_sell_with_the_buffer() -> None:
    settings = Settings(stock_buffer=Decimal(2), stock_buffer_overrides={"LAMP": Decimal(5)})
    assert expected_stock("DESK", item("DESK", "10.6"), settings) == 8
    assert expected_stock("LAMP", item("LAMP", "3"), settings) == 0
    assert expected_stock("DESK", item("DESK", "10", blocked=True), settings) == 0
    assert expected_stock("SVC", item("SVC", "0", tracked=False), settings) is None
    assert expected_stock("NOPE", None, settings) is None


def test_stock_drift_is_woo_minus_erp() -> None:
    assert classify_stock("main", "DESK", 10, 10) is None
    drift = classify_stock("main", "DESK", 7, 10, item_number="D-100")
    assert drift is not None and drift.kind == ExceptionKind.STOCK_DRIFT
    assert (drift.sku, drift.woo_value, drift.erp_value, drift.difference) == ("DESK", "7", "10", "-3")
    assert "D-100" in drift.detail
    none_shown = classify_stock("main", "DESK", None, 4)
    assert none_shown is not None and none_shown.difference == "-4"


def test_held_and_poison_rows() -> None:
    since = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    held = HeldOrder(
        "main", 1002, "1002", "unknown_sku", "SKU OSLO-1 is not a BC item", since, timedelta(hours=30), "89.00"
    )
    row = held_exception(held)
    assert row.kind == ExceptionKind.HELD_ORDER and row.order == "1002"
    assert "1d 6h" in row.detail and "OSLO-1" in row.detail
    message = PoisonMessage("woo-events", "abc-123", since, 0, store="main", order=1003, topic="order.updated")
    poison = poison_exception(message)
    assert poison.kind == ExceptionKind.POISON_MESSAGE and (poison.store, poison.order) == ("main", "1003")
    assert "woo-events-poison" in poison.detail and "abc-123" in poison.detail


def test_poison_messages_are_described_from_their_base64_envelope() -> None:
    envelope = {"store": "main", "topic": "order.updated", "resource_id": 42}
    raw = base64.b64encode(json.dumps(envelope).encode()).decode()
    assert describe(raw) == ("main", 42, "order.updated", "")
    store, order, _, problem = describe('{"store": "main"}')  # raw JSON: the host never decodes it
    assert (store, order) == ("", None) and "not base64" in problem
    assert describe(base64.b64encode(b"not json").decode())[3] == "not JSON"


def test_order_references() -> None:
    assert parse_order_ref("Main/1234") == ("main", 1234)
    for bad in ("1234", "main/", "main/abc", "/12"):
        try:
            parse_order_ref(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_day_bounds_are_exclusive_naive_gmt() -> None:
    assert day_bounds(date(2026, 5, 1)) == ("2026-04-30T23:59:59", "2026-05-02T00:00:00")


def test_bc_filters_stay_short_and_cover_every_number() -> None:
    numbers = [f"{100000 + i}" for i in range(100)]
    filters = any_of_within("externalDocumentNumber", numbers)
    assert 2 <= len(filters) <= 4
    assert all(len(f) <= 1500 for f in filters)
    assert sorted(re.findall(r"'(\d+)'", " ".join(filters))) == numbers
    assert any_of_within("externalDocumentNumber", ["O'Neil"]) == ["externalDocumentNumber eq 'O''Neil'"]


# ------------------------------------------------------------------------ rendering


def sample_report() -> Report:
    report = Report(day=date(2026, 5, 1), stores=("main",), generated_at=datetime(2026, 5, 2, 2, 30, tzinfo=UTC))
    report.orders_checked, report.refunds_checked, report.skus_checked = 120, 3, 40
    report.csv_blob, report.html_blob = "reconciliation/2026-05-01.csv", "reconciliation/2026-05-01.html"
    rows = [
        ReconciliationException(ExceptionKind.TOTAL_MISMATCH, "main", "1001", "", "120.00", "135.00", "15.00", "SO-7"),
        ReconciliationException(ExceptionKind.TOTAL_MISMATCH, "main", "1004", "", "10.00", "11.00", "1.00", "SO-9"),
        ReconciliationException(
            ExceptionKind.MISSING_ORDER, "main", "1005", woo_value="50.00", detail="<script>x</script>"
        ),
        ReconciliationException(
            ExceptionKind.STOCK_DRIFT, "main", sku="=HYPERLINK(1)", woo_value="7", erp_value="10", difference="-3"
        ),
    ]
    for row in rows:
        report.add(row)
    return report


def test_csv_has_the_columns_and_one_row_per_exception() -> None:
    report = sample_report()
    rows = list(csv.reader(io.StringIO(render_csv(report.sample))))
    assert (
        tuple(rows[0])
        == CSV_COLUMNS
        == ("kind", "store", "order", "sku", "woo_value", "erp_value", "difference", "detail")
    )
    assert len(rows) == 1 + 4
    assert rows[1] == ["total_mismatch", "main", "1001", "", "120.00", "135.00", "15.00", "SO-7"]
    assert rows[4][3] == "'=HYPERLINK(1)"  # a spreadsheet would run it as a formula
    assert rows[4][6] == "-3"  # numbers stay numbers


def test_html_has_a_summary_and_one_bar_per_kind() -> None:
    page = render_html(sample_report())
    assert page.startswith("<!doctype html>")
    assert "<script" not in page and "&lt;script&gt;" in page  # escaped, and no JavaScript at all
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched from anywhere
    assert "4 exceptions need attention" in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    bars = re.findall(r'<g data-kind="([a-z_]+)">.*?<rect class="bar"', svg)
    assert bars == ["total_mismatch", "missing_order", "stock_drift"]
    assert svg.count('class="bar"') == 3
    widths = dict(zip(bars, map(int, re.findall(r'<rect class="bar" x="\d+" y="\d+" width="(\d+)"', svg)), strict=True))
    assert widths["total_mismatch"] > widths["missing_order"] == widths["stock_drift"]
    summary = page[page.index('class="summary"') : page.index("</table>")]
    assert "Total mismatch" in summary and '<td class="num">2</td>' in summary
    assert summary.count("<tr>") == 1 + len(ExceptionKind)


def test_clean_day_says_so_and_draws_no_chart() -> None:
    report = Report(day=date(2026, 5, 1), stores=("main",), generated_at=datetime(2026, 5, 2, 2, 30, tzinfo=UTC))
    report.orders_checked = 250
    page = render_html(report)
    assert report.clean and "Clean day: no exceptions" in page
    assert "<svg" not in page and "need attention" not in page
    assert "250 orders" in page
    assert render_csv([]) == ",".join(CSV_COLUMNS) + "\r\n"


def test_sample_is_capped_but_counts_are_not() -> None:
    report = Report(day=date(2026, 5, 1), stores=("main",), generated_at=datetime.now(UTC), sample_limit=10)
    for i in range(25):
        report.add(ReconciliationException(ExceptionKind.MISSING_ORDER, "main", str(i)))
    assert report.total == 25 and len(report.sample) == 10
    page = render_html(report)
    assert "first 10 of 25" in page
    assert report.summary()["counts"] == {"missing_order": 25}


def test_chart_alone_is_valid_svg_with_titles() -> None:
    svg = bar_chart_svg({ExceptionKind.POISON_MESSAGE: 3, ExceptionKind.HELD_ORDER: 0})
    assert svg.count("<rect") == 1 and "Poison message: 3" in svg
    import xml.etree.ElementTree as ET

    ET.fromstring(svg)  # well-formed


def test_ages_read_well() -> None:
    assert format_age(timedelta(minutes=12)) == "12m"
    assert format_age(timedelta(hours=5, minutes=20)) == "5h 20m"
    assert format_age(timedelta(days=2, hours=3, minutes=59)) == "2d 3h"
    assert format_age(None) == "?"


def test_one_summary_event_carries_the_count_per_kind(caplog) -> None:
    from shared.flows.reconcile import _log_summary

    report = sample_report()
    with caplog.at_level("INFO", logger="connector.reconcile"):
        _log_summary(report)
        clean = Report(day=date(2026, 5, 2), stores=("main",), generated_at=datetime.now(UTC))
        _log_summary(clean)
    found, tidy = caplog.records
    assert found.event == "reconciliation_exceptions" and found.levelname == "WARNING"
    assert (found.store, found.count, found.total_mismatch, found.stock_drift) == ("main", 4, 2, 1)
    assert tidy.event == "reconciliation_clean" and tidy.count == 0
