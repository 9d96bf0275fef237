"""Small helpers shared by the BC emulator tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from sandbox.bc import BcEmulator

REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "business-central"


def sample(name: str) -> Any:
    return json.loads((REFERENCE / name).read_text())


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_diff(expected: Any, actual: Any, path: str = "$", allow: frozenset[str] = frozenset()) -> list[str]:
    """Every key of `expected` must exist in `actual` with the same JSON type, recursively.
    Paths in `allow` are skipped (documented exceptions)."""
    if path in allow:
        return []
    if kind(expected) != kind(actual):
        return [f"{path}: expected {kind(expected)}, got {kind(actual)}"]
    problems: list[str] = []
    if isinstance(expected, dict):
        for key, value in expected.items():
            sub = f"{path}.{key}"
            if sub in allow:
                continue
            if key not in actual:
                problems.append(f"{sub}: missing")
            else:
                problems += shape_diff(value, actual[key], sub, allow)
    elif isinstance(expected, list) and expected:
        if not actual:
            return [f"{path}: expected a non-empty array"]
        for item in actual:
            problems += shape_diff(expected[0], item, f"{path}[]", allow)
    return problems


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
