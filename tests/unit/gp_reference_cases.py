"""The GP document cases the default-mapping test compares: the reference Woo payloads (../shared/reference/
woocommerce, as the BC tests read them) through GP's pure mapping (:mod:`shared.erp.gp.mapping`): SOP invoices
and orders, receivables invoices and new customers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import ModuleType
from typing import Any

from shared.erp import rules
from shared.erp.gp import mapping as gp
from tests.unit.test_bc_mapping import ORDERS, customer_from, rich_order_payload, woo_order_payload

SKU_MAP = {"Bar3": "BC-BAR3"}
ACCOUNTS = {"receivables": "000-1200-00", "sales": "000-4100-00", "tax": "000-2300-00", "discount": "000-4110-00"}


def plain(value: Any) -> Any:
    """JSON-ready: Decimals as text, datetimes as ISO."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def documents(module: ModuleType = gp, **mapping: Any) -> dict[str, Any]:
    """Every case's object, keyed ``order|kind``; ``mapping`` is passed on (``mapping=GpMapping(...)``)."""
    out: dict[str, Any] = {}
    for name, order in ORDERS:
        keys = rules.required_item_keys(order, SKU_MAP, module.ITEM_NUMBER_LENGTH)
        known = {key: f"ITEM-{index}" for index, key in enumerate(keys)}
        resolved, holds = rules.resolve_lines(order, known, SKU_MAP, {}, module.ITEM_NUMBER_LENGTH)
        assert not holds, (name, holds)
        currency = order.currency if order.currency != "USD" else None
        for kind in (module.SOP_INVOICE, module.SOP_ORDER):
            obj = module.sop_document(
                kind, order, "W0001", resolved, number=f"WOO{order.number}"[:20], document_type_id="STDINV",
                batch_id="WOO", currency=currency, accounts=ACCOUNTS, **mapping,
            )  # fmt: skip
            out[f"{name}|{kind}"] = plain(obj)
        amounts, _ = module.order_amounts(order, resolved)
        extra = {"order": order, **mapping} if mapping else {}
        rm = module.rm_document(
            number=f"WOO{order.number}"[:20], customer_id="W0001", batch_id="WOO", external_number=order.external_number,
            description=f"WooCommerce order {order.number}", day=module.gp_date(order.created_at), amounts=amounts,
            currency=currency, accounts=ACCOUNTS, **extra,
        )  # fmt: skip
        out[f"{name}|{module.RM_INVOICE}"] = plain(rm)
    return out


def customers(module: ModuleType = gp, **mapping: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, payload in (("order-retrieve", woo_order_payload()), ("rich", rich_order_payload())):
        for currency in (None, "EUR"):
            obj = module.customer_object(customer_from(payload), "W0001", "RETAIL", currency, **mapping)
            out[f"{name}|{currency}"] = plain(obj)
    return out
