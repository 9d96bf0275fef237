"""The F&O HTTP surface: `/data/` (OData v4, `$metadata`, `$batch`) behind Entra ID bearer tokens whose audience
is the environment URL (scope `https://<environment host>/.default`, facts §1.7, dynamics.md §2.1), and the
control API under `/_sandbox/`."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from sandbox.fo import batch
from sandbox.fo.errors import FoError, bad_request, not_found
from sandbox.fo.schema import metadata_xml
from sandbox.fo.service import Call, Result
from sandbox.odata.values import jsonable

if TYPE_CHECKING:
    from sandbox.fo.emulator import FoEmulator

JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"


class FoApi:
    def __init__(self, emu: FoEmulator) -> None:
        self.emu = emu
        self.counts: Counter[str] = Counter()

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
        root = f"{request.url.scheme}://{request.url.netloc}/data"
        try:
            if not self._authenticated(request):
                self.counts["unauthorized"] += 1
                return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})  # body UNCONFIRMED: empty
            if path != "/data" and not path.startswith("/data/"):
                raise not_found(str(request.url))
            rest = path[len("/data/") :]
            raw = await request.body()
            if rest == "$metadata":
                self.counts["GET $metadata"] += 1
                return Response(metadata_xml(), media_type="application/xml")
            if rest == "$batch":
                if request.method != "POST":
                    raise FoError(405, "The $batch endpoint accepts POST only.")
                self.counts["POST $batch"] += 1
                parts = batch.parse(raw, request.headers.get("content-type", ""))
                body = batch.run(parts, root, self._run_in_batch, lambda: self.emu.store.transaction(snapshot=True))
                boundary = body.split(b"\r\n", 1)[0][2:].decode()
                return Response(body, 200, media_type=f"multipart/mixed; boundary={boundary}")
            payload: Any = None
            if raw.strip():
                try:
                    payload = json.loads(raw)
                except ValueError as exc:
                    raise bad_request("The request body is not valid JSON.") from exc
            call = Call(
                request.method.upper(),
                rest,
                dict(parse_qsl(request.url.query, keep_blank_values=True)),
                {k.lower(): v for k, v in request.headers.items()},
                payload,
                root,
            )
            self.counts[f"{call.method} {rest.split('(')[0].split('/')[0]}"] += 1
            result = self.emu.service.handle(call)
        except FoError as err:
            result = Result(err.status, err.body(), err.headers)
        return self.to_response(result)

    def _run_in_batch(self, call: Call) -> Result:
        self.counts[f"batch:{call.method} {call.path.split('(')[0].split('/')[0]}"] += 1
        return self.emu.service.handle(call)

    def to_response(self, result: Result) -> Response:
        headers = {"OData-Version": "4.0", **result.headers}
        if result.body is None:
            return Response(status_code=result.status, headers=headers)
        if isinstance(result.body, bytes):
            media = headers.pop("Content-Type", "text/plain")
            return Response(result.body, status_code=result.status, headers=headers, media_type=media)
        content = json.dumps(result.body, default=jsonable, separators=(",", ":")).encode()
        return Response(content, status_code=result.status, headers=headers, media_type=JSON_TYPE)

    def _authenticated(self, request: Request) -> bool:
        entra = self.emu.entra
        if entra is None:
            return True
        header = request.headers.get("authorization", "")
        info = entra.validate(header[7:].strip()) if header.lower().startswith("bearer ") else None
        return info is not None and info.audience.rstrip("/") == self.emu.environment_url
