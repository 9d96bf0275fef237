"""`python -m sandbox` (the README's run command): the connector on Azurite and the emulators.

Starts Azurite, the Entra ID, Business Central and WooCommerce emulators and the local Functions
host running function_app; creates the store's webhooks; places a few demo orders and shows them
arriving in Business Central. Runs until Ctrl-C.

Writes `.sandbox/local.settings.json` (the settings the stack runs with: use it with the CLI's
`--settings`, or as local.settings.json for `func start`) and `.sandbox/host-keys.json` (the host's keys).

`--store-url https://… --consumer-key … --consumer-secret …` runs the connector against the merchant's own
(staging) WooCommerce instead of the store emulator, with the ERP emulator of `--erp` (sandbox/own_store.py);
`--public-url` is a tunnel to this machine for the store's webhooks.

`--emulators-only` runs Azurite and the emulators without the local host, on fixed ports (Azurite
10000-10002, WooCommerce 8443, Business Central 8444, Entra ID 8445), for `func start` on its default
port 7071: the settings file then matches that stack for as long as it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sandbox.azurite import DEFAULT_PORTS as AZURITE_PORTS
from sandbox.azurite import Azurite
from sandbox.erp_kinds import ERP_KINDS
from sandbox.stack import REPO, Stack, StackPorts

DEFAULT_PORTS = StackPorts(host=7071, woo=8443, bc=8444, entra=8445)
SANDBOX_DIR = REPO / ".sandbox"
SETTINGS_FILE = SANDBOX_DIR / "local.settings.json"
HOST_KEYS_FILE = SANDBOX_DIR / "host-keys.json"


def _free(port: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return 0
    return port


def money(value: object) -> str:
    """Amounts in the demo table with two decimals, whatever their source wrote (1212.9 and 1212.90)."""
    try:
        return f"{Decimal(str(value)):.2f}"
    except (InvalidOperation, ValueError):
        return str(value or "")


def shown(path: Path) -> Path:
    """A path as the README writes it: relative to the repository when it is inside."""
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def write_run_files(stack: Stack, master_key: str) -> None:
    """The settings the stack runs with, and the host keys, where the README says they are."""
    SANDBOX_DIR.mkdir(parents=True, exist_ok=True)
    SETTINGS_FILE.write_text(json.dumps({"IsEncrypted": False, "Values": stack.settings}, indent=2) + "\n")
    keys = {"masterKey": master_key, "functionKeys": {"default": stack.function_key}}
    HOST_KEYS_FILE.write_text(json.dumps(keys, indent=2) + "\n")  # the format sandbox/host/keys.py reads


def fixed_ports_or_exit(console: Console) -> None:
    """--emulators-only promises fixed ports (the settings file names them): refuse to pick others."""
    wanted = {"Azurite": AZURITE_PORTS, "WooCommerce": (DEFAULT_PORTS.woo,), "Business Central": (DEFAULT_PORTS.bc,)}
    wanted["Entra ID"] = (DEFAULT_PORTS.entra,)
    busy = [f"{name} {port}" for name, ports in wanted.items() for port in ports if not _free(port)]
    if busy:
        console.print(f"[red]Ports in use:[/] {', '.join(busy)}. Stop what uses them (another sandbox?) and retry.")
        raise SystemExit(2)


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
    erp = "BC" if stack.erp == "bc" else stack.erp.upper()
    table = Table(title=f"Demo orders: WooCommerce → {stack.erp_kind.title}")
    for column in ("Woo order", "Woo total", "state", f"{erp} document", f"{erp} total", "note"):
        table.add_column(column)
    for order in placed:
        entry = services().ledger.get("main", order["id"])
        table.add_row(
            order["number"],
            f"{money(order['total'])} {order['currency']}",
            entry.state if entry else "not yet processed",
            entry.document_number if entry else "",
            money(entry.erp_total) if entry and entry.erp_total else "",
            (entry.hold_reason or entry.attention) if entry else "",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--erp", choices=ERP_KINDS, default="bc", help="the ERP emulator to run (default: bc)")
    parser.add_argument("--demo-orders", type=int, default=3, help="demo orders to place at start (0: none)")
    parser.add_argument(
        "--emulators-only",
        action="store_true",
        help="Azurite and the emulators on fixed ports, no local host: for `func start` (port 7071)",
    )
    own = parser.add_argument_group("your own store (a staging WooCommerce) instead of the store emulator")
    own.add_argument("--store-url", help="the store's home URL, https://…")
    own.add_argument("--consumer-key", help="a REST API key of the store (ck_…), Read/Write")
    own.add_argument("--consumer-secret", help="its secret (cs_…)")
    own.add_argument("--public-url", default="", help="a tunnel URL reaching this machine, for the store's webhooks")
    args = parser.parse_args()
    if args.store_url:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        run_own_store(args, Console())
        return
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console()
    if args.emulators_only:
        fixed_ports_or_exit(console)
        ports = DEFAULT_PORTS  # the host port is func's: the webhooks and PUBLIC_BASE_URL point there
        # In memory, as the emulators' data: a restart starts all of them afresh, consistently.
        azurite: Azurite | None = Azurite(ports=AZURITE_PORTS)
    else:
        wanted = DEFAULT_PORTS
        ports = StackPorts(_free(wanted.host), _free(wanted.woo), _free(wanted.bc), _free(wanted.entra))
        azurite = None
    what = "Azurite and the emulators" if args.emulators_only else "Azurite, the emulators and the Functions host"
    with console.status(f"Starting {what}..."):
        if azurite is not None:
            azurite.start()
        stack = Stack(ports=ports, azurite=azurite, run_host=not args.emulators_only, erp=args.erp).start()
    try:
        write_run_files(stack, os.environ["SANDBOX_MASTER_KEY"])  # the keys the local host checks
        settings = shown(SETTINGS_FILE)
        if args.emulators_only:
            console.print(f"[bold green]Emulators running[/] for `func start` (settings: {settings})")
            console.print(
                f"  Functions host      http://127.0.0.1:{ports.host}/api  (start it: cp {settings} . && func start)"
            )
        else:
            console.print(f"[bold green]Connector running[/] (settings: {settings})")
            console.print(f"  Functions host      {stack.host.url}/api  (keys: {shown(HOST_KEYS_FILE)})")
        console.print(f"  WooCommerce store   {stack.woo.api_url}  control {stack.woo.url}_sandbox/")
        erp, emulator = stack.erp_kind, stack.erp_emulator
        console.print(f"  {erp.title:<20}{erp.api_url(emulator)}  control {emulator.base_url}/_sandbox/")
        console.print(f"  Entra ID            {stack.entra.authority}")
        console.print(f"  Azurite             {', '.join(map(str, stack.azurite.ports)) if stack.azurite else ''}")
        console.print(f"  Local CA            {Path(stack.settings['SANDBOX_CA_BUNDLE']).relative_to(REPO)}")
        if args.demo_orders and not args.emulators_only:
            show_orders(console, stack, place_demo_orders(stack, args.demo_orders))
        console.print(
            f"Operator CLI against this stack (in another terminal, venv active):\n"
            f"  python -m shared.cli status --settings {settings}\n"
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
            if azurite is not None:
                azurite.stop()
        console.print("Stopped.")


def run_own_store(args: argparse.Namespace, console: Console) -> None:
    from sandbox.own_store import (
        OwnStoreStack,
        StoreAccess,
        StoreProblem,
        check_store,
        store_reaches_host,
        watch_orders,
    )
    from shared.http import HttpError

    if not (args.consumer_key and args.consumer_secret):
        console.print("[red]error:[/] --store-url needs --consumer-key and --consumer-secret (a Read/Write REST key)")
        raise SystemExit(2)
    if args.emulators_only:
        console.print("[red]error:[/] --store-url runs the local host; it does not go with --emulators-only")
        raise SystemExit(2)
    access = StoreAccess(args.store_url, args.consumer_key, args.consumer_secret)
    try:
        with console.status(f"Checking {access.url}..."):
            environment = check_store(access)
        wanted = DEFAULT_PORTS
        ports = StackPorts(_free(wanted.host), 0, _free(wanted.bc), _free(wanted.entra))
        stack = OwnStoreStack(ports=ports, erp=args.erp, access=access, public_url=args.public_url)
        with console.status("Starting Azurite, the ERP emulator and the Functions host..."):
            stack.start()
    except (StoreProblem, HttpError) as problem:
        console.print(f"[red]error:[/] {problem}")
        if "stack" in locals():
            stack.stop()
        raise SystemExit(2) from None
    try:
        write_run_files(stack, os.environ["SANDBOX_MASTER_KEY"])
        version = environment.get("version") or "?"
        console.print(f"[bold green]Connector running[/] against {access.url} (WooCommerce {version})")
        console.print(f"  Functions host      {stack.host.url}/api  (settings: {shown(SETTINGS_FILE)})")
        erp, emulator = stack.erp_kind, stack.erp_emulator
        console.print(f"  {erp.title:<20}{erp.api_url(emulator)}: {stack.seeded} items from the store's SKUs")
        if stack.skipped_skus:
            console.print(
                f"  [yellow]Not items[/] (longer than an item number; orders with them will be held): "
                f"{', '.join(stack.skipped_skus)}"
            )
        console.print(f"  Webhooks            {len(stack.created_webhooks)} created, delivering to "
                      f"{stack.webhook_url.split('?', 1)[0]}")  # fmt: skip
        if not store_reaches_host(access, args.public_url):
            console.print(
                "  [yellow]The store cannot reach this machine[/] at 127.0.0.1: its webhooks will fail, and orders "
                "arrive through the backfill (every 15 minutes). Give --public-url (a tunnel to port "
                f"{stack.ports.host}) for orders at once."
            )
        console.print("Place an order in the store; it shows here as it posts. Press Ctrl-C to stop.")
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        watcher = threading.Thread(target=watch_orders, args=(console, stopped), daemon=True)
        watcher.start()
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
        stopped.set()
    finally:
        with console.status("Stopping (deleting the webhooks this run created)..."):
            stack.stop()
        console.print("Stopped.")


if __name__ == "__main__":
    main()
