"""BC-shaped errors: `{"error":{"code","message"}}` with the CorrelationId appended to the message."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sandbox.odata.errors import Dialect, ODataError


class ApiError(ODataError):
    """An OData error in BC's envelope (the message ends with a CorrelationId)."""

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict[str, Any]:
    # BC puts two spaces before "CorrelationId:" and two after the colon.
    return {"error": {"code": code, "message": f"{message}  CorrelationId:  {uuid.uuid4()}."}}


def bad_request(message: str, code: str = "BadRequest") -> ApiError:
    return ApiError(400, code, message)


BC_DIALECT = Dialect(
    error=ApiError,
    bad_request_code="BadRequest",
    invalid_token_code="BadRequest_InvalidToken",
    enum_error_code="Unknown",
    # AL's wording for a value that is not an option of an enum field.
    enum_message="'{value}' is not an option. The existing options are: {options}",
    # BC turns a $filter into per-field AL filters, so `or` can only combine values of one field.
    or_one_field_only=True,
    if_match_missing=(
        400,
        "BadRequest_InvalidToken",
        "Could not validate the client concurrency token required by the service. Please provide a "
        "valid token in the client request.",
    ),
    if_match_stale=(409, "Request_EntityChanged", "Another user has already changed the record."),
)
"""How the shared OData engine (sandbox/odata/) answers as Business Central does."""


def dialog(message: str) -> ApiError:
    """An AL `Error(...)` raised by page/table code surfaces as Application_DialogException (400)."""
    return ApiError(400, "Application_DialogException", message)


def not_found(segment: str) -> ApiError:
    return ApiError(404, "BadRequest_NotFound", f"Resource not found for the segment '{segment}'.")


def method_not_allowed(method: str, entity_set: str) -> ApiError:
    return ApiError(
        405,
        "BadRequest_MethodNotAllowed",
        f"'{method}' requests for '{entity_set}' of EdmType 'Entity' are not allowed within "
        "Dynamics 365 Business Central OData web services.",
    )


def string_too_long(value: str, max_length: int) -> ApiError:
    return ApiError(
        400,
        "Application_StringExceededLength",
        f"The length of the string is {len(value)}, but it must be less than or equal to {max_length} "
        f"characters. Value: {value}",
    )


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "Authentication_InvalidCredentials",
        "The server has rejected the client credentials.",
    )


_FAULT_CODES = {
    408: ("RequestTimeout", "The operation has timed out."),
    429: ("Application_TooManyRequests", "Too many requests reached."),
    500: ("Internal_ServerError", "An unexpected error occurred."),
    502: ("BadGateway", "The service is temporarily unavailable (bad gateway)."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable. Please try again later."),
    504: ("GatewayTimeout", "The request took too long to process."),
}


def fault_body(status: int) -> tuple[bytes, str]:
    """Error bodies for faults injected by `sandbox.faults.FaultInjector`."""
    code, message = _FAULT_CODES.get(status, ("Unknown", "Injected fault."))
    return json.dumps(error_body(code, message)).encode(), "application/json; charset=utf-8"
