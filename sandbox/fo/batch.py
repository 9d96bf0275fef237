"""Multipart `$batch` as F&O answers it (facts §1.5; saved fo-batch-request-changeset.txt and
fo-batch-response-changeset-500.txt): parts with `Content-Type: application/http`, `Content-ID`, an absolute (or
relative) request URL; changesets are atomic; the outer answer is 200 even when a part failed; a failed changeset
answers ONE part (the capture's Content-ID 1 for a failure of the 2nd request) with the error."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.fo import guesses
from sandbox.fo.errors import FoError, bad_request
from sandbox.fo.service import Call, Result
from sandbox.odata.values import jsonable

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
PART_JSON = "application/json; odata.metadata=minimal; charset=utf-8"


@dataclass
class Operation:
    method: str
    url: str
    headers: dict[str, str]
    body: Any
    content_id: str = ""


@dataclass
class Part:
    operations: list[Operation] = field(default_factory=list)
    changeset: bool = False


def boundary_of(content_type: str) -> str:
    m = _BOUNDARY.search(content_type)
    if not m or "multipart/mixed" not in content_type.lower():
        raise bad_request("The $batch request must be multipart/mixed with a boundary.")
    return m.group(1)


def _split(body: str, boundary: str, *, closed: bool = True) -> list[str]:
    """The parts between `--boundary` lines. A changeset's closing delimiter may be missing: the saved request
    (fo-batch-request-changeset.txt) ends its changeset with the batch's `--batch_boundary--` only, and F&O ran it."""
    delimiter = f"--{boundary}"
    if closed and f"{delimiter}--" not in body:
        raise bad_request(f"The $batch body does not end with the boundary '{boundary}'.")
    if delimiter not in body:
        raise bad_request(f"The $batch body has no part with the boundary '{boundary}'.")
    content = body.split(f"{delimiter}--", 1)[0]
    chunks = content.split(delimiter)[1:]
    return [c.lstrip("\r\n") if c.startswith(("\r\n", "\n")) else c for c in chunks]


def _head_and_body(text: str) -> tuple[dict[str, str], str]:
    text = text.replace("\r\n", "\n")
    head, _, rest = text.partition("\n\n")
    headers = {}
    for line in head.split("\n"):
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _operation(text: str) -> Operation:
    headers, rest = _head_and_body(text)
    if headers.get("content-type", "").lower() != "application/http":
        raise bad_request("Each $batch operation must have Content-Type: application/http.")
    rest = rest.replace("\r\n", "\n")
    request_line, _, after = rest.partition("\n")
    bits = request_line.split()
    if len(bits) != 3 or not bits[2].startswith("HTTP/"):
        raise bad_request(f"The request line '{request_line}' is not valid.")
    op_headers, op_body = _head_and_body(after)
    body: Any = None
    if op_body.strip():
        try:
            body = json.loads(op_body)
        except ValueError as exc:
            raise bad_request("A $batch operation body is not valid JSON.") from exc
    return Operation(bits[0].upper(), bits[1], op_headers, body, headers.get("content-id", ""))


def parse(raw: bytes, content_type: str) -> list[Part]:
    text = raw.decode("utf-8")
    parts: list[Part] = []
    for chunk in _split(text, boundary_of(content_type)):
        headers, rest = _head_and_body(chunk)
        ctype = headers.get("content-type", "")
        if ctype.lower().startswith("multipart/mixed"):
            ops = [_operation(c) for c in _split(rest, boundary_of(ctype), closed=False)]
            if any(op.method == "GET" for op in ops):
                raise bad_request("A changeset may not contain GET requests.")
            parts.append(Part(ops, changeset=True))
        else:
            parts.append(Part([_operation(chunk)]))
    return parts


def to_call(op: Operation, root: str, results: dict[str, Result]) -> Call:
    url = op.url
    m = re.match(r"^\$(\d+)(/.*)?$", url.split("?")[0])
    if m:  # `$<Content-ID>` names the entity an earlier request of the changeset created
        created = results.get(m.group(1))
        if created is None or "Location" not in created.headers:
            raise bad_request(f"The Content-ID reference '{url}' names no entity created earlier in the changeset.")
        url = created.headers["Location"] + (m.group(2) or "") + (url[len(m.group(0)) :] if "?" in url else "")
    split = urlsplit(url)
    path = split.path if split.scheme else url.split("?")[0]
    root_path = urlsplit(root).path
    path = path[len(root_path) :] if path.startswith(root_path) else path
    headers = {k.lower(): v for k, v in op.headers.items()}
    return Call(
        op.method, path.lstrip("/"), dict(parse_qsl(split.query, keep_blank_values=True)), headers, op.body, root
    )


Runner = Callable[[Call], Result]


def run(parts: list[Part], root: str, runner: Runner, transaction: Callable[[], Any]) -> bytes:
    """Execute the parts in order and build the multipart answer (its boundary is the first line)."""
    boundary = f"batchresponse_{uuid.uuid4()}"
    out: list[str] = []
    results: dict[str, Result] = {}
    for part in parts:
        if not part.changeset:
            out.append(
                f"--{boundary}\r\n"
                + _response_part(part.operations[0].content_id, _safe(runner, part.operations[0], root, results))
            )
            continue
        cs = f"changesetresponse_{uuid.uuid4()}"
        answers: list[tuple[str, Result]] = []
        try:
            with transaction():
                for op in part.operations:
                    result = runner(to_call(op, root, results))
                    results[op.content_id] = result
                    answers.append((op.content_id, result))
        except FoError as err:
            content_id = (
                part.operations[0].content_id if guesses.FAILED_CHANGESET_CONTENT_ID == "first" else op.content_id
            )
            answers = [(content_id, Result(err.status, err.body(), err.headers))]
        body = "".join(f"--{cs}\r\n" + _response_part(cid, res) for cid, res in answers)
        out.append(f"--{boundary}\r\nContent-Type: multipart/mixed; boundary={cs}\r\n\r\n{body}--{cs}--\r\n")
    out.append(f"--{boundary}--\r\n")
    return "".join(out).encode()


def _safe(runner: Runner, op: Operation, root: str, results: dict[str, Result]) -> Result:
    try:
        return runner(to_call(op, root, results))
    except FoError as err:
        return Result(err.status, err.body(), err.headers)


def _response_part(content_id: str, result: Result) -> str:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    status = f"HTTP/1.1 {result.status} {HTTPStatus(result.status).phrase}"
    inner = [status]
    body = ""
    if result.body is not None:
        if isinstance(result.body, bytes):
            body = result.body.decode()
            inner.append("Content-Type: text/plain")
        else:
            body = json.dumps(result.body, default=jsonable, separators=(",", ":"))
            inner.append(f"Content-Type: {PART_JSON}")
    for name, value in result.headers.items():
        if name.lower() != "content-type":
            inner.append(f"{name}: {value}")
    inner.append("OData-Version: 4.0")
    return "\r\n".join(lines) + "\r\n\r\n" + "\r\n".join(inner) + "\r\n\r\n" + body + "\r\n"
