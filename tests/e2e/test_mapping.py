"""A merchant's mapping through the whole stack: custom checkout fields (order meta_data, as checkout-field
plugins store them) reach the BC sales order and the customer created for the buyer.

A fresh store `gifts` posts to its own connection `mapped` (a BC company of its own) whose
ERPS__mapped__MAPPING_FILE maps the gift message, the delivery date and the VAT number. The BC emulator
takes only what BC lets a client write (unknown or computed properties are a 400, strings are held to
their MaxLength: sandbox/bc/entities.py), so a document that arrives proves the mapping wrote BC's fields.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sandbox import catalog
from sandbox.stack import Stack
from sandbox.tls import ensure_tls_files
from sandbox.woo import DeliveryOptions, WooEmulator
from shared.flows.services import reset_services, services
from shared.flows.webhook_health import REQUIRED_TOPICS
from shared.storage.ledger import OrderState

from .conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.bc]

MAPPING = """\
version: 1
document:
  requestedDeliveryDate:
    from: meta._delivery_date
    transforms: [{date: "%d/%m/%Y"}]
customer:
  taxRegistrationNumber:
    from: meta._billing_vat
    transforms: [trim, upper]
comments:
  - from: meta._gift_message
    transforms: [trim, {prefix: "Gift message: "}]
  - from: customer_note
"""


@dataclass
class Mapped:
    stack: Stack
    woo: WooEmulator
    company: str


@pytest.fixture(scope="module")
def mapped(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mapped]:
    path: Path = tmp_path_factory.mktemp("mapping") / "mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    company = stack.bc.add_company("CRONUS mapped")
    stack.bc.set_tax_rate("STANDARD", catalog.TAX_PERCENT, company_id=company)
    for product in catalog.SIMPLE:
        stack.bc.add_item(product.sku, product.name, product.price, inventory=product.stock, company_id=company)
    woo = WooEmulator(delivery=DeliveryOptions(verify=str(ensure_tls_files().ca_bundle)))
    woo.start()
    woo.add_tax_rate(catalog.TAX_PERCENT, "Sales tax", shipping=True)
    for product in catalog.SIMPLE:
        woo.add_product(product.name, product.sku, product.price, stock_quantity=product.stock, manage_stock=True)
    env = pytest.MonkeyPatch()
    connection = {
        "KIND": "bc", "TENANT_ID": stack.bc.tenant, "ENVIRONMENT": stack.bc.environment, "COMPANY_ID": company,
        "CLIENT_ID": stack.client_id, "CLIENT_SECRET": stack.client_secret, "API_URL": stack.bc.base_url,
        "AUTHORITY": stack.entra.authority, "SHIPPING_NUMBER": "6410", "FEE_NUMBER": "6910",
        "REFUND_ACCOUNT": "6110", "MAPPING_FILE": str(path),
    }  # fmt: skip
    for key, value in connection.items():
        env.setenv(f"ERPS__mapped__{key}", value)
    store = {
        "URL": woo.url, "CONSUMER_KEY": woo.consumer_key, "CONSUMER_SECRET": woo.consumer_secret,
        "WEBHOOK_SECRET": stack.webhook_secret, "ERP": "mapped",
    }  # fmt: skip
    for key, value in store.items():
        env.setenv(f"WOO_STORES__gifts__{key}", value)
    url = stack.webhook_url.replace("/webhooks/woo/main?", "/webhooks/woo/gifts?")
    for topic in REQUIRED_TOPICS:
        woo.create_webhook(topic, url, stack.webhook_secret, name=f"Connector {topic}")
    reset_services()  # the in-process host reads the settings again, with the mapping (checked at start-up)
    services()
    yield Mapped(stack, woo, company)
    woo.stop()
    env.undo()
    reset_services()
    services()


def _add_checkout_fields(woo: WooEmulator, order_id: int, fields: dict[str, str]) -> None:
    """What a checkout-field plugin leaves on the order: meta_data entries (here over Woo's REST API)."""
    response = httpx.put(
        f"{woo.api_url}/orders/{order_id}",
        json={"meta_data": [{"key": key, "value": value} for key, value in fields.items()]},
        auth=(woo.consumer_key, woo.consumer_secret),
        verify=ssl.create_default_context(cafile=str(ensure_tls_files().ca_bundle)),
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_custom_checkout_fields_reach_the_bc_sales_order_and_customer(mapped: Mapped) -> None:
    woo, bc = mapped.woo, mapped.stack.bc
    order = woo.place_order([("1896-S", 1)], email="gift.giver@example.com", customer_note="Ring twice")
    _add_checkout_fields(
        woo,
        order["id"],
        {"_gift_message": "  Happy birthday,\n Ann! ", "_delivery_date": "24/12/2026", "_billing_vat": " dk12345678 "},
    )
    woo.pay_order(order["id"])
    number = str(order["number"])
    (document,) = wait_for(
        lambda: bc.find("salesOrders", "externalDocumentNumber", number, company_id=mapped.company), timeout=90
    )
    assert document["requestedDeliveryDate"] == "2026-12-24"
    comments = [
        line["description"]
        for line in bc.lines("salesOrders", document["id"], company_id=mapped.company)
        if line["lineType"] == "Comment"
    ]
    assert comments == ["Gift message: Happy birthday, Ann!", "Ring twice"]
    (customer,) = bc.find("customers", "email", "gift.giver@example.com", company_id=mapped.company)
    assert customer["taxRegistrationNumber"] == "DK12345678"
    assert document["customerNumber"] == customer["number"]
    entry = wait_for(lambda: (e := services().ledger.get("gifts", order["id"])) and e.state == OrderState.POSTED and e)
    assert entry.connection == "mapped"
