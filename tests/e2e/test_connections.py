"""Stores and ERP connections through the whole stack: webhook → queue → local host → BC emulator.

Three fresh stores (their order numbers start alike, so they collide): `web` and `outlet` share the ERP
connection `shared` (one BC company) with their own document prefixes, and `north` posts to the
connection `other` (another company). The session's `main` store keeps the flat BC_* connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sandbox import catalog
from sandbox.stack import Stack
from sandbox.tls import ensure_tls_files
from sandbox.woo import DeliveryOptions, WooEmulator
from shared.flows.services import Services, reset_services, services
from shared.flows.webhook_health import REQUIRED_TOPICS
from shared.storage.ledger import OrderState

from .conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.bc]

STORES = {"web": ("shared", "WEB-"), "outlet": ("shared", "OUT-"), "north": ("other", "")}


@dataclass
class Connections:
    stack: Stack
    woo: dict[str, WooEmulator]
    companies: dict[str, str]  # connection → BC company id


def _company(stack: Stack, name: str) -> str:
    company = stack.bc.add_company(name)
    stack.bc.set_tax_rate("STANDARD", catalog.TAX_PERCENT, company_id=company)
    for product in (*catalog.SIMPLE, *catalog.VARIATIONS):
        stack.bc.add_item(product.sku, product.name, product.price, inventory=product.stock, company_id=company)
    return company


def _store(stack: Stack) -> WooEmulator:
    woo = WooEmulator(delivery=DeliveryOptions(verify=str(ensure_tls_files().ca_bundle)))
    woo.start()
    woo.add_tax_rate(catalog.TAX_PERCENT, "Sales tax", shipping=True)
    for product in catalog.SIMPLE:
        woo.add_product(product.name, product.sku, product.price, stock_quantity=product.stock, manage_stock=True)
    return woo


@pytest.fixture(scope="module")
def connections(stack: Stack) -> Iterator[Connections]:
    companies = {connection: _company(stack, f"CRONUS {connection}") for connection in ("shared", "other")}
    woo = {store: _store(stack) for store in STORES}
    env = pytest.MonkeyPatch()
    for connection, company in companies.items():
        values = {
            "KIND": "bc", "TENANT_ID": stack.bc.tenant, "ENVIRONMENT": stack.bc.environment, "COMPANY_ID": company,
            "CLIENT_ID": stack.client_id, "CLIENT_SECRET": stack.client_secret, "API_URL": stack.bc.base_url,
            "AUTHORITY": stack.entra.authority, "SHIPPING_NUMBER": "6410", "FEE_NUMBER": "6910",
            "REFUND_ACCOUNT": "6110",
        }  # fmt: skip
        for key, value in values.items():
            env.setenv(f"ERPS__{connection}__{key}", value)
    for store, (connection, prefix) in STORES.items():
        values = {
            "URL": woo[store].url, "CONSUMER_KEY": woo[store].consumer_key,
            "CONSUMER_SECRET": woo[store].consumer_secret, "WEBHOOK_SECRET": stack.webhook_secret,
            "ERP": connection, "DOCUMENT_PREFIX": prefix,
        }  # fmt: skip
        for key, value in values.items():
            env.setenv(f"WOO_STORES__{store}__{key}", value)
        url = stack.webhook_url.replace("/webhooks/woo/main?", f"/webhooks/woo/{store}?")
        for topic in REQUIRED_TOPICS:
            woo[store].create_webhook(topic, url, stack.webhook_secret, name=f"Connector {topic}")
    # The in-process host reads the settings once per services(): rebuild them now, while the module's
    # environment is whole (each test's own fixture hides the stores' and BC's settings from os.environ).
    reset_services()
    services()
    yield Connections(stack, woo, companies)
    for emulator in woo.values():
        emulator.stop()
    env.undo()
    reset_services()
    services()


def _documents(c: Connections, connection: str, number: str) -> list[dict[str, object]]:
    return c.stack.bc.find("salesOrders", "externalDocumentNumber", number, company_id=c.companies[connection])


def test_two_stores_sharing_a_company_post_the_same_order_number_as_two_documents(connections: Connections) -> None:
    c = connections
    web = c.woo["web"].place_order([("1896-S", 1)], pay=True, email="ann@example.com")
    outlet = c.woo["outlet"].place_order([("1900-S", 2)], pay=True, email="bo@example.com")
    assert web["number"] == outlet["number"]  # the collision the prefixes are for
    number = str(web["number"])
    (web_doc,) = wait_for(lambda: _documents(c, "shared", f"WEB-{number}"), timeout=60)
    (outlet_doc,) = wait_for(lambda: _documents(c, "shared", f"OUT-{number}"), timeout=60)
    assert web_doc["number"] != outlet_doc["number"]
    assert _documents(c, "shared", number) == []  # never the bare number
    app: Services = services()
    for store, order in (("web", web), ("outlet", outlet)):
        entry = wait_for(
            lambda s=store, o=order: (e := app.ledger.get(s, o["id"])) and e.state == OrderState.POSTED and e
        )
        assert (entry.connection, entry.external_number) == ("shared", f"{STORES[store][1]}{number}")


def test_a_store_on_another_connection_posts_to_its_own_company(connections: Connections) -> None:
    c = connections
    order = c.woo["north"].place_order([("70000", 3)], pay=True, email="cy@example.com")
    number = str(order["number"])
    (document,) = wait_for(lambda: _documents(c, "other", number), timeout=60)
    assert _documents(c, "shared", number) == []
    assert c.stack.bc.find("salesOrders", "externalDocumentNumber", number) == [] or all(
        doc["id"] != document["id"] for doc in c.stack.bc.find("salesOrders", "externalDocumentNumber", number)
    )
    entry = wait_for(lambda: (e := services().ledger.get("north", order["id"])) and e.state == OrderState.POSTED and e)
    assert entry.connection == "other" and entry.document_number == document["number"]
