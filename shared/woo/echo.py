"""Recognising the echo of the connector's own stock/price writes (invariant 6). Pure, no I/O.

Every product the stock/price push writes also gets one private meta entry (underscore key: not shown
to shoppers, not a marketing field) naming what was written, e.g. ``stock=12;price=39.00``. WooCommerce
answers the write with a ``product.updated`` webhook whose payload, built at delivery time, carries the
product's current values and that entry. When every value in the entry still matches, the delivery is
the echo of our write and the ingress drops it without queueing. A later change by an order or a person
(other stock, other price) no longer matches and goes through.

A later edit that leaves stock and price as we wrote them (say, a new description) also matches: that
costs nothing, as product updates never flow to the ERP (invariant 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

ECHO_META_KEY = "_dynamics_connector_sync"


def echo_marker(*, stock: int | None = None, price: str | None = None) -> dict[str, str]:
    """The meta_data entry to send with a write of ``stock`` and/or ``price``."""
    parts = []
    if stock is not None:
        parts.append(f"stock={stock}")
    if price is not None:
        parts.append(f"price={price}")
    return {"key": ECHO_META_KEY, "value": ";".join(parts)}


def _marker(payload: Mapping[str, Any]) -> dict[str, str]:
    meta = payload.get("meta_data")
    if not isinstance(meta, list):
        return {}
    for entry in meta:
        if isinstance(entry, Mapping) and entry.get("key") == ECHO_META_KEY and isinstance(entry.get("value"), str):
            found = {}
            for part in str(entry["value"]).split(";"):
                name, _, value = part.partition("=")
                if name and value:
                    found[name.strip()] = value.strip()
            return found
    return {}


def _same_number(value: object, expected: str) -> bool:
    if value is None or value == "" or isinstance(value, bool):
        return False
    try:
        return Decimal(str(value)) == Decimal(expected)
    except InvalidOperation:
        return False


def is_own_echo(payload: Mapping[str, Any]) -> bool:
    """True when a product payload still shows exactly what the connector last wrote to it."""
    marker = _marker(payload)
    if not marker:
        return False
    if "stock" in marker and not _same_number(payload.get("stock_quantity"), marker["stock"]):
        return False
    return not ("price" in marker and not _same_number(payload.get("regular_price"), marker["price"]))
