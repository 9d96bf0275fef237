"""`python -m bench.reconcile_worker --day YYYY-MM-DD [--tracemalloc]`: one `reconcile_day` run in a fresh
process (app settings from the environment), so its memory figures are the connector's alone.

Prints one JSON line: seconds, CPU seconds (all of this process's threads), RSS before and peak (sampled
every 20 ms; ru_maxrss would include what the process inherited from its parent at fork), the
tracemalloc peak when asked, and the report's counts.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import tracemalloc
from datetime import date
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--day", required=True)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()

    from shared.flows.reconcile import reconcile_day
    from shared.flows.services import services

    svc = services()
    svc.ensure_storage()
    svc.erp  # noqa: B018 (build the clients before measuring)
    before = rss_bytes()
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_bytes())
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if args.tracemalloc:
        tracemalloc.start()
    cpu, wall = time.process_time(), time.perf_counter()
    report = reconcile_day(svc, date.fromisoformat(args.day))
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    stop.set()
    sampler.join()
    counts = {str(kind): n for kind, n in report.counts.items()} if hasattr(report, "counts") else {}
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "rss_before_mb": before / 2**20,
                "rss_peak_mb": peak[0] / 2**20,
                "tracemalloc_peak_mb": None if traced is None else traced / 2**20,
                "orders_checked": report.orders_checked,
                "exceptions": counts,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
