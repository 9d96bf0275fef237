"""The ERP-neutral document rules (shared/erp/rules.py): the same for BC, F&O and GP."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from shared.erp.rules import expected_total, item_key, line_amounts, required_item_keys, resolve_lines
from shared.model import HoldCode, LineKind, Order, OrderLine
from shared.woo.mapping import order_from_woo

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "woocommerce"


def order(**changes: object) -> Order:
    """Woo's order 727 (docs sample) with a SKU on its simple line, and a variation `Bar3` of product 22."""
    payload = json.loads((REFERENCE / "order-retrieve.json").read_text(encoding="utf-8"))
    payload["line_items"][0]["sku"] = "WOO-93"
    payload.update(changes)
    return order_from_woo(payload, "main")


def test_item_keys_are_upper_case_and_the_sku_map_matches_whatever_the_case() -> None:
    assert item_key(" blue-mug ", {}) == "BLUE-MUG"
    assert item_key("MUG-Blue", {"mug-blue": "blue-mug"}) == "BLUE-MUG"
    assert required_item_keys(order(), {}, max_length=20) == ["WOO-93", "BAR3"]
    assert required_item_keys(order(), {}, max_length=4) == ["BAR3"]  # WOO-93 is too long: never looked up


def test_lines_resolve_to_any_kind_of_item_and_the_rest_hold_with_a_reason() -> None:
    known = {"WOO-93": "item one"}  # any value: each adapter keeps its own item references
    resolved, holds = resolve_lines(order(), known, {}, {22: "BAR-PARENT"}, max_length=20)
    assert [(line.sku, item) for line, item in resolved] == [("WOO-93", "item one")]
    assert [(h.code, h.subject) for h in holds] == [(HoldCode.UNKNOWN_SKU, "Bar3")]
    _, holds = resolve_lines(order(), known, {}, {22: "Bar3"}, max_length=20)  # the variation shows its parent's SKU
    assert holds[0].code == HoldCode.SHARED_VARIATION_SKU
    _, holds = resolve_lines(order(), {**known, "BAR3": "x"}, {}, {}, max_length=4)
    assert holds[0].code == HoldCode.SKU_TOO_LONG


def test_line_amounts_reproduce_the_woo_line_total_in_the_currencys_minor_unit() -> None:
    line = OrderLine(
        kind=LineKind.ITEM, woo_item_id=1, quantity=Decimal(7), subtotal=Decimal("10.00"), total=Decimal("9.00")
    )
    unit, discount = line_amounts(line)
    assert (Decimal(7) * unit).quantize(Decimal("0.01")) - discount == Decimal("9.00")
    unit, discount = line_amounts(line.model_copy(update={"subtotal": Decimal(1000), "total": Decimal(900)}), 0)
    assert discount.as_tuple().exponent == 0  # yen: no decimals
    yen = order(currency="JPY", total="3666.4")
    assert expected_total(yen) == Decimal("3666")
