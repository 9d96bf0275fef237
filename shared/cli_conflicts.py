"""`connector conflicts`: product fields both sides changed since the last sync (registered by shared/cli.py).

connector conflicts [--erp CONNECTION] [--json]   the two-way product sync's open conflicts, oldest first

A conflict overwrites nothing; it ends when both sides agree again: make them equal (edit one side), or put
one side back to its earlier value (shown) so the other side's change wins on the next sync.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared.config import load_settings
from shared.flows.services import Services

Handler = Callable[[argparse.Namespace, Console, Console], int]


def cmd_conflicts(args: argparse.Namespace, out: Console, err: Console) -> int:
    services = Services(load_settings())
    found = sorted(
        services.product_fields.conflicts(args.erp.lower() if args.erp else None),
        key=lambda c: (c.since, c.connection, c.item, c.field),
    )
    if args.json:
        out.print_json(json.dumps([c.to_dict() for c in found]))
        return 0
    if not found:
        out.print(Text("No product field conflicts."))
        return 0
    table = Table(title=f"Product field conflicts ({len(found)})", title_justify="left", header_style="bold")
    for column in ("connection", "store", "item", "field", "ERP (was → now)", "store (was → now)", "since (UTC)"):
        table.add_column(column, overflow="fold")
    for c in found:
        table.add_row(
            Text(c.connection),
            Text(f"{c.store} #{c.product_id}"),
            Text(c.item),
            Text(c.field),
            Text(f"{c.erp_before} → {c.erp_value}"),
            Text(f"{c.woo_before} → {c.woo_value}"),
            Text(c.since[:19]),
        )
    out.print(table)
    return 0


def register(add: Callable[[str, Handler, str], argparse.ArgumentParser]) -> None:
    """Add `conflicts` to the CLI's parser (`add` is shared/cli.py's helper)."""
    help_text = "product fields changed in both the ERP and the store (two-way sync)"
    conflicts: Any = add("conflicts", cmd_conflicts, help_text)
    conflicts.add_argument("--erp", metavar="CONNECTION", help="only this ERP connection")
