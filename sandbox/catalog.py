"""The demo catalogue, seeded into both the WooCommerce and the Business Central emulators.

SKUs in WooCommerce equal item numbers in BC (the default mapping); the variable product's
variations each have their own SKU, as the connector requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.bc import BcEmulator
    from sandbox.gp import GpEmulator
    from sandbox.woo import WooEmulator


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Decimal
    stock: int


SIMPLE = (
    Product("1896-S", "ATHENS Desk", Decimal("1000.80"), 40),
    Product("1900-S", "PARIS Guest Chair, black", Decimal("192.80"), 100),
    Product("1920-S", "ANTWERP Conference Table", Decimal("1300.00"), 25),
    Product("1964-W", "INNSBRUCK Storage Unit", Decimal("149.90"), 60),
    Product("70000", "Side Panel", Decimal("12.50"), 500),
)
# A variable product: parent SKU plus one SKU per variation (colour).
VARIABLE_PARENT = ("LAMP", "BERLIN Desk Lamp")
VARIATIONS = (
    Product("LAMP-BLACK", "BERLIN Desk Lamp - Black", Decimal("39.00"), 80),
    Product("LAMP-WHITE", "BERLIN Desk Lamp - White", Decimal("39.00"), 80),
    Product("LAMP-BRASS", "BERLIN Desk Lamp - Brass", Decimal("49.00"), 30),
)


# One tax rate on both sides, so Woo's totals and BC's match (tax is computed by BC, as configured).
TAX_PERCENT = 20


def seed(woo: WooEmulator, bc: BcEmulator) -> None:
    woo.add_tax_rate(TAX_PERCENT, "Sales tax", shipping=True)
    bc.set_tax_rate("STANDARD", TAX_PERCENT)
    for product in SIMPLE:
        woo.add_product(product.name, product.sku, product.price, stock_quantity=product.stock, manage_stock=True)
        bc.add_item(product.sku, product.name, product.price, inventory=product.stock)
    variations = [
        {"sku": v.sku, "regular_price": v.price, "option": v.name.rsplit(" - ", 1)[1], "stock_quantity": v.stock}
        for v in VARIATIONS
    ]
    woo.add_variable_product(VARIABLE_PARENT[1], VARIABLE_PARENT[0], variations, attribute="Colour")
    for variation in VARIATIONS:
        bc.add_item(variation.sku, variation.name, variation.price, inventory=variation.stock)


def seed_gp(woo: WooEmulator, gp: GpEmulator) -> None:
    """The same catalogue in Dynamics GP: items with a site quantity and a RETAIL price level. GP's tax is what
    the connector sends (the document's tax amount), so Woo's tax rate is the only one to set."""
    woo.add_tax_rate(TAX_PERCENT, "Sales tax", shipping=True)
    for product in SIMPLE:
        woo.add_product(product.name, product.sku, product.price, stock_quantity=product.stock, manage_stock=True)
        gp.seed_item(product.sku, price=product.price, stock=Decimal(product.stock), description=product.name)
    variations = [
        {"sku": v.sku, "regular_price": v.price, "option": v.name.rsplit(" - ", 1)[1], "stock_quantity": v.stock}
        for v in VARIATIONS
    ]
    woo.add_variable_product(VARIABLE_PARENT[1], VARIABLE_PARENT[0], variations, attribute="Colour")
    for variation in VARIATIONS:
        gp.seed_item(variation.sku, price=variation.price, stock=Decimal(variation.stock), description=variation.name)
