"""ERP → store: available-to-sell stock (and prices, :mod:`shared.flows.prices`), delta-only and batched.

This module runs the pushes; what to write is decided by :mod:`shared.flows.stock_plan` (pure), the
catalogues are read by :mod:`shared.flows.catalogue`, and the writes go through
:mod:`shared.woo.batch_writer`.

Available to sell (ATS) = ERP quantity − units on open ERP sales orders not yet shipped
(``STOCK_SUBTRACT_OPEN_ORDERS``, on by default: the ERP's inventory still counts units sold in paid
orders until they ship, so a full push would offer them again) − buffer (``STOCK_BUFFER``, per SKU
``STOCK_BUFFER_OVERRIDES``), rounded down to a whole number, never below zero. Blocked items sell
nothing (0); items without inventory (BC services, non-inventory items) get no stock write at all.
The open quantities are one paged ERP read per run that has stock to push (never a call per item).

One run per store (timer ``push_stock_and_prices``):
1. What changed in the ERP since the store's watermarks: items with ``lastModifiedDateTime`` after the
   items watermark (price and master data; re-read a little behind it for late commits), plus items
   with item ledger entries after the stock-moves cursor (stock movements do not modify the item),
   plus SKUs whose last write failed transiently. With no watermark yet, the run is a full reconcile.
2. Where each SKU lives in WooCommerce: the SKU map (table), refreshed with ``?sku=`` for SKUs it does
   not know (``?sku=`` matches variations too; facts woocommerce.md §2.6). A variation whose stock lives
   on its parent (``manage_stock: "parent"``) is written through the parent; the parent gets the ATS
   of its own SKU when that is an ERP item, else the sum of its inheriting variations' ATS.
3. Compare with what was last written (table): only differences are written, so an unchanged SKU costs
   no WooCommerce call. ``manage_stock`` is switched on where it is off (``STOCK_MANAGE_ON``), since
   WooCommerce silently ignores stock writes to products that do not manage stock.
4. Write through the batch endpoints, ≤ 100 items a call: simple and parent products through
   ``products/batch``, variations through ``products/{parent}/variations/batch``. Per-item errors
   come back inside the HTTP 200: failed items are retried once; what still fails is reported (audit
   trail + ``stock_write_failed`` event) and, when transient, retried by the next run.
5. Advance the watermarks.

The full reconcile (timer ``reconcile_stock``, daily) reads both catalogues whole, compares every SKU
with WooCommerce's *actual* values (drift: a change made in the store, a lost write), corrects it,
rebuilds the SKU map and reports SKU conflicts (:class:`ConflictReport`): two products with one SKU
(neither is written), variations that only show their parent's SKU, Woo SKUs with no ERP item and
ERP items with no Woo product. BC item notifications (:mod:`shared.flows.erp_events`) push the named
items at once, between timer runs.

A write carries only the product id and the stock/price fields. The connector subscribes to no product
webhook, so the ``product.updated`` WooCommerce fires for each write (facts §1) never comes back to it.
Runs are safe to overlap (they write absolute values), at worst once too often. Nothing here writes to
the ERP (invariant 4); where a merchant made the price a two-way field, prices are left to the product
sync (:mod:`shared.flows.product_fields`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from shared.config import DEFAULT_CONNECTION, two_way_fields
from shared.erp.port import ErpItem, TransientErpError
from shared.flows.catalogue import read_catalogue
from shared.flows.services import Services
from shared.flows.stock_plan import (
    CONFLICT,
    ConflictReport,
    Current,
    Desired,
    current_from_products,
    current_from_pushed,
    desired_values,
    erp_side_conflicts,
    item_number_of,
    map_products,
    plan_writes,
)
from shared.http import TransientHttpError
from shared.model import Product
from shared.storage.ledger import now_iso
from shared.storage.stock_state import PushedRow, SkuRow, StoreSyncState
from shared.storage.tables import WriteConflict
from shared.telemetry import SKU_CONFLICTS, STOCK_WRITE_FAILED, log_event
from shared.woo.batch_writer import FailedWrite, WriteOutcome, send_writes
from shared.woo.client import WooClient
from shared.woo.mapping import product_stock_from_woo

log = logging.getLogger("connector.stock")
T = TypeVar("T")

ITEMS_OVERLAP = timedelta(minutes=2)  # items modified this long before the watermark are read again
NOT_FOUND_RECHECK = timedelta(hours=1)  # a SKU no product had is looked up again after this
PENDING_LIMIT = 2000  # more failed SKUs than this: keep the old watermarks instead of a pending list


def watermark_names(store: str, connection: str = DEFAULT_CONNECTION) -> tuple[str, str, str]:
    """(items modified, stock-moves cursor, last full reconcile) watermark names of one store, in the ERP
    stream of its connection: a store moved to another connection starts that one's marks afresh (a full
    reconcile). The flat connection keeps the names from before connections."""
    scope = store if connection == DEFAULT_CONNECTION else f"{connection}:{store}"
    return f"stock-items:{scope}", f"stock-moves:{scope}", f"stock-full:{scope}"


def store_watermarks(services: Services, store: str) -> tuple[str, str, str]:
    return watermark_names(store, services.settings.connection_of(store))


def open_order_quantities(
    services: Services, store: str, items: Iterable[ErpItem], *, stock: bool
) -> dict[str, Decimal]:
    """Units on the store's ERP's open sales orders by item number, when the setting is on and stock is
    pushed for any of ``items`` (one paged ERP read, not one per item); else nothing is subtracted."""
    if not (stock and services.settings.stock_subtract_open_orders and any(i.stock_tracked for i in items)):
        return {}
    return services.erp_of(store).open_order_quantities()


def erp_owns_prices(services: Services, store: str) -> bool:
    """Whether this push writes the store's prices: not where the merchant made the price a two-way field
    (`ERPS__<id>__PRICE_DIRECTION`): then the product sync (:mod:`shared.flows.product_fields`) owns it."""
    return "price" not in two_way_fields(services.settings.connection_of_store(store))


def sku_map_of(services: Services, store: str) -> Mapping[str, str]:
    """Woo SKU → ERP item number where they differ, for the connection the store posts to (its
    `sku_map` setting with the SKU mapping table over it)."""
    return services.sku_map(services.settings.connection_of(store))


# ---------------------------------------------------------------------------------- orchestration


@dataclass
class PushReport:
    store: str
    mode: str  # delta | full | items (BC notifications) | none
    considered: int = 0  # SKUs with an ERP value looked at
    written: int = 0  # products written
    batch_calls: dict[str, int] = field(default_factory=dict)  # endpoint → calls (retries included)
    failed: list[FailedWrite] = field(default_factory=list)
    not_in_woo: list[str] = field(default_factory=list)  # SKUs with ERP changes but no Woo product
    conflicts: ConflictReport | None = None

    @property
    def batches(self) -> int:
        return sum(self.batch_calls.values())


def _stores(services: Services, store: str | None) -> list[str]:
    return [store.lower()] if store else list(services.settings.woo_stores)


def push_stock_and_prices(
    services: Services, store: str | None = None, *, stock: bool | None = None, prices: bool | None = None
) -> list[PushReport]:
    """The timer: the delta push for one store or all (a full reconcile when a store has no watermark)."""
    settings = services.settings
    stock = settings.stock_sync if stock is None else stock
    prices = settings.price_sync if prices is None else prices
    if not (stock or prices):
        return []
    return _each_store(services, store, lambda store_id: push_store(services, store_id, stock=stock, prices=prices))


def reconcile_stock(services: Services, store: str | None = None) -> list[PushReport]:
    """The daily full reconcile: compare every SKU with WooCommerce, correct drift, report conflicts."""
    settings = services.settings
    stock, prices = settings.stock_sync, settings.price_sync
    if not (stock or prices):
        return []
    return _each_store(
        services, store, lambda store_id: reconcile_store(services, store_id, stock=stock, prices=prices)
    )


def _each_store(services: Services, store: str | None, run: Callable[[str], PushReport]) -> list[PushReport]:
    """Run for every store: one store's transient outage does not stop the others (raised when all failed)."""
    reports, failure = [], None
    for store_id in _stores(services, store):
        try:
            reports.append(run(store_id))
        except (TransientHttpError, TransientErpError) as exc:
            log.warning("stock push for store %s failed transiently (the next run tries again): %s", store_id, exc)
            failure = exc
    if failure is not None and not reports:
        raise failure
    return reports


