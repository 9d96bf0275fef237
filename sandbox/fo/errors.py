"""F&O's error envelope (facts §1.6; saved samples fo-error-customerv3-write-failed.json and
fo-batch-response-changeset-500.txt): `code` empty, `message` "An error has occurred.", the useful text in
`innererror.message`, with the .NET exception type and a stack trace."""

from __future__ import annotations

from typing import Any

from sandbox.fo import guesses
from sandbox.odata.errors import Dialect, ODataError

WRITE_EXCEPTION = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"
QUERY_EXCEPTION = "Microsoft.OData.ODataException"  # UNCONFIRMED type name for a rejected query
WRITE_STACK = (
    "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor.CreateEntity_Save("
    "ChangeOperationContext context, ChangeInfo changeInfo)\r\n"
    "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateManager.SaveChanges()"
)


class FoError(ODataError):
    """An error in F&O's envelope. `code` is the OData `error.code` (always "" in captures); `message` is the
    outer text; `inner` the innererror.message; `type` the innererror type."""

    def __init__(
        self,
        status: int,
        inner: str,
        *,
        message: str = "An error has occurred.",
        type_: str = QUERY_EXCEPTION,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, "", message, headers)
        self.inner = inner
        self.type = type_

    def body(self) -> dict[str, Any]:
        stack = WRITE_STACK if self.type == WRITE_EXCEPTION else ""
        return {
            "error": {
                "code": "",
                "message": self.message,
                "innererror": {"message": self.inner, "type": self.type, "stacktrace": stack},
            }
        }


def _dialect_error(status: int, code: str, message: str) -> ODataError:
    return FoError(
        status, message, message=guesses.BAD_QUERY_MESSAGE.format(detail=message) if status == 400 else message
    )


FO_DIALECT = Dialect(
    error=_dialect_error,
    bad_request_code="",
    invalid_token_code="",
    enum_error_code="",
    enum_message="The value '{value}' is not a valid member of the enum; the members are: {options}",
    if_match_stale=(guesses.STALE_ETAG_STATUS, "", "The ETag does not match the entity's current ETag."),
)


def bad_request(detail: str) -> FoError:
    return FoError(400, detail, message=guesses.BAD_QUERY_MESSAGE.format(detail=detail))


def not_found(url: str) -> FoError:
    text = guesses.NOT_FOUND_MESSAGE.format(url=url)
    return FoError(404, text, message=text)


def write_failed(aot: str, infolog: str, status: int = guesses.WRITE_FAILURE_STATUS) -> FoError:
    """`Write failed for table row of type '<AOT>'. Infolog: <lines>` (the real text, facts §1.6)."""
    return FoError(status, f"Write failed for table row of type '{aot}'. Infolog: {infolog}", type_=WRITE_EXCEPTION)


def fault_body(status: int) -> tuple[bytes, str]:
    """Injected faults (sandbox/faults.py) in F&O's envelope; 429 carries the resource-based throttling text."""
    import json

    text = guesses.THROTTLE_MESSAGE if status == 429 else "An error has occurred."
    body = FoError(status, text, message=text).body()
    return json.dumps(body).encode(), "application/json; odata.metadata=minimal; charset=utf-8"
