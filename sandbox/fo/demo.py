"""The F&O emulator in a sandbox stack (sandbox/erp_kinds.py): start it, seed the demo catalogue, and the
connector settings (`ERPS__fo__*`) that make legal entity `usmf` the default ERP connection.

The F&O emulator models no sales tax (no facts for F&O's tax calculation), so the demo store charges none
on F&O: Woo's totals and F&O's order totals then agree. Shipping and fees post as non-stock item lines
(`FREIGHT`, `FEES`), the connection's SHIPPING_ITEM and FEE_ITEM.
"""

from __future__ import annotations

from decimal import Decimal

from sandbox import catalog
from sandbox.entra import EntraEmulator
from sandbox.fo.emulator import FoEmulator
from sandbox.woo import WooEmulator

CONNECTION = "fo"
SHIPPING_ITEM, FEE_ITEM = "FREIGHT", "FEES"
PAYMENT_JOURNAL = "CustPay"  # a journal name set up for customer payments (the value is configuration)


def start(entra: EntraEmulator, port: int) -> FoEmulator:
    fo = FoEmulator(entra=entra)
    fo.start(port)
    return fo


def seed(woo: WooEmulator, fo: FoEmulator) -> None:
    company = fo.store.companies[fo.default_company]
    for product in catalog.SIMPLE:
        woo.add_product(product.name, product.sku, product.price, stock_quantity=product.stock, manage_stock=True)
        fo.warehouse.seed_product(company, product.sku, product.price, product.name)
        fo.warehouse.move_stock(company, product.sku, Decimal(product.stock))
    variations = [
        {"sku": v.sku, "regular_price": v.price, "option": v.name.rsplit(" - ", 1)[1], "stock_quantity": v.stock}
        for v in catalog.VARIATIONS
    ]
    woo.add_variable_product(catalog.VARIABLE_PARENT[1], catalog.VARIABLE_PARENT[0], variations, attribute="Colour")
    for variation in catalog.VARIATIONS:
        fo.warehouse.seed_product(company, variation.sku, variation.price, variation.name)
        fo.warehouse.move_stock(company, variation.sku, Decimal(variation.stock))
    for number, name in ((SHIPPING_ITEM, "Freight"), (FEE_ITEM, "Fees")):
        fo.warehouse.seed_product(company, number, Decimal(0), name)


def settings(fo: FoEmulator, entra: EntraEmulator, client_id: str, client_secret: str) -> dict[str, str]:
    prefix = f"ERPS__{CONNECTION}__"
    return {
        f"{prefix}KIND": "fo",
        f"{prefix}ENVIRONMENT_URL": fo.environment_url,
        f"{prefix}TENANT_ID": "sandbox.onmicrosoft.com",
        f"{prefix}CLIENT_ID": client_id,
        f"{prefix}CLIENT_SECRET": client_secret,
        f"{prefix}AUTHORITY": entra.authority,
        f"{prefix}DATA_AREA_ID": fo.default_company,
        f"{prefix}CUSTOMER_GROUP": fo.customer_group,
        f"{prefix}SHIPPING_ITEM": SHIPPING_ITEM,
        f"{prefix}FEE_ITEM": FEE_ITEM,
        # Woo payments and money-only refunds on a customer payment journal (seed 002)
        f"{prefix}PAYMENT_JOURNAL": PAYMENT_JOURNAL,
        f"{prefix}PAYMENT_OFFSET_ACCOUNT": "USMF OPER",
    }
