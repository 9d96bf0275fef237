"""The fault-injection run: place orders while everything that can go wrong does, then prove from the
ERP's own state that no paid order was lost or doubled.

`python -m sandbox.chaos [--orders 1000] [--erp bc|fo|gp]` (`make chaos`); the CI-sized run (500 orders) is a
test per ERP kind. What is said of BC below holds for F&O with its own limits (`ERP_PROFILES`): no per-user
limit (removed in 10.0.36), resource-based throttling answering 429 with Retry-After while the limit is lowered.
With `--erp gp` the ERP is the Dynamics GP emulator: the same faults, except that GP has no documented
throttling (no 429s, no lowered limit) and "tokens expire" means every NTLM-authenticated connection must
authenticate again.

Faults, spread over the placement window:
- every webhook delivered 1–3 times, some concurrently;
- BC answers 20 % of requests with 500/502/503 (Retry-After), with its service-protection limits on;
- for the first 30 seconds of the drain of the backlog (the burst: the connector calls BC fastest then)
  BC's per-user limit is lowered, as when other integrations signing in as the same user have used most
  of the 6,000 requests / 5 min; so it binds and BC answers 429;
- every token expires once mid-run;
- the Functions host (a subprocess) is killed with SIGKILL several times and restarted;
- Azurite is restarted once (its data persists);
- the store's order webhooks are disabled for a stretch (events meanwhile are dropped, as Woo does);
- a few orders use SKUs BC does not have yet; the items are created later.

The timers that repair things (webhook health, backfill, held-order re-drive) run here on a short
cadence, calling the same flows the host's timers call.

Besides lost/doubled, the run reports what the faults cost: the 429s BC answered and the retries,
re-queued executions and seconds they took (read from the host's log), and the queue: its peak depth
and how many messages each producer queued.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.azurite import Azurite
from sandbox.erp_kinds import ERP_KINDS
from sandbox.faults import Throttle
from sandbox.server import free_port
from sandbox.stack import REPO, STORE_ID, Stack, StackPorts
from sandbox.tls import ensure_tls_files
from sandbox.woo import DeliveryOptions

log = logging.getLogger("sandbox.chaos")
UNKNOWN_SKUS = ("CHAOS-NEW-1", "CHAOS-NEW-2", "CHAOS-NEW-3")
BACKFILL_EVERY_SECONDS = 120.0  # while settling, unless the queue is drained
REPAIR_EVERY_SECONDS = 15.0  # webhook health (the real timer: 15 minutes)
REDRIVE_EVERY_SECONDS = 60.0  # held-order re-drive (the real timer: 10 minutes)
# The lowered limit: 4 requests a second over a 10-second sliding window (BC's own is 20 a second over
# 5 minutes, shared by every integration that signs in as the same user, facts dynamics.md §1.7).
LOWERED_LIMIT = Throttle(requests_per_window=40, window_seconds=10.0)


@dataclass(frozen=True)
class ErpProfile:
    """How the run drives one ERP kind's emulator: its limits, and how it reads and seeds the ERP."""

    online: Callable[[], Throttle | None]  # the ERP's own limits during the run
    lowered: Throttle | None  # the limit that binds during the drain (None: the ERP documents no limit)


ERP_PROFILES: dict[str, ErpProfile] = {
    "bc": ErpProfile(online=Throttle, lowered=LOWERED_LIMIT),
    # F&O: user-based limits are off by default from 10.0.35 and removed in 10.0.36; resource-based throttling
    # answers 429 with Retry-After (dynamics.md §2.3): the lowered limit stands for it, with Retry-After.
    "fo": ErpProfile(
        online=lambda: None,
        lowered=Throttle(requests_per_window=40, window_seconds=10.0, concurrent=52, retry_after_seconds=1),
    ),
    # GP: no documented throttling (facts dynamics-gp.md): nothing to lower, no 429s
    "gp": ErpProfile(online=lambda: None, lowered=None),
}


