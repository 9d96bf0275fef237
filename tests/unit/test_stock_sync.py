"""Pure parts of the stock and price push: ATS, desired values, the SKU map, planning, batching."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest

from shared.config import Settings
from shared.erp.bc.catalog import open_order_quantities
from shared.erp.port import ErpItem
from shared.flows.stock_plan import (
    CONFLICT,
    Current,
    Desired,
    available_to_sell,
    desired_values,
    erp_side_conflicts,
    map_products,
    plan_writes,
    price_differs,
    stock_buffer,
    woo_price,
)
from shared.model import Product
from shared.storage.stock_state import PushedRow, SkuRow, _joined, _split
from shared.woo.batch_writer import Write, chunked


def settings(**overrides: object) -> Settings:
    return Settings.model_validate({"bc_company_id": "c", **overrides})


def item(number: str, inventory: str = "10", price: str | None = "9.99", **fields: object) -> ErpItem:
    unit_price = None if price is None else Decimal(price)
    return ErpItem(number=number, id=f"id-{number}", inventory=Decimal(inventory), unit_price=unit_price, **fields)  # type: ignore[arg-type]


def product(pid: int, sku: str, *, parent: int | None = None, kind: str = "simple", manage: object = True) -> Product:
    return Product(
        woo_product_id=pid,
        parent_id=parent,
        sku=sku,
        name=f"P{pid}",
        type=kind,
        manage_stock=manage,  # type: ignore[arg-type]
        stock_quantity=Decimal(5),
        regular_price=Decimal("9.99"),
    )


# ------------------------------------------------------------------------------------------ ATS


@pytest.mark.parametrize(
    ("quantity", "buffer", "expected"),
    [("10", "0", 10), ("10", "3", 7), ("2", "5", 0), ("7.9", "0", 7), ("7.9", "0.5", 7), ("-4", "0", 0), ("0", "0", 0)],
)
def test_available_to_sell_subtracts_the_buffer_rounds_down_and_never_goes_below_zero(
    quantity: str, buffer: str, expected: int
) -> None:
    assert available_to_sell(Decimal(quantity), Decimal(buffer)) == expected


def test_the_buffer_is_global_with_overrides_by_woo_sku_or_item_number() -> None:
    s = settings(stock_buffer="2", stock_buffer_overrides={"WOO-1": "5", "ITEM-2": "0"})
    assert stock_buffer(s, "OTHER", "OTHER") == 2
    assert stock_buffer(s, "WOO-1", "ITEM-1") == 5
    assert stock_buffer(s, "WOO-2", "ITEM-2") == 0


def test_desired_values_map_items_to_woo_skus_and_skip_what_has_nothing_to_push() -> None:
    s = settings(stock_buffer="1")
    found = desired_values(
        [
            item("A", "5"),
            item("B", "3", "0"),  # unit price 0: "not priced on the item card", never pushed
            item("SVC", "0", "4.5", stock_tracked=False),  # a service: price only
            item("BLK", "50", blocked=True),  # blocked: sells nothing
        ],
        s,
        {"WEB-A": "A"},
    )
    assert found["WEB-A"] == Desired("WEB-A", "A", 4, "9.99")
    assert found["A"].item_number == "A"  # as in the order flow: an unmapped Woo SKU is its item number
    assert found["B"] == Desired("B", "B", 2, None)
    assert found["SVC"] == Desired("SVC", "SVC", None, "4.50")
    assert found["BLK"].stock == 0
    assert desired_values([item("A")], s, {"WEB-A": "A"}, prices=False)["WEB-A"].price is None


def test_units_on_open_erp_sales_orders_are_not_offered_again() -> None:
    """The ERP's inventory still counts units of paid orders not yet shipped (issue 18): ATS subtracts them
    before the buffer, never below zero, for every Woo SKU mapped to the item."""
    s = settings(stock_buffer="1")
    sku_map = {"WEB-A": "A", "WEB-A2": "A"}
    open_orders = {"A": Decimal(4), "B": Decimal(5)}
    found = desired_values([item("A", "10"), item("B", "3"), item("C", "7")], s, sku_map, on_open_orders=open_orders)
    assert {sku: want.stock for sku, want in found.items()} == {"WEB-A": 5, "WEB-A2": 5, "A": 5, "B": 0, "C": 6}
    assert desired_values([item("A", "10")], settings(), {})["A"].stock == 10  # nothing open: inventory


def test_woo_skus_match_bc_item_numbers_whatever_their_case() -> None:
    """BC stores item numbers upper-case (Code fields): Woo's ``blue-mug`` is item ``BLUE-MUG`` (issue 18)."""
    rows, conflicts = map_products([product(1, " blue-mug "), product(2, "Red-Mug"), product(3, "RED-MUG")])
    assert set(rows) == {"BLUE-MUG", "RED-MUG"} and rows["BLUE-MUG"].product_id == 1
    assert [(c.kind, c.sku) for c in conflicts] == [("duplicate_sku", "RED-MUG")]  # one item, two products
    s = settings(stock_buffer_overrides={"blue-mug": "2"})
    sku_map = {"mug-green": "green-001"}
    found = desired_values([item("BLUE-MUG", "10"), item("GREEN-001", "4")], s, sku_map)
    assert {sku: want.stock for sku, want in found.items()} == {"BLUE-MUG": 8, "MUG-GREEN": 4, "GREEN-001": 4}
    green = map_products([product(4, "mug-green")])[0]
    assert (
        erp_side_conflicts({"BLUE-MUG": rows["BLUE-MUG"], **green}, [item("BLUE-MUG"), item("GREEN-001")], sku_map)
        == []
    )


