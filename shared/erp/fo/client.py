"""F&O's OData client: one legal entity, classified calls, paging and multipart `$batch` changesets.

Facts: finance-operations.md §1 (service root ``/data/``, composite keys, ``dataAreaId`` and
``cross-company=true``, ``@odata.nextLink`` paging at most 10,000 rows a page, multipart ``$batch`` whose
outer answer is 200 even when a changeset failed, errors in ``innererror.message``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from shared.erp.fo.errors import classify_fo_error
from shared.erp.port import TransientErpError
from shared.http import ApiClient, PermanentHttpError, TransientHttpError

WRITE_EXCEPTION = "AxODataWriteException"  # F&O's definite "the write failed" (facts §1.6): not ambiguous
MAX_PAGE = 10_000  # facts §1.3
JSON_TYPE = "application/json;odata.metadata=minimal"
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_STATUS_LINE = re.compile(r"^HTTP/1\.1 (\d{3})", re.MULTILINE)


def odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def key_path(entity_set: str, **keys: str) -> str:
    """``Set(k1='v1',k2='v2')``: every key field, string values quoted (facts §1.2)."""
    return f"{entity_set}(" + ",".join(f"{name}={odata_string(value)}" for name, value in keys.items()) + ")"


def enum_literal(enum_type: str, member: str, namespace: str) -> str:
    """``Microsoft.Dynamics.DataEntities.SalesStatus'Backorder'``: F&O rejects a bare string (facts §1.3)."""
    return f"{namespace}.{enum_type}'{member}'"


def _is_write_failure(body: Any) -> bool:
    if not isinstance(body, Mapping):
        return False
    inner = (body.get("error") or {}).get("innererror") if isinstance(body.get("error"), Mapping) else None
    return isinstance(inner, Mapping) and WRITE_EXCEPTION in str(inner.get("type") or "")


@dataclass(frozen=True)
class BatchRequest:
    """One operation of a changeset: ``path`` relative to ``/data/``; ``$<n>`` refers to an earlier one."""

    method: str
    path: str
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class BatchAnswer:
    status: int
    body: Any
    content_id: str = ""


class FoClient:
    """Calls to one F&O environment's ``/data/`` for one legal entity, with F&O's errors as the port's."""

    def __init__(self, api: ApiClient, data_area_id: str, *, cross_company: bool = False) -> None:
        self.api = api
        self.data_area_id = data_area_id.lower()
        self.cross_company = cross_company

    # ---- single calls

    def call(self, method: str, path: str, *, context: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        try:
            response = self.api.request(method, path, **kwargs)
        except TransientHttpError as exc:
            if _is_write_failure(exc.body):  # F&O answered: the write failed, nothing was saved
                raise classify_fo_error(exc.status, exc.body, context or {}) from exc
            raise TransientErpError(
                str(exc), status=exc.status, retry_after=exc.retry_after, ambiguous=exc.ambiguous
            ) from exc
        except PermanentHttpError as exc:
            raise classify_fo_error(exc.status, exc.body, context or {}) from exc
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def scoped(self, params: Mapping[str, str]) -> dict[str, str]:
        """Query options limited to the legal entity: ``dataAreaId eq`` and ``cross-company=true`` when the
        connection is not the user's default company (facts §1.2)."""
        scoped = dict(params)
        if self.cross_company:
            company = f"dataAreaId eq {odata_string(self.data_area_id)}"
            scoped["$filter"] = f"({scoped['$filter']}) and {company}" if scoped.get("$filter") else company
            scoped["cross-company"] = "true"
        return scoped

    def key_params(self) -> dict[str, str]:
        """Query options for a key-addressed request (the key carries dataAreaId)."""
        return {"cross-company": "true"} if self.cross_company else {}

    def get_all(self, entity_set: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        return list(self.iter_rows(entity_set, params))

    def iter_rows(
        self, entity_set: str, params: Mapping[str, str], *, page_size: int = MAX_PAGE, shared: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Every row, following ``@odata.nextLink`` verbatim; one page in memory at a time. ``shared``: the
        entity is one for all legal entities (no ``dataAreaId``), so the query is not scoped to one."""
        headers = {"Prefer": f"odata.maxpagesize={min(page_size, MAX_PAGE)}"}
        query = dict(params) if shared else self.scoped(params)
        page = self.call("GET", entity_set, params=query, headers=headers) or {}
        while True:
            yield from page.get("value", [])
            link = page.get("@odata.nextLink")
            if not link:
                return
            page = self.call("GET", link, headers=headers) or {}

    def get_key(self, entity_set: str, keys: Mapping[str, str]) -> dict[str, Any] | None:
        """One record by its full key (``dataAreaId`` first), or None when there is none."""
        path = key_path(entity_set, dataAreaId=self.data_area_id, **keys)
        try:
            found = self.call("GET", path, params=self.key_params())
        except Exception as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        return found if isinstance(found, dict) else None

    # ---- $batch

    @property
    def service_root(self) -> str:
        return str(self.api.client.base_url).rstrip("/") + "/"

    def changeset(
        self,
        requests: Sequence[BatchRequest],
        *,
        reads: Sequence[tuple[str, Mapping[str, str]]] = (),
        context: Mapping[str, str] | None = None,
    ) -> tuple[list[BatchAnswer], list[BatchAnswer]]:
        """Run ``requests`` as one atomic changeset of a multipart ``$batch`` (facts §1.5), then the GETs in
        ``reads`` (entity set, query options) in the same call: (changeset answers, read answers).

        The outer answer is 200 even when the changeset failed, and a failed changeset may answer with a
        single part: every part is read, and the first failure is raised as the port's error (nothing was
        saved). A transport failure after sending is ambiguous (the changeset may have been saved).
        """
        batch, changeset = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
        lines = [f"--{batch}", f"Content-Type: multipart/mixed; boundary={changeset}", ""]
        for index, request in enumerate(requests, start=1):
            lines += [f"--{changeset}", *_operation(str(index), request.method, self._absolute(request.path))]
            lines += ["", json.dumps(request.body) if request.body is not None else ""]
        lines.append(f"--{changeset}--")
        for index, (entity_set, params) in enumerate(reads, start=len(requests) + 1):
            url = self._absolute(entity_set) + "?" + urlencode(self.scoped(params), quote_via=quote)
            lines += [f"--{batch}", *_operation(str(index), "GET", url), "", ""]
        lines += [f"--{batch}--", ""]
        content = "\r\n".join(lines).encode()
        headers = {"Content-Type": f"multipart/mixed; boundary={batch}", "Accept": "multipart/mixed"}
        try:
            response = self.api.request("POST", "$batch", content=content, headers=headers)
        except TransientHttpError as exc:
            raise TransientErpError(
                str(exc), status=exc.status, retry_after=exc.retry_after, ambiguous=exc.ambiguous
            ) from exc
        except PermanentHttpError as exc:
            raise classify_fo_error(exc.status, exc.body, context or {}) from exc
        answers = parse_batch_response(response.headers.get("content-type", ""), response.text)
        # a failed changeset answers one part for all its requests (facts §1.5): split by Content-ID
        written = [a for a in answers if not a.content_id.isdigit() or int(a.content_id) <= len(requests)]
        read = [a for a in answers if a.content_id.isdigit() and int(a.content_id) > len(requests)]
        for answer in written:
            if answer.status >= 400:
                if answer.status in (429, 503) or (answer.status >= 500 and not _is_write_failure(answer.body)):
                    raise TransientErpError(f"F&O $batch part answered {answer.status}", status=answer.status)
                raise classify_fo_error(answer.status, answer.body, context or {})
        if len(written) != len(requests) or len(read) != len(reads):
            raise TransientErpError(f"F&O $batch answered {len(answers)} parts", ambiguous=True)
        return written, read

    def _absolute(self, path: str) -> str:
        if path.startswith(("$", "http")):
            return path
        return self.service_root + path


def _operation(content_id: str, method: str, url: str) -> list[str]:
    return [
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        f"Content-ID: {content_id}",
        "",
        f"{method} {url} HTTP/1.1",
        "OData-Version: 4.0",
        f"Content-Type: {JSON_TYPE}",
        f"Accept: {JSON_TYPE}",
    ]


def parse_batch_response(content_type: str, text: str) -> list[BatchAnswer]:
    """Every operation answer in a multipart ``$batch`` response, changesets flattened, in order."""
    match = _BOUNDARY.search(content_type)
    if not match:
        raise TransientErpError("F&O $batch answer is not multipart", ambiguous=True)
    return _parts(text, match.group(1))


def _parts(text: str, boundary: str) -> list[BatchAnswer]:
    answers: list[BatchAnswer] = []
    body = text.replace("\r\n", "\n").split(f"--{boundary}--", 1)[0]
    for chunk in body.split(f"--{boundary}")[1:]:
        head, _, rest = chunk.lstrip("\n").partition("\n\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head.split("\n"))
            if value
        }
        kind = headers.get("content-type", "")
        inner = _BOUNDARY.search(kind)
        if inner and "multipart/mixed" in kind.lower():
            answers += _parts(rest, inner.group(1))
            continue
        status_match = _STATUS_LINE.search(rest)
        if not status_match:
            continue
        _, _, payload = rest[status_match.start() :].partition("\n\n")
        payload = payload.strip()
        try:
            parsed: Any = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload
        answers.append(BatchAnswer(int(status_match.group(1)), parsed, headers.get("content-id", "")))
    return answers