def erp_add_item(stack: Stack, sku: str) -> None:
    """An item the ERP did not have: created mid-run (the held orders then post)."""
    if stack.erp == "fo":
        from sandbox.fo import FoEmulator

        assert isinstance(stack.erp_emulator, FoEmulator)
        fo = stack.erp_emulator
        company = fo.store.companies[fo.default_company]
        fo.warehouse.seed_product(company, sku, Decimal("25.00"), f"New {sku}")
        fo.warehouse.move_stock(company, sku, Decimal(1000))
        return
    if stack.erp == "gp":
        from sandbox.gp import GpEmulator

        assert isinstance(stack.erp_emulator, GpEmulator)
        stack.erp_emulator.seed_item(sku, price=Decimal("25.00"), stock=Decimal(1000), description=f"New {sku}")
        return
    stack.bc.add_item(sku, f"New {sku}", Decimal("25.00"), inventory=1000)


@dataclass
class ChaosConfig:
    orders: int = 1000
    erp: str = "bc"  # the ERP kind (sandbox/erp_kinds.py)
    seed: int = 42
    placement_seconds: float = 90.0
    kills: int = 3
    bc_error_rate: float = 0.2  # the ERP's 5xx rate (any kind)
    unknown_sku_orders: int = 6
    lease_seconds: int = 15
    settle_timeout: float = 420.0
    lowered_seconds: float = 30.0  # LOWERED_LIMIT from the end of the placement; then BC's own limits


@dataclass
class ChaosReport:
    placed: int = 0
    paid: int = 0
    posted: int = 0
    duplicated: int = 0
    lost: int = 0
    held: int = 0
    held_then_posted: int = 0  # held for a data problem during the run, posted once it was fixed
    poisoned: int = 0
    replayed: int = 0
    total_mismatches: int = 0
    queue_drained: bool = False  # every message was handled before the settle timeout
    faults: dict[str, int] = field(default_factory=dict)
    throttling: dict[str, float] = field(default_factory=dict)  # BC's 429s and what they cost
    queue: dict[str, int] = field(default_factory=dict)  # peak depth and messages queued by producer
    lost_orders: list[str] = field(default_factory=list)
    held_reasons: dict[str, str] = field(default_factory=dict)
    held_then_posted_codes: dict[str, int] = field(default_factory=dict)  # hold code → orders
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.total_mismatches == 0


