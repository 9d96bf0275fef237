"""GP's Service Based Architecture (REST/JSON, GP 2015+) as a :class:`~shared.erp.gp.transport.GpTransport`.

Confirmed (facts: dynamics-gp.md §1.1): ``/GPService/Tenants(<tenant>)/Companies(<company name>)/...`` with the
company's *name* URL-encoded (parentheses inside it left as they are), ``;``-separated composite keys, and
``POST .../PostingServices/System/Batches(<source>;<number>)`` with ``GP-Custom-Action: POST``. Windows auth
(NTLM). Everything below the company (resource paths, JSON bodies, errors) is unconfirmed and lives in
:mod:`shared.erp.gp.sba_shapes`. SBA has no SOP documents or price-level lists (the RTM resource list, §1.1):
an SBA connection writes receivables (RM) documents; cash receipts are a guessed resource (not in the RTM
list). SBA lists have no confirmed ``$filter``, so lists are read whole and filtered here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from shared.config import GpConnection
from shared.erp.gp import sba_shapes as shapes
from shared.erp.gp.errors import GpRefused, account_refused
from shared.erp.gp.transport import Criteria, GpObject
from shared.erp.port import PermanentErpError, TransientErpError
from shared.http import ApiClient, CallLimiter, PermanentHttpError, TransientHttpError

CUSTOM_ACTION_HEADER = "GP-Custom-Action"
POSTING = "PostingServices/System/Batches"
KINDS = frozenset({"Customer", "CustomerAddress", "Item", "Pricing", "CashReceipt", "Currency", *shapes.RM_TYPES})


def company_url(connection: GpConnection) -> str:
    tenant = quote(connection.tenant, safe="")
    company = quote(connection.company_name, safe="()")
    return f"{connection.url.rstrip('/')}/GPService/Tenants({tenant})/Companies({company})/"


def _key(*parts: str) -> str:
    return "(" + ";".join(quote(part, safe="") for part in parts) + ")"


def send(api: ApiClient, connection: GpConnection, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
    """One SBA request; None for 404. Business refusals (400) are :class:`GpRefused`."""
    try:
        return api.request(method, path, **kwargs)
    except TransientHttpError as exc:
        raise TransientErpError(
            str(exc), status=exc.status, retry_after=exc.retry_after, ambiguous=exc.ambiguous
        ) from exc
    except PermanentHttpError as exc:
        if exc.status == 404 and method == "GET":
            return None
        if exc.status == 401:
            raise account_refused(connection.username, "Windows authentication failed") from exc
        if exc.status == 403:
            raise account_refused(connection.username, shapes.error_message(exc.body) or "forbidden") from exc
        if exc.status in (400, 404, 409):
            raise GpRefused(f"{method} {path.split('(')[0]}", [shapes.error_message(exc.body)]) from exc
        raise PermanentErpError(str(exc), status=exc.status) from exc


def post_batch(api: ApiClient, connection: GpConnection, source: str, batch_id: str) -> None:
    send(api, connection, "POST", POSTING + _key(source, batch_id), headers={CUSTOM_ACTION_HEADER: "POST"})


def _value(obj: Mapping[str, Any], member: str) -> Any:
    paths = {
        "Id": ("Key", "Id"),
        "ItemId": ("Key", "Id"),
        "DocumentId": ("Key", "Id"),
        "CustomerId": ("CustomerKey", "Id"),
        "BatchId": ("BatchKey", "Id"),
    }
    current: Any = obj
    for part in paths.get(member, (member,)):
        current = current.get(part) if isinstance(current, Mapping) else None
    return current


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().casefold()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def matches(obj: Mapping[str, Any], criteria: Criteria) -> bool:
    """The Web Services restrictions the adapter uses, evaluated on an SBA list's objects."""
    for member, restriction in criteria.items():
        value = _norm(_value(obj, member))
        for op, operand in restriction.items():
            if op == "Items":
                items = operand.get("string") if isinstance(operand, Mapping) else operand
                if value not in {_norm(item) for item in items or []}:
                    return False
                continue
            operand = _norm(operand)
            if value is None:
                return False
            if op == "EqualValue" and value != operand:
                return False
            if (op == "GreaterThan" and not value > operand) or (op == "From" and not value >= operand):
                return False
            if (op == "LessThan" and not value < operand) or (op == "To" and not value <= operand):
                return False
    return True


def _single_key(criteria: Criteria) -> str | None:
    """The key when the criteria are one equality on it (``Id``, ``DocumentId``, ``ItemId``)."""
    if len(criteria) != 1:
        return None
    ((member, restriction),) = criteria.items()
    if member not in ("Id", "DocumentId", "ItemId") or set(restriction) != {"EqualValue"}:
        return None
    return str(restriction["EqualValue"])


