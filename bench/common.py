"""Shared helpers for the benchmarks: machine facts, percentiles, counters, app settings, a host subprocess.

Counters patch library classes in this process only (the benchmarks never run inside the tests):
- `StorageCounter` counts HTTP requests the Azure storage SDKs send (blob / queue / table), so a
  benchmark can report storage transactions per order. Requests from the benchmark's own main thread
  (its polling and checks) are left out.
- `InvocationTimer` times every function invocation of the local host (name, start, duration, ok).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sandbox.server import free_port

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
WEBHOOK_SECRET = "bench-webhook-secret"
STORE_ID = "main"


# ----------------------------------------------------------------------------- machine and run facts


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in load],
    }


def git_commit() -> dict[str, Any]:
    """The commit measured (read-only git calls) and whether the working tree had changes."""

    def run(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": run("rev-parse", "HEAD"), "dirty": bool(run("status", "--porcelain", "--untracked-files=no"))}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def rounded(value: float, digits: int = 2) -> float | None:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return None
    return round(float(value), digits)


def ratio(numerator: float, denominator: float, digits: int = 2) -> float | None:
    if not denominator:
        return None
    return rounded(numerator / denominator, digits)


# ----------------------------------------------------------------------------- app settings


def base_settings(storage_connection: str, **overrides: str) -> dict[str, str]:
    """Valid app settings for importing function_app without the emulators (ingress, cold start).

    The BC and Woo URLs are never called on those paths: the webhook function only verifies and queues.
    """
    return {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "AzureWebJobsStorage": storage_connection,
        f"WOO_STORES__{STORE_ID}__URL": "https://shop.example.com/",
        f"WOO_STORES__{STORE_ID}__CONSUMER_KEY": "ck_bench",
        f"WOO_STORES__{STORE_ID}__CONSUMER_SECRET": "cs_bench",
        f"WOO_STORES__{STORE_ID}__WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BC_TENANT_ID": "bench-tenant",
        "BC_COMPANY_ID": "11111111-2222-3333-4444-555555555555",
        "BC_CLIENT_ID": "bench-client",
        "BC_CLIENT_SECRET": "bench-secret",
        **overrides,
    }


def clean_env(settings: dict[str, str]) -> dict[str, str]:
    """The current environment without connector settings, plus `settings` (for subprocesses)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WOO_STORES__", "BC_", "AzureWebJobsStorage", "SANDBOX_"))
    }
    env.update(settings)
    env["PYTHONPATH"] = str(REPO)
    return env


# ----------------------------------------------------------------------------- a host in a subprocess


