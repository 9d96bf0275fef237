"""ERP → store stock and prices, the pure part: what WooCommerce should show and what to write.

No I/O: ERP items and the store's products in, desired values, the SKU map, SKU conflicts and the
batch writes out. :mod:`shared.flows.stock` runs it against the ERP and the store.

Available to sell (ATS) = ERP quantity − units on open ERP sales orders not yet shipped − buffer,
rounded down to a whole number, never below zero; blocked items sell nothing. Prices: the ERP unit
price becomes ``regular_price`` (two decimals, BC's rounding); 0 means "not priced" and is not pushed.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from shared.config import Settings
from shared.erp.port import ErpItem
from shared.model import Product, round_money
from shared.storage.ledger import now_iso
from shared.storage.stock_state import PushedRow, SkuRow
from shared.woo.batch_writer import Write

T = TypeVar("T")

STOCK_TYPES = frozenset({"simple", "variable", "variation"})  # product types with a stock of their own
PRICE_TYPES = frozenset({"simple", "variation", "external"})  # variable and grouped products have no price
CONFLICT = "conflict"  # SkuRow.type of a SKU left out because of a SKU conflict
WOO_PRICE_PLACES = 2


def woo_price(unit_price: Decimal | None) -> str | None:
    """The ``regular_price`` text for an ERP unit price, or None when there is nothing to push."""
    if unit_price is None or unit_price <= 0:
        return None
    return format(round_money(unit_price, WOO_PRICE_PLACES), "f")


def price_differs(wanted: str, current: object) -> bool:
    """True when the store's price (text, number or None) is not ``wanted`` (``"39"`` equals ``"39.00"``)."""
    if current is None or current == "":
        return True
    try:
        return Decimal(str(current)) != Decimal(wanted)
    except InvalidOperation:
        return True


# ----------------------------------------------------------------------------------- pure: values


def sku_key(sku: str | None) -> str:
    """A SKU as the stock sync keys it: stripped and upper-case. BC item numbers are Code fields, stored
    upper-case, so Woo's ``blue-mug`` is item ``BLUE-MUG`` (as for orders, ``shared.erp.bc.mapping``)."""
    return (sku or "").strip().upper()


_KEYED: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = {}


def keyed(mapping: Mapping[str, T]) -> dict[str, T]:
    """``mapping`` with its keys as :func:`sku_key` makes them (computed once per settings object)."""
    cached = _KEYED.get(id(mapping))
    if cached is None or cached[0] is not mapping:
        cached = (mapping, {sku_key(key): value for key, value in mapping.items()})
        _KEYED[id(mapping)] = cached
    return cached[1]


def stock_buffer(settings: Settings, sku: str, item_number: str) -> Decimal:
    overrides = keyed(settings.stock_buffer_overrides)
    if sku_key(sku) in overrides:
        return overrides[sku_key(sku)]
    return overrides.get(sku_key(item_number), settings.stock_buffer)


def available_to_sell(quantity: Decimal, buffer: Decimal = Decimal(0)) -> int:
    """ERP quantity − buffer, rounded down to a whole unit, never below zero (Woo wants an integer)."""
    return max(0, math.floor(quantity - buffer))


@dataclass(frozen=True)
class Desired:
    """What one Woo SKU should show, from its ERP item. None: nothing to push for that field."""

    sku: str
    item_number: str
    stock: int | None
    price: str | None


def woo_skus_by_item(sku_map: Mapping[str, str]) -> dict[str, list[str]]:
    """ERP item number → the Woo SKUs mapped to it (``BC_SKU_MAP`` is Woo SKU → item number), as keys."""
    reverse: dict[str, list[str]] = defaultdict(list)
    for sku, number in keyed(sku_map).items():
        reverse[sku_key(number)].append(sku)
    return reverse


def item_number_of(sku: str, sku_map: Mapping[str, str]) -> str:
    """The ERP item number of a Woo SKU: its mapping, else the SKU itself (upper-case, like BC's)."""
    key = sku_key(sku)
    return sku_key(keyed(sku_map).get(key, key))


