"""`python -m bench [--only NAME ...] [--quick] [--out PATH]`: run the benchmarks, write JSON, print tables.

Benchmarks (in this order): coldstart, ingress, pipeline, fo_pipeline (F&O's ERP calls per order), gp_calls
(GP's calls per order, both transports), stock,
reconcile, cost. `cost` uses the
pipeline figures of this run, or of the results file when the pipeline is not run. Results of
benchmarks not run are kept from the existing file (each section carries its own time stamp), so
`--only` refreshes part of `bench/results/latest.json`; `--quick` writes `bench/results/latest-quick.json`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.common import RESULTS, git_commit, machine, now_iso

NAMES = ("coldstart", "ingress", "pipeline", "fo_pipeline", "gp_calls", "stock", "reconcile", "cost")


def _runner(name: str) -> Callable[..., dict[str, Any]]:
    module = __import__(f"bench.{name}", fromlist=["run"])
    return module.run  # type: ignore[no-any-return]


def results_path(out: Path | None, *, quick: bool) -> Path:
    """A quick (smoke) run never overwrites the tracked full-run results: it writes beside them."""
    return out or RESULTS / ("latest-quick.json" if quick else "latest.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=NAMES, help="run only these benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run of a few minutes")
    parser.add_argument(
        "--out", type=Path, help="results file (default: bench/results/latest.json; with --quick, latest-quick.json)"
    )
    args = parser.parse_args(argv)
    args.out = results_path(args.out, quick=args.quick)
    # The connector's warnings (reschedules under throttling...) are counted, not printed.
    logging.getLogger().addHandler(logging.NullHandler())
    wanted = [name for name in NAMES if not args.only or name in args.only]
    console = Console()
    previous: dict[str, Any] = {}
    if args.out.exists():
        try:
            previous = json.loads(args.out.read_text())
        except ValueError:
            previous = {}
    benchmarks: dict[str, Any] = dict(previous.get("benchmarks", {}))
    started = time.perf_counter()
    run_info = {
        "timestamp": now_iso(),
        "machine": machine(),
        "git": git_commit(),
        "command": "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "quick": args.quick,
    }
    failed = []
    for name in wanted:
        console.rule(f"[bold]{name}")
        began = time.perf_counter()
        entry: dict[str, Any] = {"measured_at": now_iso(), "quick": args.quick, "git": run_info["git"]["commit"]}
        try:
            if name == "cost":
                pipeline = benchmarks.get("pipeline", {}).get("result")
                source = "this run" if "pipeline" in wanted else "results file"
                entry["result"] = _runner(name)(pipeline, source)
            else:
                entry["result"] = _runner(name)(quick=args.quick)
        except Exception as exc:
            failed.append(name)
            entry["error"] = f"{type(exc).__name__}: {exc}"
            entry["traceback"] = traceback.format_exc()[-4000:]
            console.print(f"[red]{name} failed:[/] {entry['error']}")
        entry["seconds_taken"] = round(time.perf_counter() - began, 1)
        benchmarks[name] = entry
        console.print(f"{name}: {entry['seconds_taken']} s")
    run_info["seconds_taken"] = round(time.perf_counter() - started, 1)
    document = {**run_info, "benchmarks": {name: benchmarks[name] for name in NAMES if name in benchmarks}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2, default=str) + "\n")
    temporary.replace(args.out)
    from bench.report import print_tables

    print_tables(console, document)
    console.print(f"Results: {args.out} ({run_info['seconds_taken']} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
