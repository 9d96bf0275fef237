"""BC's in-memory database: the shared OData store (sandbox/odata/store.py) with BC companies
(currency, tax, accounts, number series), BC's ETag shape and lookup of a company by name."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.bc.schema import load_schema
from sandbox.odata import store as odata_store
from sandbox.odata.store import ZERO_GUID, Change, Clock, Record, default_value, iso, new_id, parse_iso

__all__ = [
    "ZERO_GUID",
    "Change",
    "Clock",
    "Company",
    "Record",
    "Store",
    "default_value",
    "iso",
    "new_id",
    "parse_iso",
]


@dataclass
class Company(odata_store.Company):
    name: str = ""
    display_name: str = ""
    lcy_code: str = "USD"
    created: str = ""
    series: dict[str, int] = field(default_factory=dict)
    tax_rates: dict[str, Decimal] = field(default_factory=dict)
    accounts: dict[str, Record] = field(default_factory=dict)  # G/L account no. -> {id, name}
    shipping_agents: dict[str, Record] = field(default_factory=dict)  # code -> {name, trackingUrl}
    tracking: dict[str, Record] = field(default_factory=dict)  # custom API rows by shipment id
    keep_completed_orders: bool = False  # BC deletes an order once fully shipped and invoiced
    sales_tax: bool = True  # a US company: sales tax, so no prices including tax (write_rules.py)


class Store(odata_store.Store[Company]):
    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__(load_schema(), clock)

    def company_by_name(self, name: str) -> Company | None:
        for c in self.companies.values():
            if name in (c.name, c.display_name, c.id):
                return c
        return None

    def next_number(self, company: Company, series: str, start: int, prefix: str = "", step: int = 1) -> str:
        value = company.series.get(series, start - step) + step
        company.series[series] = value
        return f"{prefix}{value}" if not prefix else f"{prefix}{value:05d}"

    def format_etag(self, version: int) -> str:
        # BC's shape: W/"base64('<digits>;<rowversion>;00;')"
        version = 10**17 + version * 7919
        text = str(version)
        inner = f"'{len(text)};{text};00;'"
        return f'W/"{base64.b64encode(inner.encode()).decode()}"'
