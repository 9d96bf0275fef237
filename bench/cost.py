"""Monthly Azure cost at 1k / 10k / 100k orders a day on Flex Consumption, from measured executions.

The model is pure (no I/O; unit-tested in tests/unit/test_bench_cost.py); `run()` feeds it the pipeline
benchmark's per-order figures (executions and their durations, storage transactions, log records, calls)
and the timer runs it measured.

Billing. Flex Consumption on demand bills "the total amount of memory provisioned while each on demand
instance is actively executing functions", with a minimum billable execution period of 1,000 ms, then
100 ms steps (Flex Consumption docs, "Billing"; "Estimating consumption-based costs", whose IO-bound
example bills ten concurrent requests on one instance once). The model reads that as an instance meter:
each execution keeps its instance billed from its start for max(1 s, its length in 100 ms steps), and
executions whose windows overlap share them, so an instance is never billed more than its wall-clock
time. Two bounds are shown with it: every execution billed alone (the 1 s minimum per execution, no
sharing) and the bare sum of execution times.

Timeline. One day is simulated: orders arrive with a diurnal profile; each order's executions are laid
on the timeline the way they happen:
- WooCommerce delivers webhooks through Action Scheduler by default (facts: WooCommerce §1.2): its queue
  runner starts every 60 s and posts the due deliveries one after another, each a blocking request.
  The variant "synchronous delivery" (`woocommerce_webhook_deliver_async` off) posts an order's
  deliveries back to back at the end of its checkout request.
- Each webhook execution enqueues the message one queue execution handles; the queue listener runs as
  the host does (facts: Azure Functions §1.1): up to `batchSize` messages a poll, a new poll once at most
  `newBatchThreshold` are in flight, and an idle backoff from 100 ms doubling to `maxPollingInterval`
  (the values of host.json). Queue executions beyond one per webhook are re-deliveries and start
  `RETRY_AFTER_S` later.
- HTTP functions share instances; every other function scales on its own (one instance per function
  here: at 100k orders a day the queue function has ≈ 1 execution in flight on average).
- Timers run on their schedules.

PRICE ASSUMPTIONS (USD, pay-as-you-go list prices, East US, as known on 2025-06-01; check the Azure pricing
calculator before quoting them; all in the constants below):
- Flex Consumption on demand: $0.000026 per GB-s, $0.40 per million executions; free grant per
  subscription and month: 100,000 GB-s and 250,000 executions; minimum billable period 1,000 ms, then
  100 ms steps. Instance memory 2,048 MB (infra default).
- Storage (Standard GPv2, GRS as infra/main.bicep's default `storageSku`): queue operations $0.008 and
  table transactions $0.00036 per 10,000; blob writes $0.10 and reads $0.004 per 10,000 (hot). Capacity
  is left out (ledger and audit rows: a few GB a year at 100k orders/day, cents a month).
- Application Insights (workspace-based, Analytics logs): $2.30 per GB ingested after 5 GB free per
  month; ~1 KB billed per telemetry item (request, trace, dependency) on average.
- The iPaaS subscription named in our market research: $599 a month.
Not modelled: Key Vault (a few secret reads per instance start), egress (webhooks and ERP calls are
inbound or small), always-ready instances (none by default), App Insights sampling (host.json samples
traces above ~20 items/s per instance, so the high-volume telemetry figures are an upper bound), Action
Scheduler's 30 s time limit per run (at 100k orders a day a run delivers ≈ 150 webhooks in ≈ 17 s).
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PRICES_AS_OF = "2025-06-01"
FLEX_GB_SECOND = 0.000026
FLEX_PER_MILLION_EXECUTIONS = 0.40
FLEX_FREE_GB_SECONDS = 100_000
FLEX_FREE_EXECUTIONS = 250_000
FLEX_MIN_BILLED_SECONDS = 1.0
FLEX_BILLING_STEP_SECONDS = 0.1
INSTANCE_MEMORY_GB = 2.0
QUEUE_PER_10K = 0.008
TABLE_PER_10K = 0.00036
BLOB_WRITE_PER_10K = 0.10
BLOB_READ_PER_10K = 0.004
APP_INSIGHTS_PER_GB = 2.30
APP_INSIGHTS_FREE_GB = 5.0
TELEMETRY_ITEM_KB = 1.0
HOST_TRACES_PER_EXECUTION = 2  # "Executing 'Functions.x'" and "Executed 'Functions.x' (Succeeded…)"
SCALE_CONTROLLER_CHECKS_PER_MINUTE = 6  # queue-length checks per queue-triggered function while idle (assumed)
IPAAS_MONTHLY = 599.0
DAYS_PER_MONTH = 365 / 12
VOLUMES = (1_000, 10_000, 100_000)
# Share of the day's orders per hour (UTC), a typical web-shop curve: quiet at night, evening peak.
HOURLY_PROFILE = (
    0.30, 0.20, 0.15, 0.15, 0.20, 0.30, 0.50, 0.80, 1.00, 1.10, 1.20, 1.20,
    1.30, 1.30, 1.20, 1.20, 1.30, 1.40, 1.50, 1.70, 1.80, 1.60, 1.10, 0.60,
)  # fmt: skip
ACTION_SCHEDULER_INTERVAL_S = 60.0  # WP-Cron `every_minute` starts the queue runner (facts: WooCommerce §1.2)
WOO_DELIVERY_GAP_S = 0.1  # between two deliveries of one run: WordPress opens a new HTTP/1.0 connection each
CHECKOUT_TO_DELIVERY_S = 0.5  # synchronous delivery: from the order to the end of its checkout request
QUEUE_FIRST_POLL_S = 0.1  # the listener's delay after a poll that found messages (facts: Azure Functions §1.1)
RETRY_AFTER_S = 10.0  # a re-delivered queue message (reschedule) runs again this much later
DELIVERY_MODES = ("action_scheduler", "synchronous")


# ----------------------------------------------------------------------------- billing primitives


def billed_seconds(length: float) -> float:
    """One busy period as Flex bills it: at least 1 s, then rounded up to 100 ms."""
    steps = math.ceil(round(length / FLEX_BILLING_STEP_SECONDS, 9))
    return max(FLEX_MIN_BILLED_SECONDS, steps * FLEX_BILLING_STEP_SECONDS)


def merge_busy(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping or touching (start, end) intervals merged into busy periods, in time order."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def billed_gb_seconds(intervals: Iterable[tuple[float, float]], memory_gb: float = INSTANCE_MEMORY_GB) -> float:
    """GB-s one instance is billed for these executions.

    Each execution keeps the instance billed from its start for its billed length (at least 1 s); windows
    that overlap are one activity period, itself billed in 100 ms steps.
    """
    windows = ((start, start + billed_seconds(end - start)) for start, end in intervals)
    return sum(billed_seconds(end - start) for start, end in merge_busy(windows)) * memory_gb


def flex_cost(gb_seconds_month: float, executions_month: float) -> float:
    billable_gb_s = max(0.0, gb_seconds_month - FLEX_FREE_GB_SECONDS)
    billable_executions = max(0.0, executions_month - FLEX_FREE_EXECUTIONS)
    return billable_gb_s * FLEX_GB_SECOND + billable_executions / 1e6 * FLEX_PER_MILLION_EXECUTIONS


def storage_cost(queue_ops: float, table_ops: float, blob_writes: float = 0.0, blob_reads: float = 0.0) -> float:
    return (
        queue_ops / 1e4 * QUEUE_PER_10K
        + table_ops / 1e4 * TABLE_PER_10K
        + blob_writes / 1e4 * BLOB_WRITE_PER_10K
        + blob_reads / 1e4 * BLOB_READ_PER_10K
    )


def telemetry_cost(items_month: float) -> float:
    gb = items_month * TELEMETRY_ITEM_KB / 1024 / 1024
    return max(0.0, gb - APP_INSIGHTS_FREE_GB) * APP_INSIGHTS_PER_GB


# ----------------------------------------------------------------------------- the workload


@dataclass(frozen=True)
class FunctionLoad:
    """One function's executions per order and their mean duration (seconds)."""

    name: str
    per_order: float
    seconds: float
    group: str  # instances shared by: "http", or the function's own name