def push_store(services: Services, store: str, *, stock: bool = True, prices: bool = True) -> PushReport:
    items_mark_name, moves_mark_name, _ = store_watermarks(services, store)
    items_mark = services.watermarks.get(items_mark_name)
    moves_mark = services.watermarks.get(moves_mark_name)
    if items_mark is None or (stock and moves_mark is None):
        return reconcile_store(services, store, stock=stock, prices=prices)
    erp = services.erp_of(store)
    state = services.stock_state.load(store)
    moved, new_moves_mark = erp.stock_moves_since(moves_mark) if stock and moves_mark else (set(), moves_mark)
    since = datetime.fromisoformat(items_mark)
    changed = erp.catalog_items(changed_since=since - ITEMS_OVERLAP)
    found = {item.number for item in changed}
    wanted = moved | {item_number_of(sku, sku_map_of(services, store)) for sku in state.pending}
    extra = erp.catalog_items(sorted(wanted - found)) if wanted - found else []
    report = PushReport(store, "delta")
    push_items(services, state, [*changed, *extra], report, stock=stock, prices=prices, retry_set=state.pending)
    stamps = [item.modified_at for item in changed if item.modified_at is not None]
    new_items_mark = max([since, *stamps]).isoformat()
    pending_ok = len(report_pending(report)) <= PENDING_LIMIT
    try:
        if pending_ok:
            services.watermarks.set(items_mark_name, new_items_mark)
            if new_moves_mark is not None:
                services.watermarks.set(moves_mark_name, new_moves_mark)
    except WriteConflict:
        log.info("stock watermarks of %s moved by a concurrent run; left as they are", store)
    _log_push(report)
    return report


