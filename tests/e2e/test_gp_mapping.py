"""A merchant's mapping on Dynamics GP through the whole stack (NTLM, the legacy Web Services WSDL): custom
checkout fields (order meta_data, as checkout-field plugins store them) reach the GP SOP order's user-defined
field and requested ship date, the shipping method becomes GP's, and the customer created for the buyer carries
the VAT number.

The GP stack's connection `gp` (SOP orders over SOAP) gets ERPS__gp__MAPPING_FILE for this module (checked at
start-up against shared/erp/gp/schema.py). The emulator parses every request against the real WSDL, so a
document that arrives with these fields proves they are elements GP's objects have.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.stack import Stack
from shared.flows.services import Services, reset_services, services
from shared.storage.ledger import OrderState

from .conftest import wait_for
from .test_gp_order_to_cash import gp, gp_orders
from .test_mapping import _add_checkout_fields
from .test_order_to_cash import SHIPPING

pytestmark = [pytest.mark.e2e, pytest.mark.gp]

CONNECTION = "gp"  # sandbox/erp_kinds.py: the GP stack's ERPS__gp__* connection
MAPPING = """\
version: 1
lookups:
  shipping: {flat_rate: UPS GROUND}
document:
  UserDefined.Text01:
    from: meta._po_number
    transforms: [trim, upper]
  RequestedShipDate:
    from: meta._delivery_date
    transforms: [{date: "%d/%m/%Y"}]
  ShippingMethodKey.Id:
    from: shipping_method
    transforms: [{lookup: shipping}]
customer:
  TaxRegistrationNumber:
    from: meta._billing_vat
    transforms: [trim, upper]
"""


@pytest.fixture(scope="module")
def mapped(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    path: Path = tmp_path_factory.mktemp("gp-mapping") / "mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    env = pytest.MonkeyPatch()
    env.setenv(f"ERPS__{CONNECTION}__MAPPING_FILE", str(path))
    reset_services()  # the in-process host reads the settings again, with the mapping (checked at start-up)
    yield services()
    env.undo()
    reset_services()
    services()


def test_custom_checkout_fields_reach_the_gp_sop_order_and_customer(stack: Stack, mapped: Services) -> None:
    order = stack.woo.place_order([("1900-S", 1)], email="gp.mapped@example.com", last_name="Mapped", shipping=SHIPPING)
    _add_checkout_fields(
        stack.woo, order["id"], {"_po_number": " po-4711 ", "_delivery_date": "24/12/2026", "_billing_vat": " dk99 "}
    )
    stack.woo.pay_order(order["id"])
    (document,) = wait_for(lambda: gp_orders(stack, order), 90)
    assert document["UserDefined"]["Text01"] == "PO-4711"
    assert document["RequestedShipDate"] == dt.datetime(2026, 12, 24)
    assert document["ShippingMethodKey"]["Id"] == "UPS GROUND"
    assert document["Comment"] == f"WooCommerce order {order['number']}"  # the connector's own fields stay
    company = gp(stack).company()
    with gp(stack).store.lock:
        customer = dict(company.entities["Customer"][(document["CustomerKey"]["Id"],)])
    assert customer["TaxRegistrationNumber"] == "DK99"
    entry = wait_for(lambda: (e := mapped.ledger.get("main", order["id"])) and e.state == OrderState.POSTED and e)
    assert entry.connection == CONNECTION
