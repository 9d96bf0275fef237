"""Issue 18 through the whole stack: a lower-case Woo SKU posts to (and takes its stock from) its
upper-case BC item, a SKU
longer than a BC item number is held with "map it", and an order entered with prices including tax
posts net (the BC emulator, like a US company, refuses gross prices) with equal totals."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from sandbox.stack import Stack
from shared.events import WooEvent
from shared.flows import orders, stock
from shared.flows.services import Services
from shared.model import HoldCode
from shared.storage.ledger import OrderState

from .conftest import bc_documents_for, wait_for

pytestmark = pytest.mark.e2e


def entry_in(app, order: dict, state: OrderState):
    entry = app.ledger.get("main", order["id"])
    return entry if entry is not None and entry.state == state else None


def test_a_lower_case_sku_posts_to_the_upper_case_item(stack: Stack, app) -> None:
    sku = f"blue-mug-{uuid.uuid4().hex[:6]}"
    stack.woo.add_product("Blue mug", sku, "12.00", stock_quantity=50)
    item = stack.bc.add_item(sku, "Blue mug", 12, inventory=50)  # BC stores the Code field upper-case
    assert item["number"] == sku.upper()
    order = stack.woo.place_order([(sku, 2)], pay=True, email=f"{sku}@example.com")
    entry = wait_for(lambda: entry_in(app, order, OrderState.POSTED))
    (document,) = bc_documents_for(stack, order)
    lines = stack.bc.lines("salesOrders", document["id"])
    assert [line["lineObjectNumber"] for line in lines if line["lineType"] == "Item"] == [sku.upper()]
    assert not entry.attention
    # The stock sync matches them too: BC's 30 less the 2 on the open order.
    stack.bc.set_stock(sku.upper(), 30)
    stock.reconcile_stock(app, "main")
    assert stack.woo.product_by_sku(sku)["stock_quantity"] == 28


def test_a_sku_longer_than_an_item_number_is_held_saying_map_it(stack: Stack, app) -> None:
    sku = f"ceramic-mug-350ml-{uuid.uuid4().hex[:6]}"  # 24 characters: no BC item number can be this
    stack.woo.add_product("Ceramic mug", sku, "9.00", stock_quantity=5)
    order = stack.woo.place_order([(sku, 1)], pay=True, email=f"long-{sku[-6:]}@example.com")
    entry = wait_for(lambda: entry_in(app, order, OrderState.HELD))
    assert entry.hold_code == HoldCode.SKU_TOO_LONG
    assert "map the SKU" in entry.hold_reason and "create the item" not in entry.hold_reason
    assert bc_documents_for(stack, order) == []


def test_an_order_entered_with_prices_including_tax_posts_net_with_equal_totals(stack: Stack, app) -> None:
    order = stack.woo.place_order([("1896-S", 2)], pay=True, email="gross@example.com", prices_include_tax=True)
    entry = wait_for(lambda: entry_in(app, order, OrderState.POSTED))
    (document,) = bc_documents_for(stack, order)
    assert document["pricesIncludeTax"] is False
    assert abs(Decimal(str(document["totalAmountIncludingTax"])) - Decimal(order["total"])) <= Decimal("0.01")
    assert not entry.attention


def test_a_refund_of_an_item_whose_sku_cannot_be_an_item_number_is_flagged_not_credited_to_gl(
    stack: Stack, app: Services
) -> None:
    """Posted while a mapping existed; the mapping is gone when the refund comes (the host runs without
    it): the refund is flagged for a person, not credited to BC_REFUND_ACCOUNT."""
    sku = f"ceramic-mug-500ml-{uuid.uuid4().hex[:6]}"
    number = f"MUG-{uuid.uuid4().hex[:6].upper()}"
    stack.woo.add_product("Big mug", sku, "11.00", stock_quantity=5)
    stack.bc.add_item(number, "Big mug", 11, inventory=5)
    order = stack.woo.place_order([(sku, 2)], pay=True, email=f"refund-{number.lower()}@example.com")
    wait_for(lambda: entry_in(app, order, OrderState.HELD))
    mapped = Services(app.settings.model_copy(update={"bc_sku_map": {sku: number}}))
    orders.process_order_event(WooEvent(store="main", topic="order.updated", resource_id=order["id"]), mapped)
    assert entry_in(app, order, OrderState.POSTED)

    line_id = stack.woo.order(order["id"])["line_items"][0]["id"]
    refund = stack.woo.refund_order(order["id"], lines={line_id: 1}, reason="Cracked", api_refund=False)
    entry = wait_for(lambda: (e := app.ledger.get("main", order["id"])) and e.attention and e)

    assert f"refund {refund['id']} cannot be credited" in entry.attention and "map the SKU" in entry.attention
    assert str(refund["id"]) not in entry.refunds_posted
    memo_number = f"{order['number']}-R{refund['id']}"
    assert stack.bc.find("salesCreditMemos", "externalDocumentNumber", memo_number) == []