def push_erp_items(
    services: Services, connection: str, *, ids: Sequence[str] = (), numbers: Sequence[str] = ()
) -> list[PushReport]:
    """Push the named items of one ERP connection now (ERP events) to its stores; the timer keeps the watermarks."""
    settings = services.settings
    if not (settings.stock_sync or settings.price_sync) or not (ids or numbers):
        return []
    erp = services.erp_for(connection)
    items = erp.catalog_items(ids=list(ids)) if ids else []
    if numbers:
        items += erp.catalog_items(list(numbers))
    reports = []
    for store_id in settings.stores_of(connection):
        state = services.stock_state.load(store_id)
        report = PushReport(store_id, "items")
        push_items(services, state, items, report, stock=settings.stock_sync, prices=settings.price_sync)
        _log_push(report)
        reports.append(report)
    return reports


def report_pending(report: PushReport) -> set[str]:
    return {sku for failure in report.failed if failure.transient for sku in failure.write.skus}


def push_items(
    services: Services,
    state: StoreSyncState,
    items: Sequence[ErpItem],
    report: PushReport,
    *,
    stock: bool,
    prices: bool,
    retry_set: Iterable[str] = (),
) -> None:
    """Push the values of ``items`` to one store (delta: compared with what was last written)."""
    settings = services.settings
    prices = prices and erp_owns_prices(services, state.store)
    woo = services.woo(state.store)
    sku_map = sku_map_of(services, state.store)
    on_open_orders = open_order_quantities(services, state.store, items, stock=stock)
    desired = desired_values(items, settings, sku_map, stock=stock, prices=prices, on_open_orders=on_open_orders)
    report.considered = len(desired)
    resolve_skus(woo, services, state, list(desired))
    if stock:
        add_family_members(services, state, desired, prices=prices, on_open_orders=on_open_orders)
    report.not_in_woo = sorted(sku for sku in desired if not (row := state.skus.get(sku)) or not row.found)
    writes = plan_writes(
        desired, state.skus, current_from_pushed(state.pushed), manage_stock_on=settings.stock_manage_on
    )
    outcome = send_writes(woo, writes)
    record_outcome(services, state, report, outcome, considered=set(desired) | set(retry_set))


def resolve_skus(woo: WooClient, services: Services, state: StoreSyncState, skus: Sequence[str]) -> None:
    """Look up (``?sku=``) the SKUs the map does not know, or found in no product a while ago."""
    now = datetime.now(UTC)
    unknown = []
    for sku in skus:
        row = state.skus.get(sku)
        if row is None:
            unknown.append(sku)
        elif not row.found and row.type != CONFLICT:
            checked = datetime.fromisoformat(row.checked_at) if row.checked_at else None
            if checked is None or now - checked > NOT_FOUND_RECHECK:
                unknown.append(sku)
    if not unknown:
        return
    checked_at = now.isoformat()
    products = [product_stock_from_woo(p) for p in woo.products_by_sku(unknown)]
    # Variations whose stock lives on the parent: learn the whole family (parent and siblings).
    families = {p.parent_id for p in products if p.parent_id and p.manage_stock == "parent"}
    known = {p.woo_product_id for p in products}
    for parent_id in sorted(families):
        for raw in woo.list_variations(parent_id):
            variation = product_stock_from_woo(raw, parent_id=parent_id)
            if variation.woo_product_id not in known:
                products.append(variation)
                known.add(variation.woo_product_id)
        if parent_id not in known:
            products += [product_stock_from_woo(p) for p in woo.list_products(include=str(parent_id))]
            known.add(parent_id)
    rows, conflicts = map_products(products, checked_at)
    changed = [row for row in rows.values() if state.skus.get(row.sku) != row]
    for sku in unknown:
        if sku not in rows:
            rows[sku] = SkuRow(sku=sku, checked_at=checked_at)
            changed.append(rows[sku])
    state.skus.update(rows)
    services.stock_state.save_skus(state, [row.sku for row in changed])
    if conflicts:
        record_conflicts(services, ConflictReport(state.store, conflicts))


