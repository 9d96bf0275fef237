"""Credit memo totals against the money refunded (issue 18): flagged for a person when the memo is
created, and reported by the daily reconciliation when a memo is changed afterwards."""

from __future__ import annotations

from datetime import date

import pytest

from sandbox.stack import Stack
from shared.flows.reconcile import reconcile_day
from shared.flows.report import ExceptionKind
from shared.flows.services import Services

from .conftest import wait_for
from .test_order_to_cash import posted
from .test_reconcile import woo_clock_on

pytestmark = pytest.mark.e2e

MEMO_DAY = date(2021, 4, 7)


def memo_for(stack: Stack, order: dict, refund: dict) -> dict:
    found = stack.bc.find("salesCreditMemos", "externalDocumentNumber", f"{order['number']}-R{refund['id']}")
    assert len(found) == 1
    return found[0]


def test_a_credit_memo_that_does_not_total_the_refund_is_flagged_when_created(stack: Stack, app: Services) -> None:
    """The refund account's tax in BC differs from the tax the order carried: the memo is off."""
    order = stack.woo.place_order([("1896-S", 1)], pay=True, email="memo-tax@example.com")
    wait_for(lambda: posted(app, order))
    stack.bc.set_tax_rate("STANDARD", 25)  # the refund account's tax group, for this refund only
    try:
        refund = stack.woo.refund_order(order["id"], amount="12.00", reason="Goodwill", api_refund=False)
        entry = wait_for(lambda: (e := app.ledger.get("main", order["id"])) and e.attention and e)
    finally:
        stack.bc.set_tax_rate("STANDARD", 20)
    assert str(refund["id"]) in entry.refunds_posted  # credited, and flagged
    memo = memo_for(stack, order, refund)
    assert str(memo["totalAmountIncludingTax"]) != "12.0"
    assert f"credit memo {memo['number']} for refund {refund['id']}" in entry.attention
    assert "but 12.00 was refunded" in entry.attention


def test_the_daily_reconciliation_reports_a_credit_memo_changed_afterwards(stack: Stack, app: Services) -> None:
    with woo_clock_on(stack.woo, MEMO_DAY):
        kept = stack.woo.place_order([("1896-S", 1)], pay=True, email="memo-kept@example.com")
        changed = stack.woo.place_order([("1896-S", 1)], pay=True, email="memo-changed@example.com")
        wait_for(lambda: posted(app, kept) and posted(app, changed))
        refunds = {
            "kept": stack.woo.refund_order(kept["id"], amount="6.00", reason="Scratch", api_refund=False),
            "changed": stack.woo.refund_order(changed["id"], amount="6.00", reason="Scratch", api_refund=False),
        }
        for order, refund in ((kept, refunds["kept"]), (changed, refunds["changed"])):
            wait_for(lambda o=order, r=refund: str(r["id"]) in app.ledger.get("main", o["id"]).refunds_posted)
    assert not app.ledger.get("main", changed["id"]).attention  # right when it was created
    # Someone adds a line to one credit memo in Business Central.
    memo = memo_for(stack, changed, refunds["changed"])
    app.erp.client.call(
        "POST",
        f"salesCreditMemos({memo['id']})/salesCreditMemoLines",
        json={"lineType": "Account", "lineObjectNumber": "6110", "quantity": 1, "unitPrice": 10, "taxCode": "ZERO"},
    )

    report = reconcile_day(app, MEMO_DAY, stores=["main"])

    rows = [row for row in report.sample if row.kind == ExceptionKind.CREDIT_MEMO_MISMATCH]
    assert [row.order for row in rows] == [str(changed["id"])]
    (row,) = rows
    assert (row.woo_value, row.difference) == ("6.00", "10.00")
    assert f"{changed['number']}-R{refunds['changed']['id']}" in row.detail
    assert not [row for row in report.sample if row.kind == ExceptionKind.CHECK_FAILED]
