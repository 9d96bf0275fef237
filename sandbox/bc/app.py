"""HTTP layer of the BC emulator: auth, URL routing, OData responses, ETags, $batch."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from sandbox.bc.errors import BC_DIALECT, ApiError, bad_request, method_not_allowed, not_found, unauthorized
from sandbox.bc.odata import (
    evaluate,
    jsonable,
    parse_expand,
    parse_filter,
    parse_select,
)
from sandbox.bc.schema import EntityType
from sandbox.bc.store import Company, Record
from sandbox.entra.tokens import TokenInfo
from sandbox.odata.etags import check_if_match
from sandbox.odata.listing import read_page

if TYPE_CHECKING:
    from sandbox.bc.emulator import BcEmulator
    from sandbox.bc.entities import Handler

BC_AUDIENCE = "https://api.businesscentral.dynamics.com"
JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
SEGMENT_RE = re.compile(r"^(?P<name>[^()]+)(?:\((?P<key>.*)\))?$")
MAX_BATCH = 100
DEFAULT_ORDER = {
    "companies": ["name"],
    "customers": ["number"],
    "items": ["number"],
    "itemVariants": ["itemNumber", "code"],
    "currencies": ["code"],
    "customerPaymentJournals": ["code"],
    "customerPayments": ["journalId", "lineNumber"],
    "itemLedgerEntries": ["entryNumber"],
    "salesShipmentLines": ["documentId", "sequence"],
    "salesOrderLines": ["documentId", "sequence"],
    "salesInvoiceLines": ["documentId", "sequence"],
    "salesCreditMemoLines": ["documentId", "sequence"],
    "shipmentTrackings": ["shipmentNumber"],
    "subscriptions": ["subscriptionId"],
}
LINE_SETS = ("salesOrderLines", "salesInvoiceLines", "salesCreditMemoLines")


@dataclass
class Segment:
    name: str
    key: str | None


@dataclass
class Ctx:
    method: str
    path: str  # relative to the service root, e.g. "companies(…)/customers"
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any
    root: str  # service root URL, e.g. https://localhost:1234/v2.0/t/sandbox/api/v2.0
    custom: bool = False
    user: TokenInfo | None = None
    in_batch: bool = False


@dataclass
class Result:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def parse_segments(path: str) -> list[Segment]:
    out = []
    for raw in [p for p in path.split("/") if p]:
        m = SEGMENT_RE.match(raw)
        if not m:
            raise bad_request(f"Bad request - the segment '{raw}' is invalid.")
        key = m.group("key")
        if key is not None:
            key = key.strip()
            if key.startswith("'") and key.endswith("'"):
                key = key[1:-1].replace("''", "'")
        out.append(Segment(m.group("name"), key))
    return out


class BcApi:
    """Executes one OData request (from HTTP or from inside a $batch) against the emulator."""

    def __init__(self, emu: BcEmulator) -> None:
        self.emu = emu
        self.store = emu.store
        self.counts: Counter[str] = Counter()

    # ---- ASGI entry -------------------------------------------------------------------------------
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self.handle_http(request)
        await response(scope, receive, send)

    async def handle_http(self, request: Request) -> Response:
        path = request.url.path
        if path.startswith("/_sandbox"):
            return await self.emu.control.handle(request)
        self.counts["requests"] += 1
        prefix = f"/v2.0/{self.emu.tenant}/{self.emu.environment}/api/"
        try:
            if not path.startswith("/v2.0/"):
                raise not_found(path)
            self._authenticate(request)
            if not path.startswith(prefix):
                raise ApiError(404, "BadRequest_NotFound", "The requested tenant or environment does not exist.")
            rest = path[len(prefix) :]
            custom = rest.startswith("wooConnector/shipping/v1.0/")
            if not custom and not rest.startswith("v2.0/") and rest != "v2.0":
                raise not_found(rest.split("/")[0])
            api_root = "wooConnector/shipping/v1.0" if custom else "v2.0"
            root = f"{request.url.scheme}://{request.url.netloc}{prefix}{api_root}"
            raw = await request.body()
            body: Any = None
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise bad_request("The request body is not valid JSON.") from exc
            ctx = Ctx(
                method=request.method.upper(),
                path=rest[len(api_root) + 1 :],
                query=dict(parse_qsl(request.url.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
                root=root,
                custom=custom,
                user=self._token_of(request),
            )
            if self.emu.processing_delay_s:
                await asyncio.sleep(self.emu.processing_delay_s)
            result = await self.dispatch(ctx)
        except ApiError as err:
            result = Result(err.status, err.body(), err.headers)
        return self.to_response(result)

    def to_response(self, result: Result) -> Response:
        headers = {"OData-Version": "4.0", **result.headers}
        if result.body is None:
            return Response(status_code=result.status, headers=headers)
        if isinstance(result.body, bytes):
            return Response(result.body, status_code=result.status, headers=headers, media_type="application/xml")
        content = json.dumps(result.body, default=jsonable, separators=(",", ":")).encode()
        return Response(content, status_code=result.status, headers=headers, media_type=JSON_TYPE)

    # ---- auth -------------------------------------------------------------------------------------
    def _token_of(self, request: Request) -> TokenInfo | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer ") or self.emu.entra is None:
            return None
        return self.emu.entra.lookup(header[7:].strip())

    def _authenticate(self, request: Request) -> None:
        entra = self.emu.entra
        if entra is None:
            return
        header = request.headers.get("authorization", "")
        info = entra.validate(header[7:].strip()) if header.lower().startswith("bearer ") else None
        ok = info is not None and info.audience.rstrip("/") == BC_AUDIENCE and info.tenant in self.emu.tenants
        if not ok:
            self.counts["unauthorized"] += 1
            err = unauthorized()
            authority = entra.authority if entra.server else "https://login.microsoftonline.com"
            err.headers["WWW-Authenticate"] = (
                f'Bearer authorization_uri="{authority}/{self.emu.tenant}/oauth2/authorize", '
                f'resource_id="{BC_AUDIENCE}"'
            )
            raise err

    # ---- dispatch ---------------------------------------------------------------------------------
    async def dispatch(self, ctx: Ctx) -> Result:
        segments = parse_segments(ctx.path)
        if not segments:
            return Result(200, {"@odata.context": f"{ctx.root}/$metadata", "value": []})
        head = segments[0]
        if head.name == "$batch" and not ctx.custom:
            self._count(ctx, "$batch")
            return await self.batch(ctx)
        if head.name == "$metadata":
            self._count(ctx, "$metadata")
            return Result(200, self.emu.metadata_xml())
        if head.name == "subscriptions" and not ctx.custom:
            return await self.subscriptions(ctx, segments)
        handlers = self.emu.registry.custom if ctx.custom else self.emu.registry.standard
        if head.name == "companies":
            if len(segments) == 1:
                return self._companies(ctx, head)
            company = self._company(head.key or "")
            segments = segments[1:]
        elif ctx.in_batch and "company" in ctx.headers:
            company = self.store.company_by_name(ctx.headers["company"]) or self._company(ctx.headers["company"])
        else:
            raise not_found(head.name)
        return await self.entity_request(ctx, company, handlers, segments)

    def _count(self, ctx: Ctx, name: str) -> None:
        self.counts[f"{'batch:' if ctx.in_batch else ''}{ctx.method} {name}"] += 1

    def _company(self, key: str) -> Company:
        company = self.store.company(key)
        if company is None:
            raise ApiError(404, "Internal_CompanyNotFound", f"Cannot find the company '{key}'.")
        return company

    def _companies(self, ctx: Ctx, seg: Segment) -> Result:
        self._count(ctx, "companies")
        if ctx.method != "GET":
            raise method_not_allowed(ctx.method, "companies")
        records = [self.emu.company_record(c) for c in self.store.companies.values()]
        etype = self.store.etype("company")
        if seg.key is not None:
            match = [r for r in records if r["id"] == seg.key.lower()]
            if not match:
                raise ApiError(404, "Internal_CompanyNotFound", f"Cannot find the company '{seg.key}'.")
            return self.single(ctx, "companies", etype, match[0], None, "companies")
        return self.listing(ctx, "companies", etype, records, None, "companies")

    async def entity_request(
        self, ctx: Ctx, company: Company, handlers: dict[str, Handler], segments: list[Segment]
    ) -> Result:
        first = segments[0]
        handler = handlers.get(first.name)
        if handler is None or first.name == "companies":
            raise not_found(first.name)
        context_path = f"companies({company.id})/{first.name}"
        parent: Record | None = None
        fk: str | None = None
        if len(segments) >= 2:
            if first.key is None:
                raise not_found(segments[1].name)
            parent = self._find(company, handler, first.key)
            second = segments[1]
            if second.name.startswith("Microsoft.NAV."):
                return self._action(ctx, company, handler, parent, second.name.removeprefix("Microsoft.NAV."))
            if second.name not in handler.children or len(segments) > 2:
                raise not_found(second.name)
            child_set, fk = handler.children[second.name]
            context_path += f"({parent['id']})/{second.name}"
            handler, first = handlers[child_set], second
        self._count(ctx, handler.set_name)
        with self.store.lock:
            return self._crud(ctx, company, handler, first.key, parent, fk, context_path)

    def _crud(
        self,
        ctx: Ctx,
        company: Company,
        handler: Handler,
        key: str | None,
        parent: Record | None,
        fk: str | None,
        context: str,
    ) -> Result:
        etype = handler.etype
        if key is None:
            if ctx.method == "GET":
                records = handler.records(company)
                if parent is not None and fk:
                    records = [r for r in records if r.get(fk) == parent["id"]]
                elif handler.set_name in LINE_SETS and "documentId" not in ctx.query.get("$filter", ""):
                    raise ApiError(
                        400, "Application_DialogException", "You must specify a document id to get the lines."
                    )
                return self.listing(ctx, handler.set_name, etype, records, company, context)
            if ctx.method == "POST":
                handler.guard_writable("POST")
                body = self._body(ctx)
                record = handler.create(company, body, parent)
                location = f"{ctx.root}/companies({company.id})/{handler.set_name}({record['id']})"
                result = self.single(ctx, handler.set_name, etype, record, company, context)
                result.status, result.headers["Location"] = 201, location
                return result
            raise method_not_allowed(ctx.method, handler.set_name)
        record = self._find(company, handler, key)
        if parent is not None and fk and record.get(fk) != parent["id"]:
            raise not_found(handler.set_name)
        if ctx.method == "GET":
            return self.single(ctx, handler.set_name, etype, record, company, context)
        if ctx.method in ("PATCH", "PUT"):
            handler.guard_writable(ctx.method)
            self._check_etag(ctx, record["id"], required=True)
            handler.update(company, record, self._body(ctx))
            return self.single(ctx, handler.set_name, etype, record, company, context)
        if ctx.method == "DELETE":
            handler.guard_writable("DELETE")
            self._check_etag(ctx, record["id"], required=True)
            handler.delete(company, record)
            return Result(204)
        raise method_not_allowed(ctx.method, handler.set_name)

    def _find(self, company: Company, handler: Handler, key: str) -> Record:
        for record in handler.records(company):
            if record["id"] == key.lower():
                return record
        raise not_found(handler.set_name)

    def _body(self, ctx: Ctx) -> dict[str, Any]:
        if not isinstance(ctx.body, dict):
            raise bad_request("The request body must be a JSON object.")
        return ctx.body

    def _check_etag(self, ctx: Ctx, record_id: str, required: bool, current: str | None = None) -> None:
        etag = current or self.store.etag(record_id)
        check_if_match(ctx.headers.get("if-match"), etag, required=required, dialect=BC_DIALECT)

    def _action(self, ctx: Ctx, company: Company, handler: Handler, record: Record, name: str) -> Result:
        self._count(ctx, f"{handler.set_name}/Microsoft.NAV.{name}")
        if ctx.method != "POST":
            raise method_not_allowed(ctx.method, name)
        with self.store.lock:
            self._check_etag(ctx, record["id"], required=False)
            handler.action(company, record, name)
        return Result(204)

    # ---- serialization ----------------------------------------------------------------------------
    def wire(
        self,
        entity_set: str,
        etype: EntityType,
        record: Record,
        company: Company | None,
        select: list[str] | None,
        expand: dict[str, dict[str, str]] | None,
    ) -> dict[str, Any]:
        key = "subscriptionId" if entity_set == "subscriptions" else "id"
        etag = self.emu.hub_etag(record) if entity_set == "subscriptions" else self.store.etag(record[key])
        out: dict[str, Any] = {"@odata.etag": etag}
        names = [n for n in (select or etype.props) if n in etype.props]
        for name in names:
            out[name] = record.get(name)
        if expand and company is not None:
            handler = self._handler_for(entity_set)
            for nav, options in expand.items():
                target_set, target = handler.expand(company, record, nav)
                target_handler = self._handler_for(target_set)
                t_etype = target_handler.etype
                t_select = parse_select(options["$select"], t_etype) if "$select" in options else None
                if isinstance(target, list):
                    if "$filter" in options:
                        node = parse_filter(options["$filter"], t_etype)
                        target = [r for r in target if evaluate(node, r, t_etype, self.store.schema)]
                    out[nav] = [self.wire(target_set, t_etype, r, company, t_select, None) for r in target]
                else:
                    out[nav] = (
                        None if target is None else self.wire(target_set, t_etype, target, company, t_select, None)
                    )
        return out

    def _handler_for(self, entity_set: str) -> Handler:
        return self.emu.registry.standard.get(entity_set) or self.emu.registry.custom[entity_set]

    def single(
        self, ctx: Ctx, entity_set: str, etype: EntityType, record: Record, company: Company | None, context: str
    ) -> Result:
        select = parse_select(ctx.query["$select"], etype) if "$select" in ctx.query else None
        expand = parse_expand(ctx.query["$expand"]) if "$expand" in ctx.query else None
        body = {"@odata.context": f"{ctx.root}/$metadata#{context}/$entity"}
        body.update(self.wire(entity_set, etype, record, company, select, expand))
        key = "subscriptionId" if entity_set == "subscriptions" else "id"
        etag = body["@odata.etag"]
        return Result(200, body, {"ETag": etag} if record.get(key) else {})

    def listing(
        self,
        ctx: Ctx,
        entity_set: str,
        etype: EntityType,
        records: list[Record],
        company: Company | None,
        context: str,
    ) -> Result:
        key = "subscriptionId" if entity_set == "subscriptions" else "id"
        page = read_page(
            records,
            ctx.query,
            etype,
            self.store.schema,
            max_page_size=self.emu.max_page_size,
            default_order=DEFAULT_ORDER.get(entity_set, ["number"]),
            key=key,
            prefer=ctx.headers.get("prefer", ""),
            dialect=BC_DIALECT,
            extra_options=("$schemaversion",),
        )
        suffix = f"({','.join(page.select)})" if page.select else ""
        body: dict[str, Any] = {"@odata.context": f"{ctx.root}/$metadata#{context}{suffix}"}
        if page.count:
            body["@odata.count"] = page.total
        body["value"] = [self.wire(entity_set, etype, r, company, page.select, page.expand) for r in page.records]
        if page.next_query is not None:
            query = urlencode(page.next_query, quote_via=quote, safe="$,")
            body["@odata.nextLink"] = f"{ctx.root}/{quote(ctx.path)}?{query}"
        return Result(200, body, page.headers)

    # ---- subscriptions ----------------------------------------------------------------------------
    async def subscriptions(self, ctx: Ctx, segments: list[Segment]) -> Result:
        self._count(ctx, "subscriptions")
        hub = self.emu.hub
        etype = self.store.etype("subscriptions")
        if len(segments) > 1:
            raise not_found(segments[1].name)
        key = segments[0].key
        if key is None:
            if ctx.method == "GET":
                return self.listing(ctx, "subscriptions", etype, [s.record() for s in hub.all()], None, "subscriptions")
            if ctx.method == "POST":
                body = self._body(ctx)
                for name in body:
                    if not name.startswith("@") and name not in etype.props:
                        raise bad_request(
                            f"The property '{name}' does not exist on type '{etype.qualified}'. Make sure to only "
                            "use property names that are defined by the type."
                        )
                user = ctx.user.object_id if ctx.user else "00000000-0000-0000-0000-000000000001"
                created = await hub.create(body, user)
                result = self.single(ctx, "subscriptions", etype, created.record(), None, "subscriptions")
                result.status = 201
                result.headers["Location"] = f"{ctx.root}/subscriptions('{created.subscription_id}')"
                return result
            raise method_not_allowed(ctx.method, "subscriptions")
        sub = hub.get(key)
        if sub is None:
            raise not_found("subscriptions")
        if ctx.method == "GET":
            return self.single(ctx, "subscriptions", etype, sub.record(), None, "subscriptions")
        if ctx.method in ("PATCH", "DELETE"):
            self._check_etag(ctx, sub.subscription_id, required=True, current=self.emu.hub_etag(sub.record()))
            if ctx.method == "DELETE":
                hub.delete(sub.subscription_id)
                return Result(204)
            sub = await hub.renew(sub, self._body(ctx))
            return self.single(ctx, "subscriptions", etype, sub.record(), None, "subscriptions")
        raise method_not_allowed(ctx.method, "subscriptions")

    # ---- $batch -----------------------------------------------------------------------------------
    async def batch(self, ctx: Ctx) -> Result:
        if ctx.method != "POST":
            raise method_not_allowed(ctx.method, "$batch")
        body = self._body(ctx)
        requests = body.get("requests")
        if not isinstance(requests, list):
            raise bad_request("The batch request body must contain a 'requests' array.")
        if len(requests) > MAX_BATCH:
            raise bad_request(
                f"The batch request contains {len(requests)} operations; the maximum number of operations "
                f"in a batch request is {MAX_BATCH}."
            )
        snapshot = ctx.headers.get("isolation", "").lower() == "snapshot"
        responses: list[dict[str, Any]] = []
        if not snapshot:
            for index, item in enumerate(requests):
                responses.append(await self._batch_one(ctx, index, item))
            return Result(200, {"responses": responses})
        failed = False
        try:
            with self.store.transaction(snapshot=True):
                for index, item in enumerate(requests):
                    response = await self._batch_one(ctx, index, item)
                    responses.append(response)
                    if response["status"] >= 400:
                        failed = True
                        raise _Rollback
        except _Rollback:
            pass
        if failed:
            for response in responses[:-1]:
                response.update(
                    status=424,
                    body={
                        "error": {
                            "code": "Unknown",
                            "message": "The operation was rolled back because another operation in the snapshot batch "
                            "failed.",
                        }
                    },
                )
                response["headers"] = {"content-type": "application/json"}
        return Result(200, {"responses": responses})

    async def _batch_one(self, ctx: Ctx, index: int, item: Any) -> dict[str, Any]:
        rid = str(item.get("id", index + 1)) if isinstance(item, dict) else str(index + 1)
        try:
            if not isinstance(item, dict) or "method" not in item or "url" not in item:
                raise bad_request("Each batch request needs 'method' and 'url'.")
            url = str(item["url"])
            root_marker = "/api/v2.0/"
            if "://" in url or url.startswith("/"):
                if root_marker not in url:
                    raise bad_request(f"The batch request URL '{url}' is not under the service root.")
                url = url.split(root_marker, 1)[1]
            path, _, query = url.partition("?")
            headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
            sub = Ctx(
                method=str(item["method"]).upper(),
                path=path,
                query=dict(parse_qsl(query, keep_blank_values=True)),
                headers=headers,
                body=item.get("body"),
                root=ctx.root,
                user=ctx.user,
                in_batch=True,
            )
            if path.startswith("$batch"):
                raise bad_request("A batch request cannot contain another batch request.")
            result = await self.dispatch(sub)
        except ApiError as err:
            result = Result(err.status, err.body())
        headers = {k.lower(): v for k, v in result.headers.items()}
        if result.body is not None:
            headers["content-type"] = JSON_TYPE
        out: dict[str, Any] = {"id": rid, "status": result.status, "headers": headers}
        if result.body is not None:
            out["body"] = json.loads(json.dumps(result.body, default=jsonable))
        return out


class _Rollback(Exception):
    pass