def add_family_members(
    services: Services,
    state: StoreSyncState,
    desired: dict[str, Desired],
    *,
    prices: bool,
    on_open_orders: Mapping[str, Decimal] | None = None,
) -> None:
    """A parent's stock is the sum over its inheriting variations: bring in the ERP values of them all."""
    parents = {
        row.parent_id
        for sku in desired
        if (row := state.skus.get(sku)) is not None and row.found and row.manage_stock == "parent"
    }
    if not parents:
        return
    members = [
        sku
        for sku, row in state.skus.items()
        if row.found and row.manage_stock == "parent" and row.parent_id in parents and sku not in desired
    ]
    if not members:
        return
    sku_map = sku_map_of(services, state.store)
    numbers = sorted({item_number_of(sku, sku_map) for sku in members})
    items = services.erp_of(state.store).catalog_items(numbers)
    found = desired_values(items, services.settings, sku_map, stock=True, prices=prices, on_open_orders=on_open_orders)
    for sku in members:
        if sku in found:
            desired[sku] = found[sku]


def record_outcome(
    services: Services, state: StoreSyncState, report: PushReport, outcome: WriteOutcome, *, considered: set[str]
) -> None:
    """Remember what was written, keep transient failures for the next run, report the failures."""
    pushed_at = now_iso()
    rows = []
    for write in outcome.written:
        before = state.pushed.get(write.product_id) or PushedRow(write.product_id)
        row = PushedRow(
            write.product_id,
            stock=write.stock if write.stock is not None else before.stock,
            price=write.price if write.price is not None else before.price,
            manage_stock=before.manage_stock or write.manage_stock_on or write.stock is not None,
            pushed_at=pushed_at,
        )
        state.pushed[write.product_id] = row
        rows.append(row)
    services.stock_state.save_pushed(state, [row.product_id for row in rows])
    report.written = len(outcome.written)
    report.batch_calls = dict(outcome.batch_calls)
    report.failed = list(outcome.failed)
    gone = [sku for f in outcome.failed if f.code.endswith("invalid_id") for sku in f.write.skus]
    if gone:  # the product was deleted in WooCommerce: look the SKU up again next time
        for sku in gone:
            state.skus[sku] = SkuRow(sku=sku)
        services.stock_state.save_skus(state, gone)
    pending = (state.pending - considered) | report_pending(report)
    if pending != state.pending:
        state.pending = set(sorted(pending)[:PENDING_LIMIT])
        services.stock_state.save_pending(state)
    if outcome.failed:
        summary = "; ".join(
            f"{','.join(f.write.skus)} (#{f.write.product_id}): {f.code} {f.message}".strip()
            for f in outcome.failed[:20]
        )
        services.audit.record(
            f"{state.store}/stock",
            "stock_write_failed",
            f"{len(outcome.failed)} failed after one retry",
            failed=len(outcome.failed),
            transient=sum(1 for f in outcome.failed if f.transient),
            items=summary[:30000],
        )
        log_event(
            log,
            STOCK_WRITE_FAILED,
            logging.WARNING,
            store=state.store,
            failed=len(outcome.failed),
            products=",".join(str(f.write.product_id) for f in outcome.failed[:50]),
        )


def save_map(
    services: Services, state: StoreSyncState, rows: dict[str, SkuRow], desired: Mapping[str, Desired], checked_at: str
) -> None:
    """The map after a full read: every SKU seen now; SKUs no longer on any product become "not found"."""
    for sku in desired:
        rows.setdefault(sku, SkuRow(sku=sku, checked_at=checked_at))
    for sku, before in state.skus.items():
        if sku not in rows:
            gone = before.found or before.type == CONFLICT
            rows[sku] = SkuRow(sku=sku, checked_at=checked_at) if gone else before
    changed = []
    for sku, row in rows.items():
        before_row = state.skus.get(sku)
        if before_row is None or not before_row.same_place(row):
            changed.append(row)
    state.skus = rows
    services.stock_state.save_skus(state, [row.sku for row in changed])


