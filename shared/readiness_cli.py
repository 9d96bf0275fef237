"""`connector readiness`: the go-live check (shared/flows/readiness.py) as an operator command.

Reads the stores and their ERP connections, writes nothing to either, prints a summary table (with
progress on stderr while it reads) and writes the HTML and CSV reports to local files.

Exit status: 0 ready, 1 something blocks go-live, 2 the check could not run (a setting, WooCommerce or the
ERP unreachable...). It needs no storage account.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from azure.core.exceptions import AzureError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from shared.config import ConfigError, check_app_settings, load_settings
from shared.erp.port import ErpError
from shared.flows.readiness import ReadinessReport, check_readiness
from shared.flows.readiness_classify import KINDS, Action, FindingKind
from shared.flows.readiness_report import render_csv, render_html
from shared.flows.services import Services, build_erp, check_mappings
from shared.http import HttpError
from shared.woo.mapping import WooPayloadError

READY, BLOCKED, ERROR = 0, 1, 2
ERRORS = (ConfigError, ValueError, OSError, AzureError, HttpError, ErpError, WooPayloadError)
HELP = "read a store and its ERP (writing nothing) and report what would hold or fail before go-live"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=30, help="orders created in the last N days (default 30)")
    parser.add_argument("--store", action="append", help="only this store (repeatable); default: all")
    parser.add_argument(
        "--out", default="readiness", metavar="PATH", help="report files PATH.html and PATH.csv (default readiness)"
    )
    parser.add_argument(
        "--check-write",
        action="store_true",
        help="also check the REST key may write, with a write no store can apply (PUT orders/0)",
    )


def readiness_services() -> Services:
    """Settings as the app reads them, without storage (readiness reads none); the ERP adapters are built
    without the blob-lease slots, which would write leases."""
    settings = load_settings()
    if not settings.azure_web_jobs_storage:
        settings = settings.model_copy(update={"azure_web_jobs_storage": "UseDevelopmentStorage=true"})
    settings = check_mappings(check_app_settings(settings))  # a mapping that cannot load is an error (2)
    return Services(settings, erp_factory=lambda connection: build_erp(settings, connection))


class _Bars:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.bars: dict[tuple[str, str], TaskID] = {}

    def __call__(self, store: str, what: str, done: int, total: int | None) -> None:
        key = (store, what)
        if key not in self.bars:
            self.bars[key] = self.progress.add_task(f"{store}: {what}", total=total)
        self.progress.update(self.bars[key], completed=done, total=total)


def cmd_readiness(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.days < 1:
        err.print(Text("error: --days must be at least 1", style="red"))
        return ERROR
    try:
        services = readiness_services()
        known = list(services.settings.woo_stores)
        stores = [s.strip().lower() for s in args.store or []]
        unknown = [s for s in stores if s not in known]
        if unknown:
            raise ConfigError(f"unknown store {unknown[0]!r}: the settings configure {', '.join(known) or 'no store'}")
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True,
        ) as progress:  # fmt: skip
            report = check_readiness(
                services, days=args.days, stores=stores or None, check_write=args.check_write, progress=_Bars(progress)
            )
        html_path, csv_path = Path(f"{args.out}.html"), Path(f"{args.out}.csv")
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(render_html(report), encoding="utf-8")
        csv_path.write_text(render_csv(report), encoding="utf-8")
    except ERRORS as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err.print(Text(f"error: {text}", style="red"))
        return ERROR
    if args.json:
        out.print_json(data={**report.summary(), "html": str(html_path), "csv": str(csv_path)})
    else:
        print_summary(out, report)
        out.print(Text(f"Report: {html_path}\nCSV:    {csv_path}"))
    return READY if report.ready else BLOCKED


def print_summary(out: Console, report: ReadinessReport) -> None:
    when = f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}"
    orders = Table(title=f"Orders created {when}", title_justify="left", header_style="bold")
    for column in ("store", "read", "would post", "would be held", "would fail", "skipped", "refunds"):
        orders.add_column(column, justify="left" if column == "store" else "right")
    for s in report.stores:
        mine = [v for v in report.verdicts if v.store == s.store]
        counts = [str(sum(1 for v in mine if v.action == action)) for action in Action]
        orders.add_row(Text(s.store), str(s.orders), *counts, str(s.refunds))
    out.print(orders)
    if report.findings:
        table = Table(title="Findings", title_justify="left", header_style="bold")
        for column in ("finding", "blocks go-live", "count", "orders"):
            table.add_column(column, justify="left" if column in ("finding", "blocks go-live") else "right")
        for kind in FindingKind:
            found = report.of_kind(kind)
            if found:
                affected = len({(f.store, o) for f in found for o in f.orders})
                info = KINDS[kind]
                table.add_row(Text(info.title), "yes" if info.blocking else "no", str(len(found)), str(affected))
        out.print(table)
    if report.ready:
        out.print(Text("Ready: every order would post and nothing blocks go-live.", style="green"))
    else:
        stuck = report.count(Action.HOLD) + report.count(Action.FAIL)
        text = f"Not ready: {stuck} of {len(report.verdicts)} orders would be held or fail; "
        out.print(Text(text + f"{len(report.blocking)} finding(s) block go-live.", style="red"))
