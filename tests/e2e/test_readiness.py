"""`connector readiness` against the emulators: a planted store gives each finding with the right counts, a
clean store says ready, and nothing is written anywhere (the emulators' request logs and Azurite say so).

Each test gets its own WooCommerce emulator and its own ERP company (through the ERP's probe), on ERP
emulators shared by the module; runs once per ERP kind of the sandbox (sandbox/erp_kinds.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from sandbox.azurite import Azurite
from sandbox.bc.probe import BcProbe
from sandbox.entra import EntraEmulator
from sandbox.erp_kinds import ERP_KINDS, erp_kind
from sandbox.fo.probe import FoProbe
from sandbox.lifecycle import Emulator
from sandbox.probe import ErpProbe, Fault
from sandbox.tls import ensure_tls_files
from sandbox.woo import WooEmulator
from shared.cli import main
from shared.config import Settings
from shared.flows.services import Services
from shared.flows.webhook_health import REQUIRED_TOPICS

pytestmark = pytest.mark.e2e

CLIENT_ID, CLIENT_SECRET = "readiness", "readiness-secret"
STORE = "shop"
PUBLIC = "https://connector.example.net"
FUNCTION_KEY = "fn-key"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class Erp:
    kind: str
    entra: EntraEmulator
    emulator: Emulator


@pytest.fixture(scope="module", params=[pytest.param(kind, marks=getattr(pytest.mark, kind)) for kind in ERP_KINDS])
def erp(request: pytest.FixtureRequest) -> Iterator[Erp]:
    kind = erp_kind(request.param)
    entra = EntraEmulator(clients={CLIENT_ID: CLIENT_SECRET})
    entra.start()
    emulator = kind.start(entra, 0)
    yield Erp(request.param, entra, emulator)
    emulator.stop()
    entra.stop()


def _bc_company(erp: Erp) -> tuple[ErpProbe, dict[str, str]]:
    probe = BcProbe.new_company(erp.emulator.base_url, erp.entra.authority, ca_bundle=str(ensure_tls_files().ca_bundle))
    return probe, {"BC_COMPANY_ID": probe.company_id}


def _fo_company(erp: Erp) -> tuple[ErpProbe, dict[str, str]]:
    probe = FoProbe.new_company(erp.emulator.base_url, erp.entra.authority, ca_bundle=str(ensure_tls_files().ca_bundle))
    for number in ("FREIGHT", "FEES"):  # the connection's SHIPPING_ITEM and FEE_ITEM (sandbox/fo/demo.py)
        probe.seed_item(number, price=Decimal(0), name=number.title())
    # Not the integration user's default company: F&O reads it only cross-company (facts §1.2)
    return probe, {"ERPS__fo__DATA_AREA_ID": probe.data_area_id, "ERPS__fo__CROSS_COMPANY": "true"}


def _gp_company(erp: Erp) -> tuple[ErpProbe, dict[str, str]]:
    from sandbox.gp.probe import GpProbe

    probe = GpProbe.new_company(erp.emulator.base_url, ca_bundle=str(ensure_tls_files().ca_bundle))
    return probe, {"ERPS__gp__COMPANY_ID": str(probe.company_id), "ERPS__gp__COMPANY_NAME": probe.company_name}


# A new ERP kind adds how to get a company of its own and the settings naming it.
NEW_COMPANY: dict[str, Callable[[Erp], tuple[ErpProbe, dict[str, str]]]] = {
    "bc": _bc_company,
    "fo": _fo_company,
    "gp": _gp_company,
}


@pytest.fixture
def company(erp: Erp) -> Iterator[tuple[ErpProbe, dict[str, str]]]:
    if erp.kind not in NEW_COMPANY:
        pytest.fail(f"tests/e2e/test_readiness.py: no NEW_COMPANY entry for the ERP kind {erp.kind!r}")
    probe, settings = NEW_COMPANY[erp.kind](erp)
    yield probe, settings
    close = getattr(probe, "close", None)
    if close is not None:
        close()


@pytest.fixture
def woo() -> Iterator[WooEmulator]:
    store = WooEmulator()
    store.start()
    store.pause_deliveries()  # nothing listens at the webhook URL; deliveries would only fail
    yield store
    store.stop()


def settings_for(erp: Erp, woo: WooEmulator, company: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        f"WOO_STORES__{STORE}__URL": woo.url,
        f"WOO_STORES__{STORE}__CONSUMER_KEY": woo.consumer_key,
        f"WOO_STORES__{STORE}__CONSUMER_SECRET": woo.consumer_secret,
        f"WOO_STORES__{STORE}__WEBHOOK_SECRET": "secret",
        **erp_kind(erp.kind).settings(erp.emulator, erp.entra, CLIENT_ID, CLIENT_SECRET),
        **company,
        "SANDBOX_CA_BUNDLE": str(ensure_tls_files().ca_bundle),
        "PUBLIC_BASE_URL": PUBLIC,
        "WEBHOOK_FUNCTION_KEY": FUNCTION_KEY,
        **extra,
    }


def hook_url() -> str:
    return f"{PUBLIC}/api/webhooks/woo/{STORE}?code={FUNCTION_KEY}"


def storage_snapshot(connection_string: str) -> dict[str, int]:
    """Messages per queue, entities per table, blobs per container: what a write would change."""
    snapshot: dict[str, int] = {}
    queues = QueueServiceClient.from_connection_string(connection_string)
    for queue in queues.list_queues():
        props = queues.get_queue_client(queue.name).get_queue_properties()
        snapshot[f"queue:{queue.name}"] = props.approximate_message_count
    tables = TableServiceClient.from_connection_string(connection_string)
    for table in tables.list_tables():
        entities = tables.get_table_client(table.name).list_entities(select=["PartitionKey"])
        snapshot[f"table:{table.name}"] = sum(1 for _ in entities)
    blobs = BlobServiceClient.from_connection_string(connection_string)
    for container in blobs.list_containers():
        snapshot[f"blobs:{container.name}"] = sum(1 for _ in blobs.get_container_client(container.name).list_blobs())
    return snapshot


def erp_writes(probe: ErpProbe) -> dict[str, int]:
    """Write operations in the ERP's request log (a `$batch` envelope is not one: its parts are counted)."""
    log = probe.request_log().by_operation
    return {
        op: n
        for op, n in log.items()
        if op.removeprefix("batch:").split(" ", 1)[0] in WRITE_METHODS and op != "POST $batch"
    }