@dataclass
class HostProcess:
    """`python -m bench.host_process`: the local Functions host (LocalHost) in its own process.

    Used where the load generator must not share the GIL with the server (ingress) and for cold
    starts. `started_at` is the monotonic time just before the process was spawned.
    """

    settings: dict[str, str]
    functions: Sequence[str] = ()
    app_dir: str = ""  # another app than the repo's function_app (cold-start baseline)
    port: int = field(default_factory=free_port)
    function_key: str = "bench-function-key"
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def webhook_url(self, store: str = STORE_ID) -> str:
        return f"{self.url}/api/webhooks/woo/{store}?code={self.function_key}"

    def start(self) -> HostProcess:
        env = clean_env(
            {**self.settings, "SANDBOX_FUNCTION_KEY": self.function_key, "SANDBOX_MASTER_KEY": "bench-master-key"}
        )
        command = [sys.executable, "-m", "bench.host_process", "--port", str(self.port)]
        if self.functions:
            command += ["--only", *self.functions]
        if self.app_dir:
            command += ["--app-dir", self.app_dir]
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        return self

    def wait_listening(self, timeout: float = 60.0) -> float:
        """Seconds from spawn until the port accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"host exited with {self.process.returncode}: {err[-2000:]}")
            with socket.socket() as sock:
                sock.settimeout(0.2)
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return time.monotonic() - self.started_at
            time.sleep(0.005)
        raise TimeoutError(f"host did not listen on {self.port} within {timeout}s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> HostProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ----------------------------------------------------------------------------- counters


class StorageCounter:
    """Counts storage SDK requests by service and operation (patched into azure-core's transport)."""

    _installed = False
    _active: StorageCounter | None = None
    _lock = threading.Lock()

    def __init__(self, ports: tuple[int, int, int]) -> None:
        blob, queue, table = ports
        self.services = {blob: "blob", queue: "queue", table: "table"}
        self.counts: Counter[str] = Counter()
        self.excluded = {threading.main_thread().ident}

    @classmethod
    def _install(cls) -> None:
        if cls._installed:
            return
        from azure.core.pipeline.transport import RequestsTransport

        original = RequestsTransport.send

        def send(self: Any, request: Any, **kwargs: Any) -> Any:
            active = cls._active
            if active is not None:
                active.record(request.method, request.url)
            return original(self, request, **kwargs)

        RequestsTransport.send = send  # type: ignore[method-assign]
        cls._installed = True

    def record(self, method: str, url: str) -> None:
        if threading.get_ident() in self.excluded:
            return
        parts = urlsplit(url)
        service = self.services.get(parts.port or 0)
        if service is None:
            return
        path = parts.path.split("/")[2:]  # drop the account name
        if service == "queue":
            what = "messages" if "messages" in path else "queue"
            op = f"{method} {what}" + ("/{id}" if what == "messages" and path[-1] != "messages" else "")
        elif service == "table":
            op = f"{method} entity" if path and "(" in path[0] else f"{method} rows"
        else:
            op = f"{method} blob"
        with self._lock:
            self.counts[f"{service}:{op}"] += 1
            self.counts[service] += 1

    def by_service(self) -> dict[str, int]:
        with self._lock:
            return {s: self.counts.get(s, 0) for s in ("queue", "table", "blob")}

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()

    @contextlib.contextmanager
    def active(self) -> Iterator[StorageCounter]:
        self._install()
        StorageCounter._active = self
        try:
            yield self
        finally:
            StorageCounter._active = None


@dataclass
class Invocation:
    name: str
    started: float  # time.time()
    seconds: float  # wall time of the invocation, as the host sees it
    ok: bool
    cpu_seconds: float = 0.0  # CPU time of the worker thread running the function body (not GIL waits)


class InvocationTimer:
    """Times every invocation the local host makes (patched into sandbox.host.invoke.Invoker)."""

    _installed = False
    _active: InvocationTimer | None = None

    def __init__(self) -> None:
        self.invocations: list[Invocation] = []
        self._lock = threading.Lock()

    @classmethod
    def _install(cls) -> None:
        if cls._installed:
            return
        from sandbox.host.invoke import Invoker

        original = Invoker.__call__

        async def call(self: Any, spec: Any, trigger_value: Any) -> Any:
            timer = cls._active
            cpu = [0.0]
            if timer is not None and not spec.is_async:
                body = spec.user_function

                def measured(**kwargs: Any) -> Any:
                    before = time.thread_time()
                    try:
                        return body(**kwargs)
                    finally:
                        cpu[0] = time.thread_time() - before

                spec = dataclasses.replace(spec, user_function=measured)
            wall, started = time.time(), time.perf_counter()
            ok = False
            try:
                result = await original(self, spec, trigger_value)
                ok = True
                return result
            finally:
                if timer is not None:
                    timer.add(Invocation(spec.name, wall, time.perf_counter() - started, ok, cpu[0]))

        Invoker.__call__ = call  # type: ignore[method-assign]
        cls._installed = True

    def add(self, invocation: Invocation) -> None:
        with self._lock:
            self.invocations.append(invocation)

    def take(self) -> list[Invocation]:
        with self._lock:
            taken, self.invocations = self.invocations, []
            return taken

    @contextlib.contextmanager
    def active(self) -> Iterator[InvocationTimer]:
        self._install()
        InvocationTimer._active = self
        try:
            yield self
        finally:
            InvocationTimer._active = None


def summarize_invocations(invocations: Sequence[Invocation]) -> dict[str, dict[str, Any]]:
    by_name: dict[str, list[Invocation]] = {}
    for inv in invocations:
        by_name.setdefault(inv.name, []).append(inv)
    out: dict[str, dict[str, Any]] = {}
    for name, items in sorted(by_name.items()):
        seconds = [i.seconds for i in items]
        out[name] = {
            "count": len(items),
            "failed": sum(1 for i in items if not i.ok),
            "mean_ms": rounded(1000 * sum(seconds) / len(seconds), 2),
            "p50_ms": rounded(1000 * percentile(seconds, 50), 2),
            "p95_ms": rounded(1000 * percentile(seconds, 95), 2),
            "total_s": rounded(sum(seconds), 3),
            "cpu_mean_ms": rounded(1000 * sum(i.cpu_seconds for i in items) / len(items), 2),
        }
    return out


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


# ----------------------------------------------------------------------------- CPU time of processes

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a process and its live descendants (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is None:
            continue
        parents.setdefault(stat[0], []).append(int(entry.name))
        times[int(entry.name)] = stat[1]
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo.extend(parents.get(current, []))
    return total