def test_prices_are_rounded_to_cents_and_compared_as_numbers() -> None:
    assert woo_price(Decimal("1000.8")) == "1000.80"
    assert woo_price(Decimal("2.675")) == "2.68"
    assert woo_price(Decimal(0)) is None and woo_price(None) is None
    assert not price_differs("39.00", "39") and not price_differs("39.00", Decimal("39.0"))
    assert price_differs("39.00", "") and price_differs("39.00", None) and price_differs("39.00", "38.99")


# ---------------------------------------------------------------------------------- SKU map


def test_the_sku_map_leaves_out_duplicates_and_variations_showing_their_parents_sku() -> None:
    rows, conflicts = map_products(
        [
            product(1, "A"),
            product(2, "DUP"),
            product(3, "DUP"),
            product(10, "PARENT", kind="variable"),
            product(11, "PARENT", parent=10, kind="variation"),  # no SKU of its own
            product(12, "VAR-B", parent=10, kind="variation", manage="parent"),
        ]
    )
    assert rows["A"].product_id == 1
    assert rows["DUP"].type == CONFLICT and not rows["DUP"].found
    assert rows["PARENT"].product_id == 10  # the parent keeps its SKU
    assert rows["VAR-B"].stock_owner_id == 10
    kinds = {(c.kind, c.sku, c.products) for c in conflicts}
    assert ("duplicate_sku", "DUP", ("#2 P2", "#3 P3")) in kinds
    assert ("variation_shares_parent_sku", "PARENT", ("#11 P11", "#10 P10")) in kinds


def test_erp_side_conflicts_name_woo_skus_without_items_and_items_without_products() -> None:
    rows, _ = map_products([product(1, "A"), product(2, "WEB-ONLY"), product(10, "PARENT", kind="variable")])
    conflicts = erp_side_conflicts(rows, [item("A"), item("ERP-ONLY"), item("OLD", blocked=True)], {})
    assert {(c.kind, c.sku) for c in conflicts} == {("missing_in_erp", "WEB-ONLY"), ("missing_in_woo", "ERP-ONLY")}


# ---------------------------------------------------------------------------------- planning


def row(sku: str, pid: int, *, parent: int = 0, kind: str = "simple", manage: str = "true") -> SkuRow:
    return SkuRow(sku=sku, product_id=pid, parent_id=parent, type=kind, manage_stock=manage)


def test_only_values_that_differ_from_the_current_ones_are_written() -> None:
    rows = {"A": row("A", 1), "B": row("B", 2), "C": row("C", 3)}
    desired = {
        "A": Desired("A", "A", 5, "9.99"),
        "B": Desired("B", "B", 6, "9.99"),
        "C": Desired("C", "C", 5, "12.00"),
        "GONE": Desired("GONE", "GONE", 1, None),  # not in Woo
    }
    current = {
        1: Current(Decimal(5), "9.99", True),
        2: Current(Decimal(5), "9.99", True),
        3: Current(Decimal(5), "9.99", True),
    }
    writes = plan_writes(desired, rows, current)
    assert [(w.product_id, w.stock, w.price) for w in writes] == [(2, 6, None), (3, None, "12.00")]
    assert writes[0].payload() == {"id": 2, "stock_quantity": 6}  # nothing but what changed
    assert writes[1].payload() == {"id": 3, "regular_price": "12.00"}


def test_a_product_not_managing_stock_gets_manage_stock_switched_on_unless_configured_off() -> None:
    rows = {"A": row("A", 1, manage="false")}
    desired = {"A": Desired("A", "A", 4, None)}
    (write,) = plan_writes(desired, rows, {})
    assert write.payload()["manage_stock"] is True and write.stock == 4
    assert plan_writes(desired, rows, {}, manage_stock_on=False) == []


