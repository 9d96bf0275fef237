"""Stock and prices at catalogue scale: 5,000 SKUs against their own WooCommerce and BC emulators.

The emulators are seeded through their Python API (fast) and are not the stack's, so the host's own
timers (which push the stack's store) never touch them; storage is the stack's Azurite under a store
id of its own. The flows are called directly, and WooCommerce's call counters prove what was written.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pydantic import SecretStr

import sandbox.bc.entities as bc_entities
from sandbox.bc import BcEmulator
from sandbox.faults import ASGIApp, FaultConfig, FaultInjector, Receive, Scope, Send
from sandbox.stack import Stack
from sandbox.woo import WooEmulator
from sandbox.woo.emulator import woo_error_body
from shared.config import WooStoreSettings
from shared.flows import stock
from shared.flows.catalogue import read_catalogue
from shared.flows.services import Services, services
from shared.http import TransientHttpError

pytestmark = pytest.mark.e2e

SIMPLE = 3800
PARENTS = 8
VARIATIONS = 150  # per parent: 3,800 + 8 × 150 = 5,000 SKUs
BUFFER = Decimal(2)
PRODUCTS_BATCH = "POST /products/batch"
VARIATIONS_BATCH = "POST /products/{id}/variations/batch"
VARIATIONS_LIST = "GET /products/{id}/variations"


@dataclass
class Bulk:
    bc: BcEmulator
    woo: WooEmulator
    app: Services
    store: str

    def push(self) -> stock.PushReport:
        (report,) = stock.push_stock_and_prices(self.app, self.store)
        return report

    def product(self, sku: str) -> dict:
        return self.woo.product_by_sku(sku)

    def batch_calls(self) -> dict[str, int]:
        return {k: v for k, v in self.woo.api_calls().items() if k in (PRODUCTS_BATCH, VARIATIONS_BATCH)}


def simple_sku(n: int) -> str:
    return f"S{n:05d}"


def variation_sku(parent: int, n: int) -> str:
    return f"V{parent}-{n:03d}"


def seed(bc: BcEmulator, woo: WooEmulator) -> None:
    """Both catalogues, with the emulators' O(n) uniqueness scans switched off (the SKUs are unique)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(bc_entities, "find_by", lambda *args: None)
    mp.setattr(woo.store, "_check_sku", lambda *args: None)
    try:
        for n in range(SIMPLE):
            woo.add_product(f"Simple {n}", simple_sku(n), "10.00", stock_quantity=50, manage_stock=True)
            bc.add_item(simple_sku(n), f"Simple {n}", 10, inventory=50)
        for p in range(PARENTS):
            variations = [
                {"sku": variation_sku(p, n), "regular_price": "20.00", "option": f"Size {n}", "stock_quantity": 30}
                for n in range(VARIATIONS)
            ]
            woo.add_variable_product(f"Variable {p}", f"V{p}", variations, attribute="Size")
            for n in range(VARIATIONS):
                bc.add_item(variation_sku(p, n), f"Variable {p} size {n}", 20, inventory=30)
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def bulk(stack: Stack) -> Iterator[Bulk]:
    bc = BcEmulator(entra=stack.entra)
    woo = WooEmulator("ck_bulk", "cs_bulk")
    bc.start()
    woo.start()
    seed(bc, woo)
    store = "bulk" + uuid.uuid4().hex[:6]
    woo_store = WooStoreSettings(
        url=woo.url,
        consumer_key=SecretStr(woo.consumer_key),
        consumer_secret=SecretStr(woo.consumer_secret),
        webhook_secret=SecretStr("unused"),
    )
    settings = services().settings.model_copy(
        update={
            "woo_stores": {store: woo_store},
            "bc_api_url": bc.base_url,
            "bc_company_id": bc.company_id,
            "bc_sku_map": {},
            "stock_buffer": BUFFER,
            "stock_buffer_overrides": {simple_sku(1): Decimal(10)},
        }
    )
    app = Services(settings)
    try:
        yield Bulk(bc, woo, app, store)
    finally:
        app.erp.close()
        app.woo(store).close()
        woo.stop()
        bc.stop()


def test_first_run_reconciles_all_5000_skus_in_batches_of_100_per_parent_group(bulk: Bulk) -> None:
    bulk.woo.reset_api_calls()
    report = bulk.push()
    assert report.mode == "full" and not report.failed
    assert report.written == SIMPLE + PARENTS * VARIATIONS  # the buffer changes every SKU
    assert bulk.batch_calls() == {
        PRODUCTS_BATCH: math.ceil(SIMPLE / 100),
        VARIATIONS_BATCH: PARENTS * math.ceil(VARIATIONS / 100),
    }
    assert bulk.product(simple_sku(0))["stock_quantity"] == 48  # 50 − buffer 2
    assert bulk.product(simple_sku(1))["stock_quantity"] == 40  # 50 − per-SKU buffer 10
    assert bulk.product(variation_sku(3, 7))["stock_quantity"] == 28
    assert report.conflicts is not None and not report.conflicts.of_kind("duplicate_sku")


