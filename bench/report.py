"""Tables for the terminal (rich) from a results document: `python -m bench.report [PATH]` prints them again."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.common import RESULTS


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _result(document: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    entry = document.get("benchmarks", {}).get(name)
    if not entry:
        return None
    return entry.get("result")


def fo_pipeline_rows(result: Mapping[str, Any] | None) -> list[tuple[str, str, str, str]]:
    """F&O's ERP calls per order, against its floor of one `$batch` per order."""
    if not result:
        return []
    rows = []
    for phase in ("no_payments", "with_payment_journal"):
        figures = result.get(phase)
        if figures:
            by_operation = ", ".join(
                f"{k} {_fmt(v, 2)}" for k, v in figures["erp_calls_by_operation_per_order"].items()
            )
            rows.append(
                (
                    "fo_pipeline",
                    f"F&O ERP calls per order ({phase.replace('_', ' ')}, {figures['posted']} orders)",
                    _fmt(figures["erp_calls_per_order"], 3),
                    f"{result['floor_erp_calls_per_order']} ({by_operation})",
                )
            )
    return rows


def gp_calls_rows(result: Mapping[str, Any] | None) -> list[tuple[str, str, str, str]]:
    """GP's calls per order on each transport, against the floor of two (GP's creates answer nothing: the
    document is read back)."""
    if not result:
        return []
    rows = []
    for transport in ("soap", "sba"):
        figures = result.get(transport)
        if figures:
            for buyer in ("known_customer", "new_buyer"):
                rows.append(
                    (
                        "gp_calls",
                        f"GP calls per order ({transport}, {buyer.replace('_', ' ')})",
                        _fmt(figures[f"calls_per_order_{buyer}"], 2),
                        "2 (create, read back)",
                    )
                )
    return rows


