"""The BC mapping sends only what BC lets a client write, finds upper-case item numbers, holds SKUs no
item number can equal, and rounds to the currency's minor unit (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from sandbox.bc.documents import HEADER_COMPUTED
from sandbox.bc.entities import SYSTEM_FIELDS
from sandbox.bc.write_rules import READ_ONLY_ON_WRITE
from shared.erp.bc.mapping import (
    BcDocumentOptions,
    BcItemRef,
    ItemNumberTooLong,
    credit_memo_payload,
    erp_item_key,
    expected_line_amount_total,
    expected_total,
    payload_line_amount_total,
    refund_net_amount,
    required_item_keys,
    sales_document_payload,
)
from shared.erp.port import DocumentKind
from shared.model import (
    Address,
    Customer,
    HoldCode,
    LineKind,
    Order,
    OrderLine,
    Refund,
    RefundLine,
    currency_places,
)

pytestmark = pytest.mark.bc

WHEN = datetime(2026, 12, 1, tzinfo=UTC)
BILLING = Address(
    first_name="Ann", last_name="Lee", company="Lee Ltd", address_1="1 Main St", city="Austin", country="US"
)
ITEMS = {"BLUE-MUG": BcItemRef("BLUE-MUG", "0f5c6d4e-0000-4000-8000-000000000001")}


def options(**changes: Any) -> BcDocumentOptions:
    values: dict[str, Any] = {"local_currency": "USD", "shipping_number": "6410", "fee_number": "6910"}
    values.update(changes)
    return BcDocumentOptions(**values)


def item_line(sku: str, quantity: int, subtotal: str, total: str, tax: str = "0", item_id: int = 1) -> OrderLine:
    return OrderLine(
        kind=LineKind.ITEM, woo_item_id=item_id, name=f"Item {sku}", sku=sku, product_id=10 + item_id,
        quantity=Decimal(quantity), subtotal=Decimal(subtotal), total=Decimal(total), total_tax=Decimal(tax),
    )  # fmt: skip


def order(*lines: OrderLine, currency: str = "USD", total: str, tax: str = "0", gross: bool = False) -> Order:
    return Order(
        store="main", woo_order_id=7, number="7", status="processing", currency=currency, created_at=WHEN,
        prices_include_tax=gross, customer=Customer(email="b@example.com"), billing=BILLING, shipping=Address(),
        lines=lines, total=Decimal(total), total_tax=Decimal(tax),
    )  # fmt: skip


def refund(amount: str, *lines: RefundLine) -> Refund:
    return Refund(woo_refund_id=3, woo_order_id=7, amount=Decimal(amount), created_at=WHEN, lines=lines)


# ------------------------------------------------------------------------------ read-only properties


@pytest.mark.parametrize("kind", [DocumentKind.SALES_ORDER, DocumentKind.SALES_INVOICE])
@pytest.mark.parametrize("gross", [False, True])
def test_no_read_only_property_is_sent(kind: DocumentKind, gross: bool):
    plan = sales_document_payload(
        order(item_line("BLUE-MUG", 1, "10", "10", "2"), total="12", tax="2", gross=gross),
        "C1",
        ITEMS,
        options(document_kind=kind, sell_to_from_billing=True),
    )
    assert plan.payload is not None
    read_only = READ_ONLY_ON_WRITE.get(kind.value, frozenset()) | (HEADER_COMPUTED - SYSTEM_FIELDS)
    assert not set(plan.payload) & read_only  # customerName too (Editable = false on the APIV2 pages)
    assert plan.payload.get("pricesIncludeTax", False) is False  # never true: a US company refuses it


def test_a_credit_memo_sends_no_prices_include_tax():
    woo = order(item_line("BLUE-MUG", 1, "100", "100", "20"), total="120", tax="20")
    payload = credit_memo_payload(refund("60"), woo, "C1", ITEMS, options(), "6110")
    assert not set(payload) & READ_ONLY_ON_WRITE["salesCreditMemo"]
    with_line = credit_memo_payload(
        refund("12", RefundLine(original_item_id=1, sku="blue-mug", quantity=Decimal(1), total=Decimal(10))),
        woo,
        "C1",
        ITEMS,
        options(),
        "6110",
    )
    assert "pricesIncludeTax" not in with_line
    assert with_line["salesCreditMemoLines"][0]["lineObjectNumber"] == "BLUE-MUG"


def test_an_amount_only_refund_credits_the_net_part():
    """Money back with tax included: the refund account line is net, so with the tax BC adds the credit
    memo totals the money returned."""
    woo = order(item_line("BLUE-MUG", 1, "100", "100", "20"), total="120", tax="20")
    payload = credit_memo_payload(refund("60"), woo, "C1", ITEMS, options(), "6110")
    (line,) = payload["salesCreditMemoLines"]
    assert (line["lineObjectNumber"], line["unitPrice"]) == ("6110", Decimal("50.00"))
    assert refund_net_amount(refund("60"), order(total="60")) == Decimal("60.00")  # no tax on the order
    yen = order(item_line("BLUE-MUG", 1, "1000", "1000", "100"), currency="JPY", total="1100", tax="100")
    assert refund_net_amount(refund("500"), yen) == Decimal("455")


# ------------------------------------------------------------------------------------------ SKU case


def test_a_lower_case_sku_finds_the_upper_case_item():
    woo = order(item_line("blue-mug", 1, "10", "10"), total="10")
    assert erp_item_key(" blue-mug ", options()) == "BLUE-MUG"
    assert required_item_keys(woo, options()) == ["BLUE-MUG"]
    plan = sales_document_payload(woo, "C1", ITEMS, options())
    assert plan.ok and plan.payload is not None
    assert plan.payload["salesOrderLines"][0]["lineObjectNumber"] == "BLUE-MUG"
    mapped = options(sku_map={"mug-blue": "blue-mug"})
    assert erp_item_key("mug-blue", mapped) == "BLUE-MUG"
    assert erp_item_key("MUG-Blue", mapped) == "BLUE-MUG"  # the map's Woo SKUs whatever their case


# ----------------------------------------------------------------------------- SKUs over 20 characters


def test_a_sku_longer_than_an_item_number_is_held_with_map_it():
    long_sku = "blue-ceramic-mug-350ml"  # 22 characters
    woo = order(item_line(long_sku, 1, "10", "10"), total="10")
    assert required_item_keys(woo, options()) == []  # never looked up in BC
    plan = sales_document_payload(woo, "C1", ITEMS, options())
    (hold,) = plan.holds
    assert hold.code == HoldCode.SKU_TOO_LONG and hold.subject == long_sku.upper()
    assert "map the SKU" in hold.message and "create the item" not in hold.message
    assert "22 characters" in hold.message and "at most 20" in hold.message
    mapped = options(sku_map={long_sku: "BLUE-MUG"})
    assert sales_document_payload(woo, "C1", ITEMS, mapped).ok


def test_a_refund_of_an_unmappable_sku_does_not_go_to_the_refund_account():
    long_sku = "blue-ceramic-mug-350ml"
    woo = order(item_line(long_sku, 1, "10", "10"), total="10")
    line = RefundLine(original_item_id=1, name="Mug", sku=long_sku, quantity=Decimal(1), total=Decimal(10))
    with pytest.raises(ItemNumberTooLong) as raised:
        credit_memo_payload(refund("10", line), woo, "C1", ITEMS, options(), "6110")
    assert raised.value.hold.code == HoldCode.SKU_TOO_LONG and "map the SKU" in raised.value.hold.message
    mapped = credit_memo_payload(refund("10", line), woo, "C1", ITEMS, options(sku_map={long_sku: "blue-mug"}), "6110")
    assert mapped["salesCreditMemoLines"][0]["lineType"] == "Item"


# ------------------------------------------------------------------------------ currency minor units


def test_currency_places():
    assert (currency_places("JPY"), currency_places("kwd"), currency_places("BHD"), currency_places("EUR")) == (
        0,
        3,
        3,
        2,
    )


def test_yen_discounts_and_total_are_whole_yen():
    # 3 × ¥1,234 = ¥3,702, coupon leaves ¥3,333: a discount of ¥369, not ¥369.00 or a fraction
    woo = order(item_line("BLUE-MUG", 3, "3702", "3333", "333"), currency="JPY", total="3666", tax="333")
    plan = sales_document_payload(woo, "C1", ITEMS, options())
    assert plan.payload is not None
    (line,) = plan.payload["salesOrderLines"]
    assert line["discountAmount"] == Decimal("369") and line["discountAmount"].as_tuple().exponent == 0
    assert expected_total(woo) == Decimal("3666") and expected_total(woo).as_tuple().exponent == 0
    assert payload_line_amount_total(plan.payload, 0) == expected_line_amount_total(woo) == Decimal("3333")


def test_dinar_discounts_and_total_keep_three_decimals():
    # 7 × 1.4286 KWD = 10.0002 → 10.000; after the coupon 8.575
    woo = order(item_line("BLUE-MUG", 7, "10.0002", "8.575", "0.429"), currency="KWD", total="9.004", tax="0.429")
    plan = sales_document_payload(woo, "C1", ITEMS, options())
    assert plan.payload is not None
    (line,) = plan.payload["salesOrderLines"]
    assert line["discountAmount"].as_tuple().exponent == -3
    assert payload_line_amount_total(plan.payload, 3) == Decimal("8.575")
    assert expected_total(woo) == Decimal("9.004")