def test_two_percent_changed_writes_only_those_skus_in_one_batch_per_parent_group(bulk: Bulk) -> None:
    for n in range(100, 170):  # 70 simple products: stock movements (item ledger entries only)
        bulk.bc.set_stock(simple_sku(n), 60)
    for n in range(25):  # 25 variations of parent 0: stock movements
        bulk.bc.set_stock(variation_sku(0, n), 10)
    for n in range(5):  # 5 variations of parent 1: a new price (modifies the item)
        bulk.bc.set_price(variation_sku(1, n), Decimal("25.5"))
    bulk.woo.reset_api_calls()
    report = bulk.push()
    assert report.mode == "delta" and not report.failed
    assert report.written == 100
    assert bulk.batch_calls() == {PRODUCTS_BATCH: 1, VARIATIONS_BATCH: 2}
    assert sum(bulk.woo.api_calls().values()) == 3  # no look-ups: the SKU map knows every SKU
    assert bulk.product(simple_sku(120))["stock_quantity"] == 58
    assert bulk.product(variation_sku(0, 3))["stock_quantity"] == 8
    changed_price = bulk.woo.product_by_sku(variation_sku(1, 4))
    assert changed_price["regular_price"] == "25.50" and changed_price["stock_quantity"] == 28
    assert bulk.product(simple_sku(170))["stock_quantity"] == 48  # untouched

    bulk.woo.reset_api_calls()
    again = bulk.push()
    assert again.written == 0 and bulk.woo.api_calls() == {}  # unchanged SKUs cost no WooCommerce call


def test_a_failing_batch_item_is_retried_once_reported_and_written_by_the_next_run(bulk: Bulk) -> None:
    for n in (200, 201, 202):
        bulk.bc.set_stock(simple_sku(n), 20)
    failing = bulk.product(simple_sku(201))["id"]
    bulk.woo.fail_batch_items([failing])
    try:
        bulk.woo.reset_api_calls()
        report = bulk.push()
    finally:
        bulk.woo.clear_batch_failures()
    assert report.written == 2
    assert [f.write.product_id for f in report.failed] == [failing]
    assert report.failed[0].transient and report.failed[0].write.skus == (simple_sku(201),)
    assert bulk.batch_calls() == {PRODUCTS_BATCH: 2}  # the batch, then the failed item once more
    assert bulk.product(simple_sku(201))["stock_quantity"] == 48
    trail = bulk.app.audit.trail(f"{bulk.store}/stock")
    assert trail and trail[-1].data["stage"] == "stock_write_failed" and simple_sku(201) in trail[-1].data["items"]
    assert bulk.app.stock_state.load(bulk.store).pending == {simple_sku(201)}

    report = bulk.push()  # nothing new in the ERP: the pending SKU alone is written
    assert report.written == 1 and not report.failed
    assert bulk.product(simple_sku(201))["stock_quantity"] == 18
    assert bulk.app.stock_state.load(bulk.store).pending == set()


def test_parent_managed_stock_goes_to_the_parent_and_manage_stock_is_switched_on(bulk: Bulk) -> None:
    bulk.woo.add_variable_product(
        "Family", "FAM", [{"sku": "FAM-A", "option": "A"}, {"sku": "FAM-B", "option": "B"}], stock_quantity=1
    )
    bulk.woo.add_product("Unmanaged", "NOMANAGE", "5.00")
    for number, quantity in (("FAM-A", 7), ("FAM-B", 5), ("NOMANAGE", 9)):
        bulk.bc.add_item(number, number, 15, inventory=quantity)
    assert bulk.product("FAM-A")["manage_stock"] == "parent"
    report = bulk.push()
    assert not report.failed
    assert bulk.product("FAM")["stock_quantity"] == (7 - 2) + (5 - 2)  # the parent holds the family's stock
    unmanaged = bulk.product("NOMANAGE")
    assert unmanaged["manage_stock"] is True and unmanaged["stock_quantity"] == 7
    assert unmanaged["regular_price"] == "15.00"
    assert bulk.product("FAM-A")["regular_price"] == "15.00"  # the variation's own price

    bulk.bc.set_stock("FAM-B", 1)
    bulk.push()
    assert bulk.product("FAM")["stock_quantity"] == 5 + 0  # never below zero per SKU


def test_sku_conflicts_are_reported_with_the_products_named(bulk: Bulk) -> None:
    first = bulk.woo.add_product("Chair one", "DUP", "1.00", stock_quantity=1)
    second = bulk.woo.add_product("Chair two", "DUP-2", "1.00", stock_quantity=1)
    bulk.woo.store.products[second["id"]].sku = "DUP"  # a duplicate WooCommerce itself would refuse today
    shared = bulk.woo.add_variable_product("Shared", "SHARED", [{"option": "X"}, {"sku": "SHARED-Y", "option": "Y"}])
    bulk.woo.add_product("Web only", "WOOONLY", "1.00")
    for number in ("DUP", "SHARED-Y", "ERPONLY"):
        bulk.bc.add_item(number, number, 3, inventory=3)

    report = stock.sku_conflicts(bulk.app, bulk.store)
    kinds = {(c.kind, c.sku) for c in report.conflicts}
    assert {("duplicate_sku", "DUP"), ("variation_shares_parent_sku", "SHARED"), ("missing_in_erp", "WOOONLY"),
            ("missing_in_woo", "ERPONLY")} <= kinds  # fmt: skip
    (duplicate,) = report.of_kind("duplicate_sku")
    assert set(duplicate.products) == {f"#{first['id']} Chair one", f"#{second['id']} Chair two"}
    (sharing,) = report.of_kind("variation_shares_parent_sku")
    assert f"#{shared['id']} Shared" in sharing.products

    bulk.push()  # DUP changed in the ERP: neither product is written
    assert {bulk.woo.product(first["id"])["stock_quantity"], bulk.woo.product(second["id"])["stock_quantity"]} == {1}


