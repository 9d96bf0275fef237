"""Stock: 50,000 SKUs (a third of them variations), 1 % changed in the ERP, through `shared.flows.stock`.

Seeding: WooCommerce products are put straight into the emulator's store (`store.products`; its
`create_product` checks SKU uniqueness by scanning every product, quadratic at this size) and BC items
are cloned from one made by `BcEmulator.add_item` (which scans too), each with an item ledger entry
for its inventory. Both sides start equal
(Woo stock = BC inventory, Woo regular price = BC unit price). Variations: 5 per variable product, each
managing its own stock; parents carry a SKU that is no ERP item.

Cycles, each run in a worker thread with the stack's services (as the timer would):
1. first `push_stock_and_prices`: no watermark yet, so a full reconcile (reads both catalogues whole,
   builds the SKU map, writes the one price changed after seeding);
2. the 5-minute delta with nothing changed;
3. the delta after 1 % of the SKUs changed stock in BC (`set_stock`: item ledger entries, no item
   modification): WooCommerce calls against the floor ⌈changed/100⌉ per batch endpoint (one for simple
   products, one per variable parent with a changed variation), ERP calls, seconds;
The daily full reconcile (`reconcile_stock`) is the same code as cycle 1 (`reconcile_store`) minus the
first SKU-map build; it is not run again to keep the benchmark short. The connector subscribes to no
product topic, so the writes should bring no webhook deliveries and no queue work back.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from bench.common import InvocationTimer, StorageCounter, ratio, rounded
from bench.stacks import running_stack, wait_quiet
from sandbox.azurite import Azurite
from sandbox.bc.entities import post_item_ledger
from sandbox.stack import Stack
from sandbox.woo.models import Product

VARIATIONS_PER_PARENT = 5
CHANGED_SHARE = 0.01


def seed_catalogue(stack: Stack, skus: int, rng: random.Random) -> dict[str, Any]:
    """Both catalogues with `skus` SKUs; returns what the change step needs (SKU → BC id, parent of each)."""
    woo_store, bc = stack.woo.store, stack.bc
    parents = (skus // 3) // VARIATIONS_PER_PARENT
    variations = parents * VARIATIONS_PER_PARENT
    simple = skus - variations
    bc_ids: dict[str, str] = {}
    parent_of: dict[str, int] = {}
    stock: dict[str, int] = {}
    company = bc.company()
    # BC items are cloned from one created through the API: `add_item` checks the number is unique by
    # scanning every item (quadratic at this size). Inventory is posted as an item ledger entry, as BC does.
    template = bc.add_item("BENCH-TEMPLATE", "template", 1)
    with bc.store.lock:
        template_record = dict(bc.store.table(company, "items")[template["id"]])
        bc.store.delete(company, "items", template["id"], notify=False)

    def both(sku: str, name: str, price: Decimal, qty: int) -> None:
        record = dict(template_record)
        record.update(id="", number=sku, displayName=name, unitPrice=price, inventory=Decimal(0))
        with bc.store.lock:
            bc.store.insert(company, "items", record, notify=False)
            if qty:
                post_item_ledger(bc.store, company, record, Decimal(qty), "Positive_x0020_Adjmt_x002E_")
        bc_ids[sku] = record["id"]
        stock[sku] = qty

    started = time.perf_counter()
    now = woo_store.now()
    with woo_store.lock:
        for n in range(simple):
            sku, price, qty = f"SKU-{n:06d}", Decimal(10 + n % 90) + Decimal("0.99"), rng.randint(0, 200)
            product = Product(
                id=woo_store.next_post_id(),
                name=f"Product {n}",
                sku=sku,
                regular_price=str(price),
                manage_stock=True,
                stock_quantity=qty,
                slug=f"product-{n}",
                date_created=now,
                date_modified=now,
            )
            woo_store.products[product.id] = product
            both(sku, product.name, price, qty)
        for p in range(parents):
            options = [f"V{k}" for k in range(VARIATIONS_PER_PARENT)]
            parent = Product(
                id=woo_store.next_post_id(),
                name=f"Family {p}",
                type="variable",
                sku=f"FAM-{p:05d}",
                slug=f"family-{p}",
                attributes=[
                    {"id": 0, "name": "Size", "position": 0, "visible": True, "variation": True, "options": options}
                ],
                date_created=now,
                date_modified=now,
            )
            woo_store.products[parent.id] = parent
            for option in options:
                sku = f"FAM-{p:05d}-{option}"
                price, qty = Decimal(20 + p % 50) + Decimal("0.50"), rng.randint(0, 200)
                variation = Product(
                    id=woo_store.next_post_id(),
                    name=parent.name,
                    type="variation",
                    parent_id=parent.id,
                    sku=sku,
                    regular_price=str(price),
                    manage_stock=True,
                    stock_quantity=qty,
                    attributes=[{"id": 0, "name": "Size", "option": option}],
                    date_created=now,
                    date_modified=now,
                )
                woo_store.products[variation.id] = variation
                parent.variations.append(variation.id)
                parent_of[sku] = parent.id
                both(sku, f"{parent.name} {option}", price, qty)
    return {
        "skus": skus,
        "simple": simple,
        "variable_parents": parents,
        "variations": variations,
        "seconds": rounded(time.perf_counter() - started, 1),
        "bc_ids": bc_ids,
        "parent_of": parent_of,
        "stock": stock,
    }


def change_stock(stack: Stack, seeded: dict[str, Any], share: float, rng: random.Random) -> dict[str, Any]:
    """Change BC stock of `share` of the SKUs; the batch-call floor for writing them to WooCommerce."""
    all_skus = sorted(seeded["bc_ids"])
    chosen = rng.sample(all_skus, k=max(1, round(len(all_skus) * share)))
    for sku in chosen:
        new = seeded["stock"][sku] + rng.randint(1, 50)
        stack.bc.set_stock(seeded["bc_ids"][sku], new)
        seeded["stock"][sku] = new
    groups: Counter[int] = Counter(seeded["parent_of"].get(sku, 0) for sku in chosen)
    floor = sum(math.ceil(count / 100) for count in groups.values())
    return {
        "changed": len(chosen),
        "changed_simple": groups.get(0, 0),
        "changed_variations": len(chosen) - groups.get(0, 0),
        "parent_groups_touched": len([g for g in groups if g]),
        "woo_call_floor": floor,
    }


def run_cycle(
    stack: Stack, storage: StorageCounter, timer: InvocationTimer, name: str, body: Callable[[], Any]
) -> dict[str, Any]:
    stack.bc.reset_counters()
    stack.woo.reset_api_calls()
    storage.reset()
    timer.take()
    deliveries_before = len(stack.woo.delivery.records())
    outcome: dict[str, Any] = {}

    def work() -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        outcome["reports"] = body()
        outcome["seconds"] = time.perf_counter() - wall
        outcome["cpu"] = time.thread_time() - cpu

    with ThreadPoolExecutor(1, thread_name_prefix=f"worker-{name}") as pool:
        pool.submit(work).result()
    woo_calls = stack.woo.api_calls()
    bc_counts = dict(stack.bc.request_counts)
    stored = storage.by_service()
    stack.woo.flush_deliveries(timeout=300)
    wait_quiet(stack, timeout=300)
    deliveries = [r for r in stack.woo.delivery.records()[deliveries_before:] if r.kind == "delivery"]
    invocations = Counter(i.name for i in timer.take())
    reports = outcome["reports"] or []
    return {
        "cycle": name,
        "seconds": rounded(outcome["seconds"], 2),
        "cpu_seconds": rounded(outcome["cpu"], 2),
        "mode": ",".join(r.mode for r in reports),
        "considered": sum(r.considered for r in reports),
        "written": sum(r.written for r in reports),
        "failed": sum(len(r.failed) for r in reports),
        "woo_calls": sum(woo_calls.values()),
        "woo_calls_by_route": dict(sorted(woo_calls.items())),
        "woo_batch_calls": sum(v for k, v in woo_calls.items() if k.endswith("/batch")),
        "erp_calls": bc_counts.get("requests", 0),
        "erp_calls_by_kind": {k: v for k, v in sorted(bc_counts.items()) if k != "requests"},
        "storage_transactions": stored,
        "webhooks_delivered": len(deliveries),
        "webhooks_queued": invocations.get("handle_woo_event", 0),
    }


def run(quick: bool = False) -> dict[str, Any]:
    skus = 5_000 if quick else 50_000
    rng = random.Random(7)
    with Azurite() as azurite:
        storage = StorageCounter(azurite.ports)
        timer = InvocationTimer()
        with storage.active(), timer.active(), running_stack(azurite) as stack:
            from shared.flows import stock
            from shared.flows.services import services

            seeded = seed_catalogue(stack, skus, rng)
            wait_quiet(stack, timeout=60)
            # The catalogue was created within seconds; in a live ERP the newest item change is some time
            # after the bulk of the catalogue. Move BC's clock an hour on and change one price, so the
            # items watermark (newest change, re-read 2 minutes behind) does not cover every item.
            stack.bc.advance_clock(3600)
            first_sku = sorted(seeded["bc_ids"])[0]
            stack.bc.set_price(seeded["bc_ids"][first_sku], Decimal("99.99"))
            svc = services()
            push = lambda: stock.push_stock_and_prices(svc)  # noqa: E731
            cycles = [
                run_cycle(stack, storage, timer, "full reconcile (first run)", push),
                run_cycle(stack, storage, timer, "delta, nothing changed", push),
            ]
            change = change_stock(stack, seeded, CHANGED_SHARE, rng)
            delta = run_cycle(stack, storage, timer, "delta, 1% changed", push)
            cycles.append(delta)
            woo_after = _woo_matches(stack, seeded)
    return {
        "catalogue": {k: seeded[k] for k in ("skus", "simple", "variable_parents", "variations")},
        "seeding_seconds": seeded["seconds"],
        "change": change,
        "cycles": cycles,
        "delta_woo_calls_vs_floor": {
            "woo_calls": delta["woo_calls"],
            "floor": change["woo_call_floor"],
            "ratio": ratio(delta["woo_calls"], change["woo_call_floor"]),
        },
        "woo_stock_matches_erp_after": woo_after,
    }


def _woo_matches(stack: Stack, seeded: dict[str, Any]) -> dict[str, int]:
    """After the cycles: how many SKUs show the ERP stock in WooCommerce."""
    lock: threading.RLock = stack.woo.store.lock
    with lock:
        shown = {p.sku: p.stock_quantity for p in stack.woo.store.products.values() if p.sku in seeded["stock"]}
    same = sum(1 for sku, qty in seeded["stock"].items() if shown.get(sku) == qty)
    return {"matching": same, "total": len(seeded["stock"])}
