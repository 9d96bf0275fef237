"""The GP emulator's HTTP surface: the legacy Web Services endpoint (WSDL + SOAP 1.1) and the SBA routes.

Both sit behind :class:`sandbox.gp.ntlm.NtlmGate`, as IIS puts Windows authentication in front of them.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.gp.soap import GpFault, SoapService
from sandbox.gp.store import GpStore
from sandbox.gp.wsdl import SERVICE_PATH, SoapRequestError, parse_request, render_fault, render_response, served_wsdl

log = logging.getLogger(__name__)
SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"


class SoapEndpoint:
    def __init__(self, store: GpStore, service: SoapService) -> None:
        self.store = store
        self.service = service

    def routes(self) -> list[BaseRoute]:
        return [Route(SERVICE_PATH, self.handle, methods=["GET", "POST"])]

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" not in {k.lower() for k in request.query_params}:
                return Response("<html><body>DynamicsGPService Web Service</body></html>", media_type="text/html")
            service_url = f"{request.url.scheme}://{request.url.netloc}{SERVICE_PATH}"
            return Response(served_wsdl(service_url), media_type=SOAP_CONTENT_TYPE)
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("text/xml"):
            # ASMX answers a SOAP 1.1 endpoint's non-text/xml request with 415.
            return Response("Unsupported Media Type", status_code=415)
        body = await request.body()
        user = str(request.scope.get("state", {}).get("gp_user", ""))
        try:
            operation, params = await asyncio.to_thread(parse_request, body, request.headers.get("soapaction", ""))
        except SoapRequestError as exc:
            return _fault(render_fault(str(exc), client_error=True))
        try:
            result = self.service.call(operation, params, user)
            payload = await asyncio.to_thread(render_response, operation, result)
        except GpFault as fault:
            return self._business_fault(operation, fault)
        except Exception:
            # GP answers an unexpected failure with a system fault (no <Message>), details only in its log.
            log.exception("GP emulator failed on %s", operation)
            return _fault(render_fault("An unexpected error occurred."))
        return Response(payload, media_type=SOAP_CONTENT_TYPE)

    def _business_fault(self, operation: str, fault: GpFault) -> Response:
        if not fault.validation:
            return _fault(render_fault(fault.message))
        error = {
            "ObjectType": operation,
            "PropertyNames": {"string": list(fault.properties)},
            "Message": fault.message,
            "Id": "1",
        }
        log_id = self.store.log_validation([error])
        message = "The transaction was not processed due to business logic errors."
        return _fault(render_fault(message, validation_log_id=log_id))


def _fault(payload: bytes) -> Response:
    # SOAP 1.1 over HTTP: a fault travels with 500 Internal Server Error.
    return Response(payload, status_code=500, media_type=SOAP_CONTENT_TYPE)


def build_app(routes: list[BaseRoute]) -> Starlette:
    return Starlette(routes=routes)