def test_variations_with_parent_managed_stock_write_the_sum_to_the_parent() -> None:
    rows = {
        "V1": row("V1", 11, parent=10, kind="variation", manage="parent"),
        "V2": row("V2", 12, parent=10, kind="variation", manage="parent"),
        "V3": row("V3", 13, parent=10, kind="variation", manage="true"),
    }
    desired = {
        "V1": Desired("V1", "V1", 3, "5.00"),
        "V2": Desired("V2", "V2", 4, None),
        "V3": Desired("V3", "V3", 7, None),
    }
    writes = {w.product_id: w for w in plan_writes(desired, rows, {})}
    assert writes[10].stock == 7 and writes[10].endpoint == "products" and writes[10].skus == ("V1", "V2")
    assert writes[11].stock is None and writes[11].price == "5.00"
    assert writes[11].endpoint == "products/10/variations"
    assert writes[13].stock == 7 and writes[13].endpoint == "products/10/variations"


def test_the_parents_own_erp_item_wins_over_the_sum_of_its_variations() -> None:
    rows = {
        "P": row("P", 10, kind="variable", manage="true"),
        "V1": row("V1", 11, parent=10, kind="variation", manage="parent"),
    }
    desired = {"P": Desired("P", "P", 20, None), "V1": Desired("V1", "V1", 3, None)}
    (write,) = plan_writes(desired, rows, {})
    assert (write.product_id, write.stock) == (10, 20)


def test_variable_products_get_no_price_and_grouped_ones_nothing() -> None:
    rows = {"P": row("P", 10, kind="variable"), "G": row("G", 20, kind="grouped")}
    desired = {"P": Desired("P", "P", None, "5.00"), "G": Desired("G", "G", 3, "5.00")}
    assert plan_writes(desired, rows, {}) == []


def test_writes_are_chunked_by_at_most_100_per_endpoint() -> None:
    writes = [Write(n, 0, stock=1) for n in range(1, 251)]
    writes += [Write(1000 + n, 7, stock=1) for n in range(101)]
    writes += [Write(2000 + n, 8, stock=1) for n in range(3)]
    batches = chunked(writes)
    sizes = [(endpoint, len(batch)) for endpoint, batch in batches]
    assert sizes == [
        ("products", 100),
        ("products", 100),
        ("products", 50),
        ("products/7/variations", 100),
        ("products/7/variations", 1),
        ("products/8/variations", 3),
    ]


# --------------------------------------------------------------------------------------- state


def test_state_rows_pack_and_unpack_and_long_json_is_split_over_properties() -> None:
    sku_row = SkuRow("A/B#1", 5, 0, "simple", "true", "Name", "2026-01-01T00:00:00+00:00")
    assert SkuRow.unpacked(sku_row.sku, sku_row.packed()) == sku_row
    pushed = PushedRow(5, 12, "39.00", True, "t")
    assert PushedRow.unpacked(5, pushed.packed()) == pushed
    assert PushedRow.unpacked(6, PushedRow(6).packed()) == PushedRow(6)
    text = "x" * 65_000
    parts = _split(text)
    assert sorted(parts) == ["d0", "d1", "d2"] and all(len(v) <= 30_000 for v in parts.values())
    assert _joined({**parts, "PartitionKey": "p"}) == text


def test_open_order_quantities_count_what_is_left_to_ship_on_item_lines() -> None:
    class Pages:
        def __init__(self) -> None:
            self.calls: list[tuple[str, dict[str, str]]] = []

        def iter_rows(self, path: str, params: Mapping[str, str], *, page_size: int = 5000) -> Iterator[dict[str, Any]]:
            self.calls.append((path, dict(params)))
            yield {"id": "o1", "salesOrderLines": [
                {"lineType": "Item", "lineObjectNumber": "A", "quantity": 5, "shippedQuantity": 2},
                {"lineType": "Comment", "lineObjectNumber": "", "quantity": 0, "shippedQuantity": 0},
                {"lineType": "Account", "lineObjectNumber": "6410", "quantity": 1, "shippedQuantity": 0},
            ]}  # fmt: skip
            yield {"id": "o2", "salesOrderLines": [
                {"lineType": "Item", "lineObjectNumber": "A", "quantity": 1.5, "shippedQuantity": 0},
                {"lineType": "Item", "lineObjectNumber": "B", "quantity": 2, "shippedQuantity": 2},
            ]}  # fmt: skip

    pages = Pages()
    assert open_order_quantities(pages) == {"A": Decimal("4.5")}  # type: ignore[arg-type]
    ((path, params),) = pages.calls  # one read for every item
    assert path == "salesOrders" and params["$filter"] == "fullyShipped eq false"
    assert params["$expand"].startswith("salesOrderLines(")
