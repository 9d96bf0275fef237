"""The operator CLI: `python -m shared.cli <command>`, or `connector <command>` once installed.

Commands: `status`, `held`, `poison`, `replay`, `backfill --since`, `reconcile --date`, `audit <store/order>`,
`readiness` (shared/readiness_cli.py), `sku-map list|set|remove|import|export|history|accept`
(shared/cli_sku_map.py), `release`, `flagged` (shared/cli_anomalies.py), `conflicts` (shared/cli_conflicts.py).

Storage: `--connection-string` (else the `AzureWebJobsStorage` setting), or `--account-name` to sign in
with DefaultAzureCredential (`az login`, a managed identity...) as `AzureWebJobsStorage__accountName`
does. Other settings (stores, Business Central) come from the environment, or from a Functions
`local.settings.json` given with `--settings` (its Values never override the environment). Only
`backfill` and `reconcile` need the store and ERP settings.

Exit status: 0 when the command did its work, 1 on an error, with a one-line message and no traceback
for the expected ones (a missing setting, storage or an API unreachable, a bad argument).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from azure.core.exceptions import AzureError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from shared import cli_anomalies, cli_conflicts, cli_sku_map, mapping_cli, readiness_cli
from shared.config import ConfigError, check_app_settings, load_settings
from shared.erp.port import ErpError
from shared.flows.operations import OperationsError, known_store, parse_order_ref, stores_in_scope
from shared.flows.poison import PoisonMessage, list_poison, replay_poison
from shared.flows.report import KINDS, ExceptionKind, format_age
from shared.flows.services import Services
from shared.flows.status import HeldOrder, held_orders, status
from shared.http import HttpError
from shared.storage.connection import SETTING
from shared.storage.names import QUEUES, REPORTS_CONTAINER, WOO_EVENTS_QUEUE
from shared.telemetry import CHATTY_LIBRARY_LOGGERS

EXPECTED_ERRORS = (ConfigError, OperationsError, ValueError, OSError, AzureError, HttpError, ErpError)


class CliError(Exception):
    """A usage problem found after parsing (the message says what to do)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 1 like every other error."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


# --------------------------------------------------------------------------------------- environment


