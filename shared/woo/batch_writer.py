"""WooCommerce product writes through the batch endpoints (facts: woocommerce.md §2.6).

At most 100 items a call, grouped by endpoint: simple and parent products through ``products/batch``,
variations through ``products/{parent}/variations/batch``. Per-item errors come back inside the HTTP
200; failed items are retried once, and what still fails is returned, transient or not.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.http import PermanentHttpError, TransientHttpError
from shared.woo.client import BATCH_LIMIT, WooClient

log = logging.getLogger("connector.woo.batch")


@dataclass
class Write:
    """One batch item: what to change on one Woo product."""

    product_id: int
    parent_id: int = 0  # > 0: a variation, written through products/{parent}/variations/batch
    stock: int | None = None
    price: str | None = None
    name: str | None = None  # the product sync's name write (a two-way or GP-master name)
    manage_stock_on: bool = False
    skus: tuple[str, ...] = ()

    @property
    def endpoint(self) -> str:
        return f"products/{self.parent_id}/variations" if self.parent_id else "products"

    def payload(self) -> dict[str, Any]:
        """Only the id and the stock/price (and synced name) fields: nothing else is touched."""
        body: dict[str, Any] = {"id": self.product_id}
        if self.manage_stock_on:
            body["manage_stock"] = True
        if self.stock is not None:
            body["stock_quantity"] = self.stock
        if self.price is not None:
            body["regular_price"] = self.price
        if self.name is not None:
            body["name"] = self.name
        return body


def chunked(writes: Sequence[Write], size: int = BATCH_LIMIT) -> list[tuple[str, list[Write]]]:
    """(endpoint, ≤ size writes) batches: grouped by endpoint (one group per variable parent)."""
    groups: dict[str, list[Write]] = defaultdict(list)
    for write in writes:
        groups[write.endpoint].append(write)
    batches: list[tuple[str, list[Write]]] = []
    for endpoint in sorted(groups):
        group = groups[endpoint]
        batches.extend((endpoint, group[start : start + size]) for start in range(0, len(group), size))
    return batches


@dataclass(frozen=True)
class FailedWrite:
    write: Write
    code: str
    message: str
    transient: bool


@dataclass
class WriteOutcome:
    written: list[Write] = field(default_factory=list)
    failed: list[FailedWrite] = field(default_factory=list)
    batch_calls: Counter[str] = field(default_factory=Counter)
    retried: int = 0


def _item_error(item: Mapping[str, Any]) -> tuple[str, str, bool] | None:
    error = item.get("error")
    if not isinstance(error, Mapping):
        return None
    data = error.get("data") if isinstance(error.get("data"), Mapping) else {}
    status = data.get("status") if isinstance(data, Mapping) else None
    transient = not isinstance(status, int) or status >= 500 or status in (408, 429)
    return str(error.get("code") or "error"), str(error.get("message") or ""), transient


def send_batch(woo: WooClient, endpoint: str, writes: list[Write]) -> tuple[list[Write], list[FailedWrite]]:
    """One batch call; per-item errors (inside the HTTP 200) and missing items become failures."""
    try:
        answer = woo.batch(endpoint, update=[w.payload() for w in writes])
    except TransientHttpError as exc:
        return [], [FailedWrite(w, f"http_{exc.status or 'error'}", str(exc), True) for w in writes]
    except PermanentHttpError as exc:
        return [], [FailedWrite(w, f"http_{exc.status}", str(exc), False) for w in writes]
    by_id: dict[int, Mapping[str, Any]] = {}
    for item in answer.get("update") or []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), int):
            by_id[item["id"]] = item
    done, failed = [], []
    for write in writes:
        item = by_id.get(write.product_id)
        if item is None:
            failed.append(FailedWrite(write, "missing_in_answer", "the batch answer has no entry for it", True))
            continue
        error = _item_error(item)
        if error is not None:
            failed.append(FailedWrite(write, *error))
            continue
        if write.stock is not None and item.get("stock_quantity") is not None:
            shown = Decimal(str(item["stock_quantity"]))
            if shown != write.stock:
                log.warning("product %s shows stock %s after writing %s", write.product_id, shown, write.stock)
        elif write.stock is not None:
            log.warning("product %s ignored the stock write: is stock management on in the store?", write.product_id)
        done.append(write)
    return done, failed


def send_writes(woo: WooClient, writes: Sequence[Write]) -> WriteOutcome:
    """Send every write in batches of ≤ 100 per endpoint; failed items are retried once."""
    outcome = WriteOutcome()
    failed: list[FailedWrite] = []
    for endpoint, batch in chunked(writes):
        outcome.batch_calls[endpoint] += 1
        done, lost = send_batch(woo, endpoint, batch)
        outcome.written += done
        failed += lost
    if failed:
        outcome.retried = len(failed)
        for endpoint, batch in chunked([f.write for f in failed]):
            outcome.batch_calls[endpoint] += 1
            done, lost = send_batch(woo, endpoint, batch)
            outcome.written += done
            outcome.failed += lost
    return outcome
