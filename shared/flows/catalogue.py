"""Both catalogues read whole, for the daily full reconcile and the SKU conflict report: every ERP item
of the store's connection (with a stock cursor taken first), every Woo product with its variations."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from shared.erp.port import ErpItem
from shared.flows.services import Services
from shared.model import Product
from shared.woo.client import WooClient
from shared.woo.mapping import product_stock_from_woo

# Variation lists read at a time: wc/v3 has no rate limiter, but shared hosts answer 429/503 under
# load, so only a few.
VARIATION_WORKERS = 6


@dataclass
class Catalogue:
    """Both sides, read whole: the ERP items and the Woo products and variations."""

    items: list[ErpItem]
    products: list[Product]
    cursor: str  # the stock-moves cursor taken before the items were read


def read_catalogue(services: Services, store: str, *, stock: bool = True) -> Catalogue:
    erp = services.erp_of(store)
    cursor = erp.stock_cursor() if stock else "0"
    items = erp.catalog_items()
    return Catalogue(items, woo_catalogue(services.woo(store)), cursor)


def woo_catalogue(woo: WooClient) -> list[Product]:
    """Every product, each variable one followed by its variations.

    The variations are read by a pool (``VARIATION_WORKERS`` at a time) while the product pages are
    read, and put back in product order. The first error (in that order) is raised; the variation
    reads not started yet are cancelled.
    """
    pool = ThreadPoolExecutor(max_workers=VARIATION_WORKERS, thread_name_prefix="variations")
    try:
        listed: list[tuple[Product, Future[list[Product]] | None]] = []
        for raw in woo.list_products():
            product = product_stock_from_woo(raw)
            variations = pool.submit(_variations, woo, product.woo_product_id) if product.type == "variable" else None
            listed.append((product, variations))
        products: list[Product] = []
        for product, variations in listed:
            products.append(product)
            if variations is not None:
                products += variations.result()
        return products
    finally:
        pool.shutdown(cancel_futures=True)


def _variations(woo: WooClient, parent_id: int) -> list[Product]:
    return [product_stock_from_woo(v, parent_id=parent_id) for v in woo.list_variations(parent_id)]
