"""Reconciliation: one day with 100,000 orders through `shared.flows.reconcile.reconcile_day`.

Three processes so the memory figure is the connector's alone: Azurite; the Entra, BC and Woo emulators
(`bench.reconcile_emulators`, seeded straight through their Python stores: N paid orders over the day,
a BC sales order for each with the same total, 5 missing and 5 with another total); and the run itself
(`bench.reconcile_worker`): seconds, CPU seconds, peak RSS (sampled from /proc every 20 ms; ru_maxrss is
no use here, a child started from the big benchmark process inherits its peak) and, in a second run,
the tracemalloc peak of Python allocations. WooCommerce and BC calls are read from the emulators'
counters. The floor for the Woo reads is ⌈orders/100⌉ pages; for the ERP, one index read
(⌈documents/5000⌉ pages) plus one lookup per page holding an exception.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from bench.common import REPO, base_settings, clean_env, rounded
from sandbox.azurite import Azurite

BC_PAGE = 5000  # the adapter's `Prefer: odata.maxpagesize` for the document index


def _counters(settings: dict[str, str], woo_control: str) -> tuple[dict[str, int], dict[str, int]]:
    verify = settings["SANDBOX_CA_BUNDLE"]
    woo = httpx.get(f"{woo_control}/calls", verify=verify, timeout=30).json()
    bc = httpx.get(f"{settings['BC_API_URL']}/_sandbox/counters", verify=verify, timeout=30).json()["requests"]
    return woo, bc


def _reset(settings: dict[str, str], woo_control: str) -> None:
    verify = settings["SANDBOX_CA_BUNDLE"]
    httpx.delete(f"{woo_control}/calls", verify=verify, timeout=30)
    httpx.post(f"{settings['BC_API_URL']}/_sandbox/counters/reset", verify=verify, timeout=30)


def _worker(env: dict[str, str], day: date, traced: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.reconcile_worker", "--day", day.isoformat()]
    if traced:
        command.append("--tracemalloc")
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"reconcile worker failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> dict[str, Any]:
    orders = 10_000 if quick else 100_000
    day = datetime.now(UTC).date() - timedelta(days=1)
    with Azurite() as azurite:
        emulators = subprocess.Popen(
            [sys.executable, "-m", "bench.reconcile_emulators", "--orders", str(orders), "--day", day.isoformat()],
            cwd=REPO,
            env=clean_env({}),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert emulators.stdout is not None
            ready = json.loads(emulators.stdout.readline())
            settings = base_settings(azurite.connection_string, **ready["settings"])
            env = clean_env(settings)
            _reset(settings, ready["woo_control"])
            plain = _worker(env, day, traced=False)
            woo_calls, bc_calls = _counters(settings, ready["woo_control"])
            traced = _worker(env, day, traced=True)
        finally:
            if emulators.stdin is not None:
                emulators.stdin.close()
            emulators.wait(30)
    order_pages = sum(v for k, v in woo_calls.items() if k.startswith("GET /orders"))
    floor_pages = math.ceil(orders / 100)
    return {
        "orders": orders,
        "seeded": ready["seeded"],
        "seconds": rounded(plain["seconds"], 1),
        "cpu_seconds": rounded(plain["cpu_seconds"], 1),
        "orders_per_second": rounded(orders / plain["seconds"], 0),
        "rss_before_mb": rounded(plain["rss_before_mb"], 1),
        "rss_peak_mb": rounded(plain["rss_peak_mb"], 1),
        "tracemalloc_peak_mb": rounded(traced["tracemalloc_peak_mb"], 1),
        "seconds_with_tracemalloc": rounded(traced["seconds"], 1),
        "orders_checked": plain["orders_checked"],
        "exceptions": plain["exceptions"],
        "woo_calls": woo_calls,
        "woo_order_pages": order_pages,
        "woo_order_pages_floor": floor_pages,
        "erp_calls": bc_calls,
        "erp_calls_total": bc_calls.get("requests", 0),
        "erp_index_pages_floor": math.ceil(orders / BC_PAGE),
    }
