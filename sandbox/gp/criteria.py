"""GP Web Services list criteria (``*Criteria`` with ``Restriction`` members) evaluated against stored objects.

A criterion names a member of the object (``CustomerPONumber``, ``CustomerId`` → ``CustomerKey.Id``); its
restriction (``EqualValue``, ``NotEqualValue``, ``Items``, ``From``/``To``, ``GreaterThan``/``LessThan``,
``Like`` with SQL ``%``/``_``) is compared as GP's SQL Server does under its default case-insensitive
collation, trailing blanks ignored (collation: UNCONFIRMED for a given install). A criterion the emulator
does not know is refused, never ignored, so a client cannot rely on a filter that did not filter.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

PATHS: dict[str, tuple[str, ...]] = {
    "Id": ("Key", "Id"),
    "DocumentId": ("Key", "Id"),
    "ItemId": ("Key", "Id"),
    "CustomerId": ("CustomerKey", "Id"),
    "CustomerKeyId": ("Key", "CustomerKey", "Id"),
    "CustomerAddressKeyId": ("Key", "Id"),
    "PriceLevelKeyId": ("Key", "Id"),
    "BatchId": ("BatchKey", "Id"),
    "DocumentTypeId": ("DocumentTypeKey", "Id"),
    "CustomerPONumber": ("CustomerPONumber",),
    "CustomerName": ("CustomerName",),
    "Name": ("Name",),
    "Description": ("Description",),
    "IsActive": ("IsActive",),
    "IsOnHold": ("IsOnHold",),
    "TransactionState": ("TransactionState",),
    "Type": ("Type",),
    "ModifiedDate": ("ModifiedDate",),
    "LastModifiedDate": ("LastModifiedDate",),
    "CreatedDate": ("CreatedDate",),
    "Date": ("Date",),
}
# Where a criterion's member sits differently on one type (its key is composite).
KIND_PATHS: dict[str, dict[str, tuple[str, ...]]] = {
    "ItemWarehouse": {"ItemId": ("Key", "ItemKey", "Id"), "WarehouseId": ("Key", "WarehouseKey", "Id")},
    "Pricing": {
        "ItemId": ("Key", "ItemKey", "Id"),
        "PriceLevelId": ("Key", "PriceLevelKey", "Id"),
        "CurrencyISOCode": ("Key", "CurrencyKey", "ISOCode"),
    },
}
IGNORED = frozenset({"Scope", "Extensions", "__type__"})


class UnsupportedCriterion(ValueError):
    """A criterion the emulator cannot evaluate."""


def value_at(obj: dict[str, Any], path: tuple[str, ...]) -> Any:
    current: Any = obj
    for part in path:
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def matches(obj: dict[str, Any], criteria: dict[str, Any] | None, kind: str = "") -> bool:
    paths = {**PATHS, **KIND_PATHS.get(kind, {})}
    for name, restriction in (criteria or {}).items():
        if name in IGNORED or restriction is None:
            continue
        if name not in paths:
            raise UnsupportedCriterion(f"The emulator does not evaluate the criterion {name}.")
        if not _restricts(value_at(obj, paths[name]), restriction):
            return False
    return True


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.rstrip().casefold()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _like(value: Any, pattern: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern.rstrip().casefold())
    return re.fullmatch(regex, str(value or "").rstrip().casefold(), flags=re.DOTALL) is not None


def _restricts(value: Any, restriction: dict[str, Any]) -> bool:
    v = _norm(value)
    checks: list[bool] = []
    for op, operand in restriction.items():
        if operand is None or op == "__type__":
            continue
        if op == "Items":
            items = next(iter(operand.values()), None) if isinstance(operand, dict) else operand
            checks.append(v in {_norm(i) for i in (items or [])})
            continue
        if op == "Like":
            checks.append(_like(value, str(operand)))
            continue
        o = _norm(operand)
        if v is None:
            checks.append(op == "NotEqualValue")
            continue
        try:
            checks.append(_compare(op, v, o))
        except TypeError as exc:
            raise UnsupportedCriterion(f"Cannot compare {op} on this member.") from exc
    return all(checks)


def _compare(op: str, v: Any, o: Any) -> bool:
    if isinstance(v, dt.datetime) and isinstance(o, dt.datetime):
        v, o = v.replace(tzinfo=None), o.replace(tzinfo=None)
    if op == "EqualValue":
        return bool(v == o)
    if op == "NotEqualValue":
        return bool(v != o)
    if op == "From":
        return bool(v >= o)
    if op == "To":
        return bool(v <= o)
    if op == "GreaterThan":
        return bool(v > o)
    if op == "LessThan":
        return bool(v < o)
    raise UnsupportedCriterion(f"Unknown restriction {op}.")
