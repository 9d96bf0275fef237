"""WooCommerce JSON → canonical model, on the saved reference samples."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.model import LineKind, round_money
from shared.woo.mapping import (
    IGNORED_ORDER_STATUSES,
    WooPayloadError,
    is_deleted_object,
    is_error_object,
    order_from_woo,
    parse_woo_datetime,
    product_stock_from_woo,
    products_stock_from_woo,
    refund_from_woo,
    refunds_from_woo,
    woo_order_fingerprint,
)

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
WOO = REFERENCE / "woocommerce"


def load(name: str) -> Any:
    return json.loads((WOO / name).read_text(encoding="utf-8"))


def order_payload() -> dict[str, Any]:
    return load("order-retrieve.json")


ALL_ORDERS = [("order-retrieve", order_payload())] + [
    (f"orders-list[{i}]", order) for i, order in enumerate(load("orders-list.json"))
]


# ------------------------------------------------------------------------------------------ orders


def test_order_727_fields():
    order = order_from_woo(order_payload(), "store-a")
    assert order.store == "store-a"
    assert order.woo_order_id == 727
    assert order.number == "727"
    assert order.status == "processing"
    assert order.currency == "USD"
    assert order.prices_include_tax is False
    assert order.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)  # the _gmt value
    assert order.modified_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert order.paid_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert order.completed_at is None
    assert order.total == Decimal("29.35") and str(order.total) == "29.35"
    assert order.total_tax == Decimal("1.35")
    assert order.shipping_total == Decimal("10.00")
    assert order.customer.woo_customer_id is None  # guest (customer_id 0)
    assert order.customer.email == "john.doe@example.com"
    assert order.customer.phone == "(555) 555-5555"
    assert order.billing.city == "San Francisco"
    assert order.shipping.postcode == "94103"
    assert order.payment_method == "bacs"
    assert order.meta_value("_download_permissions_granted") == "yes"


def test_order_727_lines():
    order = order_from_woo(order_payload(), "s")
    simple, variation = order.lines
    assert simple.kind is LineKind.ITEM
    assert simple.sku == "" and simple.sku_or_none is None
    assert simple.variation_id is None and simple.product_id == 93
    assert simple.quantity == 2 and simple.unit_price == Decimal(3)
    assert variation.sku == "Bar3"
    assert variation.variation_id == 23 and variation.product_id == 22
    assert variation.subtotal_tax == Decimal("0.90")
    assert [(m.key, m.value) for m in variation.meta] == [("pa_color", "black"), ("size", "M Test")]
    (shipping,) = order.shipping_lines
    assert shipping.kind is LineKind.SHIPPING
    assert shipping.name == "Flat Rate" and shipping.method_id == "flat_rate"
    assert shipping.total == Decimal("10.00") and shipping.quantity == 1


@pytest.mark.parametrize(("name", "payload"), ALL_ORDERS, ids=[name for name, _ in ALL_ORDERS])
def test_reference_orders_totals_add_up(name, payload):
    order = order_from_woo(payload, "s")
    lines = sum((line.total for line in order.all_lines), Decimal(0))
    taxes = sum((line.total_tax for line in order.all_lines), Decimal(0))
    assert round_money(lines + order.total_tax) == order.total
    assert round_money(taxes) == order.total_tax
    assert order.shipping_total == sum((s.total for s in order.shipping_lines), Decimal(0))


def test_order_with_refunds_summary():
    order = order_from_woo(load("orders-list.json")[1], "s")
    assert order.woo_order_id == 723 and order.status == "completed"
    assert [(r.woo_refund_id, r.amount) for r in order.refunds] == [(726, Decimal("10.00")), (724, Decimal("9.00"))]
    assert order.refunded_total == Decimal("19.00")


def rich_order_payload() -> dict[str, Any]:
    """Order 727 extended with coupons, fees (one negative), a decimal quantity mix and a long note."""
    payload = order_payload()
    payload.update(
        {
            "id": 9001,
            "number": "WC-9001",
            "currency": "EUR",
            "customer_id": 25,
            "discount_total": "5.20",
            "discount_tax": "0.39",
            "shipping_total": "10.00",
            "shipping_tax": "0.75",
            "cart_tax": "3.52",
            "total_tax": "4.35",
            "total": "62.15",
            "customer_note": "Please leave the parcel at the back door.\n" + "Ring twice. " * 20,
        }
    )
    simple, variation = payload["line_items"]
    simple.update(
        sku="W-1", quantity=3, subtotal="30.00", subtotal_tax="2.25", total="27.00", total_tax="2.03", price=9
    )
    variation.update(subtotal="12.00", subtotal_tax="0.90", total="10.80", total_tax="0.81", price=10.8)
    odd = copy.deepcopy(simple)
    odd.update(
        id=400, name="Seven pack", product_id=94, sku="ODD-7", quantity=7,
        subtotal="10.00", subtotal_tax="0.75", total="9.00", total_tax="0.68", price=1.2857142857142858,
    )  # fmt: skip
    payload["line_items"].append(odd)
    payload["shipping_lines"][0].update(total="10.00", total_tax="0.75")
    payload["fee_lines"] = [
        {"id": 501, "name": "Gift wrap", "tax_class": "", "tax_status": "taxable", "total": "5.00",
         "total_tax": "0.38", "taxes": [{"id": 75, "total": "0.375", "subtotal": ""}], "meta_data": []},
        {"id": 502, "name": "Loyalty discount", "tax_class": "", "tax_status": "taxable", "total": "-4.00",
         "total_tax": "-0.30", "taxes": [{"id": 75, "total": "-0.3", "subtotal": ""}], "meta_data": []},
    ]  # fmt: skip
    payload["coupon_lines"] = [
        {"id": 601, "code": "save10", "discount": "5.2", "discount_tax": "0.39", "meta_data": []}
    ]
    return payload


def test_rich_order_mapping():
    order = order_from_woo(rich_order_payload(), "s")
    assert order.customer.woo_customer_id == 25
    assert order.coupon_codes == ("save10",)
    assert order.coupons[0].discount == Decimal("5.2")  # raw string, not dp-formatted
    assert [line.discount_amount for line in order.lines] == [Decimal("3.00"), Decimal("1.20"), Decimal("1.00")]
    assert sum((line.discount_amount for line in order.lines), Decimal(0)) == order.discount_total
    gift, loyalty = order.fee_lines
    assert gift.kind is LineKind.FEE and gift.total == Decimal("5.00")
    assert loyalty.total == Decimal("-4.00") and loyalty.total_tax == Decimal("-0.30")
    lines = sum((line.total for line in order.all_lines), Decimal(0))
    assert lines + order.total_tax == order.total


def test_numeric_strings_and_decimal_quantities_are_accepted():
    payload = order_payload()
    payload["id"] = "727"
    payload["line_items"][0]["quantity"] = 1.5
    payload["line_items"][0]["price"] = 4
    order = order_from_woo(payload, "s")
    assert order.woo_order_id == 727
    assert order.lines[0].quantity == Decimal("1.5")


def test_null_sku_of_deleted_product():
    payload = order_payload()
    payload["line_items"][0].update(sku=None, product_id=0)
    line = order_from_woo(payload, "s").lines[0]
    assert line.sku is None and line.product_id is None


def test_checkout_draft_maps_and_is_flagged_ignorable():
    payload = order_payload()
    payload["status"] = "checkout-draft"
    payload["date_paid_gmt"] = None
    payload["date_paid"] = None
    order = order_from_woo(payload, "s")
    assert order.status in IGNORED_ORDER_STATUSES
    assert order.paid_at is None


def test_dates_are_utc():
    assert parse_woo_datetime("2017-03-22T19:28:02") == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert parse_woo_datetime("2017-03-22T21:28:02+02:00") == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert parse_woo_datetime(None) is None and parse_woo_datetime("") is None
    with pytest.raises(ValueError):
        parse_woo_datetime("yesterday")


def test_local_date_without_offset_is_not_used_as_utc():
    payload = order_payload()
    del payload["date_paid_gmt"]
    assert order_from_woo(payload, "s").paid_at is None  # "2017-03-22T16:28:08" is site-local
    payload["date_paid"] = "2017-03-22T16:28:08-03:00"
    assert order_from_woo(payload, "s").paid_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)


# ------------------------------------------------------------------------------- malformed / errors


@pytest.mark.parametrize("name", ["error-woocommerce-rest.json", "error-wp-rest-no-route.json"])
def test_error_objects_are_detected(name):
    payload = load(name)
    assert is_error_object(payload)
    with pytest.raises(WooPayloadError, match=payload["code"]):
        order_from_woo(payload, "s")


def test_error_object_detection_is_precise():
    assert is_error_object({"code": "woocommerce_rest_cannot_view", "message": "x", "data": {"status": 401}})
    assert not is_error_object(order_payload())
    assert not is_error_object({"id": 5, "code": "SUMMER"})  # a coupon has a code and an id
    assert not is_error_object([{"code": "x"}])
    assert not is_error_object("code")


def test_deleted_body():
    assert is_deleted_object({"id": 727})
    assert not is_deleted_object(order_payload())
    with pytest.raises(WooPayloadError, match="deleted"):
        order_from_woo({"id": 727}, "s")


def _without(key: str) -> dict[str, Any]:
    payload = order_payload()
    del payload[key]
    return payload


def _with(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    payload = order_payload()
    target: Any = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return payload


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (_without("id"), "missing id"),
        (_without("line_items"), "line_items: missing"),
        (_without("total"), "total: missing"),
        (_without("currency"), "currency: missing"),
        (_without("date_created_gmt"), "date_created_gmt: missing"),
        (_with(("line_items",), {"a": 1}), "line_items: expected a list"),
        (_with(("line_items", 1), "oops"), r"line_items\[1\]: expected a JSON object"),
        (_with(("line_items", 1, "total"), "12,00"), r"line_items\[1\]\.total: expected a money amount, got '12,00'"),
        (_with(("line_items", 0, "id"), None), r"line_items\[0\]\.id: missing"),
        (_with(("line_items", 0, "quantity"), "two"), r"line_items\[0\]\.quantity"),
        (_with(("total",), True), "total: expected a money amount"),
        (_with(("prices_include_tax",), "no"), "prices_include_tax: expected true or false"),
        (_with(("billing",), "nope"), "billing: expected a JSON object"),
        (_with(("date_created_gmt",), "32/13/2020"), "date_created_gmt"),
        (_with(("shipping_lines", 0, "total"), None), r"shipping_lines\[0\]\.total: missing"),
        ({"order": order_payload()}, "legacy"),
        ([order_payload()], "expected a JSON object"),
        ("not json", "expected a JSON object"),
    ],
)
def test_malformed_orders_raise_readable_errors(payload, message):
    with pytest.raises(WooPayloadError, match=message) as info:
        order_from_woo(payload, "s")
    assert isinstance(info.value, ValueError)


def test_error_message_names_the_order():
    with pytest.raises(WooPayloadError, match=r"^order 727: line_items\[1\]\.total"):
        order_from_woo(_with(("line_items", 1, "total"), "x"), "s")


# ----------------------------------------------------------------------------------------- refunds


def test_refunds_list_with_order_id():
    refunds = refunds_from_woo(load("refunds-list.json"), order_id=723)
    assert [r.woo_refund_id for r in refunds] == [726, 724]
    amount_only, with_line = refunds
    assert amount_only.amount == Decimal("10.00") and amount_only.is_amount_only
    assert amount_only.created_at == datetime(2017, 3, 21, 20, 7, 11, tzinfo=UTC)
    (line,) = with_line.lines
    assert line.original_item_id == 311
    assert line.quantity == Decimal(1)  # Woo sends -1
    assert line.total == Decimal("9.00")  # Woo sends "-9.00"
    assert not with_line.is_amount_only


def test_refund_order_id_from_links_and_parent_id():
    refund = refund_from_woo(load("refund-create-response.json"))
    assert refund.woo_order_id == 723  # from _links.up
    payload = load("refund-create-response.json")
    del payload["_links"]
    payload["parent_id"] = 99
    assert refund_from_woo(payload).woo_order_id == 99
    del payload["parent_id"]
    with pytest.raises(WooPayloadError, match="which order"):
        refund_from_woo(payload)


def test_refund_with_shipping_fee_and_tax():
    payload = load("refund-create-response.json")
    payload.update(amount="22.58")
    payload["line_items"] = [
        {"id": 1, "name": "X", "product_id": 93, "variation_id": 0, "quantity": -2, "subtotal": "-6.00",
         "subtotal_tax": "-0.45", "total": "-6.00", "total_tax": "-0.45", "taxes": [], "sku": "W-1", "price": -3,
         "meta_data": [{"id": 9, "key": "_refunded_item_id", "value": "315"}]},
    ]  # fmt: skip
    payload["shipping_lines"] = [{"id": 2, "method_title": "Flat", "total": "-10.00", "total_tax": "-0.75"}]
    payload["fee_lines"] = [{"id": 3, "name": "Gift wrap", "total": "-5.00", "total_tax": "-0.38"}]
    refund = refund_from_woo(payload, order_id=727)
    assert refund.lines[0].original_item_id == 315 and refund.lines[0].quantity == 2
    assert refund.shipping_amount == Decimal("10.00")
    assert refund.fee_amount == Decimal("5.00")
    assert refund.tax_amount == Decimal("1.58")
    assert refund.lines[0].total + refund.shipping_amount + refund.fee_amount + refund.tax_amount == refund.amount


def test_refunds_malformed():
    with pytest.raises(WooPayloadError, match="expected a list"):
        refunds_from_woo({"id": 1})  # type: ignore[arg-type,dict-item]
    with pytest.raises(WooPayloadError, match="amount: missing"):
        refund_from_woo({"id": 1, "date_created_gmt": "2020-01-01T00:00:00"}, order_id=1)


# ---------------------------------------------------------------------------------------- products


def test_simple_product():
    product = product_stock_from_woo(load("product-simple-retrieve.json"))
    assert product.woo_product_id == 794 and product.parent_id is None
    assert product.manage_stock is False and product.stock_quantity is None
    assert product.regular_price == Decimal("21.99") and product.sale_price is None
    assert product.stock_owner_id == 794


def test_variation_parent_from_links():
    product = product_stock_from_woo(load("variation-retrieve.json"))
    assert product.woo_product_id == 732
    assert product.parent_id == 22 and product.is_variation
    assert product.type == "variation"


def test_variation_managed_by_parent_with_decimal_stock():
    payload = load("variation-retrieve.json")
    payload.update(manage_stock="parent", stock_quantity=16.5, sku="SHIRT-BLK", parent_id=22, type="variation")
    product = product_stock_from_woo(payload)
    assert product.manage_stock == "parent"
    assert product.stock_quantity == Decimal("16.5")
    assert product.stock_owner_id == 22
    payload["manage_stock"] = "yes"
    with pytest.raises(WooPayloadError, match="manage_stock"):
        product_stock_from_woo(payload)


def test_products_list():
    products = products_stock_from_woo(load("products-list.json"))
    assert [p.woo_product_id for p in products] == [799, 794]
    with pytest.raises(WooPayloadError):
        product_stock_from_woo({"code": "rest_no_route", "message": "x"})


# ------------------------------------------------------------------------------------- fingerprint


def test_fingerprint_ignores_noise():
    base = order_payload()
    fingerprint = woo_order_fingerprint(base)
    assert len(fingerprint) == 64
    noisy = copy.deepcopy(base)
    noisy["date_modified"] = "2030-01-01T00:00:00"
    noisy["date_modified_gmt"] = "2030-01-01T03:00:00"
    noisy["_links"] = {"self": [{"href": "https://elsewhere.example/x"}]}
    noisy["meta_data"].append({"id": 1, "key": "_edit_lock", "value": "1"})
    noisy["total"] = "29.350"
    noisy["line_items"].reverse()
    noisy = dict(reversed(list(noisy.items())))
    assert woo_order_fingerprint(noisy) == fingerprint


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["line_items"][0].update(quantity=3),
        lambda p: p["line_items"][1].update(sku="Bar4"),
        lambda p: p["line_items"].pop(),
        lambda p: p.update(status="cancelled"),
        lambda p: p.update(total="30.35"),
        lambda p: p["shipping"].update(address_1="1 Other Street"),
        lambda p: p["billing"].update(email="x@example.com"),
        lambda p: p["shipping_lines"][0].update(total="12.00"),
        lambda p: p.update(coupon_lines=[{"id": 1, "code": "x", "discount": "1"}]),
        lambda p: p.update(customer_note="call me"),
    ],
)
def test_fingerprint_changes_with_business_content(change):
    payload = order_payload()
    change(payload)
    assert woo_order_fingerprint(payload) != woo_order_fingerprint(order_payload())


def test_fingerprint_tolerates_partial_payloads():
    assert woo_order_fingerprint({}) == woo_order_fingerprint({"_links": {}})
    assert woo_order_fingerprint({"line_items": "junk", "billing": None, "total": "abc"})