def woo_writes(woo: WooEmulator) -> dict[str, int]:
    return {op: n for op, n in woo.api_calls().items() if op.split(" ", 1)[0] in WRITE_METHODS}


def pay(woo: WooEmulator, sku: str, **checkout: Any) -> dict[str, Any]:
    return woo.place_order([(sku, 1)], pay=True, **checkout)


# ------------------------------------------------------------------------------------------------ tests


def plant(woo: WooEmulator, probe: ErpProbe) -> dict[str, int]:
    """A store with each finding kind readiness reports without a read-only key (that is the next test)."""
    for number, name in [
        ("DESK", "Oak Desk"),
        ("SHELF-WALNT", "Walnut Shelf"),
        ("CHAIR-RED", "Chair - Red"),
        ("MUG", "Mug"),
        ("BOOK", "Book"),
    ]:
        probe.seed_item(number, price=Decimal("10"), name=name)
    probe.seed_item("LAMP", price=Decimal("20"), stock=Decimal(7), name="Lamp")
    probe.seed_customer("BLOCKED1", email="blocked@example.com", name="Blocked Buyer")
    probe.block_customer("BLOCKED1")
    probe.seed_customer("DUP-MAIL", email="dup@example.com", name="Dup by mail")
    probe.seed_customer("DUP-PHONE", email="other@example.com", name="Dup by phone", phone="+1 555 0100")

    woo.add_product("Oak Desk", "DESK", 100)
    woo.add_product("Walnut Shelf", "SHELF-WALNUT", 50)  # unknown SKU; the ERP's SHELF-WALNT is close
    woo.add_product("Poster", "", 5)  # no SKU
    woo.add_product("Cable", "CABLE-EXTRA-LONG-2-METRES-BLK", 8)  # 29 characters
    woo.add_product("Book", "BOOK", 12, tax_class="reduced-rate")
    woo.add_product("Lamp", "LAMP", 20, stock_quantity=10, manage_stock=True)  # the ERP has 7
    mug = woo.add_product("Mug", "MUG", 6)
    other_mug = woo.add_product("Mug, large", "MUG-L", 7)
    with woo.store.lock:  # a plugin or an import that skips WooCommerce's unique-SKU check
        woo.store.products[other_mug["id"]].sku = mug["sku"]
    chair = woo.add_variable_product(
        "Chair",
        "CHAIR",
        [{"sku": "CHAIR-RED", "regular_price": 30, "option": "Red"}, {"regular_price": 30, "option": "Blue"}],
    )
    blue = next(v for v in chair["variations"] if woo.variation(v)["attributes"][0]["option"] == "Blue")

    woo.create_webhook("order.created", hook_url(), ping=False)
    woo.create_webhook("order.updated", hook_url(), ping=False, status="disabled")  # order.deleted: missing

    ids: dict[str, int] = {}
    ids["unknown"] = pay(woo, "SHELF-WALNUT")["id"]
    with woo.store.lock:  # an order of the variation without a SKU of its own, as the REST API creates it
        blue_order = woo.store.create_order(
            {"status": "processing", "set_paid": True, "line_items": [{"variation_id": blue, "quantity": 1}],
             "billing": {"email": "blue@example.com", "first_name": "Blue"}}
        )  # fmt: skip
    ids["variation"] = blue_order.id
    ids["too_long"] = pay(woo, "CABLE-EXTRA-LONG-2-METRES-BLK")["id"]
    ids["tax_class"] = pay(woo, "BOOK")["id"]
    ids["blocked"] = pay(woo, "DESK", email="blocked@example.com")["id"]
    ids["fee"] = pay(woo, "DESK", fees=[{"name": "Gift wrap", "total": "2.00"}])["id"]
    ids["currency"] = pay(woo, "DESK", currency="CHF")["id"]  # no kind's new company has CHF
    ids["several"] = pay(woo, "DESK", email="dup@example.com", phone="+1 555 0100")["id"]
    ids["totals"] = pay(woo, "DESK")["id"]
    with woo.store.lock:  # a plugin that changed the total after checkout
        woo.store.orders[ids["totals"]].total += Decimal("5.00")
    ids["unpaid"] = woo.place_order([("DESK", 1)], pay=False)["id"]
    ids["ready"] = pay(woo, "DESK")["id"]
    return ids


