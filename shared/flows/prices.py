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
``push_prices`` is the same pass without stock, for the CLI. Where a GP connection makes the price a
two-way field (``PRICE_DIRECTION`` ``woo``/``both``), the price is the product sync's
(:mod:`shared.flows.product_fields`) and this pass leaves it. The price rules themselves
(:func:`~shared.flows.stock_plan.woo_price`) are in the pure planning module.
"""

from __future__ import annotations

from shared.flows.services import Services
from shared.flows.stock import PushReport, push_stock_and_prices


def push_prices(services: Services, store: str | None = None) -> list[PushReport]:
    """Push changed prices only (stock left alone) for one store or all."""
    return push_stock_and_prices(services, store, stock=False, prices=True)
