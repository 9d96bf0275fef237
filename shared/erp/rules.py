"""Rules every ERP adapter applies the same way (no I/O): which ERP item a Woo line is, which lines
hold the order, how a line's amounts are split, and what the document should total.

The adapters differ in how they write a document, not in these decisions; keeping them here means
BC, F&O and GP hold the same orders for the same reasons and compare totals the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal
from typing import TypeVar

from shared.model import UNIT_PRICE_PLACES, HoldReason, Order, OrderLine, currency_places, round_money

T = TypeVar("T")


def item_key(sku: str, sku_map: Mapping[str, str]) -> str:
    """The ERP item number of a Woo SKU: its ``sku_map`` entry (Woo SKUs matched whatever their case),
    else the SKU itself; upper-case, as the ERPs store item numbers (BC Code fields, F&O and GP ids)."""
    sku = sku.strip()
    mapped = sku_map.get(sku)
    if mapped is None:
        key = sku.upper()
        mapped = next((number for woo_sku, number in sku_map.items() if woo_sku.strip().upper() == key), sku)
    return mapped.strip().upper()


def can_be_item_number(key: str, max_length: int) -> bool:
    """Whether an ERP item could have this number (the ERP's item number length)."""
    return 0 < len(key) <= max_length


def required_item_keys(order: Order, sku_map: Mapping[str, str], max_length: int) -> list[str]:
    """The item numbers the order needs (what to look up in the ERP), in line order, unique. Keys no item
    number can equal are left out: those lines are held, not looked up."""
    keys: list[str] = []
    for line in order.lines:
        sku = line.sku_or_none
        if sku is not None:
            key = item_key(sku, sku_map)
            if key not in keys and can_be_item_number(key, max_length):
                keys.append(key)
    return keys


def resolve_lines(
    order: Order,
    items: Mapping[str, T],
    sku_map: Mapping[str, str],
    parent_skus: Mapping[int, str],
    max_length: int,
) -> tuple[list[tuple[OrderLine, T]], list[HoldReason]]:
    """Each item line with its ERP item, and the holds: a line without a SKU, a variation without its own
    SKU or sharing one, a SKU too long for an item number, a SKU with no ERP item. ``items`` is keyed by
    :func:`item_key`; ``parent_skus`` maps a variation's parent product id to the parent's SKU."""
    resolved: list[tuple[OrderLine, T]] = []
    holds: list[HoldReason] = []
    variation_by_sku: dict[str, int] = {}
    for line in order.lines:
        if line.quantity == 0:
            continue
        sku = line.sku_or_none
        if sku is None:
            holds.append(HoldReason.variation_without_sku(line) if line.is_variation else HoldReason.missing_sku(line))
            continue
        if line.variation_id is not None:
            parent_sku = parent_skus.get(line.product_id) if line.product_id is not None else None
            other = variation_by_sku.setdefault(sku, line.variation_id)
            if (parent_sku is not None and parent_sku.strip() == sku) or other != line.variation_id:
                holds.append(HoldReason.shared_variation_sku(sku, line))
                continue
        key = item_key(sku, sku_map)
        if not can_be_item_number(key, max_length):
            holds.append(HoldReason.sku_too_long(key, line.name, line.woo_item_id, max_length))
            continue
        item = items.get(key)
        if item is None:
            holds.append(HoldReason.unknown_sku(sku, line, key))
            continue
        resolved.append((line, item))
    return resolved, holds


def line_amounts(line: OrderLine, places: int = 2) -> tuple[Decimal, Decimal]:
    """(net unit price, discount amount) so that round(qty × unit price) − discount == the net line total,
    amounts rounded to ``places`` (the currency's minor unit)."""
    before = line.subtotal
    after = round_money(line.total, places)
    unit = (before / line.quantity).quantize(Decimal(1).scaleb(-UNIT_PRICE_PLACES), rounding=ROUND_CEILING)
    discount = round_money(line.quantity * unit, places) - after
    if discount < 0:  # only when Woo's line total exceeds its subtotal (price raised by a plugin)
        unit = (after / line.quantity).quantize(Decimal(1).scaleb(-UNIT_PRICE_PLACES), rounding=ROUND_CEILING)
        discount = max(round_money(Decimal(0), places), round_money(line.quantity * unit, places) - after)
    return unit, discount


def charge_amount(line: OrderLine, places: int = 2) -> Decimal:
    """A shipping or fee line's net amount, to the currency's minor unit."""
    return round_money(line.total, places)


def expected_total(order: Order) -> Decimal:
    """What the ERP document should total including tax: Woo's total, to the currency's minor unit."""
    return round_money(order.total, currency_places(order.currency))


def expected_amount_excluding_tax(order: Order) -> Decimal:
    """What the ERP document should total before tax (Woo total − total tax)."""
    return round_money(order.total - order.total_tax, currency_places(order.currency))
