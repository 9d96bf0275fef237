"""The Service Based Architecture (SBA) REST routes: ``/GPService/Tenants(<tenant>)/Companies(<name>)/...``.

Confirmed (facts: dynamics-gp.md §1.1): the URL scheme with the company's *name* (URL-encoded by clients,
parentheses inside the name left as they are), composite keys split by ``;``, the discovery page
``/GPService/Tenants(<tenant>)/help``, and batch posting with
``POST .../PostingServices/System/Batches(<source>;<number>)`` + ``GP-Custom-Action: POST``.
The resource paths below the company and every JSON body are INVENTED and live in :mod:`sandbox.gp.sba_shapes`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.gp import sba_shapes as shapes
from sandbox.gp import warehouse
from sandbox.gp.posting import BatchAlreadyPosted, BatchNotFound, post_batch
from sandbox.gp.soap import GpFault, SoapService
from sandbox.gp.store import Company, GpStore

POSTING_RESOURCE = "PostingServices/System/Batches"
CUSTOM_ACTION_HEADER = "GP-Custom-Action"
_TENANT = re.compile(r"^/GPService/Tenants\((?P<tenant>[^)]*)\)(?P<rest>/.*)?$", re.IGNORECASE)
_KEYED = re.compile(r"^(?P<resource>[A-Za-z/]+?)(?:\((?P<key>.*)\))?$")


class SbaApi:
    def __init__(self, store: GpStore, service: SoapService, tenant: str = "DefaultTenant") -> None:
        self.store = store
        self.service = service
        self.tenant = tenant
        self.calls: dict[str, int] = {}

    def routes(self) -> list[BaseRoute]:
        return [Route("/GPService/{rest:path}", self.handle, methods=["GET", "POST", "PATCH", "DELETE"])]

    async def handle(self, request: Request) -> Response:
        match = _TENANT.match(request.url.path)
        if not match or match["tenant"].lower() != self.tenant.lower():
            return _error(404, "The tenant does not exist.", "TenantNotFound")
        rest = match["rest"] or ""
        if rest.lower() == "/help":
            lines = [f"Companies(<name>)/{r}" for r in shapes.RESOURCES] + [f"Companies(<name>)/{POSTING_RESOURCE}"]
            return PlainTextResponse("\n".join(lines))
        located = self._locate(rest)
        if located is None:
            return _error(404, "The company or resource does not exist.", "NotFound")
        company, resource, key = located
        self.calls[f"{request.method} {resource}"] = self.calls.get(f"{request.method} {resource}", 0) + 1
        body: dict[str, Any] = {}
        if request.method in ("POST", "PATCH"):
            raw = await request.body()
            if raw:
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    return _error(400, "The request body is not JSON.", "BadRequest")
                if not isinstance(parsed, dict):
                    return _error(400, "The request body must be a JSON object.", "BadRequest")
                body = parsed
        user = str(request.scope.get("state", {}).get("gp_user", ""))
        try:
            with self.store.lock:
                return self._dispatch(request, company, resource, key, body, user)
        except GpFault as fault:
            return _error(400 if fault.validation else 500, fault.message, "ValidationFailed")

    def _locate(self, rest: str) -> tuple[Company, str, list[str] | None] | None:
        """Split ``/Companies(<name>)/<resource>(<key>)``; the name may itself hold parentheses."""
        prefix = "/Companies("
        if not rest.startswith(prefix):
            return None
        tail = rest[len(prefix) :]
        for cut in [m.start() for m in re.finditer(r"\)/", tail)]:
            company = self.store.company_by_name(tail[:cut])
            if company is None:
                continue
            keyed = _KEYED.match(tail[cut + 2 :])
            if keyed is None:
                continue
            resource = keyed["resource"]
            if resource in shapes.RESOURCES or resource == POSTING_RESOURCE:
                key = keyed["key"].split(";") if keyed["key"] is not None else None
                return company, resource, key
        return None

    def _dispatch(
        self, request: Request, company: Company, resource: str, key: list[str] | None, body: dict[str, Any], user: str
    ) -> Response:
        method = request.method
        if resource == POSTING_RESOURCE:
            return self._post_batch(request, company, key, user)
        if request.headers.get(CUSTOM_ACTION_HEADER):
            return _error(400, "The resource has no such custom action.", "UnknownAction")
        kind, parts = shapes.RESOURCES[resource]
        if key is not None and len(key) != parts:
            return _error(400, f"The key needs {parts} part(s) separated by ';'.", "BadKey")
        if kind == "Receivables":
            return self._receivables(method, company, key, body)
        if kind == "Currency":  # the company's functional currency and the ones set up; read-only
            if method != "GET" or key is not None:
                return _error(405, "Currencies can only be listed here.", "MethodNotAllowed")
            codes = sorted({company.currency, *company.foreign_currencies})
            return JSONResponse({"value": [shapes.currency_json(code) for code in codes]})
        if method == "GET" and key is None:
            objects = [self.service.read_object(company, kind, k) for k in list(company.entities[kind])]
            return JSONResponse({"value": [self._json(company, kind, o) for o in objects]})
        if method == "GET" and key is not None:
            if self.service.find(company, kind, tuple(key)) is None:
                return _error(404, f"{kind} {';'.join(key)} does not exist.", "NotFound")
            return JSONResponse(self._json(company, kind, self.service.read_object(company, kind, tuple(key))))
        if kind == "Item":
            if method != "PATCH" or key is None:
                return _error(405, "Items can only be read or changed (PATCH) here.", "MethodNotAllowed")
            return self._update_item(company, key[0], body)
        if kind == "CashReceipt":
            if method != "POST" or key is not None:
                return _error(405, "Method not allowed on this resource.", "MethodNotAllowed")
            receipt = shapes.cash_receipt_object(body, company.currency)
            self.service.create_object(company, kind, receipt)
            return JSONResponse(shapes.cash_receipt_json(receipt), status_code=201)
        if method == "POST" and key is None:
            obj = shapes.customer_object(body) if kind == "Customer" else shapes.address_object(body)
            self.service.create_object(company, kind, obj)
            created = self.service.read_object(company, kind, _key_of(kind, obj))
            return JSONResponse(self._json(company, kind, created), status_code=201)
        if method == "PATCH" and key is not None:
            if kind == "Customer":
                changes = shapes.customer_object({**body, "CustomerId": key[0]})
            else:
                changes = shapes.address_object({**body, "CustomerId": key[0], "AddressId": key[1]})
            self.service.update_object(company, kind, changes)
            return JSONResponse(self._json(company, kind, self.service.read_object(company, kind, tuple(key))))
        return _error(405, "Method not allowed on this resource.", "MethodNotAllowed")

    def _json(self, company: Company, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        if kind == "Customer":
            return shapes.customer_json(obj)
        if kind == "CustomerAddress":
            return shapes.address_json(obj)
        if kind == "CashReceipt":
            return shapes.cash_receipt_json(obj)
        item_id = (obj.get("Key") or {}).get("Id")
        prices = [p for k, p in company.entities["Pricing"].items() if k[:1] == (item_id,)]
        return shapes.item_json(obj, prices)

    def _update_item(self, company: Company, item_id: str, body: dict[str, Any]) -> Response:
        """The invented item update (sba_shapes.ItemUpdate): the description, and prices on existing levels."""
        item = company.entities["Item"].get((item_id,))
        if item is None:
            return _error(404, f"Item {item_id} does not exist.", "NotFound")
        try:
            update = shapes.ItemUpdate(body)
        except ValueError as exc:
            return _error(400, str(exc), "BadRequest")
        for level, currency, _ in update.prices:
            if (
                currency not in (None, company.currency)
                or (item_id, company.currency, level) not in company.entities["Pricing"]
            ):
                return _error(400, f"Item {item_id} has no {currency or company.currency} price on {level}.", "NoPrice")
        for level, _, price in update.prices:
            warehouse.set_price(company, item_id, price, level)
        if update.description is not None:
            warehouse.rename_item(company, item_id, update.description)
        return JSONResponse(self._json(company, "Item", self.service.read_object(company, "Item", (item_id,))))

    def _receivables(self, method: str, company: Company, key: list[str] | None, body: dict[str, Any]) -> Response:
        if method == "GET" and key is not None:
            kind = shapes.RM_TYPES.get(key[0])
            found = self.service.find(company, kind, (key[1],)) if kind else None
            if kind is None or found is None:
                return _error(404, f"Receivables transaction {';'.join(key)} does not exist.", "NotFound")
            return JSONResponse(shapes.receivables_json(found, key[0]))
        if method == "GET":
            docs = [
                shapes.receivables_json(doc, rm_type)
                for rm_type, kind in shapes.RM_TYPES.items()
                for doc in company.entities[kind].values()
            ]
            return JSONResponse({"value": docs})
        if method == "POST" and key is None:
            rm_type = str(body.get("Type") or "")
            kind = shapes.RM_TYPES.get(rm_type)
            if kind is None:
                return _error(400, f"Type must be one of {sorted(shapes.RM_TYPES)}.", "BadRequest")
            obj = shapes.receivables_object(body, company.currency)
            self.service.create_object(company, kind, obj)
            return JSONResponse(shapes.receivables_json(obj, rm_type), status_code=201)
        if method == "DELETE" and key is not None:
            kind = shapes.RM_TYPES.get(key[0])
            found = self.service.find(company, kind, (key[1],)) if kind else None
            if kind is None or found is None:
                return _error(404, f"Receivables transaction {';'.join(key)} does not exist.", "NotFound")
            if found.get("TransactionState") not in (None, "Work"):
                return _error(400, "Only unposted (Work) transactions can be deleted.", "Posted")
            del company.entities[kind][(key[1],)]
            return Response(status_code=204)
        return _error(405, "Method not allowed on this resource.", "MethodNotAllowed")

    def _post_batch(self, request: Request, company: Company, key: list[str] | None, user: str) -> Response:
        if request.method != "POST" or request.headers.get(CUSTOM_ACTION_HEADER, "").upper() != "POST":
            return _error(400, f"Posting needs POST with {CUSTOM_ACTION_HEADER}: POST.", "UnknownAction")
        if key is None or len(key) != 2:
            return _error(400, "Batches are keyed (<batchSource>;<batchNumber>).", "BadKey")
        try:
            post_batch(company, key[0], key[1], user)
        except BatchNotFound as exc:
            return _error(404, str(exc), "NotFound")
        except BatchAlreadyPosted as exc:
            return _error(400, str(exc), "AlreadyPosted")
        return Response(status_code=200)


def _key_of(kind: str, obj: dict[str, Any]) -> tuple[str, ...]:
    key = obj.get("Key") or {}
    if kind == "CustomerAddress":
        return (str((key.get("CustomerKey") or {}).get("Id")), str(key.get("Id")))
    return (str(key.get("Id")),)


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(shapes.error_body(message, code), status_code=status)
