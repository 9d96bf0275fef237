"""Order to cash on Dynamics GP through the real HTTP function, queue (Azurite), local host and the GP emulator
(NTLM, the legacy Web Services WSDL): customers, SOP orders with lines and GL accounts, holds and replay,
cancellations, refunds as credit memos, shipments and stock by the timers (GP is poll-only), and no double
document after a crash between the GP write and the ledger write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sandbox.gp import GpEmulator
from sandbox.gp.warehouse import ship
from sandbox.stack import Stack
from shared.flows import orders, shipments, stock
from shared.flows.services import Services
from shared.storage.ledger import OrderState
from shared.woo.mapping import order_from_woo

from .conftest import wait_for
from .test_order_to_cash import SHIPPING, deliver, held, posted

pytestmark = [pytest.mark.e2e, pytest.mark.gp]


def gp(stack: Stack) -> GpEmulator:
    emulator = stack.erp_emulator
    assert isinstance(emulator, GpEmulator)
    return emulator


def gp_orders(stack: Stack, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The GP SOP orders carrying the Woo order number as their customer PO number."""
    company = gp(stack).company()
    with gp(stack).store.lock:
        return [
            dict(doc)
            for doc in company.entities["SalesOrder"].values()
            if doc.get("CustomerPONumber") == order["number"] and not doc.get("IsVoided")
        ]


def test_a_paid_order_is_one_sop_order_with_lines_gl_accounts_and_the_woo_total(stack: Stack, app: Services) -> None:
    order = stack.woo.place_order(
        [("1900-S", 2), ("LAMP-BRASS", 1)],
        pay=True,
        email="gp.buyer@example.com",
        first_name="Grace",
        last_name="Planes",
        shipping=SHIPPING,
    )
    wait_for(lambda: posted(app, order))
    (document,) = gp_orders(stack, order)
    assert Decimal(document["TotalAmount"]["Value"]) == Decimal(order["total"])
    lines = document["Lines"]["SalesOrderLine"]
    assert [(line["ItemKey"]["Id"], line["Quantity"]["Value"]) for line in lines] == [("1900-S", 2), ("LAMP-BRASS", 1)]
    assert {line["SalesGLAccountKey"]["Id"] for line in lines} == {"000-4100-00"}
    assert Decimal(document["FreightAmount"]["Value"]) == Decimal("10.00")
    assert document["Key"]["Id"] == f"WOO{order['number']}" and document["BatchKey"]["Id"] == "WOO"
    customer = app.erp.get_customer(document["CustomerKey"]["Id"])
    assert customer is not None and customer.email == "gp.buyer@example.com" and customer.display_name == "Grace Planes"
    assert app.ledger.get("main", order["id"]).document_number == document["Key"]["Id"]


def test_crash_between_the_gp_write_and_the_ledger_write_still_yields_one_document(stack: Stack, app: Services) -> None:
    stack.woo.pause_deliveries()
    try:
        order = stack.woo.place_order([("1896-S", 1)], pay=True, email="gp.crash@example.com")
        # A previous attempt created the document in GP and died before recording it: the ledger says
        # "posting" with an expired claim. GP has no idempotency key: the PO number finds the document.
        payload = stack.woo.order(order["id"])
        model = order_from_woo(payload, "main")
        entry = orders.claim(model, payload, None, app)
        customer = app.erp.create_customer(model.customer)
        app.erp.create_sales_document(model, customer)
        entry.claimed_at = "2000-01-01T00:00:00+00:00"
        app.ledger.save(entry)
        assert len(gp_orders(stack, order)) == 1
        assert deliver(stack, order["id"]).status_code == 200
    finally:
        stack.woo.resume_deliveries()
    wait_for(lambda: posted(app, order))
    stack.woo.flush_deliveries()
    assert len(gp_orders(stack, order)) == 1
    assert app.ledger.get("main", order["id"]).document_number == gp_orders(stack, order)[0]["Key"]["Id"]


def test_an_unknown_item_holds_the_order_then_it_posts_once_the_item_exists(stack: Stack, app: Services) -> None:
    stack.woo.add_product("Bergen Shelf", "BERGEN-SHELF", "89.00", stock_quantity=10, manage_stock=True)
    order = stack.woo.place_order([("BERGEN-SHELF", 1), ("70000", 2)], pay=True, email="gp.shelf@example.com")
    entry = wait_for(lambda: held(app, order))
    assert entry.hold_code == "unknown_sku" and "BERGEN-SHELF" in entry.hold_reason
    assert gp_orders(stack, order) == []
    gp(stack).seed_item("BERGEN-SHELF", price=Decimal("89.00"), stock=Decimal(10), description="Bergen Shelf")
    orders.redrive_held_orders(app)
    wait_for(lambda: posted(app, order))
    assert len(gp_orders(stack, order)) == 1


