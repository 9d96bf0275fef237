"""HTTP control API under `/_sandbox/...` (JSON, no auth) mirroring the Python control API, so tests
and benchmarks in another process can seed data, drive the warehouse, inject faults and read counters."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.bc.errors import ApiError
from sandbox.bc.odata import jsonable
from sandbox.faults import FaultConfig, Throttle

if TYPE_CHECKING:
    from sandbox.bc.emulator import BcEmulator

Body = dict[str, Any]


class ControlError(ValueError):
    """A control request that can never succeed as sent (answered 400 with the message alone)."""


class Control:
    def __init__(self, emu: BcEmulator) -> None:
        self.emu = emu
        self.routes: dict[tuple[str, str], Callable[[Body, Request], Any]] = {
            ("GET", "/_sandbox/state"): self.state,
            ("GET", "/_sandbox/counters"): self.counters,
            ("POST", "/_sandbox/counters/reset"): lambda b, r: self.emu.reset_counters(),
            ("POST", "/_sandbox/seed"): self.seed,
            ("POST", "/_sandbox/companies"): self.add_company,
            ("DELETE", "/_sandbox/currencies"): self.remove_currency,
            ("POST", "/_sandbox/customers/block"): lambda b, r: self.emu.block_customer(
                b["customer"], b.get("blocked", "All"), b.get("companyId")
            ),
            ("GET", "/_sandbox/records"): self.records,
            ("POST", "/_sandbox/warehouse/ship"): lambda b, r: self.emu.ship_order(
                b["order"],
                b.get("quantities"),
                b.get("shippingAgentCode", ""),
                b.get("trackingNumber", ""),
                b.get("companyId"),
            ),
            ("POST", "/_sandbox/warehouse/invoice"): lambda b, r: self.emu.invoice_order(
                b["order"], b.get("companyId")
            ),
            ("POST", "/_sandbox/warehouse/tracking"): lambda b, r: self.emu.update_tracking(
                b["shipment"], b["trackingNumber"], b.get("shippingAgentCode"), b.get("companyId")
            ),
            ("POST", "/_sandbox/stock"): self.stock,
            ("POST", "/_sandbox/price"): lambda b, r: self.emu.set_price(b["item"], b["unitPrice"], b.get("companyId")),
            ("GET", "/_sandbox/subscriptions"): lambda b, r: self.emu.subscriptions(),
            ("DELETE", "/_sandbox/subscriptions"): lambda b, r: {
                "deleted": self.emu.delete_subscriptions(r.query_params.get("subscriptionId"))
            },
            ("POST", "/_sandbox/subscriptions/age"): lambda b, r: self.emu.age_subscriptions(
                float(b["seconds"]), b.get("subscriptionId")
            ),
            ("POST", "/_sandbox/webhooks/flush"): lambda b, r: self.emu.flush_webhooks(float(b.get("timeout", 10))),
            ("GET", "/_sandbox/webhooks/log"): lambda b, r: self.emu.hub.log,
            ("POST", "/_sandbox/webhooks/config"): self.webhook_config,
            ("POST", "/_sandbox/clock/advance"): lambda b, r: self.emu.advance_clock(float(b["seconds"])),
            ("GET", "/_sandbox/faults"): self.faults,
            ("POST", "/_sandbox/faults"): self.faults,
            ("POST", "/_sandbox/config"): self.config,
        }

    async def handle(self, request: Request) -> Response:
        route = self.routes.get((request.method.upper(), request.url.path.rstrip("/")))
        if route is None:
            return JSONResponse({"error": f"unknown control endpoint {request.method} {request.url.path}"}, 404)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
            result = await run_in_threadpool(route, body, request)
        except ApiError as err:
            return JSONResponse(err.body(), err.status)
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, 400)
        if isinstance(result, Awaitable):
            result = await result
        content = json.dumps({"ok": True} if result is None else result, default=jsonable)
        return Response(content, media_type="application/json")

    def state(self, body: Body, request: Request) -> Body:
        emu = self.emu
        return {
            "apiUrl": emu.api_url,
            "customApiUrl": emu.custom_api_url,
            "tenant": emu.tenant,
            "environment": emu.environment,
            "companyId": emu.company_id,
            "companies": [emu.company_record(c) for c in emu.store.companies.values()],
        }

    def counters(self, body: Body, request: Request) -> Body:
        return {
            "requests": dict(self.emu.request_counts),
            "faults": dict(self.emu.faults.counters),
            "webhooks": dict(self.emu.hub.counters),
        }

    def seed(self, body: Body, request: Request) -> Body:
        emu, company_id = self.emu, body.get("companyId")
        out: Body = {"customers": [], "items": [], "currencies": [], "itemVariants": []}
        for currency in body.get("currencies", []):
            out["currencies"].append(emu.add_currency(company_id=company_id, **currency))
        for customer in body.get("customers", []):
            out["customers"].append(emu.add_customer(company_id=company_id, **customer))
        for item in body.get("items", []):
            item = dict(item)
            variants = item.pop("variants", [])
            created = emu.add_item(
                item.pop("number"),
                item.pop("displayName"),
                item.pop("unitPrice", 0),
                item.pop("inventory", 0),
                item.pop("taxGroupCode", "STANDARD"),
                company_id=company_id,
                **item,
            )
            out["items"].append(created)
            for variant in variants:
                out["itemVariants"].append(
                    emu.add_item_variant(created["number"], variant["code"], variant.get("description", ""), company_id)
                )
        return out

    def add_company(self, body: Body, request: Request) -> Body:
        """`{"name", "lcyCode"?}`: a new company (own records and number series), e.g. one per test."""
        return {"id": self.emu.add_company(body["name"], body.get("lcyCode", "USD"))}

    def remove_currency(self, body: Body, request: Request) -> Body:
        """`?code=EUR[&companyId=…]`: the merchant deletes a currency (orders in it can no longer post)."""
        company = self.emu.company(request.query_params.get("companyId"))
        handler = self.emu.registry.standard["currencies"]
        with self.emu.store.lock:
            found = [r for r in handler.records(company) if r["code"] == request.query_params["code"]]
            for record in found:
                handler.delete(company, record)
        return {"deleted": len(found)}

    def records(self, body: Body, request: Request) -> list[dict[str, Any]]:
        """`GET /_sandbox/records?set=<entity set>[&companyId=…]`: every record of one entity set."""
        entity_set = request.query_params.get("set", "").strip()
        known = sorted({*self.emu.registry.standard, *self.emu.registry.custom})
        if not entity_set or entity_set not in known:
            given = f"unknown entity set {entity_set!r}" if entity_set else "the query parameter 'set' is missing"
            raise ControlError(f"{given}: use ?set=<entity set>, one of {', '.join(known)}")
        return self.emu.records(entity_set, request.query_params.get("companyId"))

    def stock(self, body: Body, request: Request) -> None:
        if "delta" in body:
            self.emu.adjust_stock(body["item"], body["delta"], body.get("companyId"))
        else:
            self.emu.set_stock(body["item"], body["quantity"], body.get("companyId"))

    def webhook_config(self, body: Body, request: Request) -> Body:
        cfg = self.emu.hub.config
        for name, value in body.items():
            if name == "retry_delays_s":
                value = tuple(float(v) for v in value)
            if not hasattr(cfg, name) or name == "lifetime":
                raise KeyError(name)
            setattr(cfg, name, value)
        return {k: v for k, v in dataclasses.asdict(cfg).items() if k != "lifetime"}

    def faults(self, body: Body, request: Request) -> Body:
        injector = self.emu.faults
        if request.method == "POST":
            fields = {f.name for f in dataclasses.fields(FaultConfig)}
            updates = {k: v for k, v in body.items() if k in fields}
            if "error_statuses" in updates:
                updates["error_statuses"] = tuple(updates["error_statuses"])
            if "throttle" in updates and updates["throttle"] is not None:
                updates["throttle"] = Throttle(**updates["throttle"])
            unknown = set(body) - fields
            if unknown:
                raise KeyError(", ".join(sorted(unknown)))
            injector.config = dataclasses.replace(injector.config, **updates)
        config = dataclasses.asdict(injector.config)
        return {"config": config, "counters": dict(injector.counters)}

    def config(self, body: Body, request: Request) -> Body:
        if "max_page_size" in body:
            self.emu.max_page_size = int(body["max_page_size"])
        if "processing_delay_s" in body:
            self.emu.processing_delay_s = float(body["processing_delay_s"])
        if "keep_completed_orders" in body:
            self.emu.set_keep_completed_orders(bool(body["keep_completed_orders"]), body.get("companyId"))
        return {"max_page_size": self.emu.max_page_size, "processing_delay_s": self.emu.processing_delay_s}
