"""Canonical model: money helpers, frozen models, hold reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.model import (
    Address,
    Customer,
    HoldCode,
    HoldReason,
    LineKind,
    Order,
    OrderLine,
    Product,
    round_money,
    to_money,
)

# ------------------------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("29.35", Decimal("29.35")),
        (" 0.62125 ", Decimal("0.62125")),
        ("-10.00", Decimal("-10.00")),
        ("1450", Decimal("1450")),
        (3, Decimal(3)),
        (13.5, Decimal("13.5")),
        (0.1, Decimal("0.1")),
        (1.2, Decimal("1.2")),
        (Decimal("2.675"), Decimal("2.675")),
    ],
)
def test_to_money_is_exact(raw, expected):
    result = to_money(raw)
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize("raw", ["", "   ", "abc", "NaN", "Infinity", True, None, [], float("nan"), float("inf")])
def test_to_money_rejects_non_amounts(raw):
    with pytest.raises(ValueError, match="not a money amount"):
        to_money(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2.675", "2.68"),
        ("2.665", "2.67"),  # half-up, not banker's (half-even would give 2.66)
        ("-2.675", "-2.68"),  # halves away from zero, like BC's ROUND(x, 0.01, '=')
        ("0.005", "0.01"),
        ("0.0049999", "0.00"),
        ("10", "10.00"),
    ],
)
def test_round_money_half_up(raw, expected):
    assert str(round_money(Decimal(raw))) == expected


def test_round_money_other_precision():
    assert str(round_money(Decimal("1.234565"), 5)) == "1.23457"
    assert str(round_money(Decimal("12.5"), 0)) == "13"
    with pytest.raises(ValueError):
        round_money(Decimal(1), -1)


_amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, places=6)


@given(_amounts)
def test_round_money_properties(value):
    rounded = round_money(value)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - value) <= Decimal("0.005")
    assert round_money(rounded) == rounded
    assert round_money(-value) == -rounded
    if abs(rounded - value) == Decimal("0.005"):
        assert abs(rounded) > abs(value)  # a half goes away from zero


@given(_amounts, _amounts)
def test_round_money_is_monotonic(a, b):
    if a <= b:
        assert round_money(a) <= round_money(b)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_to_money_from_float_uses_shortest_repr(value):
    assert to_money(value) == Decimal(str(value))
    assert float(to_money(value)) == value


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9))
def test_to_money_string_roundtrip(value):
    assert to_money(str(value)) == value


# ------------------------------------------------------------------------------------------ models


def _order(**changes: object) -> Order:
    data: dict[str, object] = {
        "store": "s1",
        "woo_order_id": 1,
        "number": "1",
        "status": "processing",
        "currency": "USD",
        "created_at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "customer": Customer(email="a@example.com"),
        "billing": Address(first_name="A"),
        "shipping": Address(),
        "lines": (
            OrderLine(
                kind=LineKind.ITEM,
                woo_item_id=10,
                name="Thing",
                sku="T-1",
                quantity=Decimal(3),
                subtotal=Decimal("10.00"),
                total=Decimal("9.00"),
            ),
        ),
        "total": Decimal("9.00"),
    }
    data.update(changes)
    return Order.model_validate(data)


def test_models_are_frozen():
    order = _order()
    with pytest.raises(ValidationError):
        order.total = Decimal(1)  # type: ignore[misc]


def test_order_requires_aware_datetimes():
    with pytest.raises(ValidationError):
        _order(created_at=datetime(2024, 1, 1))


def test_order_rejects_unknown_fields():
    with pytest.raises(ValidationError):
        _order(bogus=1)


def test_order_json_roundtrip_keeps_decimals():
    order = _order()
    again = Order.model_validate_json(order.model_dump_json())
    assert again == order
    assert again.lines[0].subtotal == Decimal("10.00")


def test_line_unit_price_and_discount():
    line = _order().lines[0]
    assert line.discount_amount == Decimal("1.00")
    assert line.unit_price * 3 == Decimal("10.00") or round_money(line.unit_price * 3) == Decimal("10.00")
    assert OrderLine(kind=LineKind.ITEM, woo_item_id=1, sku="  ").sku_or_none is None
    assert OrderLine(kind=LineKind.ITEM, woo_item_id=1, sku=" X ").sku_or_none == "X"


def test_order_helpers():
    order = _order(paid_at=None, status="pending")
    assert not order.is_paid
    assert _order().is_paid
    assert order.line_by_item_id(10) is not None
    assert order.line_by_item_id(99) is None
    assert order.meta_value("missing", "d") == "d"


def test_product_stock_owner():
    variation = Product(woo_product_id=5, parent_id=4, manage_stock="parent")
    assert variation.stock_owner_id == 4
    assert Product(woo_product_id=5, parent_id=4, manage_stock=True).stock_owner_id == 5
    with pytest.raises(ValidationError):
        Product(woo_product_id=5, manage_stock="yes")  # type: ignore[arg-type]


def test_hold_reasons_name_the_offending_item():
    line = OrderLine(kind=LineKind.ITEM, woo_item_id=316, name="Shirt", sku="SH-1", product_id=22, variation_id=23)
    unknown = HoldReason.unknown_sku("SH-1", line)
    assert unknown.code is HoldCode.UNKNOWN_SKU
    assert "SH-1" in unknown.message and "316" in unknown.message and str(unknown) == unknown.message
    assert "'SH-X'" in HoldReason.unknown_sku("SH-1", line, "SH-X").message
    assert "variation 23" in HoldReason.variation_without_sku(line).message.lower()
    assert "SH-1" in HoldReason.shared_variation_sku("SH-1", line).message
    assert "C0042" in HoldReason.blocked_customer("C0042", "All").message
    assert "'NOK'" in HoldReason.currency_not_set_up("NOK").message
    assert "product 22" in HoldReason.missing_sku(line).message
