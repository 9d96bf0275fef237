"""Order to cash on Finance & Operations through the whole stack: Woo orders become one F&O sales order each
(header and lines in one `$batch` changeset), refunds become return orders or payment-journal refund lines,
a full refund of an unshipped order deletes it, stock and prices come back from on-hand and released
products, and packing slips with tracking complete the Woo order (facts: finance-operations.md §2).

Each test reads F&O through the emulator's own store (the legal entity `usmf`), never through the adapter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.fo import FoEmulator
from sandbox.stack import Stack
from shared.flows import shipments, stock
from shared.flows.services import Services
from shared.storage.ledger import OrderState

from .conftest import wait_for
from .test_order_to_cash import SHIPPING, deliver, posted

pytestmark = [pytest.mark.e2e, pytest.mark.fo]


def fo(stack: Stack) -> FoEmulator:
    assert isinstance(stack.erp_emulator, FoEmulator)
    return stack.erp_emulator


def rows(stack: Stack, entity_set: str, **match: Any) -> list[dict[str, Any]]:
    emulator = fo(stack)
    company = emulator.store.companies[emulator.default_company]
    return [dict(row) for row in emulator.store.find(company, entity_set, **match)]


def orders_for(stack: Stack, order: dict[str, Any]) -> list[dict[str, Any]]:
    return rows(stack, "SalesOrderHeadersV2", CustomersOrderReference=order["number"])


def item_id(order: dict[str, Any], sku: str) -> int:
    return int(next(line["id"] for line in order["line_items"] if line["sku"] == sku))


def test_a_paid_order_is_one_fo_order_with_items_discount_freight_fee_and_the_woo_total(
    stack: Stack, app: Services
) -> None:
    stack.woo.add_coupon("FO10", "percent", 10)
    order = stack.woo.place_order(
        [("1900-S", 2), ("LAMP-BRASS", 1)],
        pay=True,
        email="fo.first@example.com",
        first_name="Fiona",
        last_name="Operations",
        coupons=["FO10"],
        shipping=SHIPPING,
        fees=[{"name": "Handling", "total": "2.50", "tax_status": "none"}],
    )
    wait_for(lambda: posted(app, order))
    assert deliver(stack, order["id"]).status_code == 200  # the same order again
    stack.woo.flush_deliveries()
    (header,) = orders_for(stack, order)
    assert header["SalesOrderNumber"] == f"WOO-{order['number']}"
    assert Decimal(header["OrderTotalAmount"]) == Decimal(order["total"])
    lines = rows(stack, "SalesOrderLines", SalesOrderNumber=header["SalesOrderNumber"])
    by_item = {line["ItemNumber"]: line for line in lines}
    assert set(by_item) == {"1900-S", "LAMP-BRASS", "FREIGHT", "FEES"}
    assert by_item["1900-S"]["OrderedSalesQuantity"] == 2 and by_item["1900-S"]["LineDiscountAmount"] > 0
    assert (by_item["FREIGHT"]["LineAmount"], by_item["FEES"]["LineAmount"]) == (Decimal(10), Decimal("2.50"))
    (customer,) = rows(stack, "CustomersV3", CustomerAccount=header["OrderingCustomerAccountNumber"])
    assert customer["PrimaryContactEmail"] == "fo.first@example.com" and customer["PersonLastName"] == "Operations"
    # the payment is recorded after the order is posted (shared.flows.orders)
    (payment,) = wait_for(lambda: rows(stack, "CustomerPaymentJournalLines", PaymentReference=order["number"]))
    assert Decimal(payment["CreditAmount"]) == Decimal(order["total"]) and payment["AccountType"] == "Cust"
    entry = app.ledger.get("main", order["id"])
    assert entry is not None and entry.attention == ""


def test_an_item_refund_delivered_twice_is_one_return_order_and_money_back_is_a_journal_line(
    stack: Stack, app: Services
) -> None:
    order = stack.woo.place_order([("1900-S", 2), ("70000", 1)], pay=True, email="fo.refund@example.com")
    wait_for(lambda: posted(app, order))
    refund = stack.woo.refund_order(
        order["id"], lines={item_id(order, "1900-S"): 1}, reason="Damaged", api_refund=False
    )
    reference = f"{order['number']}-R{refund['id']}"
    (returned,) = wait_for(lambda: rows(stack, "ReturnOrderHeaders", CustomersOrderReference=reference))
    assert deliver(stack, order["id"]).status_code == 200
    stack.woo.flush_deliveries()
    wait_for(lambda: str(refund["id"]) in app.ledger.get("main", order["id"]).refunds_posted)
    assert len(rows(stack, "ReturnOrderHeaders", CustomersOrderReference=reference)) == 1
    (line,) = rows(stack, "ReturnOrderLines", ReturnOrderNumber=returned["ReturnOrderNumber"])
    assert (line["ItemNumber"], line["ReturnSalesQuantity"]) == ("1900-S", Decimal(-1))

    goodwill = stack.woo.refund_order(order["id"], amount="5.00", reason="Goodwill", api_refund=False)
    money = f"{order['number']}-R{goodwill['id']}"
    (debit,) = wait_for(lambda: rows(stack, "CustomerPaymentJournalLines", PaymentReference=money))
    assert Decimal(debit["DebitAmount"]) == Decimal("5.00")


def test_a_full_refund_of_an_unshipped_order_deletes_the_fo_order(stack: Stack, app: Services) -> None:
    order = stack.woo.place_order([("70000", 2)], pay=True, email="fo.cancel@example.com")
    wait_for(lambda: posted(app, order))
    stack.woo.refund_order(order["id"], amount=order["total"], reason="Changed mind", api_refund=False)
    wait_for(lambda: app.ledger.get("main", order["id"]).state == OrderState.CANCELLED)
    assert orders_for(stack, order) == []


def test_stock_and_prices_come_from_on_hand_and_released_products(stack: Stack, app: Services) -> None:
    emulator = fo(stack)
    company = emulator.store.companies[emulator.default_company]
    product = stack.woo.product_by_sku("1964-W")
    (on_hand,) = rows(stack, "WarehousesOnHandV2", ItemNumber="1964-W")
    emulator.warehouse.move_stock(company, "1964-W", Decimal(70) - Decimal(on_hand["OnHandQuantity"]))
    emulator.warehouse.set_price(company, "1964-W", Decimal("155"))
    stock.push_stock_and_prices(app, "main")
    open_units = sum(
        int(line["OrderedSalesQuantity"])
        for line in rows(stack, "SalesOrderLines", ItemNumber="1964-W")
        if line["SalesOrderLineStatus"] == "Backorder"
    )
    shown = stack.woo.product(product["id"])
    assert shown["stock_quantity"] == 70 - open_units and shown["regular_price"] == "155.00"
    assert shown["name"] == product["name"]  # marketing fields stay Woo's

    # The next (delta) run reads on-hand in full (F&O has no change date) and writes only what moved.
    stock.push_stock_and_prices(app, "main")  # settles whatever the first run left (a full run, or a delta)
    emulator.warehouse.move_stock(company, "1964-W", Decimal(-5))
    (delta,) = stock.push_stock_and_prices(app, "main")
    assert delta.mode == "delta" and delta.written == 1 and delta.considered > 1
    assert stack.woo.product(product["id"])["stock_quantity"] == 65 - open_units


def test_packing_slips_with_tracking_complete_the_order_with_one_note_each(stack: Stack, app: Services) -> None:
    order = stack.woo.place_order([("1900-S", 2), ("LAMP-WHITE", 1)], pay=True, email="fo.ship@example.com")
    wait_for(lambda: posted(app, order))
    emulator = fo(stack)
    company = emulator.store.companies[emulator.default_company]
    emulator.warehouse.ship(company, order["number"], {"1900-S": Decimal(2)}, "UPS", "1Z999FO1")
    shipments.push_shipments(app)
    assert stack.woo.order(order["id"])["status"] == "processing"
    emulator.warehouse.ship(company, order["number"], None, "UPS", "1Z999FO2")
    shipments.push_shipments(app)
    shipments.push_shipments(app)  # the day's slips are read again: applied once
    done = stack.woo.order(order["id"])
    assert done["status"] == "completed"
    notes = [note["note"] for note in stack.woo.notes(order["id"]) if note["customer_note"]]
    assert len(notes) == 2 and "1Z999FO1" in notes[0] and "1Z999FO2" in notes[1]
    assert "https://www.ups.com/track?tracknum=1Z999FO2" in notes[1]


def test_a_packing_slip_business_event_completes_the_order_before_the_timer(stack: Stack, app: Services) -> None:
    emulator = fo(stack)
    url = f"http://127.0.0.1:{stack.ports.host}/api/webhooks/erp/fo?code={stack.function_key}"
    emulator.events.activate("SalesPackingSlipPostedBusinessEvent", url)
    emulator.events.activate("SalesInvoicePostedBusinessEvent", url)
    order = stack.woo.place_order([("1920-S", 1)], pay=True, email="fo.event@example.com")
    wait_for(lambda: posted(app, order))
    company = emulator.store.companies[emulator.default_company]
    emulator.warehouse.ship(company, order["number"], None, "DHL", "JD01460000FO")
    emulator.warehouse.invoice(company, order["number"])
    assert emulator.events.flush()
    done = wait_for(lambda: (o := stack.woo.order(order["id"]))["status"] == "completed" and o, timeout=20)

    def customer_notes() -> list[str]:
        return [note["note"] for note in stack.woo.notes(order["id"]) if note["customer_note"]]

    notes = wait_for(customer_notes)  # written just after the status
    assert len(notes) == 1 and "JD01460000FO" in notes[0]
    assert done["status"] == "completed"
    delivered = [d for d in emulator.events.log if d.endpoint == url]
    assert {d.event["BusinessEventId"] for d in delivered} == {
        "SalesPackingSlipPostedBusinessEvent",
        "SalesInvoicePostedBusinessEvent",
    }
    assert all(d.delivered and d.attempts[-1] == 202 for d in delivered)
    for delivery in delivered:  # F&O's retry of the same event: answered, queued once
        key = str(delivery.event["EventId"]).upper()
        assert app.audit.trail(f"erp-events/fo/{key}")
        again = httpx.post(url, json=delivery.event, timeout=30)
        assert again.status_code == 200
        assert len(app.audit.trail(f"erp-events/fo/{key}")) == 1


def test_a_business_event_without_the_function_key_is_refused(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.ports.host}/api/webhooks/erp/fo"
    event = {
        "BusinessEventId": "SalesInvoicePostedBusinessEvent",
        "ControlNumber": 1,
        "BusinessEventLegalEntity": "USMF",
    }
    assert httpx.post(url, json=event, timeout=30).status_code == 401
    malformed = httpx.post(f"{url}?code={stack.function_key}", content=b"{", timeout=30)
    assert malformed.status_code == 400
