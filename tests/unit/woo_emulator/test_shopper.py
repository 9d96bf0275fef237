"""Shopper orders: internally consistent totals (as WooCommerce rounds them), tax modes, coupons, determinism."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.woo import WooEmulator
from sandbox.woo.formats import money, raw, wp_json_encode, wp_specialchars_decode


def D(value: str) -> Decimal:
    return Decimal(value)


def store(**options: Any) -> WooEmulator:
    emu = WooEmulator(**options)
    emu.add_tax_rate("25", "Moms", "DK")
    emu.add_tax_rate("7.5", "State Tax", "US", "CA")
    for n in range(12):
        emu.add_product(f"Product {n}", f"P-{n}", f"{3 + n * 1.37:.2f}", stock_quantity=1000)
    emu.add_variable_product(
        "Shirt",
        "SHIRT",
        [{"sku": f"SHIRT-{s}", "regular_price": "19.99", "option": s} for s in "SML"],
        stock_quantity=500,
    )
    emu.add_coupon("ten", "percent", 10)
    emu.add_coupon("fiver", "fixed_cart", 5)
    return emu


def assert_consistent(order: dict[str, Any]) -> None:
    lines, fees, ships = order["line_items"], order["fee_lines"], order["shipping_lines"]
    line_total = sum((D(i["total"]) for i in lines), D("0"))
    fee_total = sum((D(f["total"]) for f in fees), D("0"))
    cart_tax = sum((D(i["total_tax"]) for i in lines + fees), D("0"))
    assert D(order["cart_tax"]) == cart_tax
    assert D(order["shipping_total"]) == sum((D(s["total"]) for s in ships), D("0"))
    assert D(order["shipping_tax"]) == sum((D(s["total_tax"]) for s in ships), D("0"))
    assert D(order["total_tax"]) == cart_tax + D(order["shipping_tax"])
    assert D(order["total"]) == line_total + fee_total + D(order["shipping_total"]) + D(order["total_tax"])
    assert D(order["discount_total"]) == sum((D(i["subtotal"]) - D(i["total"]) for i in lines), D("0"))
    assert sum((D(t["tax_total"]) for t in order["tax_lines"]), D("0")) == cart_tax
    assert sum((D(t["shipping_tax_total"]) for t in order["tax_lines"]), D("0")) == D(order["shipping_tax"])
    for item in lines:
        assert isinstance(item["price"], int | float) and isinstance(item["quantity"], int)
        assert D(item["total_tax"]) == sum((D(t["total"]) for t in item["taxes"]), D("0"))
    for money_field in ("total", "cart_tax", "discount_total", "shipping_total"):
        assert len(order[money_field].split(".")[1]) == 2
    assert isinstance(order["number"], str)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_generated_orders_have_consistent_totals(seed: int) -> None:
    emu = store()
    rng = random.Random(seed)
    for _ in range(3):
        order = emu.generate_order(rng, currencies=("USD", "EUR", "DKK"))
        assert 1 <= len(order["line_items"]) <= 10
        assert order["status"] == "processing" and order["date_paid"] is not None
        assert_consistent(order)


def test_generation_is_reproducible_and_customers_return() -> None:
    first, second = store(), store()
    rng_a, rng_b = random.Random(42), random.Random(42)
    a = [first.generate_order(rng_a, customers=5) for _ in range(30)]
    b = [second.generate_order(rng_b, customers=5) for _ in range(30)]

    def stable(order: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in order.items() if not k.startswith("date_") and k != "_links"}

    assert [stable(o) for o in a] == [stable(o) for o in b]
    emails = [o["billing"]["email"] for o in a]
    assert len(set(emails)) < len(emails)  # returning customers share emails
    registered = {o["billing"]["email"]: o["customer_id"] for o in a if o["customer_id"]}
    assert registered and all(o["customer_id"] == registered[o["billing"]["email"]] for o in a if o["customer_id"])
    assert any(o["customer_id"] == 0 for o in a)


def test_prices_including_tax_and_coupons() -> None:
    emu = store(prices_include_tax=True)
    dk = ("Copenhagen", "DK", "", "1050")
    order = emu.place_order(
        [("SHIRT-M", 2)],
        city=dk,
        coupons=["ten"],
        shipping=[{"method_id": "flat_rate", "method_title": "Flat", "total": "40.00"}],
    )
    line = order["line_items"][0]
    # 2 x 19.99 incl. 25 %: gross 39.98, 10 % off → 35.98 gross
    assert (line["subtotal"], line["subtotal_tax"]) == ("31.98", "8.00")
    assert (line["total"], line["total_tax"]) == ("28.78", "7.20")
    assert order["prices_include_tax"] is True and order["shipping_tax"] == "10.00"
    assert order["coupon_lines"][0]["code"] == "ten"
    assert D(order["coupon_lines"][0]["discount"]) + D(order["coupon_lines"][0]["discount_tax"]) == D("4.00")
    assert order["total"] == "85.98"
    assert_consistent(order)
    fixed = store().place_order(
        [("P-0", 1), ("P-1", 2)],
        city=("San Francisco", "US", "CA", "94103"),
        coupons=["fiver"],
        fees=[{"name": "Gift wrap", "total": "2.00"}],
        currency="EUR",
    )
    assert fixed["discount_total"] == "5.00" and fixed["currency"] == "EUR" and fixed["currency_symbol"] == "€"
    assert fixed["coupon_lines"][0]["discount"] == "5"  # raw, not dp-formatted
    assert_consistent(fixed)


def test_stock_cancel_and_refund_flow() -> None:
    emu = store()
    order = emu.place_order([("SHIRT-S", 3), ("P-2", 1)], pay=True)
    shirt = emu.product_by_sku("SHIRT")
    assert shirt["stock_quantity"] == 497
    assert emu.product_by_sku("SHIRT-S")["manage_stock"] == "parent"
    emu.cancel_order(order["id"])
    assert emu.product_by_sku("SHIRT")["stock_quantity"] == 500
    assert any("Stock levels increased" in n["note"] for n in emu.notes(order["id"]))
    paid = emu.place_order(
        [("P-3", 2)], pay=True, shipping=[{"method_id": "flat_rate", "method_title": "Flat", "total": "5.00"}]
    )
    item = paid["line_items"][0]["id"]
    emu.refund_order(paid["id"], lines={item: 1})
    emu.refund_order(paid["id"], shipping=True)
    assert emu.order(paid["id"])["status"] == "processing"
    emu.refund_order(paid["id"])  # amount-only: the rest
    final = emu.order(paid["id"])
    assert final["status"] == "refunded" and len(final["refunds"]) == 3
    assert sum(D(r["total"]) for r in final["refunds"]) == -D(final["total"])


def test_formats() -> None:
    assert money("1") == "1.00" and money("2.345") == "2.35" and money("-0.001") == "0.00"
    assert raw("0.90") == "0.9" and raw("30.00") == "30" and raw("0.62125") == "0.62125"
    assert wp_json_encode({"u": "https://x/é"}) == b'{"u":"https:\\/\\/x\\/\\u00e9"}'
    assert wp_specialchars_decode("a&amp;lt;b &quot;c&#039;") == "a&lt;b \"c'"
