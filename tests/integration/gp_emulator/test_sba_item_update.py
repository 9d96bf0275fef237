"""The emulator's INVENTED SBA item update (``PATCH .../Inventory/Items(<id>)``, sandbox/gp/sba_shapes.py ItemUpdate),
used by the product sync to write names and prices to GP: what it takes, what it refuses, and that SOAP has no
such operation (facts §2.1 (5): the legacy WSDL has CreateSalesItem/CreatePricing but no update)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.gp import GpEmulator
from sandbox.gp.store import Company
from sandbox.gp.wsdl import wsdl_bytes

from .conftest import ntlm_client
from .test_sba import company_url

pytestmark = [pytest.mark.integration, pytest.mark.gp]

ITEMS = "/Microsoft/Dynamics/GP/Inventory/Items"


def test_patch_changes_the_description_and_the_price_on_a_level(gp: GpEmulator, company: Company) -> None:
    gp.seed_item("LAMP", price=Decimal("40.00"), description="Lamp", company_id=company.id)
    before = company.entities["Item"][("LAMP",)]["ModifiedDate"]
    body = {"Description": "Brass Lamp", "Prices": [{"PriceLevel": "RETAIL", "Currency": "USD", "Price": 42.5}]}
    with ntlm_client(gp) as client:
        changed = client.patch(company_url(gp, company) + f"{ITEMS}(LAMP)", json=body)
        assert changed.status_code == 200, changed.text
        item = client.get(company_url(gp, company) + f"{ITEMS}(LAMP)").json()
    assert item["Description"] == "Brass Lamp" and item["Prices"][0]["Price"] == 42.5
    assert company.entities["Item"][("LAMP",)]["ModifiedDate"] >= before  # a master-data change: modified


@pytest.mark.parametrize(
    "body, status",
    [
        ({"Description": ""}, 400),
        ({"Name": "Lamp"}, 400),  # not a member of the (invented) item body
        ({}, 400),
        ({"Prices": [{"PriceLevel": "WHOLESALE", "Price": 1.0}]}, 400),  # no price on that level
        ({"Prices": [{"PriceLevel": "RETAIL", "Currency": "EUR", "Price": 1.0}]}, 400),
        ({"Prices": [{"PriceLevel": "RETAIL", "Price": -1}]}, 400),
    ],
)
def test_patch_refuses_what_it_cannot_apply(
    gp: GpEmulator, company: Company, body: dict[str, object], status: int
) -> None:
    gp.seed_item("LAMP", price=Decimal("40.00"), description="Lamp", company_id=company.id)
    with ntlm_client(gp) as client:
        refused = client.patch(company_url(gp, company) + f"{ITEMS}(LAMP)", json=body)
        assert refused.status_code == status and "Error" in refused.json()
        missing = client.patch(company_url(gp, company) + f"{ITEMS}(NOPE)", json={"Description": "x"})
        assert missing.status_code == 404
        assert client.post(company_url(gp, company) + ITEMS, json={"Description": "x"}).status_code == 405
    assert company.entities["Item"][("LAMP",)]["Description"] == "Lamp"


def test_the_legacy_wsdl_has_no_item_or_price_update() -> None:
    wsdl = wsdl_bytes().decode()
    assert 'name="CreateSalesItem"' in wsdl and 'name="CreatePricing"' in wsdl
    assert 'name="UpdateSalesItem"' not in wsdl and 'name="UpdatePricing"' not in wsdl