class HostProcess:
    """The local Functions host in a subprocess, so it can be killed like a crashed worker."""

    def __init__(self, settings_file: Path, port: int, env: dict[str, str], log_file: Path) -> None:
        self.settings_file, self.port, self.env, self.log_file = settings_file, port, env, log_file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "sandbox.host",
            "--settings",
            str(self.settings_file),
            "--port",
            str(self.port),
        ]
        with self.log_file.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        import socket

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                raise RuntimeError(f"host exited with {self.process.returncode}; see {self.log_file}")
            time.sleep(0.1)
        raise RuntimeError("host did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.kill()


def run_chaos(config: ChaosConfig, workdir: Path) -> ChaosReport:
    rng = random.Random(config.seed)
    started = time.monotonic()
    azurite = Azurite(location=workdir / "azurite").start()
    stack = Stack(
        erp=config.erp,
        azurite=azurite,
        run_host=False,
        delivery=DeliveryOptions(verify=str(ensure_tls_files().ca_bundle), duplicate_max=3, seed=config.seed),
        extra_settings={"CLAIM_TIMEOUT_SECONDS": "20", "MAX_RESCHEDULES": "30"},
        ports=StackPorts(host=free_port()),
    )
    faults: Counter[str] = Counter()
    queued: Counter[str] = Counter()  # messages the run's own repair timers queued, by producer
    timers = RepairTimers(faults, queued)
    host: HostProcess | None = None
    watch: QueueWatch | None = None
    profile = ERP_PROFILES[config.erp]
    lowered = LoweredLimit(stack, config.lowered_seconds, faults, profile)
    try:
        stack.start()
        settings_file = workdir / "local.settings.json"
        settings_file.write_text(json.dumps({"IsEncrypted": False, "Values": stack.settings}))
        env = {
            **os.environ,
            "SANDBOX_QUEUE_LEASE_SECONDS": str(config.lease_seconds),
            "SANDBOX_FUNCTION_KEY": stack.function_key,
            "PYTHONPATH": str(REPO),
        }
        host = HostProcess(settings_file, stack.ports.host, env, workdir / "host.log")
        host.start()
        watch = QueueWatch()
        watch.start()
        for sku in UNKNOWN_SKUS:
            stack.woo.add_product(f"New {sku}", sku, "25.00", stock_quantity=1000, manage_stock=True)
        restock(stack)
        bc = stack.erp_emulator.faults.config
        bc.error_rate, bc.error_statuses, bc.retry_after_seconds = config.bc_error_rate, (500, 502, 503), 1
        bc.throttle = profile.online()  # BC online: 6,000 requests / 5 min, 5 concurrent per user
        progress(f"placing {config.orders} orders over {config.placement_seconds:.0f}s under faults")
        placed = place_orders_under_faults(stack, host, azurite, config, rng, faults, timers)
        progress(f"placed; faults so far {dict(faults)}")
        bc.error_rate = 0.0
        lowered.start()  # the backlog drains now: BC's limit binds
        for sku in UNKNOWN_SKUS:
            erp_add_item(stack, sku)
        report = settle_and_verify(stack, placed, config, faults, timers)
    finally:
        lowered.end()
        if watch is not None:
            watch.stop()
        if host is not None:
            host.stop()
        stack.stop()
        azurite.stop()
    report.seconds = round(time.monotonic() - started, 1)
    report.faults = dict(faults)
    host_log = read_host_log(workdir / "host.log")
    report.throttling = throttling_cost(host_log, faults[f"{config.erp}_429"], config.erp)
    report.queue = {
        "peak_depth": watch.peak if watch else 0,
        "queued_by_webhook": host_log.webhook_queued,
        "queued_by_reschedule": host_log.rescheduled,
        **{f"queued_by_{name}": count for name, count in sorted(queued.items())},
    }
    return report


def place_orders_under_faults(
    stack: Stack,
    host: HostProcess,
    azurite: Azurite,
    config: ChaosConfig,
    rng: random.Random,
    faults: Counter[str],
    timers: RepairTimers,
) -> list[dict[str, Any]]:
    """Place the orders over `placement_seconds`, firing the scheduled faults along the way."""
    n = config.orders
    kill_at = sorted(rng.sample(range(n // 10, n - n // 10), config.kills))
    outage = (int(n * 0.30), int(n * 0.40))
    schedule = {int(n * 0.45): "expire_tokens", int(n * 0.60): "restart_azurite"}
    unknown_at = set(rng.sample(range(n), config.unknown_sku_orders))
    repair = Repairer(timers)
    repair.start()
    placed: list[dict[str, Any]] = []
    interval = config.placement_seconds / n
    try:
        for i in range(n):
            if i in kill_at:
                host.kill()
                faults["host_sigkill"] += 1
                time.sleep(rng.uniform(0.5, 2.0))
                host.start()
            if i == outage[0]:
                set_order_webhooks(stack, "disabled")
                faults["webhook_disabled"] += 1
            if i == outage[1]:
                repair.check_now.set()  # the health check re-enables and backfills
            action = schedule.get(i)
            if action == "expire_tokens":
                faults["tokens_expired"] += expire_credentials(stack)
            elif action == "restart_azurite":
                azurite.stop()
                time.sleep(1.0)
                azurite.start()
                faults["azurite_restart"] += 1
            if i in unknown_at:
                lines = [(UNKNOWN_SKUS[i % len(UNKNOWN_SKUS)], 1), ("70000", 1)]
                order = stack.woo.place_order(lines, pay=True, email=f"chaos{i % 200}@example.com")
            else:
                order = stack.woo.generate_order(rng, pay=True, customers=200)
            placed.append(order)
            time.sleep(interval)
    finally:
        repair.stop()
    return placed


class LoweredLimit:
    """BC's per-user limit lowered to LOWERED_LIMIT for a while, then BC's own limits again."""

    def __init__(self, stack: Stack, seconds: float, faults: Counter[str], profile: ErpProfile) -> None:
        self.stack, self.seconds, self.faults, self.profile = stack, seconds, faults, profile
        self.timer: threading.Timer | None = None
        self.started = 0.0
        self.lock = threading.Lock()

    def start(self) -> None:
        self.stack.erp_emulator.faults.config.throttle = self.profile.lowered
        self.started = time.monotonic()
        self.timer = threading.Timer(self.seconds, self.end)
        self.timer.daemon = True
        self.timer.start()

    def end(self) -> None:
        with self.lock:
            if self.timer is None:
                return
            self.timer.cancel()
            self.timer = None
            self.stack.erp_emulator.faults.config.throttle = self.profile.online()
            self.faults[f"{self.stack.erp}_limit_lowered_seconds"] = round(time.monotonic() - self.started)


def restock(stack: Stack, quantity: int = 1_000_000) -> None:
    """Enough stock that a thousand random orders never run a product out (through the REST API)."""
    from shared.flows.services import services

    woo = services().woo(STORE_ID)
    products = list(woo.list_products())
    woo.batch(
        "products", update=[{"id": p["id"], "stock_quantity": quantity} for p in products if p["type"] != "variable"]
    )
    for parent in (p for p in products if p["type"] == "variable"):
        variations = woo.list_variations(parent["id"])
        woo.batch(
            f"products/{parent['id']}/variations",
            update=[{"id": v["id"], "stock_quantity": quantity} for v in variations],
        )


def set_order_webhooks(stack: Stack, status: str) -> None:
    for hook in stack.woo.webhooks():
        if hook["topic"].startswith("order."):
            stack.woo.update_webhook(hook["id"], status=status)


class RepairTimers:
    """The host's repair timers on a short cadence, calling the flows they call: the webhook health check
    (which backfills after a repair) and the held-order re-drive."""

    def __init__(self, faults: Counter[str], queued: Counter[str]) -> None:
        self.faults, self.queued = faults, queued
        self.last_check = self.last_redrive = -math.inf
        self.lock = threading.Lock()

    def run_due(self, *, check_now: bool = False, redrive_now: bool = False) -> None:
        from shared.flows.orders import redrive_held_orders
        from shared.flows.services import services
        from shared.flows.webhook_health import check_webhooks

        app = services()
        with self.lock:
            if check_now or time.monotonic() - self.last_check >= REPAIR_EVERY_SECONDS:
                self.last_check = time.monotonic()
                for report in check_webhooks(app):
                    if not report.healthy:
                        self.faults["webhook_repaired"] += 1
                    self.queued["backfill"] += report.backfilled
            if redrive_now or time.monotonic() - self.last_redrive >= REDRIVE_EVERY_SECONDS:
                self.last_redrive = time.monotonic()
                self.queued["held_redrive"] += redrive_held_orders(app)


class Repairer(threading.Thread):
    """Runs the repair timers while the orders are placed."""

    def __init__(self, timers: RepairTimers, every: float = REPAIR_EVERY_SECONDS) -> None:
        super().__init__(name="repair-timers", daemon=True)
        self.timers, self.every = timers, every
        self.stopping = threading.Event()
        self.check_now = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            now = self.check_now.wait(self.every)
            self.check_now.clear()
            if self.stopping.is_set():
                return
            try:
                self.timers.run_due(check_now=now)
            except Exception:
                log.warning("repair run failed (it runs again)", exc_info=True)

    def stop(self) -> None:
        self.stopping.set()
        self.check_now.set()
        self.join(30)


class QueueWatch(threading.Thread):
    """Samples the depth of woo-events every second; the run reports the peak."""

    def __init__(self, every: float = 1.0) -> None:
        super().__init__(name="queue-watch", daemon=True)
        self.every, self.peak = every, 0
        self.stopping = threading.Event()

    def run(self) -> None:
        from shared.flows.services import services

        app = services()
        while not self.stopping.wait(self.every):
            self.peak = max(self.peak, queue_depth(app, "woo-events"))

    def stop(self) -> None:
        self.stopping.set()
        self.join(10)


@dataclass
class HostLog:
    """What the host's log says happened (the host is another process; its log is the record)."""

    webhook_queued: int = 0
    rescheduled: int = 0
    rescheduled_after_429: int = 0
    reschedule_delay_after_429: float = 0.0
    retries_after_429: int = 0
    retry_wait_after_429: float = 0.0


RETRY_LINE = re.compile(r"connector\.http: .* answered 429; retrying in ([0-9.]+)s")
RESCHEDULE_LINE = re.compile(r"order_rescheduled .*delay_s=([0-9]+) reason=(.*)$")


def read_host_log(path: Path) -> HostLog:
    parsed = HostLog()
    if not path.exists():
        return parsed
    for line in path.read_text(errors="replace").splitlines():
        if " webhook_queued " in line:
            parsed.webhook_queued += 1
        elif retry := RETRY_LINE.search(line):
            parsed.retries_after_429 += 1
            parsed.retry_wait_after_429 += float(retry.group(1))
        elif reschedule := RESCHEDULE_LINE.search(line):
            parsed.rescheduled += 1
            if "answered 429" in reschedule.group(2):
                parsed.rescheduled_after_429 += 1
                parsed.reschedule_delay_after_429 += int(reschedule.group(1))
    return parsed


def throttling_cost(host_log: HostLog, answered_429: int, erp: str = "bc") -> dict[str, float]:
    """The ERP's 429s and what they cost: calls retried in place, executions re-queued, seconds waited."""
    return {
        f"{erp}_429": answered_429,
        "retried_in_the_call": host_log.retries_after_429,
        "seconds_waited_in_calls": round(host_log.retry_wait_after_429, 1),
        "executions_requeued": host_log.rescheduled_after_429,
        "seconds_requeued_for": round(host_log.reschedule_delay_after_429, 1),
    }


def settle_and_verify(
    stack: Stack, placed: list[dict[str, Any]], config: ChaosConfig, faults: Counter[str], timers: RepairTimers
) -> ChaosReport:
    """Let the repair timers and queues finish, replay poison once, then judge from BC's own state."""
    from shared.flows.backfill import backfill_orders
    from shared.flows.services import services
    from shared.storage.ledger import OrderState

    app = services()
    report = ChaosReport(placed=len(placed))
    deadline = time.monotonic() + config.settle_timeout
    replayed = False
    first = True
    # The timer is not in step with the end of the placement: its next run is a cadence away at most.
    last_backfill = time.monotonic()
    while True:
        timers.run_due(redrive_now=first)  # first: the items now exist; the held orders can post
        first = False
        depth = queue_depth(app, "woo-events")
        # The backfill timer runs every 15 minutes and re-reads a 10-minute overlap; here it runs on a shorter
        # cadence, or as soon as the queue has drained (then it finds what no webhook delivered).
        if depth == 0 or time.monotonic() - last_backfill >= BACKFILL_EVERY_SECONDS:
            timers.queued["backfill"] += backfill_orders(app, since=None).enqueued
            last_backfill = time.monotonic()
        documents = documents_by_number(stack)
        paid = [o for o in (stack.woo.order(p["id"]) for p in placed) if o["status"] in ("processing", "completed")]
        missing = [o for o in paid if o["number"] not in documents]
        depth = queue_depth(app, "woo-events")
        queues_empty = depth == 0
        progress(f"settling: {len(missing)} paid orders not in the ERP yet, queue depth {depth}")
        if not missing and queues_empty:
            break
        if time.monotonic() > deadline:
            break
        if queues_empty and not replayed and queue_depth(app, "woo-events-poison"):
            report.replayed = replay_poison(app)
            replayed = True
        time.sleep(5)
    report.queue_drained = queues_empty
    report.poisoned = queue_depth(app, "woo-events-poison") + report.replayed
    report.paid = len(paid)
    for order in paid:
        found = documents.get(order["number"], [])
        entry = app.ledger.get(STORE_ID, order["id"])
        if len(found) > 1:
            report.duplicated += 1
        elif not found:
            if entry is not None and entry.state == OrderState.HELD:
                report.held += 1
                report.held_reasons[order["number"]] = entry.hold_reason
            else:
                report.lost += 1
                report.lost_orders.append(order["number"])
        else:
            report.posted += 1
            holds = [row for row in app.audit.trail(f"{STORE_ID}/{order['id']}") if row.data.get("stage") == "held"]
            if holds:
                report.held_then_posted += 1
                code = str(holds[0].data.get("outcome"))
                report.held_then_posted_codes[code] = report.held_then_posted_codes.get(code, 0) + 1
            if found[0] != Decimal(order["total"]):
                report.total_mismatches += 1
    counters = stack.erp_emulator.faults.counters
    kind = stack.erp
    faults[f"{kind}_injected_5xx"] = sum(v for k, v in counters.items() if k.startswith("status_5"))
    faults[f"{kind}_429"] = counters["throttled_rate"] + counters["throttled_concurrency"]
    faults[f"{kind}_requests"] = counters["requests"]
    faults["duplicate_deliveries"] = sum(1 for d in stack.woo.deliveries() if d.get("copy", 1) and d.get("copy", 1) > 1)
    return report


def progress(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def documents_by_number(stack: Stack) -> dict[str, list[Decimal]]:
    """The ERP's own documents by the Woo order number they carry: each one's total including tax."""
    found: dict[str, list[Decimal]] = {}
    if stack.erp == "fo":
        from sandbox.fo import FoEmulator

        assert isinstance(stack.erp_emulator, FoEmulator)
        fo = stack.erp_emulator
        company = fo.store.companies[fo.default_company]
        for header in fo.store.rows(company, "SalesOrderHeadersV2"):
            found.setdefault(str(header["CustomersOrderReference"]), []).append(Decimal(header["OrderTotalAmount"]))
        return found
    if stack.erp == "gp":
        from sandbox.gp import GpEmulator

        gp = stack.erp_emulator
        assert isinstance(gp, GpEmulator)
        with gp.store.lock:
            for doc in list(gp.company().entities["SalesOrder"].values()):
                if not doc.get("IsVoided"):
                    total = Decimal(str((doc.get("TotalAmount") or {}).get("Value", 0)))
                    found.setdefault(str(doc.get("CustomerPONumber")), []).append(total)
        return found
    for document in stack.bc.records("salesOrders"):
        total = Decimal(str(document["totalAmountIncludingTax"]))
        found.setdefault(document["externalDocumentNumber"], []).append(total)
    return found


def expire_credentials(stack: Stack) -> int:
    """BC: every token expires; GP (NTLM): every authenticated connection must authenticate again."""
    if stack.erp == "gp":
        from sandbox.gp import GpEmulator

        assert isinstance(stack.erp_emulator, GpEmulator)
        stack.erp_emulator.gate.forget_sessions()
        return 1
    return stack.entra.expire_all_tokens()


def queue_depth(app: Any, name: str) -> int:
    try:
        client = app.storage.queue_service().get_queue_client(name)
        return int(client.get_queue_properties().approximate_message_count)
    except Exception:
        return 0


def replay_poison(app: Any) -> int:
    """Move poisoned messages back unchanged (raw text: no double encoding)."""
    service = app.storage.queue_service()
    poison, target = service.get_queue_client("woo-events-poison"), service.get_queue_client("woo-events")
    moved = 0
    for message in poison.receive_messages(messages_per_page=32, visibility_timeout=60):
        target.send_message(message.content)
        poison.delete_message(message)
        moved += 1
    return moved


def print_report(report: ChaosReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Fault-injection run")
    table.add_column("measure")
    table.add_column("value", justify="right")
    measures = ("placed", "paid", "posted", "duplicated", "lost", "held", "held_then_posted", "poisoned", "replayed")
    for name in (*measures, "total_mismatches", "queue_drained"):
        table.add_row(name, str(getattr(report, name)))
    for name, count in sorted(report.faults.items()):
        table.add_row(f"fault: {name}", str(count))
    for name, value in report.throttling.items():
        table.add_row(f"throttling: {name}", str(value))
    for name, count in report.queue.items():
        table.add_row(f"queue: {name}", str(count))
    table.add_row("seconds", str(report.seconds))
    console = Console()
    console.print(table)
    for number, reason in report.held_reasons.items():
        console.print(f"held {number}: {reason}")
    for code, count in sorted(report.held_then_posted_codes.items()):
        console.print(f"held, then posted: {count} × {code}")
    if report.lost_orders:
        console.print(f"[red]lost: {', '.join(report.lost_orders)}[/]")
    console.print("[green]PASS: nothing lost, nothing doubled[/]" if report.passed else "[red]FAIL[/]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fault-injection run (see module docstring).")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=None, help="placement window (default: orders/11)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--erp", choices=ERP_KINDS, default="bc", help="the ERP kind (default: bc)")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    # A SIGTERM (e.g. a test's timeout) unwinds normally, so the host and Azurite are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    config = ChaosConfig(
        orders=args.orders, seed=args.seed, placement_seconds=args.seconds or args.orders / 11, erp=args.erp
    )
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        report = run_chaos(config, Path(tmp))
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps({**asdict(report), "passed": report.passed}, indent=2))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
