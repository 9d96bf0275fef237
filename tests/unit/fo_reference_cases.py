"""The F&O document cases the default-mapping test compares: the reference Woo payloads (../shared/reference/
woocommerce, as the BC tests read them) through :func:`shared.erp.fo.mapping.order_plan` and
:func:`~shared.erp.fo.mapping.customer_payload` under a few option variants."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.erp.fo.mapping import FoOptions, customer_payload, json_ready, order_plan
from shared.erp.port import ErpItem
from tests.unit.test_bc_mapping import ITEMS as BC_ITEMS
from tests.unit.test_bc_mapping import ORDERS, customer_from, rich_order_payload, woo_order_payload

ITEMS = {key: ErpItem(number=ref.number, id=ref.number) for key, ref in BC_ITEMS.items()}
BASE = FoOptions(
    data_area_id="usmf",
    local_currency="USD",
    customer_group="30",
    sales_order_origin="WOO",
    shipping_item="SHIP",
    fee_item="FEE",
    sku_map={"Bar3": "BC-BAR3"},
    tax_code_map={"reduced-rate": "REDUCED", "standard": "STD"},
    dimension_map={"reduced-rate": "D-RED"},
)
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "sequence": {"sales_order_numbers": "sequence", "sales_tax_group": "AVATAX", "sales_order_origin": ""},
}


def documents(options_changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every case's header and lines (JSON-ready), keyed ``order|variant``."""
    out: dict[str, Any] = {}
    for name, order in ORDERS:
        for variant, changes in VARIANTS.items():
            options = replace(BASE, **changes, **(options_changes or {}))
            plan = order_plan(order, "C-0001", ITEMS, options)
            assert not plan.holds, (name, plan.holds)
            out[f"{name}|{variant}"] = json_ready({"header": plan.header, "lines": plan.lines})
    return out


def customers(options_changes: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    options = replace(BASE, **(options_changes or {}))
    for name, payload in (("order-retrieve", woo_order_payload()), ("rich", rich_order_payload())):
        for currency in ("USD", "EUR"):
            out[f"{name}|{currency}"] = json_ready(customer_payload(customer_from(payload), options, currency))
    return out
