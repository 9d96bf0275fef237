"""`connector sku-map …`: the SKU mapping table of an ERP connection (registered by shared/cli.py).

    connector sku-map list [--erp bc]             the whole map: table rows and the setting's seed
    connector sku-map set <woo sku> <item> [--erp bc]
    connector sku-map remove <woo sku> [--erp bc]
    connector sku-map import <file.csv|-> [--erp bc]   sku,number rows; all checked before any is written
    connector sku-map export [--erp bc]           CSV on stdout (what import reads)
    connector sku-map history [--erp bc]          the audit trail: who changed what, when
    connector sku-map accept <store>/<order> [--yes]   map a held order's SKUs to their top suggestions

Changes are recorded as ``--by`` (default: the signed-in user name). A change reaches the orders within
``SKU_MAP_REFRESH_SECONDS``; an accepted order posts on its next re-drive (``retry_held_orders``).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared.config import DEFAULT_CONNECTION, load_settings
from shared.flows import sku_map
from shared.flows.operations import parse_order_ref
from shared.flows.services import Services
from shared.flows.sku_suggestions import describe

Handler = Callable[[argparse.Namespace, Console, Console], int]


def _services() -> Services:
    return Services(load_settings())


def _connection(args: argparse.Namespace, services: Services) -> str:
    if args.erp:
        return str(args.erp).lower()
    connections = services.settings.connections()
    return DEFAULT_CONNECTION if DEFAULT_CONNECTION in connections else next(iter(connections), DEFAULT_CONNECTION)


def _by(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _json(out: Console, data: Any) -> None:
    out.print_json(json.dumps(data, default=str))


def cmd_list(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = _services()
    connection = _connection(args, services)
    found = sku_map.entries(services, connection)
    if args.json:
        _json(out, [entry.to_dict() for entry in found])
        return 0
    if not found:
        out.print(Text(f"No SKU mappings for connection {connection}."))
        return 0
    table = Table(title=f"SKU map of {connection} ({len(found)})", title_justify="left", header_style="bold")
    for column in ("Woo SKU", "ERP item", "source", "by", "at (UTC)"):
        table.add_column(column, overflow="fold")
    for e in found:
        at = e.updated_at.replace("+00:00", "")
        table.add_row(Text(e.sku), Text(e.number), Text(e.source), Text(e.updated_by), Text(at))
    out.print(table)
    return 0


def cmd_set(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = _services()
    connection = _connection(args, services)
    saved = sku_map.set_mapping(services, connection, args.sku, args.number, by=_by(args))
    out.print(Text(f"{connection}: {saved.sku} → {saved.number}"))
    return 0


def cmd_remove(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = _services()
    connection = _connection(args, services)
    if not sku_map.remove_mapping(services, connection, args.sku, by=_by(args)):
        seeded = any(e.sku.upper() == args.sku.strip().upper() for e in sku_map.entries(services, connection))
        where = " (it comes from the connection's SKU_MAP setting: change the setting)" if seeded else ""
        err.print(Text(f"error: no table mapping for {args.sku!r} on {connection}{where}", style="red"))
        return 1
    out.print(Text(f"{connection}: {args.sku} unmapped"))
    return 0


def cmd_import(args: argparse.Namespace, out: Console, err: Console) -> int:
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    services = _services()
    connection = _connection(args, services)
    changed = sku_map.import_csv(services, connection, text, by=_by(args))
    out.print(Text(f"{connection}: {changed} mapping(s) imported"))
    return 0


def cmd_export(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = _services()
    sys.stdout.write(sku_map.export_csv(services, _connection(args, services)))
    return 0


def cmd_history(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = _services()
    connection = _connection(args, services)
    rows = sku_map.history(services, connection)
    if args.json:
        _json(out, rows)
        return 0
    if not rows:
        out.print(Text(f"No SKU map changes recorded for {connection}."))
        return 0
    table = Table(title=f"SKU map changes of {connection}", title_justify="left", header_style="bold")
    for column in ("at (UTC)", "change", "Woo SKU", "ERP item", "before", "by"):
        table.add_column(column, overflow="fold")
    for row in rows:
        at = str(row.get("at", "")).replace("+00:00", "")
        cells = (at, row.get("outcome"), row.get("sku"), row.get("number", ""), row.get("previous"), row.get("by"))
        table.add_row(*(Text(str(cell or "")) for cell in cells))
    out.print(table)
    return 0


def cmd_accept(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = _services()
    store, order_id = parse_order_ref(args.order)
    chosen = sku_map.acceptance(services, store, order_id)
    for sku, suggestion in chosen.choices.items():
        out.print(Text(f"{chosen.connection}: map Woo SKU {sku!r} → {describe([suggestion])}"))
    if not args.yes:
        answer = input("Apply? [y/N] ") if sys.stdin.isatty() else sys.stdin.readline()
        if answer.strip().lower() not in ("y", "yes"):
            out.print(Text("Nothing changed."))
            return 1
    sku_map.accept(services, chosen, by=_by(args))
    out.print(Text(f"Mapped. {store}/{order_id} posts on its next re-drive (retry_held_orders, every 10 minutes)."))
    return 0


def register(add: Callable[[str, Handler, str], argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Add `sku-map` and its actions to the CLI's parser (`add` is shared/cli.py's helper)."""
    parent = add("sku-map", cmd_list, "the SKU mapping table of an ERP connection: list, set, remove, import…")
    actions = parent.add_subparsers(dest="action", required=True, metavar="action", parser_class=type(parent))
    erp = argparse.ArgumentParser(add_help=False)
    erp.add_argument("--erp", metavar="CONNECTION", help="the ERP connection (default: the only one, or bc)")
    by = argparse.ArgumentParser(add_help=False)
    by.add_argument("--by", help="who makes the change, for the audit trail (default: your user name)")

    def action(name: str, handler: Handler, help_text: str, *parents: argparse.ArgumentParser) -> Any:
        sub = actions.add_parser(name, parents=[common, *parents], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    action("list", cmd_list, "the whole map: the table's rows and the setting's seed", erp)
    set_ = action("set", cmd_set, "map a Woo SKU to an ERP item number", erp, by)
    set_.add_argument("sku", help="the Woo SKU")
    set_.add_argument("number", help="the ERP item number")
    remove = action("remove", cmd_remove, "remove a Woo SKU's mapping from the table", erp, by)
    remove.add_argument("sku", help="the Woo SKU")
    imported = action("import", cmd_import, "set the rows of a CSV (sku,number); all checked first", erp, by)
    imported.add_argument("file", help="the CSV file, or - for stdin")
    action("export", cmd_export, "the whole map as CSV (sku,number) on stdout", erp)
    action("history", cmd_history, "who changed the map, when, and what", erp)
    accept = action("accept", cmd_accept, "map a held order's SKUs to their top suggestions (asks first)", by)
    accept.add_argument("order", metavar="STORE/ORDER", help="e.g. main/1234")
    accept.add_argument("--yes", action="store_true", help="do not ask")
