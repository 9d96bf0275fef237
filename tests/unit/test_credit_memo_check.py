"""The daily credit memo total check, pure parts (shared.flows.credit_memo_check)."""

from __future__ import annotations

from decimal import Decimal

from shared.flows.credit_memo_check import classify_credit_memo, parse_memo_number, refund_amounts
from shared.flows.report import ExceptionKind


def test_memo_numbers_name_the_order_and_refund():
    assert parse_memo_number("1234-R77") == ("1234", 77)
    assert parse_memo_number("WC-9-R3") == ("WC-9", 3)  # a numbering plugin's order number
    assert parse_memo_number("CM-1001") is None  # not the connector's


def test_refund_amounts_come_from_the_orders_refunds():
    order = {"id": 5, "refunds": [{"id": 8, "reason": "", "total": "-10.50"}, {"id": 9, "total": "-0.99"}]}
    assert refund_amounts(order) == {8: Decimal("10.50"), 9: Decimal("0.99")}
    assert refund_amounts({"id": 6}) == {}


def test_a_memo_within_tolerance_is_no_exception():
    assert classify_credit_memo("main", "5", "5-R8", Decimal("10.51"), Decimal("10.50"), Decimal("0.01")) is None


def test_a_memo_off_by_more_is_reported_with_both_values():
    row = classify_credit_memo("main", "5", "5-R8", Decimal("12.60"), Decimal("10.50"), Decimal("0.01"))
    assert row is not None and row.kind == ExceptionKind.CREDIT_MEMO_MISMATCH
    assert (row.order, row.woo_value, row.erp_value, row.difference) == ("5", "10.50", "12.60", "2.10")
    assert "5-R8" in row.detail


def test_a_memo_for_a_refund_woo_does_not_have_is_reported():
    row = classify_credit_memo("main", "5", "5-R99", Decimal("3.00"), None, Decimal("0.01"))
    assert row is not None and "no such refund" in row.detail and row.woo_value == ""
