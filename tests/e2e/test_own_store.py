"""`python -m sandbox --store-url …`: the connector against a store of the merchant's own, here the WooCommerce
emulator started separately as if it were a real store (only its URL and a REST key are given).

The happy path runs the command as a user does (a subprocess, Ctrl-C at the end); the checks that refuse a
store run in-process against stores that are wrong in one way each.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from sandbox.erp_kinds import ERP_KINDS
from sandbox.own_store import StoreAccess, StoreProblem, check_public_url, check_store
from sandbox.server import free_port
from sandbox.woo import WooEmulator

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
KEY, SECRET = "ck_merchant", "cs_merchant"


@pytest.fixture
def store() -> Iterator[WooEmulator]:
    woo = WooEmulator(KEY, SECRET)
    woo.start()
    woo.add_tax_rate(20, "Sales tax", shipping=True)
    woo.add_product("Oak Desk", "OAK-DESK", "250.00", stock_quantity=12, manage_stock=True)
    woo.add_product("Walnut Shelf", "walnut-shelf", "80.00", stock_quantity=5, manage_stock=True)
    woo.add_variable_product(
        "Lamp", "LAMP", [{"sku": "LAMP-RED", "regular_price": 30, "option": "Red", "stock_quantity": 4}]
    )
    woo.add_product("Cable", "CABLE-EXTRA-LONG-2-METRES-BLK", "8.00")  # longer than a BC item number
    yield woo
    woo.stop()


def _read_until(process: subprocess.Popen[str], needle: str, lines: list[str], timeout: float) -> str:
    """Read the command's output until a line has ``needle`` (a reader thread keeps the pipe drained)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in lines:
            if needle in line:
                return line
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"no {needle!r} in the output:\n" + "".join(lines)[-4000:])


@pytest.mark.parametrize("erp", [pytest.param(kind, marks=getattr(pytest.mark, kind)) for kind in ERP_KINDS])
def test_own_store_gets_webhooks_seeded_items_and_its_orders_post(store: WooEmulator, erp: str) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("WOO_STORES__", "BC_", "ERPS__"))},
           "COLUMNS": "200", "PYTHONPATH": str(REPO)}  # fmt: skip
    command = [sys.executable, "-m", "sandbox", "--erp", erp, "--store-url", store.url,
               "--consumer-key", KEY, "--consumer-secret", SECRET]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        _read_until(process, "Press Ctrl-C to stop.", lines, timeout=240)
        printed = "".join(lines)
        assert f"Connector running against {store.url}" in printed and "WooCommerce 8.2.2" in printed
        if erp == "gp":  # GP item numbers have 30 characters: the cable is an item there too
            assert "4 items from the store's SKUs" in printed and "Not items" not in printed
        else:
            assert "3 items from the store's SKUs" in printed  # OAK-DESK, walnut-shelf, LAMP-RED
            assert "CABLE-EXTRA-LONG-2-METRES-BLK" in printed  # named: orders with it will be held
        hooks = store.webhooks()
        assert sorted(hook["topic"] for hook in hooks) == ["order.created", "order.deleted", "order.updated"]
        url = re.search(r"Webhooks\s+3 created, delivering to (\S+)", printed)
        assert url and all(hook["delivery_url"].startswith(url[1] + "?code=") for hook in hooks)
        assert all(hook["status"] == "active" for hook in hooks)

        order = store.place_order([("OAK-DESK", 1), ("walnut-shelf", 2)], pay=True, email="buyer@example.com")
        posted = _read_until(process, f"order {order['number']}: posted as", lines, timeout=120)
        assert f"Woo total {order['total']}" in posted
        cable = store.place_order([("CABLE-EXTRA-LONG-2-METRES-BLK", 1)], pay=True, email="buyer@example.com")
        _read_until(process, f"order {cable['number']}: {'posted as' if erp == 'gp' else 'held:'}", lines, timeout=120)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        try:
            process.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    reader.join(10)
    assert "Stopped." in "".join(lines)
    assert store.webhooks() == []  # the store is left as it was found


def test_a_plain_http_url_is_refused_before_anything_starts() -> None:
    with pytest.raises(StoreProblem, match="plain HTTP: WooCommerce accepts a REST API key only over HTTPS"):
        check_store(StoreAccess("http://shop.example.com/", KEY, SECRET))


def test_an_unreachable_store_is_named() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(StoreProblem, match=r"cannot reach 127\.0\.0\.1 over HTTPS"):
        check_store(StoreAccess(f"https://127.0.0.1:{port}/", KEY, SECRET), attempts=1)


def test_a_store_answering_only_plain_http_is_told_so() -> None:
    class Plain(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Plain)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{server.server_port}/"
        with pytest.raises(StoreProblem, match="answers only plain HTTP, not HTTPS"):
            check_store(StoreAccess(url, KEY, SECRET), attempts=1)
    finally:
        server.shutdown()


def test_a_url_without_woocommerce_behind_it_is_told_so(store: WooEmulator) -> None:
    with pytest.raises(StoreProblem, match=r"no WooCommerce REST API at .*/blog/wp-json/wc/v3"):
        check_store(StoreAccess(store.url.rstrip("/") + "/blog/", KEY, SECRET))


def test_a_wrong_key_is_told_so(store: WooEmulator) -> None:
    with pytest.raises(StoreProblem, match="refused the consumer key or secret"):
        check_store(StoreAccess(store.url, KEY, "cs_wrong"))


def test_a_good_store_passes_the_check(store: WooEmulator) -> None:
    assert check_store(StoreAccess(store.url, KEY, SECRET))["version"] == "8.2.2"


def test_a_read_only_key_stops_the_run_and_leaves_the_store_as_it_was(store: WooEmulator) -> None:
    store.add_api_key("ck_read", "cs_read", "read")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("WOO_STORES__", "BC_", "ERPS__"))},
           "PYTHONPATH": str(REPO)}  # fmt: skip
    command = [sys.executable, "-m", "sandbox", "--store-url", store.url,
               "--consumer-key", "ck_read", "--consumer-secret", "cs_read"]  # fmt: skip
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    assert "the key cannot write (401)" in result.stdout
    assert store.webhooks() == []


def test_a_public_url_that_does_not_reach_the_host_is_told_so() -> None:
    with pytest.raises(StoreProblem, match="the public URL does not reach this machine"):
        check_public_url(f"http://127.0.0.1:{free_port()}/api/webhooks/woo/main?code=k")

    class Elsewhere(BaseHTTPRequestHandler):  # a tunnel pointed at some other service
        def do_POST(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Elsewhere)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(StoreProblem, match="answered 404, not the local host's 200"):
            check_public_url(f"http://127.0.0.1:{server.server_port}/api/webhooks/woo/main?code=k")
    finally:
        server.shutdown()