def test_a_customer_on_hold_holds_the_order(stack: Stack, app: Services) -> None:
    gp(stack).seed_customer("ONHOLD0001", name="On Hold Buyer", email="gp.onhold@example.com")
    company = gp(stack).company()
    with gp(stack).store.lock:
        company.entities["Customer"][("ONHOLD0001",)]["IsOnHold"] = True
    order = stack.woo.place_order([("70000", 1)], pay=True, email="gp.onhold@example.com")
    entry = wait_for(lambda: held(app, order))
    assert entry.hold_code == "blocked_customer" and "ONHOLD0001" in entry.hold_reason


def test_cancellation_deletes_the_unshipped_gp_order_and_flags_a_shipped_one(stack: Stack, app: Services) -> None:
    unshipped = stack.woo.place_order([("70000", 1)], pay=True, email="gp.cancel1@example.com")
    shipped = stack.woo.place_order([("70000", 1)], pay=True, email="gp.cancel2@example.com")
    wait_for(lambda: posted(app, unshipped) and posted(app, shipped))
    with gp(stack).store.lock:
        ship(gp(stack).company(), shipped["number"])
    stack.woo.cancel_order(unshipped["id"])
    stack.woo.cancel_order(shipped["id"])
    wait_for(lambda: app.ledger.get("main", unshipped["id"]).state == OrderState.CANCELLED)
    assert gp_orders(stack, unshipped) == []
    entry = wait_for(lambda: (e := app.ledger.get("main", shipped["id"])) and e.attention and e)
    assert "shipped" in entry.attention and entry.state == OrderState.POSTED


def test_a_refund_delivered_twice_is_one_sop_return_of_the_item(stack: Stack, app: Services) -> None:
    order = stack.woo.place_order([("1900-S", 2)], pay=True, email="gp.refund@example.com")
    wait_for(lambda: posted(app, order))
    item = next(line["id"] for line in order["line_items"] if line["sku"] == "1900-S")
    refund = stack.woo.refund_order(order["id"], lines={item: 1}, reason="Damaged", api_refund=False)
    wait_for(lambda: str(refund["id"]) in app.ledger.get("main", order["id"]).refunds_posted)
    assert deliver(stack, order["id"]).status_code == 200
    stack.woo.flush_deliveries()
    company = gp(stack).company()
    with gp(stack).store.lock:
        returns = [r for r in company.entities["SalesReturn"].values() if order["number"] in r["CustomerPONumber"]]
    (sop_return,) = returns
    assert sop_return["CustomerPONumber"] == f"{order['number']}-R{refund['id']}"
    assert Decimal(sop_return["TotalAmount"]["Value"]) == Decimal(refund["amount"])
    (line,) = sop_return["Lines"]["SalesReturnLine"]
    assert (line["ItemKey"]["Id"], line["Quantity"]["Value"]) == ("1900-S", 1)


def test_shipments_and_stock_are_polled_from_gp(stack: Stack, app: Services) -> None:
    order = stack.woo.place_order([("1920-S", 1), ("70000", 2)], pay=True, email="gp.ship@example.com")
    wait_for(lambda: posted(app, order))
    with gp(stack).store.lock:
        ship(gp(stack).company(), order["number"], {"70000": Decimal(2)}, carrier="UPS", tracking_number="1ZGP0001")
    shipments.push_shipments(app)
    assert stack.woo.order(order["id"])["status"] == "processing"
    with gp(stack).store.lock:
        ship(gp(stack).company(), order["number"], carrier="UPS", tracking_number="1ZGP0002")
    shipments.push_shipments(app)
    done = stack.woo.order(order["id"])
    assert done["status"] == "completed"
    notes = [note["note"] for note in stack.woo.notes(order["id"]) if note["customer_note"]]
    assert len(notes) == 2 and "1ZGP0001" in notes[0] and "1ZGP0002" in notes[1]

    product = stack.woo.product_by_sku("1964-W")
    gp(stack).company()
    with gp(stack).store.lock:
        from sandbox.gp.warehouse import move_stock

        on_hand = move_stock(gp(stack).company(), "1964-W", Decimal(5))
    stock.push_stock_and_prices(app, "main")
    assert Decimal(str(stack.woo.product(product["id"])["stock_quantity"])) == on_hand
