"""ERP → store prices: the ERP is master (invariant 4), one way, only changed prices are written.

What is pushed: Business Central's item-card ``unitPrice`` becomes WooCommerce's ``regular_price``,
rounded to two decimals (BC's way, halves away from zero). Nothing else: ``sale_price`` stays the
store's (the standard BC API has no sale or price-list price to take it from), and so do names,
descriptions, images and every other marketing field; a write carries only the product id and the
price and/or stock fields.

A ``unitPrice`` of 0 is not pushed: it means "not priced on the item card" (prices kept in BC price
lists), and writing it would put the product up for free.

Prices travel with stock in one pass and one batch item per product (:mod:`shared.flows.stock`):
price changes modify the BC item, so ``items?$filter=lastModifiedDateTime gt …`` (and the item
webhook) already brings them, and a product whose price and stock change together costs one write.
``push_prices`` is the same pass without stock, for the CLI.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from shared.model import round_money

if TYPE_CHECKING:
    from shared.flows.services import Services
    from shared.flows.stock import PushReport

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


def push_prices(services: Services, store: str | None = None) -> list[PushReport]:
    """Push changed prices only (stock left alone) for one store or all."""
    from shared.flows.stock import push_stock_and_prices

    return push_stock_and_prices(services, store, stock=False, prices=True)
