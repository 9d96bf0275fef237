"""The GP Web Services types as the handbook's mechanical listing of the legacy WSDL gives them
(``reference/dynamics-gp/webservices/types-closure-legacy.md``), and the writable-element tokens the GP mapping
schema (``shared/erp/gp/elements.py``) must equal."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

CLOSURE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "reference"
    / "dynamics-gp"
    / "webservices"
    / "types-closure-legacy.md"
)
ENTITIES = ("SalesInvoice", "SalesOrder", "SalesInvoiceLine", "SalesOrderLine", "ReceivablesInvoice", "Customer")
NESTED = ("SalesUserDefined",)  # complex members a mapping reaches one level down (UserDefined.Text01)
_ROW = re.compile(r"^\| \d+ \| `(\w+)` \| (\S+) \|")
_SCALARS = {
    "xs:string": "text",
    "xs:dateTime": "date",
    "xs:boolean": "boolean",
    "xs:int": "number",
    "xs:decimal": "number",
}


@cache
def closure() -> tuple[dict[str, list[tuple[str, str]]], dict[str, tuple[str, ...]]]:
    """(complex type → [(element, type)], simple type → enum values)."""
    if not CLOSURE.exists():
        pytest.fail(f"{CLOSURE} is missing: keep the handbook (shared/) beside the repo")
    types: dict[str, list[tuple[str, str]]] = {}
    simple: dict[str, tuple[str, ...]] = {}
    current = ""
    for line in CLOSURE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].split()[0]
            if "(simpleType" in line:
                types.pop(current, None)
            else:
                types[current] = []
        elif line.startswith("base xs:string; values:"):
            simple[current] = tuple(re.findall(r"`([^`]*)`", line))
        elif (match := _ROW.match(line)) and current in types:
            types[current].append((match.group(1), match.group(2)))
    return types, simple


def id_key(type_name: str) -> bool:
    """A key type whose one value is its ``Id`` (a ShippingMethodKey, not a CustomerAddressKey)."""
    types, _ = closure()
    elements = [name for name, _ in types.get(type_name, []) if name != "CompanyKey"]
    return type_name.endswith("Key") and elements == ["Id"]


def token(name: str, xs_type: str) -> list[str]:
    types, simple = closure()
    local = xs_type.split(":", 1)[1]
    if xs_type in _SCALARS:
        return [f"{name}:{_SCALARS[xs_type]}"]
    if local in simple:
        return [f"{name}:enum:{local}"]
    if id_key(local):
        return [f"{name}.Id:text"]
    if local in NESTED:
        return [tok for child, child_type in types[local] for tok in token(f"{name}.{child}", child_type)]
    return [f"{name}:other"]


def entity_tokens(entity: str) -> list[str]:
    types, _ = closure()
    return [tok for name, xs_type in types[entity] for tok in token(name, xs_type)]


def enum_values(tokens: list[str]) -> dict[str, tuple[str, ...]]:
    _, simple = closure()
    return {t.split(":enum:")[1]: simple[t.split(":enum:")[1]] for t in tokens if ":enum:" in t}
