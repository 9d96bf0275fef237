"""Refunds become BC credit memos, each once; a full refund of an unshipped order cancels it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.stack import Stack
from shared.storage.ledger import OrderState

from .conftest import bc_documents_for, wait_for
from .test_order_to_cash import SHIPPING, deliver, posted

pytestmark = [pytest.mark.e2e, pytest.mark.bc]


def credit_memos(stack: Stack, order: dict) -> list[dict]:
    return [
        m
        for m in stack.bc.records("salesCreditMemos")
        if m["externalDocumentNumber"].startswith(f"{order['number']}-R")
    ]


def item_id(order: dict, sku: str) -> int:
    return next(line["id"] for line in order["line_items"] if line["sku"] == sku)


def test_a_partial_refund_delivered_twice_makes_one_credit_memo_with_the_item(stack: Stack, app) -> None:
    order = stack.woo.place_order([("1900-S", 2), ("70000", 1)], pay=True, email="refund1@example.com")
    wait_for(lambda: posted(app, order))
    refund = stack.woo.refund_order(
        order["id"], lines={item_id(order, "1900-S"): 1}, reason="Damaged", api_refund=False
    )
    wait_for(lambda: credit_memos(stack, order))
    assert deliver(stack, order["id"]).status_code == 200  # the same refund again
    stack.woo.flush_deliveries()
    wait_for(lambda: str(refund["id"]) in app.ledger.get("main", order["id"]).refunds_posted)
    (memo,) = credit_memos(stack, order)
    assert memo["externalDocumentNumber"] == f"{order['number']}-R{refund['id']}"
    assert Decimal(str(memo["totalAmountIncludingTax"])) == Decimal(refund["amount"])
    lines = stack.bc.lines("salesCreditMemos", memo["id"])
    items = [line for line in lines if line["lineType"] == "Item"]
    assert [(line["lineObjectNumber"], line["quantity"]) for line in items] == [("1900-S", 1)]
    assert any("Damaged" in line["description"] for line in lines if line["lineType"] == "Comment")
    trail = [row.data["stage"] for row in app.audit.trail(f"main/{order['id']}")]
    assert trail.count("refunded") == 1


def test_shipping_and_amount_only_refunds_become_gl_lines_with_the_right_totals(stack: Stack, app) -> None:
    order = stack.woo.place_order([("1964-W", 1)], pay=True, email="refund2@example.com", shipping=SHIPPING)
    wait_for(lambda: posted(app, order))
    shipping_refund = stack.woo.refund_order(order["id"], shipping=True, api_refund=False)
    goodwill = stack.woo.refund_order(order["id"], amount="5.00", reason="Goodwill", api_refund=False)
    wait_for(lambda: len(credit_memos(stack, order)) == 2)
    by_number = {m["externalDocumentNumber"]: m for m in credit_memos(stack, order)}
    for refund in (shipping_refund, goodwill):
        memo = by_number[f"{order['number']}-R{refund['id']}"]
        assert Decimal(str(memo["totalAmountIncludingTax"])) == Decimal(refund["amount"])
    goodwill_lines = stack.bc.lines("salesCreditMemos", by_number[f"{order['number']}-R{goodwill['id']}"]["id"])
    assert [line["lineObjectNumber"] for line in goodwill_lines if line["lineType"] == "Account"] == ["6110"]
    shipping_lines = stack.bc.lines("salesCreditMemos", by_number[f"{order['number']}-R{shipping_refund['id']}"]["id"])
    assert [line["lineObjectNumber"] for line in shipping_lines if line["lineType"] == "Account"] == ["6410"]


def test_a_full_refund_of_an_unshipped_order_cancels_the_bc_order(stack: Stack, app) -> None:
    order = stack.woo.place_order([("70000", 2)], pay=True, email="refund3@example.com")
    wait_for(lambda: posted(app, order))
    stack.woo.refund_order(order["id"], amount=order["total"], reason="Changed mind", api_refund=False)
    wait_for(lambda: app.ledger.get("main", order["id"]).state == OrderState.CANCELLED)
    assert bc_documents_for(stack, order) == []
    assert credit_memos(stack, order) == []


def test_a_refund_after_invoicing_is_applied_to_the_posted_invoice(stack: Stack, app) -> None:
    stack.bc.set_keep_completed_orders(True)
    order = stack.woo.place_order([("1896-S", 1)], pay=True, email="refund4@example.com")
    wait_for(lambda: posted(app, order))
    number = bc_documents_for(stack, order)[0]["number"]
    stack.bc.ship_order(number)
    invoice = stack.bc.invoice_order(number)
    stack.woo.refund_order(order["id"], amount=order["total"], reason="Returned", api_refund=False)
    (memo,) = wait_for(lambda: credit_memos(stack, order))
    assert memo["invoiceId"] == invoice["id"]
    assert Decimal(str(memo["totalAmountIncludingTax"])) == Decimal(order["total"])