def load_local_settings(path: Path) -> dict[str, str]:
    """The `Values` of a Functions local.settings.json."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"settings file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"settings file {path} is not valid JSON: {exc}") from None
    values = data.get("Values") if isinstance(data, dict) else None
    if not isinstance(values, dict):
        raise CliError(f'settings file {path} has no "Values" object')
    return {str(key): str(value) for key, value in values.items()}


def apply_environment(args: argparse.Namespace) -> None:
    """Settings file first (never overriding the environment), then the storage options (always win)."""
    if getattr(args, "settings", None):
        for key, value in load_local_settings(Path(args.settings)).items():
            os.environ.setdefault(key, value)
    if getattr(args, "connection_string", None):
        _drop_identity_storage()
        os.environ[SETTING] = args.connection_string
    if getattr(args, "account_name", None):
        _drop_identity_storage()
        os.environ.pop(SETTING, None)
        os.environ[f"{SETTING}__accountName"] = args.account_name


def _drop_identity_storage() -> None:
    for key in [k for k in os.environ if k.lower().startswith(SETTING.lower() + "__")]:
        del os.environ[key]


def storage_services() -> Services:
    """Services for commands that only read or move storage: no store or ERP settings needed."""
    return Services(load_settings())


def full_services() -> Services:
    return Services(check_app_settings(load_settings()))


# --------------------------------------------------------------------------------------- output helpers


def _text(value: object) -> Text:
    """A table cell shown as is (never parsed as rich markup)."""
    return Text("" if value is None else str(value))


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _print_json(out: Console, data: Any) -> None:
    out.print_json(json.dumps(data, default=str))


def _age(held: HeldOrder) -> str:
    return format_age(held.age)


def _bar_columns() -> tuple[Any, ...]:
    return (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


class StoreBars:
    """One progress bar per store, fed by a flow's `(store, done, total)` callback.

    A bar is full only when its part is done: with `then`, a store whose orders are all done gets a
    pulsing bar for the work that follows (refunds, stock, the report) until the next store starts
    or the command ends, instead of a full bar that sits there for seconds.
    """

    def __init__(
        self, progress: Progress, label: Callable[[str], str], *, then: Callable[[str], str] | None = None
    ) -> None:
        self.progress = progress
        self.label = label
        self.then = then
        self.bars: dict[str, TaskID] = {}
        self.after: TaskID | None = None

    def advance(self, store: str, done: int, total: int | None) -> None:
        if store not in self.bars:
            self._end_after()
            self.bars[store] = self.progress.add_task(self.label(store), total=total)
        bar = self.bars[store]
        self.progress.update(bar, completed=done, total=max(total, done) if total is not None else None)
        if self.then is not None and total is not None and done >= total and self.after is None:
            self.after = self.progress.add_task(self.then(store), total=None)

    def _end_after(self) -> None:
        if self.after is not None:
            self.progress.remove_task(self.after)
            self.after = None


def configured_stores(services: Services, stores: Sequence[str] | None) -> list[str]:
    """The store ids asked for, each one the settings configure (CliError naming an unknown one)."""
    known = list(services.settings.woo_stores)
    if not stores:
        return known
    wanted = [store.strip().lower() for store in stores]
    unknown = [store for store in wanted if store not in known]
    if unknown:
        raise CliError(f"unknown store {unknown[0]!r}: the settings configure {', '.join(known) or 'no store'}")
    return wanted


# --------------------------------------------------------------------------------------- commands


def connection_stores(services: Services, connection: str | None) -> list[str] | None:
    """The stores of an ERP connection (``--erp``), or None for every store."""
    if not connection:
        return None
    stores = stores_in_scope(services, connection=connection) or []
    if not stores:
        raise CliError(f"no store posts to ERP connection {connection!r} (WOO_STORES__<store>__ERP)")
    return stores


def cmd_status(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = storage_services()
    current = status(services, connection_stores(services, args.erp))
    if args.json:
        _print_json(out, current.to_dict())
        return 0
    queues = _table("Queues", "queue", "messages", "poison queue", "poison")
    for q in current.queues:
        depth = "missing" if q.depth is None else str(q.depth)
        queues.add_row(_text(q.name), _text(depth), _text(f"{q.name}-poison"), _text(q.poison))
    out.print(queues)
    oldest = current.oldest_held
    held_line = f"Held orders: {len(current.held)}"
    if oldest is not None:
        held_line += f" (oldest {oldest.subject}, waiting {_age(oldest)})"
    out.print(Text(held_line))
    out.print(Text(f"Orders needing attention: {current.attention}"))
    if current.product_conflicts:
        out.print(Text(f"Product field conflicts: {current.product_conflicts} (see `connector conflicts`)"))
    if current.poisoned:
        poisoned = _table("Poison messages", "queue", "order", "topic", "why")
        for m in current.poisoned:
            poisoned.add_row(_text(m.queue), _text(m.subject or m.id), _text(m.topic), _text(_why(m)))
        out.print(poisoned)
    timers = _table("Timers", "timer", "last run (UTC)", "next run (UTC)", "host id")
    for timer in current.timers:
        timers.add_row(_text(timer.name), _text(timer.last or "never ran"), _text(timer.next), _text(timer.host_id))
    out.print(timers)
    marks = _table("Watermarks", "name", "value")
    for name, value in sorted(current.watermarks.items()):
        marks.add_row(_text(name), _text(value))
    if current.watermarks:
        out.print(marks)
    else:
        out.print(Text("Watermarks: none yet"))
    return 0


def cmd_held(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = storage_services()
    store = known_store(services, args.store) if args.store else None
    held = held_orders(services, store, stores=connection_stores(services, args.erp))
    if args.json:
        _print_json(out, [h.to_dict() for h in held])
        return 0
    if not held:
        out.print(Text("No held orders."))
        return 0
    table = _table(f"Held orders ({len(held)})", "order", "number", "waiting", "code", "reason")
    for h in held:
        table.add_row(_text(h.subject), _text(h.order_number), _text(_age(h)), _text(h.code), _text(h.reason))
    out.print(table)
    return 0


def cmd_poison(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = storage_services()
    stores = connection_stores(services, args.erp)
    queues = [args.queue] if args.queue else QUEUES
    listings = [list_poison(services, queue, limit=args.limit, stores=stores) for queue in queues]
    if args.json:
        _print_json(out, [listing.to_dict() for listing in listings])
        return 0
    for listing in listings:
        title = f"{listing.queue}-poison: {listing.count} message(s)"
        if not listing.messages:
            out.print(Text(title))
            continue
        table = _table(title, "message id", "order", "topic", "poisoned at (UTC)", "why")
        for m in listing.messages:
            poisoned = m.inserted_on.strftime("%Y-%m-%d %H:%M:%S") if m.inserted_on else ""
            table.add_row(_text(m.id), _text(m.subject), _text(m.topic), _text(poisoned), _text(_why(m)))
        out.print(table)
        if not listing.complete:
            out.print(Text(f"(showing {len(listing.messages)} of {listing.count}; --limit shows more)"))
    return 0


def _why(message: PoisonMessage) -> str:
    """Why a message is in a poison queue: unreadable, or the error of its last try."""
    if message.problem:
        return message.problem
    return message.cause or "not recorded (see the failed invocations in Application Insights)"


def cmd_replay(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.order:
        parse_order_ref(args.order)
    services = storage_services()
    stores = connection_stores(services, args.erp)
    result = replay_poison(
        services, args.queue, message_id=args.id, order=args.order, limit=args.limit or None, stores=stores
    )
    if args.json:
        _print_json(out, result.to_dict())
        return 0
    out.print(
        Text(
            f"Moved {result.moved} message(s) from {result.queue}-poison back to {result.queue}; "
            f"{result.remaining} left in {result.queue}-poison."
        )
    )
    if result.orders:
        out.print(Text("Orders: " + ", ".join(result.orders)))
    if result.moved == 0 and (args.id or args.order or args.erp):
        out.print(Text("Nothing matched: `poison` lists what is there."))
    return 0


def parse_since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"--since must be an ISO date or time, e.g. 2026-05-01 or 2026-05-01T08:00Z (got {value!r})"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cmd_backfill(args: argparse.Namespace, out: Console, err: Console) -> int:
    # imported late: only this command needs it
    from shared.flows.backfill import BackfillResult, backfill_orders

    since = parse_since(args.since)
    services = full_services()
    stores = configured_stores(services, [args.store] if args.store else connection_stores(services, args.erp))
    with Progress(*_bar_columns(), console=err, transient=True) as progress:
        bars = StoreBars(progress, lambda store: f"{store}: orders modified since {since:%Y-%m-%d %H:%M} UTC")
        result = BackfillResult()
        for store in stores:
            result += backfill_orders(services, store, since, progress=bars.advance)
    out.print(Text(f"Scanned {result.scanned} order(s) modified since {since.isoformat()}; queued {result.enqueued}."))
    return 0


def parse_day(value: str | None) -> date:
    if not value:
        return datetime.now(UTC).date() - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"--date must look like 2026-05-01 (got {value!r})") from None


def cmd_reconcile(args: argparse.Namespace, out: Console, err: Console) -> int:
    from shared.flows.reconcile import reconcile_day

    day = parse_day(args.date)
    services = full_services()
    stores = configured_stores(services, args.store or connection_stores(services, args.erp))
    with Progress(*_bar_columns(), console=err, transient=True) as progress:
        bars = StoreBars(
            progress, lambda store: f"{store}: orders of {day}", then=lambda store: f"{store}: refunds and stock"
        )
        scoped = stores if args.store or args.erp else None
        report = reconcile_day(services, day, stores=scoped, progress=bars.advance)
    summary = report.summary()
    if args.json:
        _print_json(out, summary)
        return 0
    checked = (
        f"{report.orders_checked} orders, {report.refunds_checked} refunds, {report.skus_checked} SKUs checked "
        f"for {day} ({', '.join(report.stores)})"
    )
    out.print(Text(checked))
    if report.clean:
        out.print(Text("Clean: no exceptions.", style="green"))
    else:
        table = _table(f"{report.total} exception(s)", "kind", "count")
        for kind in ExceptionKind:
            if report.count(kind):
                table.add_row(_text(KINDS[kind].title), _text(report.count(kind)))
        out.print(table)
    out.print(Text(f"Report: {REPORTS_CONTAINER}/{report.html_blob}"))
    out.print(Text(f"CSV:    {REPORTS_CONTAINER}/{report.csv_blob}"))
    return 0


def cmd_audit(args: argparse.Namespace, out: Console, err: Console) -> int:
    store, order = parse_order_ref(args.order)
    subject = f"{store}/{order}"
    rows = storage_services().audit.trail(subject)
    if args.json:
        _print_json(out, [row.data for row in rows])
        return 0
    if not rows:
        out.print(Text(f"No audit trail for {subject}."))
        return 0
    table = _table(f"Audit trail of {subject}", "at (UTC)", "stage", "outcome", "details")
    for row in rows:
        data = dict(row.data)
        at, stage, outcome = data.pop("at", ""), data.pop("stage", ""), data.pop("outcome", "")
        details = ", ".join(f"{key}={value}" for key, value in sorted(data.items()))
        table.add_row(_text(str(at).replace("+00:00", "")), _text(stage), _text(outcome), _text(details))
    out.print(table)
    return 0


# --------------------------------------------------------------------------------------- parser


Handler = Callable[[argparse.Namespace, Console, Console], int]


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    group = common.add_argument_group("storage and settings")
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--connection-string", default=argparse.SUPPRESS, help=f"storage connection string (default: ${SETTING})"
    )
    where.add_argument(
        "--account-name",
        default=argparse.SUPPRESS,
        help="storage account name; signs in with DefaultAzureCredential (az login, managed identity)",
    )
    group.add_argument(
        "--settings", default=argparse.SUPPRESS, metavar="PATH", help="a local.settings.json to read Values from"
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    common.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        default=argparse.SUPPRESS,
        help="also print the connector's log events on stderr",
    )

    parser = _Parser(
        prog="connector",
        description="Operate the WooCommerce ⇄ Dynamics connector: status, holds, poison queues, reports.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command", parser_class=_Parser)

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    erp_help = "only the stores of this ERP connection (e.g. bc)"
    status_ = add("status", cmd_status, "queues, poison queues, held orders, timers and watermarks")
    status_.add_argument("--erp", metavar="CONNECTION", help=erp_help)
    held = add("held", cmd_held, "held orders with their reason and how long they have waited")
    held_scope = held.add_mutually_exclusive_group()
    held_scope.add_argument("--store", help="one store id")
    held_scope.add_argument("--erp", metavar="CONNECTION", help=erp_help)
    poison = add("poison", cmd_poison, "list the messages in the poison queues")
    poison.add_argument("--erp", metavar="CONNECTION", help=erp_help)
    poison.add_argument("--queue", choices=QUEUES, help="one queue (default: all)")
    poison.add_argument("--limit", type=int, default=100, help="messages listed per queue (default 100)")
    replay = add("replay", cmd_replay, "move poison messages back to their queue, unchanged")
    replay.add_argument("--queue", choices=QUEUES, default=WOO_EVENTS_QUEUE, help="default: woo-events")
    which = replay.add_mutually_exclusive_group()
    which.add_argument("--id", help="one message id (see `poison`)")
    which.add_argument("--order", metavar="STORE/ORDER", help="the messages of one order, e.g. main/1234")
    which.add_argument("--erp", metavar="CONNECTION", help="the messages of this ERP connection's stores")
    replay.add_argument("--limit", type=int, default=0, help="look at no more than this many messages")
    backfill = add("backfill", cmd_backfill, "queue the orders modified since a time that the ledger has not seen")
    backfill.add_argument("--since", required=True, help="ISO date/time (UTC unless it has an offset)")
    backfill_scope = backfill.add_mutually_exclusive_group()
    backfill_scope.add_argument("--store", help="one store id (default: all)")
    backfill_scope.add_argument("--erp", metavar="CONNECTION", help=erp_help)
    reconcile = add("reconcile", cmd_reconcile, "reconcile one UTC day and write the exception report")
    reconcile.add_argument("--date", help="YYYY-MM-DD (default: yesterday, UTC)")
    reconcile_scope = reconcile.add_mutually_exclusive_group()
    reconcile_scope.add_argument("--store", action="append", help="only this store (repeatable); default: all")
    reconcile_scope.add_argument("--erp", metavar="CONNECTION", help=erp_help)
    audit = add("audit", cmd_audit, "the audit trail of one order")
    audit.add_argument("order", metavar="STORE/ORDER", help="e.g. main/1234")
    mapping_cli.register(add)
    readiness_cli.add_arguments(add("readiness", readiness_cli.cmd_readiness, readiness_cli.HELP))
    cli_sku_map.register(add, common)
    cli_anomalies.register(add)
    cli_conflicts.register(add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.json = getattr(args, "json", False)
    route_logs(verbose=getattr(args, "verbose", False))
    out = Console(file=sys.stdout, soft_wrap=False)
    err = Console(file=sys.stderr, soft_wrap=True)
    try:
        apply_environment(args)
        handler: Handler = args.handler
        return handler(args, out, err)
    except CliError as exc:
        err.print(Text(f"error: {exc}", style="red"))
        return 1
    except EXPECTED_ERRORS as exc:
        err.print(Text(f"error: {_describe(exc)}", style="red"))
        return 1
    except KeyboardInterrupt:
        err.print(Text("interrupted", style="red"))
        return 1


def route_logs(*, verbose: bool) -> None:
    """The flows log events for Application Insights; the CLI says what happened itself.

    Without a handler, Python prints warnings (e.g. `reconciliation_exceptions store=…`) raw on stderr
    in the middle of the command's output. So they go nowhere unless `--verbose` asks for them.
    """
    root = logging.getLogger()
    if root.handlers:  # a host (or pytest) configured logging already
        return
    if verbose:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.INFO)
        for name in CHATTY_LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    else:
        handler = logging.NullHandler()
    root.addHandler(handler)


def _describe(exc: BaseException) -> str:
    """One readable line; storage errors carry a multi-line message with headers, keep its first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, AzureError) and not isinstance(exc, ConfigError):
        return f"storage: {text}"
    return text


if __name__ == "__main__":
    sys.exit(main())