class SbaTransport:
    name = "sba"

    def __init__(self, connection: GpConnection, api: ApiClient) -> None:
        self.connection = connection
        self.api = api

    @property
    def calls(self) -> int:
        return self.api.calls

    def limit(self, limiter: CallLimiter) -> None:
        """Hold one of the connection's slots around each request (shared/storage/erp_slots.py)."""
        self.api.limiter = limiter

    def close(self) -> None:
        self.api.close()

    def supports(self, kind: str) -> bool:
        return kind in KINDS and kind != "Pricing"  # prices come with the item; no price-level list

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = send(self.api, self.connection, method, path, **kwargs)
        if response is None or not response.content:
            return None
        return response.json()

    def get(self, kind: str, key: Mapping[str, Any]) -> GpObject | None:
        if kind == "Customer":
            body = self._json("GET", shapes.CUSTOMERS + _key(str(key["Id"])))
            return shapes.customer_from_json(body) if body else None
        if kind == "Item":
            body = self._json("GET", shapes.ITEMS + _key(str(key["Id"])))
            return shapes.item_from_json(body) if body else None
        if kind == "Pricing":
            item = str((key.get("ItemKey") or {}).get("Id"))
            body = self._json("GET", shapes.ITEMS + _key(item))
            level = str((key.get("PriceLevelKey") or {}).get("Id"))
            currency = str((key.get("CurrencyKey") or {}).get("ISOCode"))
            return shapes.pricing_from_json(body, level, currency) if body else None
        if kind in shapes.RM_TYPES:
            body = self._json("GET", shapes.RECEIVABLES + _key(shapes.RM_TYPES[kind], str(key["Id"])))
            return shapes.receivables_from_json(body) if body else None
        if kind == "CashReceipt":
            body = self._json("GET", shapes.CASH_RECEIPTS + _key(str(key["Id"])))
            return shapes.cash_receipt_from_json(body) if body else None
        raise PermanentErpError(f"GP's SBA has no {kind} resource: use the SOAP transport for it")

    def list(self, kind: str, criteria: Criteria) -> list[GpObject]:
        keyed = _single_key(criteria)
        if keyed is not None and kind in KINDS - {"CustomerAddress", "Pricing", "Currency"}:
            found = self.get(kind, {"Id": keyed})  # one keyed GET instead of the whole list
            return [found] if found is not None and matches(found, criteria) else []
        if kind == "Customer":
            rows = [shapes.customer_from_json(b) for b in (self._json("GET", shapes.CUSTOMERS) or {}).get("value", [])]
        elif kind == "Item":
            rows = [shapes.item_from_json(b) for b in (self._json("GET", shapes.ITEMS) or {}).get("value", [])]
        elif kind in shapes.RM_TYPES:
            bodies = (self._json("GET", shapes.RECEIVABLES) or {}).get("value", [])
            rows = [shapes.receivables_from_json(b) for b in bodies if b.get("Type") == shapes.RM_TYPES[kind]]
        elif kind == "CashReceipt":
            bodies = (self._json("GET", shapes.CASH_RECEIPTS) or {}).get("value", [])
            rows = [shapes.cash_receipt_from_json(b) for b in bodies]
        elif kind == "Currency":
            rows = [shapes.currency_from_json(b) for b in (self._json("GET", shapes.CURRENCIES) or {}).get("value", [])]
        else:
            raise PermanentErpError(f"GP's SBA has no {kind} list: use the SOAP transport for it")
        return [row for row in rows if matches(row, criteria)]

    def create(self, kind: str, obj: GpObject) -> None:
        if kind == "Customer":
            self._json("POST", shapes.CUSTOMERS, json=shapes.customer_to_json(obj))
        elif kind == "CustomerAddress":
            self._json("POST", shapes.CUSTOMER_ADDRESSES, json=shapes.address_to_json(obj))
        elif kind in shapes.RM_TYPES:
            self._json("POST", shapes.RECEIVABLES, json=shapes.receivables_to_json(kind, obj))
        elif kind == "CashReceipt":
            self._json("POST", shapes.CASH_RECEIPTS, json=shapes.cash_receipt_to_json(obj))
        else:
            raise PermanentErpError(f"GP's SBA cannot create a {kind}: use the SOAP transport for it")

    def delete(self, kind: str, key: Mapping[str, Any]) -> None:
        if kind not in shapes.RM_TYPES:
            raise PermanentErpError(f"GP's SBA cannot delete a {kind}")
        send(self.api, self.connection, "DELETE", shapes.RECEIVABLES + _key(shapes.RM_TYPES[kind], str(key["Id"])))

    def post_batch(self, source: str, batch_id: str) -> None:
        post_batch(self.api, self.connection, source, batch_id)

    def update_item(self, item_id: str, *, description: str | None, price: Decimal | None) -> None:
        """Change an item's description and/or its price on the connection's price level (a guessed PATCH,
        :func:`~shared.erp.gp.sba_shapes.item_update_to_json`). It sets absolute values, so a retry is safe."""
        body = shapes.item_update_to_json(
            description, price, self.connection.price_level, self.connection.local_currency
        )
        send(self.api, self.connection, "PATCH", shapes.ITEMS + _key(item_id), json=body, idempotent=True)


__all__ = ["SbaTransport", "company_url", "post_batch"]
