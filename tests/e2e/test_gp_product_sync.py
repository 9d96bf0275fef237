"""The two-way product sync on Dynamics GP, end to end: the GP emulator over SBA (NTLM, the guessed item PATCH),
the WooCommerce emulator over its REST API, the snapshots and conflicts in Azurite.

The stack's own GP connection is SOAP; these tests run the sync with the same connection id made an SBA
connection with ``NAME_DIRECTION``/``PRICE_DIRECTION=both``, on a GP company of their own, so the stack's
timers (which read its SOAP company) never touch their items. A SOAP connection with a direction that writes
to GP refuses to start (the function app's import fails with the reason)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandbox.gp import GpEmulator
from sandbox.gp.store import Company
from sandbox.gp.warehouse import rename_item, set_price
from sandbox.probe import Fault
from sandbox.stack import Stack
from shared.config import check_app_settings, load_settings
from shared.flows import product_fields, stock
from shared.flows.services import Services, bootstrap

pytestmark = [pytest.mark.e2e, pytest.mark.gp]

REPO = Path(__file__).resolve().parents[2]


def gp(stack: Stack) -> GpEmulator:
    emulator = stack.erp_emulator
    assert isinstance(emulator, GpEmulator)
    return emulator


@pytest.fixture
def company(stack: Stack) -> Company:
    return gp(stack).store.add_company(f"Sync {uuid.uuid4().hex[:8]}")


@pytest.fixture
def sba(stack: Stack, company: Company, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """The connector's services with the stack's GP connection over SBA, names and prices both ways."""
    overrides = {
        "TRANSPORT": "sba",
        "COMPANY_NAME": company.name,
        "COMPANY_ID": str(company.id),
        "DOCUMENT_TYPE": "rm",
        "NAME_DIRECTION": "both",
        "PRICE_DIRECTION": "both",
    }
    for name, value in {**stack.settings, **{f"ERPS__gp__{k}": v for k, v in overrides.items()}}.items():
        monkeypatch.setenv(name, value)
    services = Services(check_app_settings(load_settings()))
    yield services
    services.erp_for("gp").close()  # type: ignore[attr-defined]


def pair(stack: Stack, company: Company, name: str, price: str) -> tuple[str, dict[str, Any]]:
    """A GP item and a Woo product with one SKU, name and price (in step)."""
    sku = f"SYNC-{uuid.uuid4().hex[:8]}".upper()
    gp(stack).seed_item(sku, price=Decimal(price), stock=Decimal(3), description=name, company_id=company.id)
    product = stack.woo.add_product(name, sku, price, stock_quantity=3, manage_stock=True)
    return sku, product


def gp_item(stack: Stack, company: Company, sku: str) -> tuple[str, Decimal]:
    """The item's description and RETAIL price as GP holds them."""
    with gp(stack).store.lock:
        item = company.entities["Item"][(sku,)]
        pricing = company.entities["Pricing"][(sku, company.currency, "RETAIL")]
        (detail,) = pricing["Details"]["PricingDetail"]
        return str(item["Description"]), Decimal(str(detail["UofMPrice"]["Amount"]["Value"]))


def merchant_edits(stack: Stack, product_id: int, **fields: Any) -> None:
    """A change made in the store (wp-admin), not by the connector."""
    store = stack.woo.store
    with store.lock:
        store.update_product(store.get_product(product_id), fields)


def connector(*args: str) -> str:
    """The operator CLI as a person runs it (its storage and settings from the environment)."""
    ran = subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def report_of(services: Services) -> product_fields.FieldSyncReport:
    (report,) = product_fields.sync_product_fields(services, "main")
    return report


