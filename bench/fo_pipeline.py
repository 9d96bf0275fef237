"""F&O's ERP calls per order: orders placed in the store, posted through the local host to the F&O emulator.

The floor (README "Finance & Operations") is one `$batch` per order at steady state: header and lines in
one changeset with the header read back, the buyer's customer match cached, items cached. Measured in two
phases of fresh and returning buyers (a pool of `CUSTOMERS` e-mails), without payments recorded (as BC's
pipeline runs) and with the customer payment journal on (one more POST per order, and one journal header
read or create a day).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

from bench.common import rounded
from bench.stacks import running_stack
from sandbox.azurite import Azurite
from sandbox.fo import FoEmulator
from sandbox.stack import Stack

CUSTOMERS = 40
SEED = 7


def _posted(order_ids: list[int]) -> int:
    from shared.flows.services import services
    from shared.storage.ledger import OrderState

    ledger = services().ledger
    return sum(
        1 for order_id in order_ids if (entry := ledger.get("main", order_id)) and entry.state == OrderState.POSTED
    )


def _phase(stack: Stack, orders: int, rng: random.Random) -> dict[str, Any]:
    fo = stack.erp_emulator
    assert isinstance(fo, FoEmulator)
    fo.reset_counters()
    started = time.monotonic()
    placed = [int(stack.woo.generate_order(rng, pay=True, customers=CUSTOMERS)["id"]) for _ in range(orders)]
    deadline = time.monotonic() + 60 + orders
    while _posted(placed) < orders and time.monotonic() < deadline:
        time.sleep(0.25)
    posted = _posted(placed)
    counts: Counter[str] = Counter(fo.api.counts)
    requests = counts.pop("requests", 0)
    per = max(1, posted)
    return {
        "orders": orders,
        "posted": posted,
        "erp_calls_per_order": rounded(requests / per, 3),
        "erp_calls_by_operation_per_order": {k: rounded(v / per, 3) for k, v in sorted(counts.items())},
        "erp_requests_total": requests,
        "seconds": round(time.monotonic() - started, 1),
    }


def run(quick: bool = False) -> dict[str, Any]:
    orders = 40 if quick else 200
    result: dict[str, Any] = {"floor_erp_calls_per_order": 1}
    for name, settings in (
        ("no_payments", {"ERPS__fo__PAYMENT_JOURNAL": ""}),
        ("with_payment_journal", {}),
    ):
        # a fresh Azurite per phase: the store's order ids start again, the ledger must not know them
        with Azurite() as azurite, running_stack(azurite, erp="fo", **settings) as stack:
            rng = random.Random(SEED)
            _phase(stack, CUSTOMERS, rng)  # warm-up: the pool's customers created, items cached
            result[name] = _phase(stack, orders, rng)
    return result