def save_shown(
    services: Services,
    state: StoreSyncState,
    products: Iterable[Product],
    actual: Mapping[int, Current],
    written_ids: set[int],
) -> None:
    """Remember what Woo showed (where it changed); the written products are recorded with their writes."""
    shown = []
    for product in products:
        now = actual[product.woo_product_id]
        before = state.pushed.get(product.woo_product_id)
        row = PushedRow(
            product.woo_product_id,
            stock=None if now.stock is None else int(now.stock),
            price=now.price,
            manage_stock=now.manage_stock,
            pushed_at=before.pushed_at if before else "",
        )
        state.pushed[row.product_id] = row
        if row.product_id not in written_ids and (before is None or _values(before) != _values(row)):
            shown.append(row)
    services.stock_state.save_pushed(state, [row.product_id for row in shown])


def _values(row: PushedRow) -> tuple[int | None, str | None, bool]:
    return row.stock, row.price, row.manage_stock


def _log_push(report: PushReport) -> None:
    log_event(
        log,
        "stock_pushed",
        store=report.store,
        mode=report.mode,
        considered=report.considered,
        written=report.written,
        batches=report.batches,
        failed=len(report.failed),
    )


def sku_conflicts(services: Services, store: str) -> ConflictReport:
    """The SKU conflicts of one store, read from both catalogues (nothing is written)."""
    catalogue = read_catalogue(services, store, stock=False)
    rows, conflicts = map_products(catalogue.products)
    return ConflictReport(store, conflicts + erp_side_conflicts(rows, catalogue.items, sku_map_of(services, store)))


def record_conflicts(services: Services, report: ConflictReport) -> None:
    if not report.conflicts:
        return
    counts = report.counts()
    sample = "; ".join(c.message for c in report.conflicts[:20])
    services.audit.record(
        f"{report.store}/catalog",
        "sku_conflicts",
        ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items())),
        sample=sample[:30000],
        **{kind: n for kind, n in counts.items()},
    )
    log_event(log, SKU_CONFLICTS, logging.WARNING, store=report.store, **counts)


def reconcile_store(services: Services, store: str, *, stock: bool = True, prices: bool = True) -> PushReport:
    """Compare every SKU with WooCommerce's actual values and correct the differences."""
    settings = services.settings
    prices = prices and erp_owns_prices(services, store)
    report = PushReport(store, "full")
    state = services.stock_state.load(store)
    catalogue = read_catalogue(services, store, stock=stock)
    checked_at = now_iso()
    rows, conflicts = map_products(catalogue.products, checked_at)
    sku_map = sku_map_of(services, store)
    conflicts += erp_side_conflicts(rows, catalogue.items, sku_map)
    report.conflicts = ConflictReport(store, conflicts)
    on_open_orders = open_order_quantities(services, store, catalogue.items, stock=stock)
    desired = desired_values(
        catalogue.items, settings, sku_map, stock=stock, prices=prices, on_open_orders=on_open_orders
    )
    report.considered = len(desired)
    report.not_in_woo = sorted(sku for sku in desired if not (row := rows.get(sku)) or not row.found)
    actual = current_from_products(catalogue.products)
    writes = plan_writes(desired, rows, actual, manage_stock_on=settings.stock_manage_on)
    outcome = send_writes(services.woo(store), writes)

    save_map(services, state, rows, desired, checked_at)
    save_shown(services, state, catalogue.products, actual, {write.product_id for write in outcome.written})
    record_outcome(services, state, report, outcome, considered=set(desired) | state.pending)

    record_conflicts(services, report.conflicts)
    stamps = [item.modified_at for item in catalogue.items if item.modified_at is not None]
    items_mark = max(stamps).isoformat() if stamps else datetime.now(UTC).isoformat()
    items_name, moves_name, full_name = store_watermarks(services, store)
    try:
        services.watermarks.set(items_name, items_mark)
        if stock:
            services.watermarks.set(moves_name, catalogue.cursor)
        services.watermarks.set(full_name, checked_at)
    except WriteConflict:
        log.info("stock watermarks of %s moved by a concurrent run; left as they are", store)
    _log_push(report)
    return report