@dataclass
class PlantedRun:
    code: int
    summary: dict[str, Any]
    out: Path
    storage_before: dict[str, int]
    erp_writes_before: dict[str, int]
    kind: str = "bc"  # the ERP kind the run was against


# No fee target, and no tax class mapped but the standard one, in each kind's settings
PLANTED_SETTINGS: dict[str, dict[str, str]] = {
    "bc": {"BC_FEE_NUMBER": "", "BC_TAX_CODE_MAP": '{"": "TAXABLE"}'},
    "fo": {"ERPS__fo__FEE_ITEM": ""},
    "gp": {},  # GP posts freight and fees as document amounts: nothing to leave unset
}


@pytest.fixture
def planted(
    erp: Erp,
    woo: WooEmulator,
    company: tuple[ErpProbe, dict[str, str]],
    azurite: Azurite,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> PlantedRun:
    """`connector readiness` run once on the planted store (no fee number, a tax code map without reduced-rate)."""
    probe, company_settings = company
    plant(woo, probe)
    settings = settings_for(
        erp, woo, company_settings, **PLANTED_SETTINGS[erp.kind], AzureWebJobsStorage=azurite.connection_string
    )
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    Services(Settings()).ensure_storage()  # the queues, tables and containers the app has
    storage_before, erp_before = storage_snapshot(azurite.connection_string), erp_writes(probe)
    woo.reset_api_calls()
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    code = main(["readiness", "--out", str(tmp_path / "report"), "--json"])
    summary = json.loads(capsys.readouterr().out)
    return PlantedRun(code, summary, tmp_path / "report", storage_before, erp_before, erp.kind)


def test_planted_store_gives_each_finding_and_writes_nothing(
    planted: PlantedRun, woo: WooEmulator, company: tuple[ErpProbe, dict[str, str]], azurite: Azurite
) -> None:
    code, summary, tmp_path = planted.code, planted.summary, planted.out.parent
    probe = company[0]
    assert code == 1, summary
    assert summary["ready"] is False
    findings = summary["findings"]
    expected = {
        "unknown_sku": (1, 1),
        "missing_sku": (1, 0),
        "variation_without_sku": (1, 1),
        "shared_sku": (1, 0),
        "sku_too_long": (1, 1),
        "blocked_customer": (1, 1),
        "charge_without_mapping": (1, 1),
        "webhook": (2, 0),
        "currency_not_set_up": (1, 1),  # every kind's connection lists its currencies (GP over SOAP here)
        "tax_class_without_mapping": (1, 1),
        "several_customers": (1, 1),
        "totals_do_not_add_up": (1, 1),
        "stock_differs": (1, 0),
    }
    orders = {"post": 4, "hold": 5, "fail": 1, "skip": 1}
    if planted.kind == "gp":
        # GP takes freight and fees as document amounts (no charge number to map) and the document's tax amount
        # (no tax classes to map); its item numbers have 30 characters, so the long SKU is simply unknown.
        for kind in ("charge_without_mapping", "tax_class_without_mapping", "sku_too_long"):
            del expected[kind]
        expected["unknown_sku"] = (2, 2)
        orders = {"post": 5, "hold": 5, "fail": 0, "skip": 1}
    assert summary["orders"] == orders
    assert {kind: (f["count"], f["orders"]) for kind, f in findings.items()} == expected

    rows = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text())))
    by_kind = {row["kind"]: row for row in rows if row["section"] == "finding"}
    (walnut,) = [row for row in rows if row["kind"] == "unknown_sku" and row["subject"] == "SHELF-WALNUT"]
    assert walnut["suggestions"].startswith("SHELF-WALNT Walnut Shelf")
    assert by_kind["stock_differs"]["subject"] == "LAMP"
    assert "WooCommerce shows 10, the ERP has 7" in by_kind["stock_differs"]["detail"]
    assert by_kind["several_customers"]["subject"] == "DUP-MAIL / DUP-PHONE"
    assert by_kind["currency_not_set_up"]["subject"] == "CHF"  # the ERP has no CHF: the order would be held
    webhooks = sorted(row["detail"] for row in rows if row["kind"] == "webhook")
    assert webhooks == ["no order.deleted webhook", "the order.updated webhook is disabled, not active"]
    html = (tmp_path / "report.html").read_text()
    assert "<svg" in html and "Not ready" in html and "held: SKU with no ERP item" in html

    # Nothing written: no Woo write, no ERP write, no queue message, table row or blob.
    assert woo_writes(woo) == {}
    assert erp_writes(probe) == planted.erp_writes_before
    assert storage_snapshot(azurite.connection_string) == planted.storage_before


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the readiness report is checked in headless Chromium "
            "(apt-get install -y chromium; .ci/run installs it)"
        )
    command = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """(width, height, the decompressed scanlines) of a PNG, read with the standard library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))


def test_the_report_opens_in_headless_chromium(planted: PlantedRun, tmp_path: Path) -> None:
    page = planted.out.with_suffix(".html").resolve().as_uri()
    shot = tmp_path / "readiness.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,1600", page, profile=tmp_path / "profile")
    width, height, pixels = png_pixels(shot)
    assert (width, height) == (1200, 1600)
    assert len(set(pixels)) > 50, "the screenshot is (nearly) blank"

    dom = chromium("--dump-dom", page, profile=tmp_path / "profile").stdout
    body = re.sub(r"<style>.*?</style>", " ", dom, flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))  # what the page shows
    if planted.kind == "gp":  # no charge_without_mapping on GP (freight is a document amount)
        assert "Not ready: 5 of 11 orders would be held or fail, and 9 finding(s) block go-live." in text
        assert "ready: 5 (45.5%)" in text
        assert len(re.findall(r'<rect class="bar"', dom)) == 6  # ready, 4 held reasons, skipped
    else:
        assert "Not ready: 6 of 11 orders would be held or fail, and 10 finding(s) block go-live." in text
        assert "ready: 4 (36.4%)" in text  # the chart's share of ready orders
        assert len(re.findall(r'<rect class="bar"', dom)) == 8  # ready, 6 held or failing reasons, skipped
    assert "707.00 USD" in text and "100.00 CHF" in text  # the order totals per currency
    assert not re.search(r"\b\d+(\.\d+)?[eE][+-]?\d+\b", text), "a number in scientific notation"


def test_clean_store_is_ready(
    erp: Erp,
    woo: WooEmulator,
    company: tuple[ErpProbe, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    probe, company_settings = company
    probe.seed_item("DESK", price=Decimal("100"), name="Oak Desk")
    probe.seed_item("LAMP", price=Decimal("20"), stock=Decimal(10), name="Lamp")
    woo.add_product("Oak Desk", "DESK", 100)
    woo.add_product("Lamp", "LAMP", 20, stock_quantity=10, manage_stock=True)
    for topic in REQUIRED_TOPICS:
        woo.create_webhook(topic, hook_url(), ping=False)
    pay(woo, "DESK", shipping=[{"method_id": "flat_rate", "method_title": "Flat", "total": "5.00"}])
    pay(woo, "DESK", email="repeat@example.com")
    probe.set_up_currency("SEK")  # set up in the ERP: an order in it is ready, not "to confirm"
    pay(woo, "DESK", email="krona@example.com", currency="SEK")

    for key, value in settings_for(erp, woo, company_settings).items():
        monkeypatch.setenv(key, value)
    code = main(["readiness", "--out", str(tmp_path / "report")])
    printed = capsys.readouterr().out

    assert code == 0, printed
    assert "Ready: every order would post" in printed
    html = (tmp_path / "report.html").read_text()
    assert "Ready: all 3 orders would post" in html and "No findings." in html


def test_read_only_key_is_a_finding_with_check_write(
    erp: Erp,
    company: tuple[ErpProbe, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, company_settings = company
    woo = WooEmulator(permissions="read")
    woo.start()
    try:
        for topic in REQUIRED_TOPICS:
            woo.create_webhook(topic, hook_url(), ping=False)
        for key, value in settings_for(erp, woo, company_settings).items():
            monkeypatch.setenv(key, value)
        code = main(["readiness", "--out", str(tmp_path / "report"), "--json", "--check-write"])
        summary = json.loads(capsys.readouterr().out)
        assert code == 1
        assert summary["findings"] == {"key_permissions": {"count": 1, "orders": 0, "blocking": True}}
        assert woo.api_calls().get("PUT /orders/{id}") == 1  # the one probe, refused before any change
    finally:
        woo.stop()


def test_unreachable_store_is_an_error(
    erp: Erp,
    company: tuple[ErpProbe, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, company_settings = company
    woo = WooEmulator()
    woo.start()
    woo.stop()  # its port is closed now
    for key, value in settings_for(erp, woo, company_settings, HTTP_MAX_ATTEMPTS="1").items():
        monkeypatch.setenv(key, value)
    code = main(["readiness", "--out", str(tmp_path / "report")])
    assert code == 2
    assert "error:" in capsys.readouterr().err


def test_an_erp_that_is_down_is_an_error_not_a_verdict(
    erp: Erp,
    woo: WooEmulator,
    company: tuple[ErpProbe, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    probe, company_settings = company
    woo.add_product("Oak Desk", "DESK", 100)
    probe.inject(Fault.UNAVAILABLE, retry_after=0)
    try:
        for key, value in settings_for(erp, woo, company_settings, HTTP_MAX_ATTEMPTS="2").items():
            monkeypatch.setenv(key, value)
        code = main(["readiness", "--out", str(tmp_path / "report")])
    finally:
        probe.clear_faults()
    assert code == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()  # no half report that could pass for a verdict