def summary_rows(document: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(benchmark, measure, value, floor / baseline) rows: the headline figures of every benchmark."""
    rows: list[tuple[str, str, str, str]] = []
    ingress = _result(document, "ingress")
    if ingress:
        for cell in ingress["cells"]:
            label = f"{cell['body_bytes'] // 1024} KB, {cell['concurrency']} conc."
            i, f = cell["ingress"], cell["floor"]
            rows.append(
                (
                    "ingress",
                    f"webhooks/s, p50/p99 ms ({label})",
                    f"{_fmt(i['per_second'], 0)}/s, {_fmt(i['p50_ms'], 1)}/{_fmt(i['p99_ms'], 1)}",
                    f"enqueue {_fmt(f['per_second'], 0)}/s, {_fmt(f['p50_ms'], 1)}/{_fmt(f['p99_ms'], 1)} "
                    f"(×{_fmt(cell['ratio_throughput'])})",
                )
            )
    rows += fo_pipeline_rows(_result(document, "fo_pipeline"))
    rows += gp_calls_rows(_result(document, "gp_calls"))
    pipeline = _result(document, "pipeline")
    if pipeline:
        burst, paced = pipeline["burst"], pipeline["paced"]
        same, binding = pipeline["throttled_same_rate"], pipeline["throttled_binding"]
        execs = paced["executions_per_order"]
        rows += [
            ("pipeline", f"orders/min ({burst['orders']} orders, burst)", _fmt(burst["orders_per_minute"], 0), ""),
            (
                "pipeline",
                "order placed → posted, p50/p95 s (paced)",
                f"{_fmt(paced['latency_s']['p50'])}/{_fmt(paced['latency_s']['p95'])}",
                f"at {_fmt(paced['rate_per_second'])} orders/s",
            ),
            ("pipeline", "ERP calls per order (burst)", _fmt(burst["erp_calls_per_order"], 3), "1.0"),
            (
                "pipeline",
                "ERP calls per order, by kind",
                ", ".join(f"{k} {_fmt(v, 2)}" for k, v in burst["erp_calls_by_kind_per_order"].items()),
                f"returning {_fmt(burst['returning_share'])}",
            ),
            ("pipeline", "Woo calls per order (burst)", _fmt(burst["woo_calls_per_order"], 3), "0"),
            (
                "pipeline",
                "webhook / queue executions per order (paced)",
                f"{_fmt(execs.get('woo_webhook'))} / {_fmt(execs.get('handle_woo_event'))}",
                "1 / 1",
            ),
            (
                "pipeline",
                "webhook / queue executions per order (burst)",
                f"{_fmt(burst['executions_per_order'].get('woo_webhook'))} / "
                f"{_fmt(burst['executions_per_order'].get('handle_woo_event'))}",
                "1 / 1",
            ),
            (
                "pipeline",
                "storage transactions per order (paced)",
                ", ".join(f"{k} {_fmt(v, 1)}" for k, v in paced["storage_transactions_per_order"].items()),
                "",
            ),
            (
                "pipeline",
                "log records per order (paced, INFO)",
                ", ".join(f"{k} {_fmt(v, 1)}" for k, v in paced.get("log_records_per_order", {}).items()),
                "",
            ),
            (
                "pipeline",
                "CPU ms per order: functions / process / Azurite",
                f"{_fmt(burst['cpu_ms_per_order']['function_bodies'], 0)} / "
                f"{_fmt(burst['cpu_ms_per_order']['whole_python_process'], 0)} / "
                f"{_fmt(burst['cpu_ms_per_order']['azurite'], 0)}",
                "",
            ),
            (
                "pipeline",
                f"throttled {same['limits']['requests_per_window']}/{same['limits']['window_seconds']:.0f}s: "
                "share of permitted, 429s",
                f"{_fmt(same['share_of_permitted'], 3)}, {same['erp_429']}",
                f"{_fmt(same['orders_per_minute'], 0)} orders/min",
            ),
            (
                "pipeline",
                f"throttled {binding['limits']['requests_per_window']}/{binding['limits']['window_seconds']:.0f}s: "
                "share of permitted, 429s",
                f"{_fmt(binding['share_of_permitted'], 3)}, {binding['erp_429']}",
                f"{_fmt(binding['orders_per_minute'], 0)} orders/min",
            ),
        ]
    stock = _result(document, "stock")
    if stock:
        for cycle in stock["cycles"]:
            rows.append(
                (
                    "stock",
                    f"{cycle['cycle']}: s, Woo calls, ERP calls, written",
                    f"{_fmt(cycle['seconds'], 1)} s, {cycle['woo_calls']}, {cycle['erp_calls']}, {cycle['written']}",
                    "",
                )
            )
        floor = stock["delta_woo_calls_vs_floor"]
        rows.append(
            ("stock", "1 % delta: Woo calls vs floor", f"{floor['woo_calls']}", f"{floor['floor']} (×{floor['ratio']})")
        )
    reconcile = _result(document, "reconcile")
    if reconcile:
        rows += [
            (
                "reconcile",
                f"{reconcile['orders']:,} orders: s (CPU s)",
                f"{_fmt(reconcile['seconds'], 1)} ({_fmt(reconcile['cpu_seconds'], 1)})",
                "",
            ),
            (
                "reconcile",
                "peak RSS MB (from), tracemalloc peak MB",
                f"{_fmt(reconcile['rss_peak_mb'], 0)} (from {_fmt(reconcile['rss_before_mb'], 0)}), "
                f"{_fmt(reconcile['tracemalloc_peak_mb'], 1)}",
                "",
            ),
            (
                "reconcile",
                "Woo order pages, ERP calls",
                f"{reconcile['woo_order_pages']}, {reconcile['erp_calls_total']}",
                f"{reconcile['woo_order_pages_floor']} pages, index ≥ {reconcile['erp_index_pages_floor']} pages",
            ),
        ]
    cold = _result(document, "coldstart")
    if cold:
        rows += [
            (
                "cold start",
                "import function_app ms (median)",
                _fmt(cold["import_function_app"]["import_ms_median"], 0),
                f"azure.functions {_fmt(cold['import_azure_functions']['import_ms_median'], 0)} "
                f"(×{_fmt(cold['import_ratio_to_bare'])})",
            ),
            (
                "cold start",
                "spawn → first webhook 200, s",
                _fmt(cold["host_first_request"]["first_200_s"]),
                f"one-function app {_fmt(cold['trivial_app_first_request']['first_200_s'])}",
            ),
        ]
    cost = _result(document, "cost")
    if cost and "estimates" in cost:
        floor_by_volume = {e["orders_per_day"]: e for e in cost["estimates_at_floor"]["estimates"]}
        synchronous = cost.get("estimates_synchronous_delivery", {}).get("estimates", [])
        synchronous_by_volume = {e["orders_per_day"]: e for e in synchronous}
        for estimate in cost["estimates"]:
            volume = estimate["orders_per_day"]
            usd = estimate["usd_month"]
            at_floor = floor_by_volume[volume]["usd_month"]
            alone = usd["functions_flex_if_every_execution_billed_alone"] - usd["functions_flex"]
            measured = (
                f"${_fmt(usd['total_lean'], 0)} (${_fmt(usd['functions_flex'], 0)} + "
                f"${_fmt(usd['storage_transactions'], 0)} + ${_fmt(usd['app_insights_lean'], 0)}); "
                f"verbose logs ${_fmt(usd['total_verbose'], 0)}; "
                f"every execution billed alone ${_fmt(usd['total_lean'] + alone, 0)}"
            )
            if volume in synchronous_by_volume:
                delivered_at_checkout = synchronous_by_volume[volume]["usd_month"]["total_lean"]
                measured += f"; synchronous delivery ${_fmt(delivered_at_checkout, 0)}"
            rows.append(
                (
                    "cost",
                    f"{volume:,} orders/day: $/month (Functions + storage + App Insights)",
                    measured,
                    f"iPaaS ${usd['ipaas']:,.0f}; at 1+1 executions/order ${_fmt(at_floor['total_lean'], 0)}",
                )
            )
    return rows


def print_tables(console: Console, document: Mapping[str, Any]) -> None:
    m = document.get("machine", {})
    title = (
        f"Benchmarks {document.get('timestamp', '')} · {m.get('nproc')} × {m.get('cpu_model')} · "
        f"Python {m.get('python')} · {str(document.get('git', {}).get('commit', ''))[:10]}"
        f"{' (quick)' if document.get('quick') else ''}"
    )
    table = Table(title=title, show_lines=False)
    for column in ("benchmark", "measure", "value", "floor / baseline"):
        table.add_column(column, overflow="fold")
    for row in summary_rows(document):
        table.add_row(*row)
    console.print(table)
    for name, entry in document.get("benchmarks", {}).items():
        if "error" in entry:
            console.print(f"[red]{name}: {entry['error']}[/]")


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "latest.json"
    print_tables(Console(), json.loads(path.read_text()))


if __name__ == "__main__":
    main()