def desired_values(
    items: Iterable[ErpItem],
    settings: Settings,
    sku_map: Mapping[str, str],
    *,
    stock: bool = True,
    prices: bool = True,
    on_open_orders: Mapping[str, Decimal] | None = None,
) -> dict[str, Desired]:
    """Desired Woo values by Woo SKU. Stock for stock items only (0 when blocked), less the units on open
    ERP sales orders (``on_open_orders``, by item number); prices above zero."""
    reverse = woo_skus_by_item(sku_map)
    mapped = keyed(sku_map)
    reserved = on_open_orders or {}
    result: dict[str, Desired] = {}
    for item in items:
        number = sku_key(item.number)
        skus = list(reverse.get(number, []))
        if number not in mapped and number not in skus:
            skus.append(number)
        for sku in skus:
            ats: int | None = None
            if stock and item.stock_tracked:
                on_hand = item.inventory - reserved.get(item.number, Decimal(0))
                ats = 0 if item.blocked else available_to_sell(on_hand, stock_buffer(settings, sku, item.number))
            price = woo_price(item.unit_price) if prices else None
            result[sku] = Desired(sku, item.number, ats, price)
    return result


# --------------------------------------------------------------------------- pure: the SKU map


@dataclass(frozen=True)
class SkuConflict:
    kind: str  # duplicate_sku | variation_shares_parent_sku | missing_in_erp | missing_in_woo
    sku: str
    products: tuple[str, ...] = ()  # "#12 ATHENS Desk" for each Woo product concerned
    message: str = ""


@dataclass
class ConflictReport:
    store: str
    conflicts: list[SkuConflict] = field(default_factory=list)
    created_at: str = field(default_factory=now_iso)

    def of_kind(self, kind: str) -> list[SkuConflict]:
        return [c for c in self.conflicts if c.kind == kind]

    def counts(self) -> dict[str, int]:
        return dict(Counter(c.kind for c in self.conflicts))

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "created_at": self.created_at,
            "counts": self.counts(),
            "conflicts": [
                {"kind": c.kind, "sku": c.sku, "products": list(c.products), "message": c.message}
                for c in self.conflicts
            ],
        }


def _label(product: Product) -> str:
    return f"#{product.woo_product_id} {product.name}".strip()


def _manage_text(product: Product) -> str:
    return "parent" if product.manage_stock == "parent" else ("true" if product.manage_stock else "false")


def sku_row(product: Product, checked_at: str = "") -> SkuRow:
    return SkuRow(
        sku=sku_key(product.sku),
        product_id=product.woo_product_id,
        parent_id=product.parent_id or 0,
        type=product.type,
        manage_stock=_manage_text(product),
        name=product.name,
        checked_at=checked_at,
    )


def map_products(products: Sequence[Product], checked_at: str = "") -> tuple[dict[str, SkuRow], list[SkuConflict]]:
    """The SKU map of a set of Woo products and variations, and the Woo-side SKU conflicts.

    A variation whose SKU is its parent's (it has none of its own: Woo shows the parent's) is left out
    and reported; the parent keeps the SKU. Two or more other products with one SKU are all left out
    (the SKU maps to a ``conflict`` row) and reported: writing one stock to both would sell it twice.
    """
    by_id = {p.woo_product_id: p for p in products}
    groups: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        sku = sku_key(product.sku)
        if sku and product.type != "grouped":
            groups[sku].append(product)
    rows: dict[str, SkuRow] = {}
    conflicts: list[SkuConflict] = []
    for sku, group in sorted(groups.items()):
        kept = []
        for product in group:
            parent = by_id.get(product.parent_id) if product.parent_id else None
            if product.is_variation and parent is not None and sku_key(parent.sku) == sku:
                conflicts.append(
                    SkuConflict(
                        "variation_shares_parent_sku",
                        sku,
                        (_label(product), _label(parent)),
                        f"Variation {_label(product)} has no SKU of its own (it shows its parent's '{sku}'); "
                        "give each variation its own SKU.",
                    )
                )
                continue
            kept.append(product)
        if len(kept) == 1:
            rows[sku] = sku_row(kept[0], checked_at)
        elif len(kept) > 1:
            labels = tuple(_label(p) for p in kept)
            conflicts.append(
                SkuConflict(
                    "duplicate_sku",
                    sku,
                    labels,
                    f"SKU '{sku}' is on {len(kept)} WooCommerce products ({', '.join(labels)}); none of them "
                    "gets stock or price until only one has it.",
                )
            )
            rows[sku] = SkuRow(sku=sku, type=CONFLICT, name="; ".join(labels), checked_at=checked_at)
    return rows, conflicts


