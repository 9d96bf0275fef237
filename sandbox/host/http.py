"""HTTP triggers under /<routePrefix>/<route>, with the raw body bytes and auth levels."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from starlette.requests import Request
from starlette.responses import Response

from sandbox.host.index import FunctionSpec
from sandbox.host.invoke import Invoker
from sandbox.host.keys import HostKeys

log = logging.getLogger("sandbox.host")

_PARAM = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]+)?(\??)\}")


def route_pattern(route: str) -> re.Pattern[str]:
    """ASP.NET-style route template → regex: `{name}`, `{name:int}`, `{name?}`, `{*rest}`."""
    pattern, pos = "", 0
    for match in _PARAM.finditer(route):
        pattern += re.escape(route[pos : match.start()])
        catch_all, name, optional = match.groups()
        body = f"(?P<{name}>.*)" if catch_all else f"(?P<{name}>[^/]+)"
        if optional:
            if pattern.endswith("/"):
                pattern = pattern[:-1] + f"(?:/{body})?"
            else:
                pattern += body + "?"
        else:
            pattern += body
        pos = match.end()
    pattern += re.escape(route[pos:])
    return re.compile(f"^{pattern}$", re.IGNORECASE)


@dataclass
class HttpRoute:
    spec: FunctionSpec
    pattern: re.Pattern[str]
    methods: set[str] | None
    auth_level: str


class HttpFrontEnd:
    """An ASGI app dispatching requests to HTTP-triggered functions."""

    def __init__(self, specs: list[FunctionSpec], invoker: Invoker, keys: HostKeys, route_prefix: str):
        self.invoker = invoker
        self.keys = keys
        self.prefix = "/" + route_prefix.strip("/") if route_prefix.strip("/") else ""
        self.routes = [
            HttpRoute(
                spec,
                route_pattern(spec.trigger.raw.get("route") or spec.name),
                {m.upper() for m in spec.trigger.raw.get("methods") or []} or None,
                str(spec.trigger.raw.get("authLevel", "FUNCTION")),
            )
            for spec in specs
            if spec.kind == "httpTrigger"
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        if self.prefix and not path.startswith(self.prefix + "/"):
            return Response(status_code=404)
        relative = path[len(self.prefix) + 1 :] if self.prefix else path.lstrip("/")
        for route in self.routes:
            match = route.pattern.match(relative)
            if not match or (route.methods and request.method not in route.methods):
                continue
            presented = request.query_params.get("code") or request.headers.get("x-functions-key")
            if not self.keys.allows(route.auth_level, presented):
                return Response(status_code=401)
            return await self._invoke(route, request, {k: v for k, v in match.groupdict().items() if v})
        return Response(status_code=404)

    async def _invoke(self, route: HttpRoute, request: Request, route_params: dict[str, str]) -> Response:
        body = await request.body()
        fn_request = func.HttpRequest(
            method=request.method,
            url=str(request.url),
            headers=dict(request.headers),
            params=dict(request.query_params),
            route_params=route_params,
            body=body,
        )
        try:
            result = await self.invoker(route.spec, fn_request)
        except Exception:
            log.exception("Executed 'Functions.%s' (Failed)", route.spec.name)
            return Response(status_code=500)
        if result is None:
            return Response(status_code=204)
        if isinstance(result, func.HttpResponse):
            headers = dict(result.headers)
            if result.mimetype and "content-type" not in {k.lower() for k in headers}:
                charset = f"; charset={result.charset}" if result.charset else ""
                headers["Content-Type"] = f"{result.mimetype}{charset}"
            return Response(content=result.get_body(), status_code=result.status_code, headers=headers)
        return Response(content=str(result), status_code=200)
