"""Pipeline: shopper orders → signed webhooks → local host → queue → Business Central, end to end.

Everything runs in this process as in the end-to-end tests (`sandbox.stack.Stack`: Azurite, the Entra,
BC and Woo emulators, the local host running function_app), with BC answering after 50 ms. Phases:

1. **burst**: N orders from the shopper simulator as fast as it places them (70 % from returning
   customers, 1–10 lines, variations, coupons, fees, notes). Throughput = orders / (first placed → last
   posted). ERP calls, Woo calls, storage transactions, webhook deliveries and function executions per order.
2. **paced**: orders at about half the burst throughput, so latency is not queueing behind a backlog:
   p50/p95/p99 of order placed → ledger `posted_at` (set right after the BC document is created). Python
   logging is at INFO here to count the log records (App Insights traces) per order; the per-order
   execution times feed the cost model.
3. **throttled**: BC's service-protection limits on (`Throttle`), the window scaled down with the same rate
   (600 requests / 30 s = 20/s, like 6,000 / 5 min), 5 concurrent requests: throughput as a share of the
   permitted rate, and 429s received.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

from bench.common import (
    InvocationTimer,
    StorageCounter,
    cpu_seconds,
    percentile,
    ratio,
    rounded,
    summarize_invocations,
)
from bench.stacks import queue_depth, running_stack, wait_quiet, widen_catalog
from sandbox.azurite import Azurite
from sandbox.faults import Throttle
from sandbox.stack import Stack

BC_LATENCY_MS = 50
RETURNING_SHARE = 0.70
THROTTLE_REQUESTS, THROTTLE_WINDOW_S = 600, 30.0  # 20 requests/s, as BC's 6,000 / 300 s
BINDING_REQUESTS, BINDING_WINDOW_S = 10, 10.0  # 1 request/s: low enough that this machine hits the limit


def customer_pool(orders: int, returning: float = RETURNING_SHARE) -> int:
    """Pool size N such that drawing `orders` buyers uniformly from N leaves `returning` repeat orders.

    Expected distinct buyers = N (1 - e^(-orders/N)); solve N (1 - e^(-orders/N)) = (1 - returning) orders.
    """
    target = (1 - returning) * orders
    low, high = 1.0, orders * 100.0
    for _ in range(100):
        mid = (low + high) / 2
        if mid * (1 - math.exp(-orders / mid)) < target:
            low = mid
        else:
            high = mid
    return max(1, round(high))


class LogCounter(logging.Handler):
    """Counts log records emitted inside function invocations (the host's worker threads), by family."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: Counter[str] = Counter()
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if not (record.threadName or "").startswith("worker"):
            return
        name = record.name
        family = "connector" if name.startswith(("connector", "shared")) else name.split(".")[0]
        with self._guard:
            self.counts[family] += 1


def bc_documents(stack: Stack) -> int:
    return len(stack.bc.store.table(stack.bc.company(), "salesOrders"))


def _place(stack: Stack, rng: random.Random, pool: int, seen: set[str]) -> tuple[int, float, bool]:
    order = stack.woo.generate_order(rng, pay=True, customers=pool)
    email = str(order["billing"]["email"]).lower()
    returning = email in seen
    seen.add(email)
    return int(order["id"]), time.time(), returning


def _wait_posted(stack: Stack, target_documents: int, timeout: float, stall: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = bc_documents(stack)
        if count >= target_documents:
            return True
        if count != last:
            last, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > stall:
            return False
        time.sleep(0.25)
    return False


def _ledger(order_ids: list[int]) -> dict[int, Any]:
    from shared.flows.services import services

    wanted = set(order_ids)
    return {e.order_id: e for e in _entries(services()) if e.order_id in wanted}


def _entries(services: Any) -> list[Any]:
    from shared.storage.ledger import LedgerEntry

    return [LedgerEntry.from_row(row) for row in services.ledger.table.partition("main")]


class Phase:
    """Counters for one phase: BC, Woo, storage, deliveries, invocations, logs."""

    def __init__(self, stack: Stack, storage: StorageCounter, timer: InvocationTimer) -> None:
        self.stack, self.storage, self.timer = stack, storage, timer
        stack.bc.reset_counters()
        stack.woo.reset_api_calls()
        storage.reset()
        timer.take()
        self.deliveries_before = len(stack.woo.delivery.records())
        assert stack.azurite is not None and stack.azurite.process is not None
        self.azurite_pid = stack.azurite.process.pid
        self.cpu_before = (time.process_time(), cpu_seconds(self.azurite_pid))

    def collect(self, orders: int) -> dict[str, Any]:
        stack = self.stack
        bc_counts = dict(stack.bc.request_counts)
        faults = dict(stack.bc.faults.counters)
        woo_calls = stack.woo.api_calls()
        deliveries = stack.woo.delivery.records()[self.deliveries_before :]
        topics = Counter(r.topic for r in deliveries if r.kind == "delivery")
        invocations = self.timer.take()
        storage = self.storage.snapshot()
        per = max(1, orders)
        process_cpu = time.process_time() - self.cpu_before[0]
        azurite_cpu = cpu_seconds(self.azurite_pid) - self.cpu_before[1]
        function_cpu = sum(i.cpu_seconds for i in invocations)
        erp_requests = bc_counts.get("requests", 0)
        return {
            "erp_calls_per_order": rounded(erp_requests / per, 3),
            "erp_calls_by_kind_per_order": {
                k: rounded(v / per, 3) for k, v in sorted(bc_counts.items()) if k != "requests"
            },
            "erp_requests_total": erp_requests,
            "erp_requests_seen_by_throttle": faults.get("requests", 0),
            "erp_429": faults.get("throttled_rate", 0) + faults.get("throttled_concurrency", 0),
            "woo_calls_per_order": rounded(sum(woo_calls.values()) / per, 3),
            "woo_calls_by_route": woo_calls,
            "webhook_deliveries_per_order": rounded(sum(topics.values()) / per, 3),
            "webhook_deliveries_by_topic_per_order": {k: rounded(v / per, 3) for k, v in sorted(topics.items())},
            "storage_transactions_per_order": {
                s: rounded(storage.get(s, 0) / per, 2) for s in ("queue", "table", "blob")
            },
            "storage_operations": {k: v for k, v in sorted(storage.items()) if ":" in k},
            "executions": summarize_invocations(invocations),
            "cpu_ms_per_order": {
                "function_bodies": rounded(1000 * function_cpu / per, 1),
                "whole_python_process": rounded(1000 * process_cpu / per, 1),
                "azurite": rounded(1000 * azurite_cpu / per, 1),
            },
            "executions_per_order": {
                name: rounded(sum(1 for i in invocations if i.name == name) / per, 3)
                for name in sorted({i.name for i in invocations})
            },
        }


def _latencies(placed: dict[int, float], ledger: dict[int, Any]) -> tuple[list[float], Counter[str]]:
    latencies: list[float] = []
    states: Counter[str] = Counter()
    for order_id, at in placed.items():
        entry = ledger.get(order_id)
        states[entry.state if entry else "missing"] += 1
        if entry is not None and entry.posted_at:
            latencies.append(datetime.fromisoformat(entry.posted_at).timestamp() - at)
    return latencies, states


def run_burst(stack: Stack, storage: StorageCounter, timer: InvocationTimer, count: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    pool = customer_pool(count)
    seen: set[str] = set()
    phase = Phase(stack, storage, timer)
    before = bc_documents(stack)
    placed: dict[int, float] = {}
    returning = 0
    started = time.time()
    for _ in range(count):
        order_id, at, again = _place(stack, rng, pool, seen)
        placed[order_id] = at
        returning += again
    placing_s = time.time() - started
    complete = _wait_posted(stack, before + count, timeout=900)
    wait_quiet(stack, timeout=120)
    ledger = _ledger(list(placed))
    latencies, states = _latencies(placed, ledger)
    posted_times = [datetime.fromisoformat(e.posted_at).timestamp() for e in ledger.values() if e.posted_at]
    elapsed = (max(posted_times) - started) if posted_times else math.nan
    deliveries = [r for r in stack.woo.delivery.records()[phase.deliveries_before :] if r.kind == "delivery"]
    last_delivery = max((r.at for r in deliveries), default=math.nan) - started
    result = {
        "orders": count,
        "complete": complete,
        "customer_pool": pool,
        "returning_share": rounded(returning / count, 3),
        "states": dict(states),
        "placing_seconds": rounded(placing_s, 2),
        "last_webhook_delivered_after_s": rounded(last_delivery, 2),
        "last_posted_after_s": rounded(elapsed, 2),
        "orders_per_minute": rounded(len(posted_times) / elapsed * 60, 1) if posted_times else None,
        "latency_s": {
            "p50": rounded(percentile(latencies, 50), 2),
            "p95": rounded(percentile(latencies, 95), 2),
            "max": rounded(max(latencies, default=math.nan), 2),
        },
    }
    result.update(phase.collect(count))
    return result


def run_paced(
    stack: Stack, storage: StorageCounter, timer: InvocationTimer, count: int, rate: float, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    pool = customer_pool(count)
    seen: set[str] = set()
    logs = LogCounter()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(logs)
    root.setLevel(logging.INFO)
    for noisy in ("uvicorn", "uvicorn.error", "sandbox"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        phase = Phase(stack, storage, timer)
        before = bc_documents(stack)
        placed: dict[int, float] = {}
        returning = 0
        started = time.monotonic()
        for n in range(count):
            wait = started + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            order_id, at, again = _place(stack, rng, pool, seen)
            placed[order_id] = at
            returning += again
        complete = _wait_posted(stack, before + count, timeout=600)
        wait_quiet(stack, timeout=120)
        result_counts = phase.collect(count)
    finally:
        root.removeHandler(logs)
        root.setLevel(old_level)
    ledger = _ledger(list(placed))
    latencies, states = _latencies(placed, ledger)
    per = max(1, count)
    result = {
        "orders": count,
        "complete": complete,
        "rate_per_second": rounded(rate, 2),
        "returning_share": rounded(returning / count, 3),
        "states": dict(states),
        "latency_s": {
            "p50": rounded(percentile(latencies, 50), 3),
            "p95": rounded(percentile(latencies, 95), 3),
            "p99": rounded(percentile(latencies, 99), 3),
            "max": rounded(max(latencies, default=math.nan), 3),
        },
        "log_records_per_order": {k: rounded(v / per, 2) for k, v in sorted(logs.counts.items())},
    }
    result.update(result_counts)
    return result


def run_throttled(
    stack: Stack,
    storage: StorageCounter,
    timer: InvocationTimer,
    count: int,
    seed: int,
    limits: Throttle,
    note: str,
) -> dict[str, Any]:
    rng = random.Random(seed)
    pool = customer_pool(count)
    seen: set[str] = set()
    stack.bc.faults._users.clear()  # a fresh sliding window
    stack.bc.faults.config.throttle = limits
    try:
        phase = Phase(stack, storage, timer)
        before = bc_documents(stack)
        placed: dict[int, float] = {}
        started = time.time()
        for _ in range(count):
            order_id, at, _again = _place(stack, rng, pool, seen)
            placed[order_id] = at
        complete = _wait_posted(stack, before + count, timeout=900, stall=120)
        wait_quiet(stack, timeout=180)
        counts = phase.collect(count)
    finally:
        stack.bc.faults.config.throttle = None
    ledger = _ledger(list(placed))
    latencies, states = _latencies(placed, ledger)
    posted_times = [datetime.fromisoformat(e.posted_at).timestamp() for e in ledger.values() if e.posted_at]
    elapsed = (max(posted_times) - started) if posted_times else math.nan
    permitted_per_s = limits.requests_per_window / limits.window_seconds
    served = counts["erp_requests_total"]
    served_per_s = served / elapsed if posted_times else math.nan
    # The most a sliding window lets through in `elapsed` seconds: a full window's worth per window begun.
    permitted = limits.requests_per_window * math.ceil(elapsed / limits.window_seconds) if posted_times else 0
    orders_per_s = len(posted_times) / elapsed if posted_times else math.nan
    calls_per_order = served / max(1, len(posted_times))
    result = {
        "orders": count,
        "complete": complete,
        "limits": {
            "requests_per_window": limits.requests_per_window,
            "window_seconds": limits.window_seconds,
            "concurrent": limits.concurrent,
            "queued": limits.queued,
            "retry_after_seconds": limits.retry_after_seconds,
            "note": note,
        },
        "states": dict(states),
        "last_posted_after_s": rounded(elapsed, 2),
        "orders_per_minute": rounded(orders_per_s * 60, 1),
        "erp_requests_served_per_s": rounded(served_per_s, 2),
        "permitted_requests_per_s": rounded(permitted_per_s, 2),
        "erp_requests_permitted_in_that_time": permitted,
        "share_of_permitted": ratio(served, permitted, 3),
        "orders_per_minute_permitted_at_measured_calls": rounded(permitted_per_s / calls_per_order * 60, 1),
        "latency_s": {"p50": rounded(percentile(latencies, 50), 2), "p95": rounded(percentile(latencies, 95), 2)},
    }
    result.update(counts)
    return result


def measure_timers(stack: Stack, storage: StorageCounter, runs: int = 2) -> dict[str, Any]:
    """Run every timer function's body `runs` times in a worker thread: seconds, CPU and calls per run.

    The first run may differ (a backfill's first run looks back BACKFILL_LOOKBACK_HOURS); the cost model
    uses the last. The host's own timers are stopped (see `running_stack`).
    """
    from concurrent.futures import ThreadPoolExecutor

    from azure.functions.timer import TimerRequest

    from shared.flows.services import services

    out: dict[str, Any] = {}
    specs = [spec for spec in stack.host.specs if spec.kind == "timerTrigger"]
    ledger_rows = sum(1 for _ in _entries(services()))
    with ThreadPoolExecutor(1, thread_name_prefix="worker-timer") as pool:
        for spec in specs:
            schedule = spec.setting("schedule")
            results = []
            for _ in range(runs):
                stack.bc.reset_counters()
                stack.woo.reset_api_calls()
                storage.reset()

                def body(spec: Any = spec) -> tuple[float, float, str]:
                    wall, cpu = time.perf_counter(), time.thread_time()
                    error = ""
                    try:
                        spec.user_function(timer=TimerRequest(past_due=False))
                    except Exception as exc:  # a failing timer is reported, not fatal to the benchmark
                        error = f"{type(exc).__name__}: {exc}"[:300]
                    return time.perf_counter() - wall, time.thread_time() - cpu, error

                seconds, cpu, error = pool.submit(body).result()
                results.append(
                    {
                        "seconds": rounded(seconds, 3),
                        "cpu_seconds": rounded(cpu, 3),
                        "erp_calls": stack.bc.request_counts.get("requests", 0),
                        "woo_calls": sum(stack.woo.api_calls().values()),
                        "storage_transactions": storage.by_service(),
                        **({"error": error} if error else {}),
                    }
                )
            out[spec.name] = {"schedule": schedule, "runs": results}
    return {"ledger_rows": ledger_rows, "timers": out}


def run(quick: bool = False) -> dict[str, Any]:
    burst_orders = 200 if quick else 2000
    paced_orders = 30 if quick else 80
    same_rate_orders = 40 if quick else 100
    binding_orders = 12 if quick else 30
    with Azurite() as azurite:
        storage = StorageCounter(azurite.ports)
        timer = InvocationTimer()
        with storage.active(), timer.active(), running_stack(azurite) as stack:
            products = widen_catalog(stack)
            stack.woo.flush_deliveries()
            wait_quiet(stack, timeout=120)
            stack.bc.faults.config.latency_ms = BC_LATENCY_MS
            # Warm-up: tokens, item cache, connection pools (not measured).
            run_burst(stack, storage, timer, 20, seed=1)
            burst = run_burst(stack, storage, timer, burst_orders, seed=42)
            throughput = (burst["orders_per_minute"] or 60) / 60
            paced = run_paced(stack, storage, timer, paced_orders, rate=max(0.5, throughput / 2), seed=43)
            same_rate = run_throttled(
                stack,
                storage,
                timer,
                same_rate_orders,
                seed=44,
                limits=Throttle(requests_per_window=THROTTLE_REQUESTS, window_seconds=THROTTLE_WINDOW_S),
                note="BC's rate (6,000 / 300 s) with the window scaled to 30 s",
            )
            binding = run_throttled(
                stack,
                storage,
                timer,
                binding_orders,
                seed=45,
                limits=Throttle(requests_per_window=BINDING_REQUESTS, window_seconds=BINDING_WINDOW_S),
                note=(
                    "a twentieth of BC's rate (10 / 10 s = 1 request/s), so the limit binds on this machine: "
                    "it stands for twenty times this machine's load (more instances, other integrations) "
                    "sharing one BC user"
                ),
            )
            timers = measure_timers(stack, storage)
            depth = queue_depth(stack)
    return {
        "bc_latency_ms": BC_LATENCY_MS,
        "buyable_products": products,
        "host_queue_concurrency": "batchSize 4 + newBatchThreshold 1 = 5 in flight (host.json)",
        "burst": burst,
        "paced": paced,
        "throttled_same_rate": same_rate,
        "throttled_binding": binding,
        "timers": timers,
        "queue_depth_at_end": depth,
        "erp_calls_floor_per_order": 1.0,
        "erp_calls_ratio_to_floor": ratio(burst["erp_calls_per_order"] or 0, 1.0),
    }
