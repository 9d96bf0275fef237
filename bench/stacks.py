"""The whole sandbox stack for a benchmark, with the catalogue widened so orders can have 1–10 lines."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sandbox import catalog
from sandbox.azurite import Azurite
from sandbox.stack import Stack

STOCK = 10_000_000  # nothing runs out during a benchmark (an out-of-stock product leaves the mix)
EXTRA_SIMPLE = tuple((f"BENCH-{n:02d}", f"Bench item {n}", Decimal(12 + 7 * n)) for n in range(8))
EXTRA_VARIABLE = (
    ("BENCH-SHELF", "Bench shelf"),
    (("BENCH-SHELF-OAK", "Oak", Decimal(120)), ("BENCH-SHELF-ASH", "Ash", Decimal(110))),
)
COUPONS = (("TENOFF", 10), ("SPRING15", 15))
# As in the end-to-end tests (default 300 s): a claim left by a failed attempt blocks the order's own
# retries this long (see the throttled pipeline phase), so the default would make that phase minutes longer.
CLAIM_TIMEOUT_SECONDS = 20


@contextlib.contextmanager
def running_stack(azurite: Azurite, *, timers: bool = False, erp: str = "bc", **settings: str) -> Iterator[Stack]:
    """Start the stack (host in this process), restore os.environ and the services afterwards.

    The host's timers are stopped unless `timers`: a quarter-hour backfill firing in the middle of a
    measurement would disturb it; the benchmarks run timer bodies themselves when they measure them.
    """
    from shared.flows.services import reset_services

    # A second stack in one process must import function_app afresh: the azure-functions library
    # rejects indexing the same FunctionApp twice ("does not have a unique function name").
    sys.modules.pop("function_app", None)
    saved = dict(os.environ)
    extra = {"CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT_SECONDS), **settings}
    stack = Stack(azurite=azurite, erp=erp, extra_settings=extra)
    try:
        stack.start()
        if not timers:
            stop_timers(stack)
        yield stack
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
        reset_services()


def stop_timers(stack: Stack) -> None:
    server = stack.host.server
    assert server is not None and server.loop is not None
    for timer in stack.host.timer_listeners:
        asyncio.run_coroutine_threadsafe(timer.stop(), server.loop).result(10)


def widen_catalog(stack: Stack) -> int:
    """More products on both sides (19 buyable, 5 of them variations) and plenty of stock; coupons."""
    woo, bc = stack.woo, stack.bc
    for sku, name, price in EXTRA_SIMPLE:
        woo.add_product(name, sku, price, stock_quantity=STOCK, manage_stock=True)
        bc.add_item(sku, name, price, inventory=1000)
    (parent_sku, parent_name), variations = EXTRA_VARIABLE
    woo.add_variable_product(
        parent_name,
        parent_sku,
        [
            {"sku": sku, "regular_price": price, "option": option, "stock_quantity": STOCK}
            for sku, option, price in variations
        ],
        attribute="Wood",
    )
    for sku, option, price in variations:
        bc.add_item(sku, f"{parent_name} - {option}", price, inventory=1000)
    store = woo.store
    with store.lock:
        for product in list(store.products.values()):
            if product.manage_stock and (product.stock_quantity or 0) < STOCK:
                store.update_product(product, {"stock_quantity": STOCK})
    for code, percent in COUPONS:
        woo.add_coupon(code, "percent", percent)
    return len(catalog.SIMPLE) + len(catalog.VARIATIONS) + len(EXTRA_SIMPLE) + len(variations)


def queue_depth(stack: Stack) -> int:
    """Messages waiting in woo-events plus invocations in flight in the host."""
    from shared.flows.services import services
    from shared.storage.names import WOO_EVENTS_QUEUE

    props: Any = services().storage.queue_service().get_queue_client(WOO_EVENTS_QUEUE).get_queue_properties()
    in_flight = sum(len(listener.in_flight) for listener in stack.host.queue_listeners)
    return int(props.approximate_message_count or 0) + in_flight


def wait_quiet(stack: Stack, timeout: float = 120.0, settle: float = 1.0) -> bool:
    """Wait until Woo has nothing left to deliver and the queue is empty (twice, `settle` apart)."""
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        idle = stack.woo.delivery.wait_idle(timeout=0.5) and queue_depth(stack) == 0
        if idle:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= settle:
                return True
        else:
            quiet_since = None
        time.sleep(0.2)
    return False
