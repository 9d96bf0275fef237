"""The ASGI app: /wp-json/wc/v3 REST routes (auth, JSON bodies, errors) and the /_sandbox control API."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.woo.api import orders, products, webhooks
from sandbox.woo.api.common import ApiContext, Req, Resp
from sandbox.woo.api.versions import version_has_route
from sandbox.woo.auth import authenticate, unauthenticated
from sandbox.woo.errors import WooError, no_route
from sandbox.woo.fields import filter_fields
from sandbox.woo.formats import wp_json_encode

log = logging.getLogger("sandbox.woo")
NAMESPACE = "/wc/v3"


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Callable[[Req], Any]


def compile_routes(raw: list[tuple[str, str, Any]]) -> list[Route]:
    out = []
    for method, template, handler in raw:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>\\d+)", template)
        out.append(Route(method, template, re.compile(f"^{regex}/?$"), handler))
    return out


def json_response(status: int, body: Any, headers: dict[str, str] | None = None, *, head: bool = False) -> Response:
    content = b"" if head else wp_json_encode(body)
    return Response(content, status, headers=headers, media_type="application/json; charset=UTF-8")


def error_response(err: WooError) -> Response:
    return json_response(err.status, err.body(), err.headers or None)


class CallCounter:
    """REST calls per "METHOD /route/{template}" for calls-per-order benchmarks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def add(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()


class WooApp:
    def __init__(self, ctx: ApiContext, control: ASGIApp, calls: CallCounter) -> None:
        self.ctx = ctx
        self.control = control
        self.calls = calls
        self.routes = compile_routes(orders.routes(ctx) + products.routes(ctx) + webhooks.routes(ctx))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": f"{message['type']}.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/_sandbox"):
            await self.control(scope, receive, send)
            return
        request = Request(scope, receive)
        rest_route = None
        if path.startswith("/wp-json"):
            rest_route = path[len("/wp-json") :] or "/"
        elif path == "/" and request.query_params.get("rest_route"):
            rest_route = request.query_params["rest_route"]
        if rest_route is None:
            await Response(
                b"<html><body>WooCommerce sandbox</body></html>",
                200 if path == "/" else 404,
                media_type="text/html; charset=UTF-8",
            )(scope, receive, send)
            return
        response = await self.rest(request, rest_route)
        await response(scope, receive, send)

    async def rest(self, request: Request, rest_route: str) -> Response:
        method = request.method.upper()
        override = request.headers.get("x-http-method-override") or request.query_params.get("_method")
        if method == "POST" and override:
            method = override.upper()
        head = method == "HEAD"
        if rest_route.rstrip("/") in ("", NAMESPACE):
            return json_response(200, self.index(), head=head)
        if not rest_route.startswith(NAMESPACE + "/"):
            return error_response(no_route())
        sub = rest_route[len(NAMESPACE) :]
        lookup = "GET" if head else method
        route, ids = None, {}
        for r in self.routes:
            match = r.pattern.match(sub)
            if match and r.method == lookup and self._registered(r):
                route, ids = r, {k: int(v) for k, v in match.groupdict().items()}
                break
        if route is None:
            return error_response(no_route())
        self.calls.add(f"{method} {route.template}")
        query = [
            (k, v)
            for k, v in parse_qsl(request.url.query, keep_blank_values=True)
            if k not in ("rest_route", "_method")
        ]
        try:
            key = authenticate(self.ctx.store, method, request.url.scheme, query, request.headers)
            if key is None:
                raise unauthenticated(method, route.template)
            body = await self._body(request)
            req = Req(method=method, path=sub, ids=ids, query_pairs=query, body=body, key=key)
            result = await run_in_threadpool(route.handler, req)
        except WooError as err:
            return error_response(err)
        except Exception:
            log.exception("woo sandbox handler failed: %s %s", method, sub)
            return json_response(
                500,
                {
                    "code": "internal_server_error",
                    "message": "There has been a critical error on this website.",
                    "data": {"status": 500},
                },
            )
        fields = next((v for k, v in reversed(query) if k == "_fields"), None)
        if isinstance(result, Resp):
            body = filter_fields(result.body, fields) if fields else result.body
            return json_response(result.status, body, result.headers, head=head)
        return json_response(200, filter_fields(result, fields) if fields else result, head=head)

    def _registered(self, route: Route) -> bool:
        """Whether the store's WooCommerce version has this route (facts §2.5: no `/refunds` in 8.x)."""
        return version_has_route(self.ctx.store.options.wc_version, route.template)

    async def _body(self, request: Request) -> Any:
        raw = await request.body()
        if not raw:
            return {}
        ctype = request.headers.get("content-type", "")
        if "json" in ctype or raw[:1] in (b"{", b"["):
            try:
                return json.loads(raw)
            except ValueError:
                raise WooError(
                    400,
                    "rest_invalid_json",
                    "Invalid JSON body passed.",
                    json_error_code=4,
                    json_error_message="Syntax error",
                ) from None
        if "form" in ctype:
            return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        return {}

    def index(self) -> dict[str, Any]:
        routes: dict[str, Any] = {}
        for r in filter(self._registered, self.routes):
            path = NAMESPACE + re.sub(r"\{(\w+)\}", r"(?P<\1>[\\d]+)", r.template)
            entry = routes.setdefault(path, {"namespace": "wc/v3", "methods": [], "endpoints": []})
            entry["methods"].append(r.method)
            entry["endpoints"].append({"methods": [r.method], "args": {}})
        return {
            "namespace": "wc/v3",
            "routes": routes,
            "_links": {"up": [{"href": self.ctx.store.home_url + "wp-json/"}]},
        }