def erp_side_conflicts(
    rows: Mapping[str, SkuRow], items: Sequence[ErpItem], sku_map: Mapping[str, str]
) -> list[SkuConflict]:
    """Woo SKUs without an ERP item, and ERP items (not blocked) without a Woo product."""
    numbers = {sku_key(item.number) for item in items}
    conflicts = []
    for sku, row in sorted(rows.items()):
        if row.found and row.type != "variable" and item_number_of(sku, sku_map) not in numbers:
            conflicts.append(
                SkuConflict(
                    "missing_in_erp",
                    sku,
                    (f"#{row.product_id} {row.name}".strip(),),
                    f"WooCommerce product #{row.product_id} {row.name} has SKU '{sku}', which is no ERP item.",
                )
            )
    reverse = woo_skus_by_item(sku_map)
    for item in sorted(items, key=lambda i: i.number):
        if item.blocked:
            continue
        skus = reverse.get(sku_key(item.number)) or [sku_key(item.number)]
        if not any(sku in rows for sku in skus):
            conflicts.append(
                SkuConflict(
                    "missing_in_woo",
                    item.number,
                    (),
                    f"ERP item '{item.number}' ({item.display_name}) has no WooCommerce product with its SKU.",
                )
            )
    return conflicts


# ------------------------------------------------------------------------------- pure: planning


@dataclass(frozen=True)
class Current:
    """A product's values as last known: read from WooCommerce (full reconcile) or last written."""

    stock: Decimal | None = None
    price: str | None = None
    manage_stock: bool = False


def current_from_pushed(pushed: Mapping[int, PushedRow]) -> dict[int, Current]:
    return {
        pid: Current(None if row.stock is None else Decimal(row.stock), row.price, row.manage_stock)
        for pid, row in pushed.items()
    }


def current_from_products(products: Iterable[Product]) -> dict[int, Current]:
    result = {}
    for p in products:
        price = None if p.regular_price is None else format(p.regular_price, "f")
        result[p.woo_product_id] = Current(p.stock_quantity, price, p.manage_stock is True)
    return result


def plan_writes(
    desired: Mapping[str, Desired],
    rows: Mapping[str, SkuRow],
    current: Mapping[int, Current],
    *,
    manage_stock_on: bool = True,
) -> list[Write]:
    """The writes that make WooCommerce show ``desired``, given what it shows (``current``)."""
    stock_targets: dict[int, tuple[int, SkuRow, list[str]]] = {}  # owner id → (stock, row of owner, skus)
    inherited: dict[int, list[tuple[str, int]]] = defaultdict(list)  # parent id → [(sku, ats)]
    price_targets: dict[int, tuple[str, SkuRow, str]] = {}
    for sku, want in sorted(desired.items()):
        row = rows.get(sku)
        if row is None or not row.found:
            continue
        if want.stock is not None and row.type in STOCK_TYPES:
            if row.manage_stock == "parent" and row.parent_id:
                inherited[row.parent_id].append((sku, want.stock))
            else:
                stock_targets[row.product_id] = (want.stock, row, [sku])
        if want.price is not None and row.type in PRICE_TYPES:
            price_targets[row.product_id] = (want.price, row, sku)
    parent_rows = {row.product_id: row for row in rows.values() if row.found and row.type == "variable"}
    for parent_id, members in inherited.items():
        if parent_id in stock_targets:
            continue  # the parent's own SKU is an ERP item: its ATS wins
        parent = parent_rows.get(parent_id) or SkuRow(
            sku="", product_id=parent_id, type="variable", manage_stock="true"
        )
        total = sum(ats for _, ats in members)
        stock_targets[parent_id] = (total, replace(parent, manage_stock="true"), [sku for sku, _ in members])

    writes: dict[int, Write] = {}

    def write_for(row: SkuRow) -> Write:
        parent = row.parent_id if row.type == "variation" else 0
        return writes.setdefault(row.product_id, Write(row.product_id, parent))

    for owner_id, (ats, row, skus) in stock_targets.items():
        now = current.get(owner_id, Current())
        needs_manage = row.manage_stock == "false" and not now.manage_stock
        if needs_manage and not manage_stock_on:
            continue  # Woo would ignore the write (facts §2.6)
        if needs_manage or now.stock is None or now.stock != ats:
            write = write_for(replace(row, product_id=owner_id))
            write.stock = ats
            write.manage_stock_on = needs_manage
            write.skus = tuple(sorted({*write.skus, *skus}))
    for product_id, (price, row, sku) in price_targets.items():
        now = current.get(product_id, Current())
        if price_differs(price, now.price):
            write = write_for(row)
            write.price = price
            write.skus = tuple(sorted({*write.skus, sku}))
    return sorted(writes.values(), key=lambda w: (w.endpoint, w.product_id))