@dataclass(frozen=True)
class TimerLoad:
    name: str
    runs_per_day: float
    seconds: float  # one run
    seconds_per_order_in_window: float = 0.0  # runs that scan recent orders (backfill) grow with volume
    window_minutes: float = 0.0
    table_ops_per_run: float = 0.0
    table_ops_per_order_in_window: float = 0.0


@dataclass(frozen=True)
class Workload:
    functions: Sequence[FunctionLoad]
    timers: Sequence[TimerLoad] = ()
    queue_ops_per_order: float = 0.0
    table_ops_per_order: float = 0.0
    blob_writes_per_order: float = 0.0
    telemetry_per_order_lean: float = 0.0  # requests + host traces + the connector's own log records
    telemetry_per_order_verbose: float = 0.0  # + Azure SDK / httpx INFO logs + a dependency per outgoing call
    queue_functions: int = 2  # queue-triggered functions the scale controller watches
    queue_batch_size: int = 4  # host.json extensions.queues
    queue_new_batch_threshold: int = 1
    queue_max_polling_s: float = 2.0


@dataclass
class Estimate:
    orders_per_day: int
    executions_month: float
    gb_seconds_month: float
    gb_seconds_month_unmerged: float
    gb_seconds_month_duration_only: float
    flex: float
    flex_unmerged: float
    storage: float
    telemetry_lean: float
    telemetry_verbose: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def total_lean(self) -> float:
        return self.flex + self.storage + self.telemetry_lean

    @property
    def total_verbose(self) -> float:
        return self.flex + self.storage + self.telemetry_verbose

    def as_dict(self) -> dict[str, Any]:
        def money(value: float) -> float:
            return round(value, 2)

        return {
            "orders_per_day": self.orders_per_day,
            "executions_month": round(self.executions_month),
            "gb_seconds_month": round(self.gb_seconds_month),
            "gb_seconds_month_if_every_execution_billed_alone": round(self.gb_seconds_month_unmerged),
            "gb_seconds_month_execution_time_only": round(self.gb_seconds_month_duration_only),
            "usd_month": {
                "functions_flex": money(self.flex),
                "functions_flex_if_every_execution_billed_alone": money(self.flex_unmerged),
                "storage_transactions": money(self.storage),
                "app_insights_lean": money(self.telemetry_lean),
                "app_insights_verbose": money(self.telemetry_verbose),
                "total_lean": money(self.total_lean),
                "total_verbose": money(self.total_verbose),
                "ipaas": IPAAS_MONTHLY,
                "share_of_ipaas_lean": round(self.total_lean / IPAAS_MONTHLY, 4),
                "share_of_ipaas_verbose": round(self.total_verbose / IPAAS_MONTHLY, 4),
            },
            **self.details,
        }


