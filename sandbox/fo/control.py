"""HTTP control API under `/_sandbox/...` (JSON, no auth), so tests, the probe and benchmarks in another process
can make legal entities, seed data, drive the warehouse, route business events, inject faults and read counters.
Every call names its legal entity with `dataAreaId` (default: the emulator's default company)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.faults import FaultConfig, Throttle
from sandbox.fo.warehouse import DEFAULT_SITE, DEFAULT_WAREHOUSE, WarehouseError
from sandbox.odata.values import jsonable

if TYPE_CHECKING:
    from sandbox.fo.emulator import FoEmulator

Body = dict[str, Any]


class Control:
    def __init__(self, emu: FoEmulator) -> None:
        self.emu = emu
        wh = emu.warehouse
        self.routes: dict[tuple[str, str], Callable[[Body, Request], Any]] = {
            ("GET", "/_sandbox/counters"): lambda b, r: {
                "requests": dict(emu.api.counts),
                "faults": dict(emu.faults.counters),
            },
            ("POST", "/_sandbox/counters/reset"): lambda b, r: emu.reset_counters(),
            ("POST", "/_sandbox/companies"): lambda b, r: {
                "dataAreaId": emu.add_company(b.get("dataAreaId", ""), b.get("currency", "USD")).id
            },
            ("POST", "/_sandbox/seed"): self.seed,
            ("DELETE", "/_sandbox/currencies"): self.remove_currency,
            ("POST", "/_sandbox/stock"): lambda b, r: {
                "AvailableOnHandQuantity": wh.move_stock(
                    self.company(b),
                    b["item"],
                    Decimal(str(b["delta"])),
                    b.get("site", DEFAULT_SITE),
                    b.get("warehouse", DEFAULT_WAREHOUSE),
                )["AvailableOnHandQuantity"]
            },
            ("POST", "/_sandbox/price"): lambda b, r: wh.set_price(
                self.company(b), b["item"], Decimal(str(b["price"]))
            ),
            ("POST", "/_sandbox/customers/hold"): lambda b, r: wh.hold_customer(
                self.company(b), b["customer"], b.get("status", "All")
            ),
            ("POST", "/_sandbox/warehouse/ship"): lambda b, r: wh.ship(
                self.company(b),
                b["order"],
                None if b.get("quantities") is None else {k: Decimal(str(v)) for k, v in b["quantities"].items()},
                b.get("carrier", ""),
                b.get("trackingNumber", ""),
            ),
            ("POST", "/_sandbox/warehouse/invoice"): lambda b, r: wh.invoice(self.company(b), b["order"]),
            ("POST", "/_sandbox/events/endpoints"): lambda b, r: emu.events.activate(b.get("event", "*"), b["url"]),
            ("POST", "/_sandbox/events/flush"): lambda b, r: {"flushed": emu.events.flush(float(b.get("timeout", 30)))},
            ("GET", "/_sandbox/events/log"): lambda b, r: [dataclasses.asdict(d) for d in emu.events.log],
            ("GET", "/_sandbox/faults"): self.faults,
            ("POST", "/_sandbox/faults"): self.faults,
        }

    def company(self, body: Body) -> Any:
        company = self.emu.store.company(body.get("dataAreaId") or self.emu.default_company)
        if company is None:
            raise WarehouseError(f"no legal entity {body.get('dataAreaId')!r}")
        return company

    async def handle(self, request: Request) -> Response:
        route = self.routes.get((request.method.upper(), request.url.path.rstrip("/")))
        if route is None:
            return JSONResponse({"error": f"unknown control endpoint {request.method} {request.url.path}"}, 404)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
            result = await run_in_threadpool(route, body, request)
        except (WarehouseError, KeyError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return Response(json.dumps(result, default=jsonable), media_type="application/json")

    def seed(self, body: Body, request: Request) -> Body:
        company = self.company(body)
        store, wh = self.emu.store, self.emu.warehouse
        with store.lock:
            for code in body.get("currencies", []):
                company.currencies.add(code)
            for group in body.get("customerGroups", []):
                record = store.blank("CustomerGroup")
                record.update(group)
                store.put(company, "CustomerGroups", record)
            for product in body.get("products", []):
                wh.seed_product(
                    company, product["ItemNumber"], Decimal(str(product["SalesPrice"])), product.get("name", "")
                )
                if product.get("stock"):
                    wh.move_stock(company, product["ItemNumber"], Decimal(str(product["stock"])))
            for customer in body.get("customers", []):
                record = store.blank("CustomerV3")
                record.update(
                    SalesCurrencyCode=company.currency, PartyType="Person", CustomerGroupId=self.emu.customer_group
                )
                record.update(customer)
                store.put(company, "CustomersV3", record)
        return {"dataAreaId": company.id}

    def remove_currency(self, body: Body, request: Request) -> Body:
        company = self.company(dict(request.query_params))
        code = request.query_params["code"]
        deleted = code in company.currencies
        company.currencies.discard(code)
        return {"deleted": deleted}

    def faults(self, body: Body, request: Request) -> Body:
        injector = self.emu.faults
        if request.method == "POST":
            fields = {f.name for f in dataclasses.fields(FaultConfig)}
            values = {k: v for k, v in body.items() if k in fields}
            if "error_statuses" in values:
                values["error_statuses"] = tuple(values["error_statuses"])
            if isinstance(values.get("throttle"), dict):
                values["throttle"] = Throttle(**values["throttle"])
            injector.config = dataclasses.replace(injector.config, **values)
        config = dataclasses.asdict(injector.config)
        return {k: v for k, v in config.items() if k != "exempt_paths"}