def test_a_gp_price_change_reaches_woo(stack: Stack, company: Company, sba: Services) -> None:
    sku, product = pair(stack, company, "Harbour Lamp", "40.00")
    first = report_of(sba)  # the first sync: in step, the snapshot taken
    assert not first.to_woo and not first.to_erp and not first.conflicts
    with gp(stack).store.lock:
        set_price(company, sku, Decimal("44.50"))
    report = report_of(sba)
    assert f"{sku} price" in report.to_woo and not report.to_erp
    assert stack.woo.product(product["id"])["regular_price"] == "44.50"
    assert gp_item(stack, company, sku) == ("Harbour Lamp", Decimal("44.50"))
    assert not report_of(sba).to_woo  # in step again: nothing more to write


def test_a_woo_name_change_reaches_gp_over_sba(stack: Stack, company: Company, sba: Services) -> None:
    sku, product = pair(stack, company, "Harbour Chair", "120.00")
    report_of(sba)
    merchant_edits(stack, product["id"], name="Harbour Chair, Oak")
    report = report_of(sba)
    assert f"{sku} name" in report.to_erp and not report.to_woo
    assert gp_item(stack, company, sku) == ("Harbour Chair, Oak", Decimal("120.00"))
    assert stack.woo.product(product["id"])["name"] == "Harbour Chair, Oak"
    (audited,) = [row for row in sba.audit.trail(f"product:gp/{sku}") if row.data["outcome"] == "erp_updated"]
    assert audited.data["name_was"] == "Harbour Chair" and audited.data["name_now"] == "Harbour Chair, Oak"
    assert not report_of(sba).to_erp


def test_a_woo_price_change_reaches_gp_and_the_stock_push_leaves_the_two_way_price_alone(
    stack: Stack, company: Company, sba: Services
) -> None:
    sku, product = pair(stack, company, "Harbour Rug", "80.00")
    report_of(sba)
    merchant_edits(stack, product["id"], regular_price="75.00")
    assert f"{sku} price" in report_of(sba).to_erp
    assert gp_item(stack, company, sku)[1] == Decimal("75.00")
    assert not stock.erp_owns_prices(sba, "main")  # the price is the product sync's on this connection


def test_both_sides_changed_is_a_conflict_and_neither_is_overwritten(
    stack: Stack, company: Company, sba: Services
) -> None:
    sku, product = pair(stack, company, "Harbour Table", "300.00")
    report_of(sba)
    with gp(stack).store.lock:
        rename_item(company, sku, "Harbour Table (GP)")
        set_price(company, sku, Decimal("310.00"))
    merchant_edits(stack, product["id"], name="Harbour Table (Woo)", regular_price="290.00")

    report = report_of(sba)
    assert not report.to_woo and not report.to_erp
    conflicts = {(c.item, c.field): c for c in report.conflicts}
    assert set(conflicts) == {(sku, "name"), (sku, "price")}
    name = conflicts[(sku, "name")]
    assert (name.erp_before, name.erp_value) == ("Harbour Table", "Harbour Table (GP)")
    assert (name.woo_before, name.woo_value) == ("Harbour Table", "Harbour Table (Woo)")
    assert gp_item(stack, company, sku) == ("Harbour Table (GP)", Decimal("310.00"))
    woo = stack.woo.product(product["id"])
    assert (woo["name"], woo["regular_price"]) == ("Harbour Table (Woo)", "290.00")

    # Reported: the conflicts table (`connector conflicts`, `connector status`) and the audit trail, once.
    stored = {(c.item, c.field) for c in sba.product_fields.conflicts("gp") if c.item == sku}
    assert stored == {(sku, "name"), (sku, "price")}
    again = report_of(sba)  # still standing, still nothing overwritten, not audited twice
    assert {(c.item, c.field) for c in again.conflicts if c.item == sku} == stored
    audited = [row for row in sba.audit.trail(f"product:gp/{sku}") if row.data["outcome"] == "conflict"]
    assert len(audited) == 2 and gp_item(stack, company, sku) == ("Harbour Table (GP)", Decimal("310.00"))
    listed = connector("conflicts", "--erp", "gp", "--json")
    assert {(c["item"], c["field"]) for c in json.loads(listed) if c["item"] == sku} == stored
    assert "Harbour Table (Woo)" in listed
    assert "Product field conflicts (" in connector("conflicts") and sku in connector("conflicts")
    assert "Product field conflicts: " in connector("status")

    # Resolved when the sides agree: the store takes GP's name back, and its price goes back to before.
    merchant_edits(stack, product["id"], name="Harbour Table (GP)", regular_price="300.00")
    resolved = report_of(sba)
    assert not [c for c in resolved.conflicts if c.item == sku]
    assert f"{sku} price" in resolved.to_woo  # only GP's price changed now: it wins
    assert stack.woo.product(product["id"])["regular_price"] == "310.00"
    assert not [c for c in sba.product_fields.conflicts("gp") if c.item == sku]