def order_times(orders: int, rng: random.Random) -> list[float]:
    """Arrival times (seconds into the day) of `orders` orders, following HOURLY_PROFILE."""
    weights = HOURLY_PROFILE
    hours = rng.choices(range(24), weights=weights, k=orders)
    return sorted(h * 3600 + rng.random() * 3600 for h in hours)


def _count(per_order: float, rng: random.Random) -> int:
    """A whole number of executions with mean `per_order`."""
    whole = math.floor(per_order)
    return whole + (1 if rng.random() < per_order - whole else 0)


def webhook_deliveries(created: Sequence[float], seconds: float, mode: str, rng: random.Random) -> list[float]:
    """Start times of the webhook executions for deliveries created at `created` (sorted).

    Action Scheduler (WooCommerce's default): a run every 60 s posts the deliveries created since the last
    run one after another. Synchronous: each order's deliveries at the end of its checkout request.
    """
    if mode not in DELIVERY_MODES:
        raise ValueError(f"unknown delivery mode {mode!r}: one of {DELIVERY_MODES}")
    starts: list[float] = []
    free_at = -math.inf  # the HTTP instance is posted to one request at a time by one sender
    phase = rng.random() * ACTION_SCHEDULER_INTERVAL_S
    for at in created:
        if mode == "action_scheduler":
            ready = phase + math.ceil((at - phase) / ACTION_SCHEDULER_INTERVAL_S) * ACTION_SCHEDULER_INTERVAL_S
            start = max(ready, free_at)
            free_at = start + seconds + WOO_DELIVERY_GAP_S
        else:
            start = at + CHECKOUT_TO_DELIVERY_S
        starts.append(start)
    return starts


