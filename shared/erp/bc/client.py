"""Business Central's OData client: one company's URL, classified calls, paging and JSON `$batch`.

The adapter and its helpers (catalogue and stock reads, shipments, subscriptions) all speak to BC
through this, so none of them needs the adapter itself (facts: dynamics.md §1.3–1.6).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from shared.config import BcConnection
from shared.erp.port import ErpConflict, ErpDataProblem, ErpError, PermanentErpError, TransientErpError
from shared.http import ApiClient, PermanentHttpError, TransientHttpError
from shared.model import HoldReason


def odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def company_url(connection: BcConnection) -> str:
    return (
        f"{connection.api_url.rstrip('/')}/v2.0/{connection.tenant_id}/{connection.environment}"
        f"/api/v2.0/companies({connection.company_id})"
    )


class BcClient:
    """Calls to one BC company, with BC's errors turned into the port's."""

    def __init__(self, api: ApiClient, connection: BcConnection) -> None:
        self.api = api
        self.connection = connection

    def call(self, method: str, path: str, *, context: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        try:
            response = self.api.request(method, path, **kwargs)
        except TransientHttpError as exc:
            raise TransientErpError(
                str(exc), status=exc.status, retry_after=exc.retry_after, ambiguous=exc.ambiguous
            ) from exc
        except PermanentHttpError as exc:
            raise classify_bc_error(exc.status, exc.body, context or {}) from exc
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get_all(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        page = self.call("GET", path, params=dict(params))
        values: list[dict[str, Any]] = list(page.get("value", []))
        while page.get("@odata.nextLink"):
            page = self.call("GET", page["@odata.nextLink"])
            values.extend(page.get("value", []))
        return values

    def batch_get(self, requests: Sequence[tuple[str, Mapping[str, str]]]) -> list[dict[str, Any]]:
        """The rows of several company-relative GETs, sent as JSON `$batch` calls of ≤ 100 (facts §1.3).

        A single GET goes as is. An operation the batch answers with an error is repeated on its own, so
        it gets the usual retries and error classification; `@odata.nextLink` pages are followed.
        """
        if len(requests) <= 1:
            return [row for path, params in requests for row in self.get_all(path, params)]
        rows: list[dict[str, Any]] = []
        root = f"companies({self.connection.company_id})"
        for start in range(0, len(requests), BATCH_OPERATIONS):
            chunk = requests[start : start + BATCH_OPERATIONS]
            operations = [
                {"id": str(index), "method": "GET", "url": f"{root}/{path}?{urlencode(params, quote_via=quote)}"}
                for index, (path, params) in enumerate(chunk)
            ]
            answer = self.call("POST", self.batch_url, json={"requests": operations}, idempotent=True) or {}
            responses = {str(item.get("id")): item for item in answer.get("responses", []) if isinstance(item, dict)}
            for index, (path, params) in enumerate(chunk):
                response = responses.get(str(index))
                if response is None or int(response.get("status") or 0) >= 400:
                    rows.extend(self.get_all(path, params))
                    continue
                page = response.get("body") or {}
                rows.extend(page.get("value", []))
                while page.get("@odata.nextLink"):
                    page = self.call("GET", page["@odata.nextLink"])
                    rows.extend(page.get("value", []))
        return rows

    def iter_rows(self, path: str, params: Mapping[str, str], *, page_size: int = 5000) -> Iterator[dict[str, Any]]:
        """The rows of a GET, one page (≤ `page_size`, `Prefer: odata.maxpagesize`) in memory at a time."""
        headers = {"Prefer": f"odata.maxpagesize={page_size}"}
        page = self.call("GET", path, params=dict(params), headers=headers) or {}
        while True:
            yield from page.get("value", [])
            link = page.get("@odata.nextLink")
            if not link:
                return
            page = self.call("GET", link, headers=headers) or {}

    @property
    def batch_url(self) -> str:
        """`…/api/v2.0/$batch`: the service root's, beside the company URL."""
        return company_url(self.connection).rsplit("/companies(", 1)[0] + "/$batch"


RECONCILE_FILTER_CHARS = 1500  # filter text per request: ~45 order numbers, far below URL length limits
BATCH_OPERATIONS = 100  # operations per JSON $batch (BC's limit, facts §1.3)


def any_of_within(field: str, values: Sequence[str], limit: int = RECONCILE_FILTER_CHARS) -> list[str]:
    """`field eq 'a' or field eq 'b' …` expressions, each at most `limit` characters (one value at least)."""
    expressions: list[str] = []
    current: list[str] = []
    length = 0
    for value in values:
        term = f"{field} eq {odata_string(value)}"
        if current and length + len(term) + 4 > limit:
            expressions.append(" or ".join(current))
            current, length = [], 0
        current.append(term)
        length += len(term) + 4
    if current:
        expressions.append(" or ".join(current))
    return expressions


def classify_bc_error(status: int | None, body: Any, context: Mapping[str, str]) -> ErpError:
    """Turn a BC error answer into the port's error types; data problems become holds.

    `context` names what the request was about (customer number, currency) for the hold message.
    """
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = str(error.get("code") or "")
    message = str(error.get("message") or body or "")
    lowered = message.lower()
    if status == 409 or code == "Request_EntityChanged":
        return ErpConflict(message, status=status, code=code)
    if "blocked" in lowered and "customer" in lowered:
        hold = HoldReason.blocked_customer(context.get("customer", "?"), "")
        return ErpDataProblem([hold], status=status, code=code)
    if "currency" in lowered and "does not match" in lowered:
        hold = HoldReason.currency_not_set_up(context.get("currency", "?"))
        return ErpDataProblem([hold], status=status, code=code)
    return PermanentErpError(f"BC answered {status}: {code} {message}".strip(), status=status, code=code)
