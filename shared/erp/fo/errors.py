"""F&O error answers → the port's errors (facts: finance-operations.md §1.6, dynamics.md §2.3). No I/O.

F&O's error body has an empty ``code`` and the generic message "An error has occurred."; the useful
text is ``innererror.message`` (an ``AxODataWriteException`` with Infolog lines). That text decides
whether a failure is a hold (a data-fixable problem), a conflict, or permanent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.erp.fo import guesses
from shared.erp.port import ErpConflict, ErpDataProblem, ErpError, PermanentErpError, TransientErpError
from shared.model import HoldReason

# dynamics.md §2.3: the resource-based throttling text, sent with 429 (and by some front ends with 503)
THROTTLE_TEXT = "system experiencing high resource utilization"


def error_text(body: Any) -> str:
    """The actionable text of an F&O error body: ``innererror.message``, else ``message``, else the body."""
    if not isinstance(body, Mapping):
        return str(body or "")
    error = body.get("error")
    if not isinstance(error, Mapping):
        return str(body)
    inner = error.get("innererror")
    if isinstance(inner, Mapping) and inner.get("message"):
        return str(inner["message"])
    return str(error.get("message") or "")


def classify_fo_error(status: int | None, body: Any, context: Mapping[str, str]) -> ErpError:
    """An F&O error answer as the port's error: held, conflict, transient or permanent.

    ``context`` names what the request was about (``customer``, ``currency``, ``item``) for the hold.
    """
    text = error_text(body)
    lowered = text.lower()
    if THROTTLE_TEXT in lowered or status == 429:
        return TransientErpError(f"F&O is throttling: {text}", status=status)
    if status in (409, 412) or guesses.ALREADY_EXISTS_MARKER in lowered:
        return ErpConflict(text, status=status)
    if any(marker in lowered for marker in guesses.ON_HOLD_MARKERS):
        return ErpDataProblem([HoldReason.blocked_customer(context.get("customer", "?"), "")], status=status)
    if any(marker in lowered for marker in guesses.CURRENCY_MARKERS):
        return ErpDataProblem([HoldReason.currency_not_set_up(context.get("currency", "?"))], status=status)
    return PermanentErpError(f"F&O answered {status}: {text}".strip(), status=status)