def queue_executions(
    enqueued: Sequence[float], seconds: float, batch_size: int, new_batch_threshold: int, max_polling_s: float
) -> list[tuple[float, float]]:
    """(start, end) of the queue executions for messages enqueued at `enqueued`, as the host's listener runs them.

    It receives up to `batch_size` messages a poll and polls again once no more than `new_batch_threshold`
    are in flight; while the queue is empty it backs off from 100 ms, doubling up to `max_polling_s`.
    """
    pending = sorted(enqueued)
    runs: list[tuple[float, float]] = []
    in_flight: list[float] = []  # end times, a heap
    now, delay, i = 0.0, QUEUE_FIRST_POLL_S, 0
    while i < len(pending):
        while in_flight and in_flight[0] <= now:
            heapq.heappop(in_flight)
        if len(in_flight) > new_batch_threshold:
            now = in_flight[0]
            continue
        taken = 0
        while i < len(pending) and pending[i] <= now and taken < batch_size:
            runs.append((now, now + seconds))
            heapq.heappush(in_flight, now + seconds)
            i, taken = i + 1, taken + 1
        if taken:
            delay = QUEUE_FIRST_POLL_S
        elif delay >= max_polling_s and pending[i] > now + max_polling_s:
            now += math.floor((pending[i] - now) / max_polling_s) * max_polling_s  # idle: skip the empty polls
            continue
        else:
            delay = min(delay * 2, max_polling_s)
        now += delay
    return runs


