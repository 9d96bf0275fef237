"""What a live WooCommerce 8.2.2 store does that a naive emulator misses (facts woocommerce.md §0):
`_fields` is honoured, and the payload shapes seen on the live store."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.woo import WooEmulator

from .conftest import seed_catalog

pytestmark = pytest.mark.integration


@pytest.fixture
def taxed_order(emu: WooEmulator) -> dict[str, Any]:
    seed_catalog(emu)
    emu.add_tax_rate("10", "VAT")
    emu.add_coupon("save10", "percent", 10)
    return emu.place_order(
        [("SINGLE-1", 2), ("SYI-BLACK", 1)],
        pay=True,
        coupons=["save10"],
        shipping=[{"method_id": "flat_rate", "method_title": "Flat Rate", "total": "10.00"}],
    )


def test_fields_keeps_only_the_requested_keys(emu: WooEmulator, api: httpx.Client, taxed_order: dict) -> None:
    oid = taxed_order["id"]
    assert api.get(f"/orders/{oid}", params={"_fields": "id,number"}).json() == {"id": oid, "number": str(oid)}
    listing = api.get("/orders", params={"_fields": "id, status"}).json()
    assert listing == [{"id": oid, "status": "processing"}]
    nested = api.get(f"/orders/{oid}", params={"_fields": "id,billing.email,_links"}).json()
    assert set(nested) == {"id", "billing", "_links"} and set(nested["billing"]) == {"email"}
    assert "_links" not in api.get(f"/orders/{oid}", params={"_fields": "id"}).json()
    emu.refund_order(oid, amount="1.00", api_refund=False)
    refunds = api.get(f"/orders/{oid}/refunds", params={"_fields": "id,date_created_gmt"}).json()
    assert [set(r) for r in refunds] == [{"id", "date_created_gmt"}]
    products = api.get("/products", params={"_fields": "id,sku", "per_page": 100}).json()
    assert products and all(set(p) == {"id", "sku"} for p in products)
    # Unknown fields give empty objects; errors are never trimmed.
    assert api.get(f"/orders/{oid}", params={"_fields": "nothing"}).json() == {}
    missing = api.get("/orders/999999", params={"_fields": "id"})
    assert missing.status_code == 404 and missing.json()["code"] == "woocommerce_rest_shop_order_invalid_id"


def test_line_item_meta_has_reduced_stock_and_the_variation_attributes(api: httpx.Client, taxed_order: dict) -> None:
    order = api.get(f"/orders/{taxed_order['id']}").json()
    simple, variation = order["line_items"]
    assert {"key": "_reduced_stock", "value": "2"}.items() <= simple["meta_data"][-1].items()
    keys = {m["key"]: m["value"] for m in variation["meta_data"]}
    assert keys.get("_reduced_stock") == "1"
    assert any(value == "Black" for key, value in keys.items() if not key.startswith("_"))  # the attribute


def test_coupon_lines_carry_coupon_data_and_shipping_taxes_an_empty_subtotal(
    api: httpx.Client, taxed_order: dict
) -> None:
    order = api.get(f"/orders/{taxed_order['id']}").json()
    (coupon,) = order["coupon_lines"]
    (data,) = [m["value"] for m in coupon["meta_data"] if m["key"] == "coupon_data"]
    assert isinstance(data, dict) and data["code"] == "save10" and data["discount_type"] == "percent"
    (shipping,) = order["shipping_lines"]
    assert shipping["taxes"] and all(tax["subtotal"] == "" for tax in shipping["taxes"])
    assert all(tax["subtotal"] != "" for tax in order["line_items"][0]["taxes"])


def test_a_refund_with_items_has_tax_lines(emu: WooEmulator, api: httpx.Client, taxed_order: dict) -> None:
    order = api.get(f"/orders/{taxed_order['id']}").json()
    item = order["line_items"][0]
    (tax_line,) = order["tax_lines"]
    refund = api.post(
        f"/orders/{order['id']}/refunds",
        json={
            "api_refund": False,
            "line_items": [
                {
                    "id": item["id"],
                    "quantity": 1,
                    "refund_total": "2.70",
                    "refund_tax": [{"id": tax_line["rate_id"], "refund_total": "0.27"}],
                }
            ],
        },
    ).json()
    (line,) = refund["tax_lines"]
    assert (line["rate_id"], line["tax_total"], line["shipping_tax_total"]) == (tax_line["rate_id"], "-0.27", "0.00")
    assert line["label"] == "VAT" and line["id"] not in {tax_line["id"], item["id"]}
    amount_only = emu.refund_order(order["id"], amount="1.00", api_refund=False)
    assert amount_only["tax_lines"] == []


def test_a_gateway_refund_error_has_data_500(emu: WooEmulator, api: httpx.Client) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    bacs = emu.place_order([("MUG-1", 1)], pay=True, payment_method="bacs")
    refused = api.post(f"/orders/{bacs['id']}/refunds", json={"amount": "1.00"})
    assert refused.status_code == 500
    assert refused.json() == {
        "code": "woocommerce_rest_cannot_create_order_refund",
        "message": "The payment gateway for this order does not support automatic refunds.",
        "data": 500,
    }


def test_a_new_webhook_has_a_null_date_modified(api: httpx.Client) -> None:
    created = api.post("/webhooks", json={"topic": "order.updated", "delivery_url": "http://127.0.0.1:9/x"}).json()
    assert created["date_modified"] is None and created["date_modified_gmt"] is None
    assert created["date_created"] is not None
    edited = api.put(f"/webhooks/{created['id']}", json={"name": "renamed"}).json()
    assert edited["date_modified"] is not None


def test_products_have_total_sales_as_a_string_has_options_and_post_password(
    api: httpx.Client, taxed_order: dict
) -> None:
    single = api.get("/products", params={"sku": "SINGLE-1"}).json()[0]
    assert single["total_sales"] == "2" and single["has_options"] is False and single["post_password"] == ""
    variable = api.get("/products", params={"sku": "SYI"}).json()[0]
    assert variable["has_options"] is True
