"""Server-driven paging: an opaque `$skiptoken` that names the last record served and its position."""

from __future__ import annotations

import base64
import json

from sandbox.odata.errors import PLAIN, Dialect
from sandbox.odata.store import Record


def encode_skiptoken(last_id: str, offset: int) -> str:
    raw = json.dumps({"k": last_id, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str, dialect: Dialect = PLAIN) -> tuple[str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return str(data["k"]), int(data["o"])
    except (ValueError, KeyError, TypeError) as exc:
        raise dialect.bad_request("The skip token value is invalid.", dialect.invalid_token_code) from exc


def page_start(records: list[Record], token: str | None, key: str = "id", dialect: Dialect = PLAIN) -> int:
    if not token:
        return 0
    last_id, offset = decode_skiptoken(token, dialect)
    for index, record in enumerate(records):
        if record.get(key) == last_id:
            return index + 1
    return offset  # the last record was deleted meanwhile: fall back to the position
