"""`python -m sandbox` (the README's run command): the connector on Azurite and the emulators.

Starts Azurite, the Entra ID, Business Central and WooCommerce emulators and the local Functions
host running function_app; creates the store's webhooks; places a few demo orders and shows them
arriving in Business Central. Runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import socket
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sandbox.erp_kinds import ERP_KINDS
from sandbox.stack import REPO, Stack, StackPorts

DEFAULT_PORTS = StackPorts(host=7071, woo=8443, bc=8444, entra=8445)


def _free(port: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return 0
    return port


def place_demo_orders(stack: Stack, count: int) -> list[dict]:
    demo_lines = [[("1900-S", 2), ("LAMP-BLACK", 1)], [("1896-S", 1)], [("70000", 4), ("LAMP-BRASS", 2)]]
    placed = []
    for n in range(count):
        placed.append(
            stack.woo.place_order(
                demo_lines[n % len(demo_lines)],
                pay=True,
                email=f"demo.buyer{n % 2}@example.com",
                first_name="Demo",
                last_name=f"Buyer {n % 2}",
                shipping=[{"method_id": "flat_rate", "method_title": "Flat rate", "total": "9.95"}],
                customer_note="Demo order from the sandbox",
            )
        )
    return placed


def show_orders(console: Console, stack: Stack, placed: list[dict], timeout: float = 30.0) -> None:
    from shared.flows.services import services

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = [services().ledger.get("main", order["id"]) for order in placed]
        if all(e is not None and e.state in ("posted", "held") for e in entries):
            break
        time.sleep(0.2)
    table = Table(title="Demo orders: WooCommerce → Business Central")
    for column in ("Woo order", "Woo total", "state", "BC document", "BC total", "note"):
        table.add_column(column)
    for order in placed:
        entry = services().ledger.get("main", order["id"])
        table.add_row(
            order["number"],
            f"{order['total']} {order['currency']}",
            entry.state if entry else "not yet processed",
            entry.document_number if entry else "",
            entry.erp_total if entry else "",
            (entry.hold_reason or entry.attention) if entry else "",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--erp", choices=ERP_KINDS, default="bc", help="the ERP emulator to run (default: bc)")
    parser.add_argument("--demo-orders", type=int, default=3, help="demo orders to place at start (0: none)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console()
    wanted = DEFAULT_PORTS
    ports = StackPorts(_free(wanted.host), _free(wanted.woo), _free(wanted.bc), _free(wanted.entra))
    with console.status("Starting Azurite, the emulators and the Functions host..."):
        stack = Stack(ports=ports, erp=args.erp).start()
    try:
        settings_file = REPO / ".sandbox" / "local.settings.json"
        settings_file.write_text(json.dumps({"IsEncrypted": False, "Values": stack.settings}, indent=2))
        console.print(f"[bold green]Connector running[/] (settings written to {settings_file.relative_to(REPO)})")
        console.print(f"  Functions host      {stack.host.url}/api  (keys in .sandbox/host-keys.json)")
        console.print(f"  WooCommerce store   {stack.woo.api_url}  control {stack.woo.url}_sandbox/")
        erp, emulator = stack.erp_kind, stack.erp_emulator
        console.print(f"  {erp.title:<20}{erp.api_url(emulator)}  control {emulator.base_url}/_sandbox/")
        console.print(f"  Entra ID            {stack.entra.authority}")
        console.print(f"  Azurite             {', '.join(map(str, stack.azurite.ports)) if stack.azurite else ''}")
        console.print(f"  Local CA            {Path(stack.settings['SANDBOX_CA_BUNDLE']).relative_to(REPO)}")
        if args.demo_orders:
            show_orders(console, stack, place_demo_orders(stack, args.demo_orders))
        console.print(
            "Place more orders with the store's control API, e.g.\n"
            f"  curl -sk -X POST {stack.woo.url}_sandbox/orders -H 'Content-Type: application/json' "
            '-d \'{"lines": [["1900-S", 1]], "pay": true, "email": "you@example.com"}\'\n'
            "Press Ctrl-C to stop."
        )
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    finally:
        with console.status("Stopping..."):
            stack.stop()
        console.print("Stopped.")


if __name__ == "__main__":
    main()
