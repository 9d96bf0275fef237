"""HTTP control API under /_sandbox (JSON, no auth) for tests and tools in another process."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.faults import FaultConfig, Throttle
from sandbox.woo.errors import WooError
from sandbox.woo.shopper import CartLine

if TYPE_CHECKING:
    from sandbox.woo.emulator import WooEmulator

Fn = Callable[[dict[str, Any], dict[str, Any], dict[str, str]], Any]
STORE_OPTIONS = (
    "currency",
    "decimals",
    "timezone_offset_hours",
    "manage_stock",
    "prices_include_tax",
    "tax_round_at_subtotal",
    "max_delivery_failures",
    "wc_version",
    "wp_version",
)
DELIVERY_OPTIONS = (
    "delay_seconds",
    "batch_size",
    "timeout_seconds",
    "ping_timeout_seconds",
    "duplicate_max",
    "duplicate_concurrent",
    "error_payload_rate",
    "error_payload_next",
    "enforce_url_safety",
)


def _endpoint(fn: Fn) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
            result = await run_in_threadpool(fn, dict(request.path_params), body, dict(request.query_params))
        except WooError as err:
            return JSONResponse(err.body(), err.status)
        except (ValueError, TypeError, KeyError) as exc:
            return JSONResponse({"code": "sandbox_bad_request", "message": str(exc), "data": {"status": 400}}, 400)
        return JSONResponse(result if result is not None else {"ok": True})

    return handle


def control_app(emu: WooEmulator) -> Starlette:
    store, delivery = emu.store, emu.delivery

    def options(_: dict[str, Any], body: dict[str, Any], __: dict[str, str]) -> dict[str, Any]:
        for key, value in body.items():
            if key in STORE_OPTIONS:
                setattr(store.options, key, value)
            elif key in DELIVERY_OPTIONS:
                setattr(delivery.options, key, value)
            else:
                raise ValueError(f"unknown option {key}")
        return state({}, {}, {})

    def state(_: dict[str, Any], __: dict[str, Any], ___: dict[str, str]) -> dict[str, Any]:
        with store.lock:
            return {
                "url": emu.url,
                "api_url": emu.api_url,
                "store_options": {k: getattr(store.options, k) for k in STORE_OPTIONS},
                "delivery_options": {k: getattr(delivery.options, k) for k in DELIVERY_OPTIONS},
                "counts": {
                    "products": len(store.products),
                    "orders": len(store.orders),
                    "refunds": len(store.refunds),
                    "customers": len(store.customers),
                    "webhooks": len(store.webhooks),
                },
                "deliveries_paused": delivery.paused,
                "pending_deliveries": len(delivery.pending()),
            }

    def add_product(_: dict[str, Any], body: dict[str, Any], __: dict[str, str]) -> Any:
        body = dict(body)
        if body.get("type") == "variable":
            return emu.add_variable_product(body.pop("name"), body.pop("sku"), body.pop("variations", []), **body)
        return emu.add_product(body.pop("name"), body.pop("sku"), body.pop("regular_price"), **body)

    def place_order(_: dict[str, Any], body: dict[str, Any], __: dict[str, str]) -> Any:
        body = dict(body)
        lines = [
            CartLine(line["sku"], int(line.get("quantity", 1)))
            if isinstance(line, dict)
            else CartLine(line[0], int(line[1]))
            for line in body.pop("lines")
        ]
        if "city" in body:
            body["city"] = tuple(body["city"])
        return emu.place_order(lines, **body)

    def generate(_: dict[str, Any], body: dict[str, Any], __: dict[str, str]) -> Any:
        body = dict(body)
        rng = random.Random(body.pop("seed", 1))
        count = int(body.pop("count", 1))
        if "currencies" in body:
            body["currencies"] = tuple(body["currencies"])
        made: list[dict[str, Any]] = []
        for _n in range(count):
            try:
                made.append(emu.generate_order(rng, **body))
            except WooError as err:  # e.g. the catalogue ran out of stock: say how far it got
                raise WooError(
                    err.status,
                    "sandbox_generate_incomplete",
                    f"Made {len(made)} of {count} orders (they are kept); the next one failed: {err.message}",
                    created=len(made),
                    requested=count,
                    order_ids=[order["id"] for order in made],
                    cause=err.code,
                ) from None
        return made

    def refund(p: dict[str, Any], body: dict[str, Any], __: dict[str, str]) -> Any:
        body = dict(body)
        if "lines" in body:
            body["lines"] = {int(k): int(v) for k, v in body["lines"].items()}
        return emu.refund_order(int(p["id"]), **body)

    def faults_get(_: dict[str, Any], __: dict[str, Any], ___: dict[str, str]) -> Any:
        return {**dataclasses.asdict(emu.faults.config), "counters": dict(emu.faults.counters)}

    def faults_put(_: dict[str, Any], body: dict[str, Any], __: dict[str, str]) -> Any:
        body = dict(body)
        if body.get("throttle") is not None:
            body["throttle"] = Throttle(**body["throttle"])
        for key in ("error_statuses", "exempt_paths"):
            if key in body:
                body[key] = tuple(body[key])
        emu.faults.config = dataclasses.replace(emu.faults.config, **body)
        return faults_get({}, {}, {})

    def faults_reset(_: dict[str, Any], __: dict[str, Any], ___: dict[str, str]) -> Any:
        emu.faults.config = FaultConfig()
        emu.faults.reset_counters()
        return faults_get({}, {}, {})

    def batch_failures(_: dict[str, Any], body: dict[str, Any], __: dict[str, str]) -> Any:
        emu.fail_batch_items(
            [int(i) for i in body.get("ids", [])], **{k: body[k] for k in ("status", "code", "message") if k in body}
        )
        return {"ids": sorted(emu.ctx.batch_fail_ids)}

    def pid(p: dict[str, Any]) -> int:
        return int(p["id"])

    routes = [
        ("GET", "/health", lambda p, b, q: {"ok": True, "url": emu.url, "api_url": emu.api_url}),
        ("GET", "/state", state),
        ("PUT", "/options", options),
        ("POST", "/products", add_product),
        ("GET", "/products/{id}", lambda p, b, q: emu.product(pid(p))),
        ("POST", "/customers", lambda p, b, q: emu.add_customer(**b)),
        ("POST", "/coupons", lambda p, b, q: emu.add_coupon(**b)),
        ("POST", "/tax_rates", lambda p, b, q: {"id": emu.add_tax_rate(**b)}),
        ("POST", "/api_keys", lambda p, b, q: emu.add_api_key(**b)),
        ("POST", "/webhooks", lambda p, b, q: emu.create_webhook(**b)),
        ("GET", "/webhooks", lambda p, b, q: emu.webhooks()),
        ("GET", "/webhooks/{id}", lambda p, b, q: emu.webhook(pid(p))),
        ("PUT", "/webhooks/{id}", lambda p, b, q: emu.update_webhook(pid(p), **b)),
        ("POST", "/orders", place_order),
        ("POST", "/orders/generate", generate),
        ("GET", "/orders", lambda p, b, q: emu.orders()),
        ("GET", "/orders/{id}", lambda p, b, q: emu.order(pid(p))),
        ("POST", "/orders/{id}/pay", lambda p, b, q: emu.pay_order(pid(p), b.get("transaction_id"))),
        ("POST", "/orders/{id}/cancel", lambda p, b, q: emu.cancel_order(pid(p))),
        ("POST", "/orders/{id}/status", lambda p, b, q: emu.set_order_status(pid(p), b["status"])),
        ("POST", "/orders/{id}/refund", refund),
        ("GET", "/orders/{id}/notes", lambda p, b, q: emu.notes(pid(p))),
        ("GET", "/orders/{id}/refunds", lambda p, b, q: emu.refunds(pid(p))),
        (
            "GET",
            "/deliveries",
            lambda p, b, q: emu.deliveries(
                int(q["webhook_id"]) if q.get("webhook_id") else None, q.get("kind") or None
            ),
        ),
        ("DELETE", "/deliveries", lambda p, b, q: delivery.clear_log()),
        ("GET", "/deliveries/pending", lambda p, b, q: delivery.pending()),
        ("POST", "/deliveries/flush", lambda p, b, q: {"idle": emu.flush_deliveries(float(b.get("timeout", 30)))}),
        ("POST", "/deliveries/pause", lambda p, b, q: emu.pause_deliveries()),
        ("POST", "/deliveries/resume", lambda p, b, q: emu.resume_deliveries()),
        ("GET", "/calls", lambda p, b, q: emu.api_calls()),
        ("DELETE", "/calls", lambda p, b, q: emu.reset_api_calls()),
        ("GET", "/faults", faults_get),
        ("PUT", "/faults", faults_put),
        ("DELETE", "/faults", faults_reset),
        ("PUT", "/batch_failures", batch_failures),
        ("DELETE", "/batch_failures", lambda p, b, q: emu.clear_batch_failures()),
        ("POST", "/clock", lambda p, b, q: emu.advance_clock(float(b.get("advance_seconds", 0)))),
    ]
    return Starlette(routes=[Route(f"/_sandbox{path}", _endpoint(fn), methods=[method]) for method, path, fn in routes])
