"""Small helpers shared by the BC emulator tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from sandbox.bc import BcEmulator
from tests import shapes

REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "business-central"


def sample(name: str) -> Any:
    return json.loads((REFERENCE / name).read_text())


def shape_diff(expected: Any, actual: Any) -> list[str]:
    """Every key of `expected` exists in `actual` with the same JSON type, recursively (BC adds keys
    to its responses over versions, so extra keys are fine; a sample's non-empty array needs items)."""
    return shapes.shape_diff(expected, actual, closed=False, non_empty_arrays=True)


def seed_basics(bc: BcEmulator, company: str) -> dict[str, Any]:
    customer = bc.add_customer(
        company,
        number="C10000",
        displayName="Adatum Corporation",
        email="a@example.com",
        addressLine1="192 Market Square",
        city="Atlanta",
        state="GA",
        country="US",
        postalCode="31772",
        phoneNumber="555-0100",
    )
    desk = bc.add_item("1896-S", "ATHENS Desk", 100, inventory=10, company_id=company, unitCost=70)
    chair = bc.add_item("1900-S", "PARIS Guest Chair", 50, inventory=3, tax_group="REDUCED", company_id=company)
    return {"customer": customer, "desk": desk, "chair": chair}


def create_order(client: httpx.Client, customer: str = "C10000", ext: str = "WOO-1001", **extra: Any) -> dict[str, Any]:
    body = {
        "customerNumber": customer,
        "externalDocumentNumber": ext,
        "salesOrderLines": [
            {"lineType": "Item", "lineObjectNumber": "1896-S", "quantity": 2},
            {"lineType": "Item", "lineObjectNumber": "1900-S", "quantity": 1, "discountPercent": 10},
        ],
        **extra,
    }
    response = client.post("/salesOrders", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())
