"""The default mapping is today's behaviour: with it, the BC mapping builds the very documents and customers
the code built before mappings existed, on the real payload samples in ../shared/reference/.

`tests/unit/data/bc_documents_before_mapping.json` was written by the code at 5f0157c (before the mapping
engine) from the cases below; each case must come out byte for byte the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.erp.bc.mapping import (
    BcCustomerOptions,
    customer_payload,
    default_mapping,
    json_ready,
    sales_document_payload,
)
from tests.unit.test_bc_mapping import (
    ITEMS,
    KINDS,
    ORDERS,
    customer_from,
    options,
    rich_order_payload,
    woo_order_payload,
)

pytestmark = pytest.mark.bc

BEFORE = json.loads((Path(__file__).parent / "data" / "bc_documents_before_mapping.json").read_text(encoding="utf-8"))
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "no-coupon-comment": {"coupon_comment": False},
    "no-contact": {"include_contact": False},
    "sell-to": {"sell_to_from_billing": True},
}
CASES = [
    (f"{name}|{kind.value}|{variant}", order, kind, changes)
    for name, order in ORDERS
    for kind in KINDS
    for variant, changes in VARIANTS.items()
]


def test_every_recorded_case_is_checked():
    assert {case for case, *_ in CASES} == set(BEFORE["documents"])
    assert len(CASES) == 40


@pytest.mark.parametrize(("case", "order", "kind", "changes"), CASES, ids=[case for case, *_ in CASES])
@pytest.mark.parametrize("explicit", [False, True], ids=["no-mapping", "default-file"])
def test_documents_are_as_before(case, order, kind, changes, explicit):
    mapping = default_mapping() if explicit else None
    plan = sales_document_payload(order, "C00010", ITEMS, options(document_kind=kind, mapping=mapping, **changes))
    assert json_ready(plan.payload) == BEFORE["documents"][case]


@pytest.mark.parametrize("name", ["order-retrieve", "rich"])
@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_customers_are_as_before(name, currency):
    payload = woo_order_payload() if name == "order-retrieve" else rich_order_payload()
    body = customer_payload(customer_from(payload), BcCustomerOptions(local_currency="USD"), currency)
    assert json_ready(body) == BEFORE["customers"][f"{name}|{currency}"]


def test_the_recorded_cases_exercise_what_the_default_file_maps():
    """Comments from coupons and the customer note, and tax codes, are in the recorded documents."""
    rich = BEFORE["documents"]["rich|salesOrder|default"]["salesOrderLines"]
    comments = [line["description"] for line in rich if line["lineType"] == "Comment"]
    assert comments[0] == "Coupons: save10" and comments[1].startswith("Please leave the parcel")
    assert any(line.get("taxCode") == "REDUCED" for line in rich)
    assert "Coupons: save10" not in json.dumps(BEFORE["documents"]["rich|salesOrder|no-coupon-comment"])
