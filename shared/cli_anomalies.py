"""`connector release <store>/<order>` and `connector flagged` (registered by shared/cli.py).

connector release main/1234 [--by NAME]   a person reviewed an order held as unusual: it posts now
connector flagged [--store main] [--json] orders flagged as unusual, and those held for review
"""

from __future__ import annotations

import argparse
import getpass
import json
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared.config import load_settings
from shared.flows import anomalies
from shared.flows.operations import parse_order_ref
from shared.flows.services import Services

Handler = Callable[[argparse.Namespace, Console, Console], int]


def _by(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def cmd_release(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = Services(load_settings())
    store, order_id = parse_order_ref(args.order)
    anomalies.release(services, store, order_id, by=_by(args))
    out.print(Text(f"Released {store}/{order_id}: queued to post now."))
    return 0


def cmd_flagged(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = Services(load_settings())
    found = anomalies.flagged_orders(services, args.store.lower() if args.store else None)
    if args.json:
        out.print_json(json.dumps([f.__dict__ for f in found]))
        return 0
    if not found:
        out.print(Text("No orders flagged as unusual."))
        return 0
    table = Table(title=f"Unusual orders ({len(found)})", title_justify="left", header_style="bold")
    for column in ("order", "state", "why", "released"):
        table.add_column(column, overflow="fold")
    for f in found:
        table.add_row(Text(f"{f.store}/{f.order_id}"), Text(f.state), Text(f.reason), Text(f.released))
    out.print(table)
    return 0


def register(add: Callable[[str, Handler, str], argparse.ArgumentParser]) -> None:
    """Add `release` and `flagged` to the CLI's parser (`add` is shared/cli.py's helper)."""
    release: Any = add("release", cmd_release, "post an order held for review as unusual (ANOMALY_ACTION=hold)")
    release.add_argument("order", metavar="STORE/ORDER", help="e.g. main/1234")
    release.add_argument("--by", help="who reviewed it, for the audit trail (default: your user name)")
    flagged = add("flagged", cmd_flagged, "orders flagged as unusual for their store, and those held for review")
    flagged.add_argument("--store", help="one store id")
