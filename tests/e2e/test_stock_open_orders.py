"""Oversell after a full stock push (issue 18): BC's inventory still counts units sold in paid orders
that have not shipped, so available-to-sell subtracts the units on open BC sales orders, and the full
reconcile never raises Woo's stock above that (STOCK_SUBTRACT_OPEN_ORDERS, on by default)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from sandbox.stack import Stack
from shared.flows import stock
from shared.flows.reconcile import reconcile_day
from shared.flows.report import ExceptionKind
from shared.flows.services import Services

from .conftest import bc_documents_for, wait_for
from .test_order_to_cash import posted

pytestmark = pytest.mark.e2e


def test_the_full_reconcile_does_not_offer_units_of_unshipped_orders_again(stack: Stack, app: Services) -> None:
    sku = f"OPEN-{uuid.uuid4().hex[:8].upper()}"
    product = stack.woo.add_product("Open order lamp", sku, "30.00", stock_quantity=10, manage_stock=True)
    stack.bc.add_item(sku, "Open order lamp", 30, inventory=10)
    order = stack.woo.place_order([(sku, 3)], pay=True, email=f"{sku.lower()}@example.com")
    wait_for(lambda: posted(app, order))
    assert stack.woo.product(product["id"])["stock_quantity"] == 7  # Woo took the units at payment
    calls_before = app.erp.calls

    stock.reconcile_stock(app, "main")

    guarded_calls = app.erp.calls - calls_before
    assert stack.woo.product(product["id"])["stock_quantity"] == 7  # BC still has 10, 3 of them sold
    report = reconcile_day(app, datetime.now(UTC).date(), stores=["main"])
    assert sku not in {row.sku for row in report.sample if row.kind == ExceptionKind.STOCK_DRIFT}

    # Switched off, the ERP's inventory is offered again: the oversell the setting prevents.
    unguarded = Services(app.settings.model_copy(update={"stock_subtract_open_orders": False}))
    stock.reconcile_stock(unguarded, "main")
    assert stack.woo.product(product["id"])["stock_quantity"] == 10
    assert guarded_calls == unguarded.erp.calls + 1  # the open orders cost one read, not one per item

    # Once shipped, BC's inventory is down by the same units and nothing is open: still 7.
    stack.bc.ship_order(bc_documents_for(stack, order)[0]["number"])
    stock.reconcile_stock(app, "main")
    assert stack.woo.product(product["id"])["stock_quantity"] == 7
