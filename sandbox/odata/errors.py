"""The OData error envelope and what an ERP's dialect of it sets: codes, messages, filter limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ODataError(Exception):
    """An error answer: status, OData `error.code` and `error.message`, extra response headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


ErrorFactory = Callable[[int, str, str], ODataError]


@dataclass(frozen=True)
class Dialect:
    """How one ERP's OData service words what the engine rejects.

    `error` builds the exception (so an ERP's own error class, with its own envelope, is raised);
    `or_one_field_only` is Business Central's limit that `or` may only combine values of one field.
    """

    error: ErrorFactory = ODataError
    bad_request_code: str = "BadRequest"
    invalid_token_code: str = "BadRequest_InvalidToken"
    enum_error_code: str = "Unknown"
    enum_message: str = "The value '{value}' is not a member of the enum; the members are: {options}"
    or_one_field_only: bool = False
    # (status, code, message) of a write without a required If-Match, and of one with a stale ETag
    if_match_missing: tuple[int, str, str] = (428, "PreconditionRequired", "The request must be conditional.")
    if_match_stale: tuple[int, str, str] = (412, "PreconditionFailed", "The ETag does not match the entity's.")

    def bad_request(self, message: str, code: str | None = None) -> ODataError:
        return self.error(400, code or self.bad_request_code, message)


PLAIN = Dialect()
"""Standard OData: no ERP-specific limits, plain error codes."""