def test_the_full_reconcile_corrects_drift_the_delta_cannot_see(bulk: Bulk) -> None:
    drifted = bulk.product(simple_sku(300))
    bulk.woo.store.products[drifted["id"]].stock_quantity = 3  # changed in the store, not by the ERP
    assert bulk.push().written == 0  # nothing changed in the ERP: the delta does not look
    bulk.woo.reset_api_calls()
    (report,) = stock.reconcile_stock(bulk.app, bulk.store)
    assert report.mode == "full"
    assert bulk.product(simple_sku(300))["stock_quantity"] == 48
    assert report.written == 1 and bulk.batch_calls() == {PRODUCTS_BATCH: 1}
    trail = bulk.app.audit.trail(f"{bulk.store}/catalog")
    assert trail and trail[-1].data["stage"] == "sku_conflicts" and trail[-1].data["duplicate_sku"] == 1


def listed_one_by_one(bulk: Bulk) -> list[tuple[int, int | None]]:
    """(id, parent id) of every product as read one request at a time: each parent, then its variations."""
    woo = bulk.app.woo(bulk.store)
    listed: list[tuple[int, int | None]] = []
    for raw in woo.list_products():
        listed.append((raw["id"], None))
        if raw["type"] == "variable":
            listed += [(v["id"], raw["id"]) for v in woo.list_variations(raw["id"])]
    return listed


def test_the_full_reconcile_reads_variations_concurrently_in_woocommerces_order(
    bulk: Bulk, monkeypatch: pytest.MonkeyPatch
) -> None:
    for p in range(3):  # small families between the big ones: their variation lists come back first
        bulk.woo.add_variable_product(f"Small {p}", f"SMALL{p}", [{"sku": f"SMALL{p}-A", "option": "A"}])
        bulk.woo.add_product(f"Between {p}", f"BETWEEN{p}", "1.00")
    expected = listed_one_by_one(bulk)
    parents = {parent for _, parent in expected if parent is not None}
    assert len(parents) >= PARENTS + 3
    # Jittered latency: the variation lists finish in another order than they were asked for.
    monkeypatch.setattr(bulk.woo.faults, "config", FaultConfig(latency_ms=2, latency_jitter_ms=40, seed=3))
    bulk.woo.reset_api_calls()
    catalogue = read_catalogue(bulk.app, bulk.store)
    assert [(p.woo_product_id, p.parent_id if p.type == "variation" else None) for p in catalogue.products] == expected
    assert bulk.woo.api_calls()[VARIATIONS_LIST] == len(parents) + PARENTS  # the big ones have two pages


def failing_path(app: ASGIApp, path_end: str) -> ASGIApp:
    """The emulator's app, with the requests whose path ends with `path_end` answering 503."""
    outage = FaultInjector(app, FaultConfig(outage=True, retry_after_seconds=0), error_body=woo_error_body)

    async def routed(scope: Scope, receive: Receive, send: Send) -> None:
        await (outage if scope.get("path", "").endswith(path_end) else app)(scope, receive, send)

    return routed


def test_a_variation_list_that_keeps_failing_fails_the_full_reconcile_and_writes_nothing(
    bulk: Bulk, monkeypatch: pytest.MonkeyPatch
) -> None:
    drifted = bulk.product(simple_sku(400))
    bulk.woo.store.products[drifted["id"]].stock_quantity = 3  # drift the reconcile would correct
    broken = bulk.product("V3")["id"]  # one parent in the middle of the eight
    monkeypatch.setattr(bulk.woo.faults, "app", failing_path(bulk.woo.faults.app, f"/products/{broken}/variations"))
    _, _, full_name = stock.watermark_names(bulk.store)
    last_full = bulk.app.watermarks.get(full_name)
    bulk.woo.reset_api_calls()
    with pytest.raises(TransientHttpError) as failed:
        stock.reconcile_stock(bulk.app, bulk.store)
    assert failed.value.status == 503 and f"products/{broken}/variations" in str(failed.value)
    assert bulk.batch_calls() == {} and bulk.product(simple_sku(400))["stock_quantity"] == 3
    assert bulk.app.watermarks.get(full_name) == last_full

    monkeypatch.undo()
    (report,) = stock.reconcile_stock(bulk.app, bulk.store)
    assert not report.failed and bulk.product(simple_sku(400))["stock_quantity"] == 48
