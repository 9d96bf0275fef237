"""A merchant's mapping on Finance & Operations through the whole stack: custom checkout fields (order
meta_data, as checkout-field plugins store them) reach the F&O sales order header and the customer created
for the buyer.

The F&O stack's connection `fo` gets ERPS__fo__MAPPING_FILE for this module (checked at start-up against
shared/erp/fo/schema.py). The F&O emulator refuses unknown and read-only properties with a 400
(sandbox/fo/service.py, tests/integration/fo_emulator/test_odata.py), so an order that arrives proves the
mapping wrote fields F&O takes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.fo.demo import CONNECTION
from sandbox.stack import Stack
from shared.flows.services import Services, reset_services, services
from shared.storage.ledger import OrderState

from .conftest import wait_for
from .test_fo_order_to_cash import fo, rows
from .test_mapping import _add_checkout_fields

pytestmark = [pytest.mark.e2e, pytest.mark.fo]

MAPPING = """\
version: 1
document:
  RequestedReceiptDate:
    from: meta._delivery_date
    transforms: [{date: "%d/%m/%Y"}]
  SalesOrderName:
    from: [meta._po_number, number]
    transforms: [trim, upper]
customer:
  TaxExemptNumber:
    from: meta._billing_vat
    transforms: [trim, upper]
"""


@pytest.fixture(scope="module")
def mapped(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    path: Path = tmp_path_factory.mktemp("fo-mapping") / "mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    env = pytest.MonkeyPatch()
    env.setenv(f"ERPS__{CONNECTION}__MAPPING_FILE", str(path))
    reset_services()  # the in-process host reads the settings again, with the mapping (checked at start-up)
    yield services()
    env.undo()
    reset_services()
    services()


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def test_custom_checkout_fields_reach_the_fo_sales_order_and_customer(stack: Stack, mapped: Services) -> None:
    order = stack.woo.place_order([("1900-S", 1)], email="fo.mapped@example.com", last_name="Mapped")
    _add_checkout_fields(
        stack.woo, order["id"], {"_po_number": " po-4711 ", "_delivery_date": "24/12/2026", "_billing_vat": " dk99 "}
    )
    stack.woo.pay_order(order["id"])
    (header,) = wait_for(lambda: rows(stack, "SalesOrderHeadersV2", CustomersOrderReference=order["number"]), 90)
    assert _day(header["RequestedReceiptDate"]) == "2026-12-24"
    assert header["SalesOrderName"] == "PO-4711"
    assert header["CustomerRequisitionNumber"] == str(order["id"])  # the connector's own fields are untouched
    (customer,) = rows(stack, "CustomersV3", CustomerAccount=header["OrderingCustomerAccountNumber"])
    assert customer["TaxExemptNumber"] == "DK99" and customer["PrimaryContactEmail"] == "fo.mapped@example.com"
    entry = wait_for(lambda: (e := mapped.ledger.get("main", order["id"])) and e.state == OrderState.POSTED and e)
    assert entry.connection == CONNECTION


def test_an_order_without_the_checkout_fields_takes_the_first_non_empty_source(stack: Stack, mapped: Services) -> None:
    order = stack.woo.place_order([("1900-S", 1)], pay=True, email="fo.plain@example.com")
    (header,) = wait_for(lambda: rows(stack, "SalesOrderHeadersV2", CustomersOrderReference=order["number"]), 90)
    assert header["SalesOrderName"] == str(order["number"]).upper()  # from: [meta._po_number, number]
    blank = fo(stack).store.blank("SalesOrderHeaderV2")["RequestedReceiptDate"]
    assert header["RequestedReceiptDate"] == blank  # no delivery date: the field is left out, never guessed