def simulate_day(workload: Workload, orders: int, seed: int = 1, delivery: str = "action_scheduler") -> dict[str, Any]:
    """One day's billed GB-s (per instance group), executions and the two bounds."""
    rng = random.Random(seed)
    groups: dict[str, list[tuple[float, float]]] = {}
    times = order_times(orders, rng) if workload.functions else []
    webhooks = [f for f in workload.functions if f.group == "http"]
    queues = [f for f in workload.functions if f.group != "http"]
    # Every webhook execution ends by enqueueing the message that one queue execution handles.
    enqueued_at: list[float] = []
    for load in webhooks:
        created = sorted(at for at in times for _ in range(_count(load.per_order, rng)))
        starts = webhook_deliveries(created, load.seconds, delivery, rng)
        groups.setdefault(load.group, []).extend((start, start + load.seconds) for start in starts)
        if load.name == "woo_webhook":
            enqueued_at = [start + load.seconds for start in starts]
    for load in queues:
        sources = enqueued_at or [at + CHECKOUT_TO_DELIVERY_S for at in times]
        wanted = sum(_count(load.per_order, rng) for _ in times)
        # One run per message. Runs beyond that are re-deliveries RETRY_AFTER_S later, spread over the day;
        # runs short of it mean some messages were never sent (at floor: one per order).
        enqueued = rng.sample(sources, wanted) if wanted <= len(sources) else list(sources)
        extra = wanted - len(enqueued)
        enqueued += [sources[k * len(sources) // extra] + RETRY_AFTER_S for k in range(extra)] if extra else []
        settings = (workload.queue_batch_size, workload.queue_new_batch_threshold, workload.queue_max_polling_s)
        groups.setdefault(load.group, []).extend(queue_executions(enqueued, load.seconds, *settings))
    timer_table_ops = 0.0
    for timer in workload.timers:
        in_window = orders * timer.window_minutes / 1440
        seconds = timer.seconds + timer.seconds_per_order_in_window * in_window
        runs = round(timer.runs_per_day)
        step = 86_400 / max(1, runs)
        groups[f"timer:{timer.name}"] = [(n * step, n * step + seconds) for n in range(runs)]
        timer_table_ops += runs * (timer.table_ops_per_run + timer.table_ops_per_order_in_window * in_window)
    every = [interval for intervals in groups.values() for interval in intervals]
    return {
        "gb_seconds": sum(billed_gb_seconds(intervals) for intervals in groups.values()),
        "gb_seconds_unmerged": sum(billed_seconds(end - start) for start, end in every) * INSTANCE_MEMORY_GB,
        "gb_seconds_duration_only": sum(end - start for start, end in every) * INSTANCE_MEMORY_GB,
        "executions": len(every),
        "timer_table_ops": timer_table_ops,
        "peak_concurrency_by_group": _peak_concurrency(groups),
    }


def _peak_concurrency(groups: Mapping[str, list[tuple[float, float]]]) -> dict[str, int]:
    peaks = {}
    for name, intervals in groups.items():
        events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
        level = peak = 0
        for _, delta in events:
            level += delta
            peak = max(peak, level)
        peaks[name] = peak
    return peaks


def estimate(workload: Workload, orders_per_day: int, seed: int = 1, delivery: str = "action_scheduler") -> Estimate:
    day = simulate_day(workload, orders_per_day, seed, delivery)
    m = DAYS_PER_MONTH
    executions = day["executions"] * m
    idle_checks = workload.queue_functions * SCALE_CONTROLLER_CHECKS_PER_MINUTE * 1440 * m
    queue_ops = workload.queue_ops_per_order * orders_per_day * m + idle_checks
    table_ops = workload.table_ops_per_order * orders_per_day * m + day["timer_table_ops"] * m
    blob_writes = workload.blob_writes_per_order * orders_per_day * m
    timer_runs = sum(round(t.runs_per_day) for t in workload.timers) * m
    timer_telemetry = timer_runs * (1 + HOST_TRACES_PER_EXECUTION)
    lean_items = workload.telemetry_per_order_lean * orders_per_day * m + timer_telemetry
    verbose_items = workload.telemetry_per_order_verbose * orders_per_day * m + timer_telemetry
    return Estimate(
        orders_per_day=orders_per_day,
        executions_month=executions,
        gb_seconds_month=day["gb_seconds"] * m,
        gb_seconds_month_unmerged=day["gb_seconds_unmerged"] * m,
        gb_seconds_month_duration_only=day["gb_seconds_duration_only"] * m,
        flex=flex_cost(day["gb_seconds"] * m, executions),
        flex_unmerged=flex_cost(day["gb_seconds_unmerged"] * m, executions),
        storage=storage_cost(queue_ops, table_ops, blob_writes),
        telemetry_lean=telemetry_cost(lean_items),
        telemetry_verbose=telemetry_cost(verbose_items),
        details={
            "queue_ops_month": round(queue_ops),
            "table_ops_month": round(table_ops),
            "telemetry_items_month_lean": round(lean_items),
            "telemetry_items_month_verbose": round(verbose_items),
            "peak_executions_in_flight_by_group": day["peak_concurrency_by_group"],
        },
    )


# ----------------------------------------------------------------------------- from measurements


def runs_per_day(schedule: str) -> float:
    """Occurrences per day of a 6-field NCRONTAB schedule (seconds first)."""
    from croniter import croniter

    start = datetime(2025, 1, 6, tzinfo=UTC)
    it = croniter(schedule, start - timedelta(seconds=1), second_at_beginning=True)
    count = 0
    while it.get_next(datetime) < start + timedelta(days=1) - timedelta(seconds=1):
        count += 1
    return float(count)


def _timespan_seconds(value: str) -> float:
    hours, minutes, seconds = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def queue_listener_settings(host_json: Mapping[str, Any]) -> dict[str, Any]:
    """The queue listener's batch size, new-batch threshold and idle polling cap from host.json."""
    queues = host_json.get("extensions", {}).get("queues", {})
    batch_size = int(queues.get("batchSize", 16))
    return {
        "queue_batch_size": batch_size,
        "queue_new_batch_threshold": int(queues.get("newBatchThreshold", batch_size // 2)),
        "queue_max_polling_s": _timespan_seconds(queues.get("maxPollingInterval", "00:01:00")),
    }


def workload_from_pipeline(pipeline: Mapping[str, Any], host_json: Mapping[str, Any] | None = None) -> Workload:
    """Per-order figures from the pipeline benchmark's paced phase (no backlog, nothing coalesced)."""
    paced = pipeline["paced"]
    executions = paced["executions"]
    per_order = paced["executions_per_order"]
    functions = []
    for name, stats in executions.items():
        group = "http" if name in ("woo_webhook", "erp_webhook") else name
        functions.append(FunctionLoad(name, per_order.get(name, 0.0), (stats["mean_ms"] or 0) / 1000, group))
    storage = paced["storage_transactions_per_order"]
    logs = paced.get("log_records_per_order", {})
    runs = sum(per_order.values())
    host_items = runs * (1 + HOST_TRACES_PER_EXECUTION)
    connector = logs.get("connector", 0.0)
    sdk_logs = sum(v for k, v in logs.items() if k != "connector")
    calls = (paced["erp_calls_per_order"] or 0) + (paced["woo_calls_per_order"] or 0) + sum(storage.values())
    timers = []
    for name, measured in pipeline.get("timers", {}).get("timers", {}).items():
        last = measured["runs"][-1]
        table_ops = last["storage_transactions"]["table"]
        scanning = name == "backfill_orders" and table_ops > 10
        timers.append(
            TimerLoad(
                name,
                runs_per_day(measured["schedule"]),
                0.05 if scanning else last["seconds"],
                seconds_per_order_in_window=(last["seconds"] / table_ops) if scanning else 0.0,
                window_minutes=25.0 if scanning else 0.0,  # 15-minute schedule + 10-minute overlap
                table_ops_per_run=0.0 if scanning else table_ops,
                table_ops_per_order_in_window=1.0 if scanning else 0.0,
            )
        )
    return Workload(
        functions=functions,
        timers=timers,
        queue_ops_per_order=storage.get("queue", 0.0),
        table_ops_per_order=storage.get("table", 0.0),
        blob_writes_per_order=storage.get("blob", 0.0),
        telemetry_per_order_lean=host_items + connector,
        telemetry_per_order_verbose=host_items + connector + sdk_logs + calls,
        **queue_listener_settings(host_json or {}),
    )


def at_floor(workload: Workload) -> Workload:
    """The same workload with one webhook and one queue execution per order (the ingress/queue floor).

    Queue transactions scale with the queue executions kept; the connector's own log records stay as
    measured (conservative); host telemetry follows the executions.
    """
    kept = {"woo_webhook", "handle_woo_event"}
    measured = {f.name: f for f in workload.functions}
    functions = [replace(measured[name], per_order=1.0) for name in sorted(kept) if name in measured]
    before = sum(f.per_order for f in workload.functions)
    after = sum(f.per_order for f in functions)
    queue_runs = measured["handle_woo_event"].per_order if "handle_woo_event" in measured else 1.0
    host_removed = (before - after) * (1 + HOST_TRACES_PER_EXECUTION)
    return replace(
        workload,
        functions=functions,
        queue_ops_per_order=workload.queue_ops_per_order / max(queue_runs, 1.0),
        telemetry_per_order_lean=max(0.0, workload.telemetry_per_order_lean - host_removed),
        telemetry_per_order_verbose=max(0.0, workload.telemetry_per_order_verbose - host_removed),
    )


def run(pipeline: Mapping[str, Any] | None, source: str = "this run") -> dict[str, Any]:
    if not pipeline:
        return {"skipped": "no pipeline results (run the pipeline benchmark first)"}
    host_json = json.loads((Path(__file__).resolve().parent.parent / "host.json").read_text())
    workload = workload_from_pipeline(pipeline, host_json)
    estimates = [estimate(workload, volume).as_dict() for volume in VOLUMES]
    synchronous = [estimate(workload, volume, delivery="synchronous").as_dict() for volume in VOLUMES]
    floor = at_floor(workload)
    floor_estimates = [estimate(floor, volume).as_dict() for volume in VOLUMES]
    return {
        "pipeline_source": source,
        "assumptions": {
            "prices_as_of": PRICES_AS_OF,
            "flex_usd_per_gb_s": FLEX_GB_SECOND,
            "flex_usd_per_million_executions": FLEX_PER_MILLION_EXECUTIONS,
            "flex_free_gb_s_month": FLEX_FREE_GB_SECONDS,
            "flex_free_executions_month": FLEX_FREE_EXECUTIONS,
            "flex_billing": "per instance: each execution bills from its start max(1 s, length in 100 ms steps); "
            "overlapping windows are billed once",
            "flex_min_billed_s": FLEX_MIN_BILLED_SECONDS,
            "instance_memory_gb": INSTANCE_MEMORY_GB,
            "queue_usd_per_10k_ops": QUEUE_PER_10K,
            "table_usd_per_10k_transactions": TABLE_PER_10K,
            "app_insights_usd_per_gb": APP_INSIGHTS_PER_GB,
            "app_insights_free_gb_month": APP_INSIGHTS_FREE_GB,
            "telemetry_item_kb": TELEMETRY_ITEM_KB,
            "ipaas_usd_month": IPAAS_MONTHLY,
            "diurnal_profile": "HOURLY_PROFILE in bench/cost.py",
            "woo_delivery": f"Action Scheduler run every {ACTION_SCHEDULER_INTERVAL_S:.0f} s, deliveries one "
            f"after another {WOO_DELIVERY_GAP_S} s apart (WooCommerce default)",
            "queue_listener": queue_listener_settings(host_json),
        },
        "workload": {
            "functions": [
                {"name": f.name, "per_order": f.per_order, "seconds": round(f.seconds, 4), "group": f.group}
                for f in workload.functions
            ],
            "timers": [
                {"name": t.name, "runs_per_day": t.runs_per_day, "seconds": round(t.seconds, 3)}
                for t in workload.timers
            ],
            "queue_ops_per_order": workload.queue_ops_per_order,
            "table_ops_per_order": workload.table_ops_per_order,
            "telemetry_items_per_order_lean": round(workload.telemetry_per_order_lean, 2),
            "telemetry_items_per_order_verbose": round(workload.telemetry_per_order_verbose, 2),
        },
        "estimates": estimates,
        "estimates_synchronous_delivery": {
            "what": "the store delivers webhooks synchronously at the end of each checkout "
            "(woocommerce_webhook_deliver_async off)",
            "estimates": synchronous,
        },
        "estimates_at_floor": {
            "what": "1 webhook + 1 queue execution per order, measured durations, timers as measured",
            "estimates": floor_estimates,
        },
    }