class WriteWhileGpIsDown:
    """The real SBA adapter; GP answers 503 to everything while it writes an item (the reads before succeed)."""

    def __init__(self, erp: Any, emulator: GpEmulator) -> None:
        self.erp, self.emulator = erp, emulator

    def __getattr__(self, name: str) -> Any:
        return getattr(self.erp, name)

    @property
    def item_fields_writable(self) -> bool:
        return bool(self.erp.item_fields_writable)

    def write_item_fields(self, number: str, **fields: Any) -> None:
        self.emulator.inject_fault(Fault.UNAVAILABLE, retry_after=0)
        try:
            self.erp.write_item_fields(number, **fields)
        finally:
            self.emulator.reset_faults()


def test_a_gp_write_that_fails_changes_nothing_and_the_next_run_retries_it(
    stack: Stack, company: Company, sba: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    stool, stool_product = pair(stack, company, "Harbour Stool", "60.00")
    bench, bench_product = pair(stack, company, "Harbour Bench", "90.00")
    report_of(sba)
    merchant_edits(stack, stool_product["id"], name="Harbour Stool, Ash")
    merchant_edits(stack, bench_product["id"], name="Harbour Bench, Ash")
    monkeypatch.setenv("HTTP_MAX_ATTEMPTS", "2")
    settings = check_app_settings(load_settings())
    real = Services(settings).erp_for("gp")
    failing = bootstrap(settings, erp={"gp": WriteWhileGpIsDown(real, gp(stack))}, tables=sba.table_service)
    report = report_of(failing)
    assert not report.to_erp and len(report.failed) == 2
    first, second = sorted([stool, bench])
    assert report.failed[0].startswith(f"{first} name:") and "503" in report.failed[0]
    assert report.failed[1] == f"{second} name: not tried, the ERP is unavailable"  # GP is down: no more tries
    assert gp_item(stack, company, stool) == ("Harbour Stool", Decimal("60.00"))
    assert gp_item(stack, company, bench) == ("Harbour Bench", Decimal("90.00"))
    (audited,) = [row for row in sba.audit.trail(f"product:gp/{first}") if row.data["outcome"] == "erp_update_failed"]
    assert audited.data["transient"] is True

    retried = report_of(sba)  # the snapshots stayed: the next run writes both
    assert {f"{stool} name", f"{bench} name"} <= set(retried.to_erp)
    assert gp_item(stack, company, stool) == ("Harbour Stool, Ash", Decimal("60.00"))
    assert gp_item(stack, company, bench) == ("Harbour Bench, Ash", Decimal("90.00"))
    real.close()  # type: ignore[attr-defined]


def test_a_soap_connection_with_a_direction_writing_to_gp_refuses_to_start(stack: Stack) -> None:
    env = {**os.environ, **stack.settings, "ERPS__gp__TRANSPORT": "soap", "ERPS__gp__NAME_DIRECTION": "woo"}
    started = subprocess.run(
        [sys.executable, "-c", "import function_app"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "ERPS__gp__NAME_DIRECTION=woo" in started.stderr and "TRANSPORT=soap" in started.stderr
    assert "no operation that updates an item" in started.stderr
