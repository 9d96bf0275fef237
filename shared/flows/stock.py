"""ERP → store: available-to-sell stock (and prices, :mod:`shared.flows.prices`), delta-only and batched.

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
the ERP (invariant 4).
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from shared.config import Settings
from shared.erp.port import ErpItem, TransientErpError
from shared.flows.prices import price_differs, woo_price
from shared.flows.services import Services
from shared.http import PermanentHttpError, TransientHttpError
from shared.model import Product
from shared.storage.ledger import now_iso
from shared.storage.stock_state import PushedRow, SkuRow, StoreSyncState
from shared.storage.tables import WriteConflict
from shared.telemetry import SKU_CONFLICTS, STOCK_WRITE_FAILED, log_event
from shared.woo.client import BATCH_LIMIT, WooClient
from shared.woo.mapping import product_stock_from_woo

log = logging.getLogger("connector.stock")
T = TypeVar("T")

ITEMS_OVERLAP = timedelta(minutes=2)  # items modified this long before the watermark are read again
NOT_FOUND_RECHECK = timedelta(hours=1)  # a SKU no product had is looked up again after this
PENDING_LIMIT = 2000  # more failed SKUs than this: keep the old watermarks instead of a pending list
STOCK_TYPES = frozenset({"simple", "variable", "variation"})  # product types with a stock of their own
PRICE_TYPES = frozenset({"simple", "variation", "external"})  # variable and grouped products have no price
CONFLICT = "conflict"  # SkuRow.type of a SKU left out because of a SKU conflict
# Variation lists read at a time by the full reconcile: wc/v3 has no rate limiter, but shared hosts
# answer 429/503 under load, so only a few.
VARIATION_WORKERS = 6


def watermark_names(store: str) -> tuple[str, str, str]:
    """(items modified, stock-moves cursor, last full reconcile) watermark names of one store."""
    return f"stock-items:{store}", f"stock-moves:{store}", f"stock-full:{store}"


# ----------------------------------------------------------------------------------- pure: values


def sku_key(sku: str | None) -> str:
    """A SKU as the stock sync keys it: stripped and upper-case. BC item numbers are Code fields, stored
    upper-case, so Woo's ``blue-mug`` is item ``BLUE-MUG`` (as for orders, ``shared.erp.bc.mapping``)."""
    return (sku or "").strip().upper()


_KEYED: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = {}


def keyed(mapping: Mapping[str, T]) -> dict[str, T]:
    """``mapping`` with its keys as :func:`sku_key` makes them (computed once per settings object)."""
    cached = _KEYED.get(id(mapping))
    if cached is None or cached[0] is not mapping:
        cached = (mapping, {sku_key(key): value for key, value in mapping.items()})
        _KEYED[id(mapping)] = cached
    return cached[1]


def stock_buffer(settings: Settings, sku: str, item_number: str) -> Decimal:
    overrides = keyed(settings.stock_buffer_overrides)
    if sku_key(sku) in overrides:
        return overrides[sku_key(sku)]
    return overrides.get(sku_key(item_number), settings.stock_buffer)


def available_to_sell(quantity: Decimal, buffer: Decimal = Decimal(0)) -> int:
    """ERP quantity − buffer, rounded down to a whole unit, never below zero (Woo wants an integer)."""
    return max(0, math.floor(quantity - buffer))


@dataclass(frozen=True)
class Desired:
    """What one Woo SKU should show, from its ERP item. None: nothing to push for that field."""

    sku: str
    item_number: str
    stock: int | None
    price: str | None


def open_order_quantities(
    services: Services, store: str, items: Iterable[ErpItem], *, stock: bool
) -> dict[str, Decimal]:
    """Units on the store's ERP's open sales orders by item number, when the setting is on and stock is
    pushed for any of ``items`` (one paged ERP read, not one per item); else nothing is subtracted."""
    if not (stock and services.settings.stock_subtract_open_orders and any(i.stock_tracked for i in items)):
        return {}
    return services.erp_of(store).open_order_quantities()


def sku_map_of(services: Services, store: str) -> Mapping[str, str]:
    """Woo SKU → ERP item number where they differ, for the connection the store posts to."""
    return services.settings.connection_of_store(store).sku_map


def woo_skus_by_item(sku_map: Mapping[str, str]) -> dict[str, list[str]]:
    """ERP item number → the Woo SKUs mapped to it (``BC_SKU_MAP`` is Woo SKU → item number), as keys."""
    reverse: dict[str, list[str]] = defaultdict(list)
    for sku, number in keyed(sku_map).items():
        reverse[sku_key(number)].append(sku)
    return reverse


def item_number_of(sku: str, sku_map: Mapping[str, str]) -> str:
    """The ERP item number of a Woo SKU: its mapping, else the SKU itself (upper-case, like BC's)."""
    key = sku_key(sku)
    return sku_key(keyed(sku_map).get(key, key))


def desired_values(
    items: Iterable[ErpItem],
    settings: Settings,
    sku_map: Mapping[str, str],
    *,
    stock: bool = True,
    prices: bool = True,
    on_open_orders: Mapping[str, Decimal] | None = None,
) -> dict[str, Desired]:
    """Desired Woo values by Woo SKU. Stock for stock items only (0 when blocked), less the units on open
    ERP sales orders (``on_open_orders``, by item number); prices above zero."""
    reverse = woo_skus_by_item(sku_map)
    mapped = keyed(sku_map)
    reserved = on_open_orders or {}
    result: dict[str, Desired] = {}
    for item in items:
        number = sku_key(item.number)
        skus = list(reverse.get(number, []))
        if number not in mapped and number not in skus:
            skus.append(number)
        for sku in skus:
            ats: int | None = None
            if stock and item.stock_tracked:
                on_hand = item.inventory - reserved.get(item.number, Decimal(0))
                ats = 0 if item.blocked else available_to_sell(on_hand, stock_buffer(settings, sku, item.number))
            price = woo_price(item.unit_price) if prices else None
            result[sku] = Desired(sku, item.number, ats, price)
    return result


# --------------------------------------------------------------------------- pure: the SKU map


@dataclass(frozen=True)
class SkuConflict:
    kind: str  # duplicate_sku | variation_shares_parent_sku | missing_in_erp | missing_in_woo
    sku: str
    products: tuple[str, ...] = ()  # "#12 ATHENS Desk" for each Woo product concerned
    message: str = ""


@dataclass
class ConflictReport:
    store: str
    conflicts: list[SkuConflict] = field(default_factory=list)
    created_at: str = field(default_factory=now_iso)

    def of_kind(self, kind: str) -> list[SkuConflict]:
        return [c for c in self.conflicts if c.kind == kind]

    def counts(self) -> dict[str, int]:
        return dict(Counter(c.kind for c in self.conflicts))

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "created_at": self.created_at,
            "counts": self.counts(),
            "conflicts": [
                {"kind": c.kind, "sku": c.sku, "products": list(c.products), "message": c.message}
                for c in self.conflicts
            ],
        }


def _label(product: Product) -> str:
    return f"#{product.woo_product_id} {product.name}".strip()


def _manage_text(product: Product) -> str:
    return "parent" if product.manage_stock == "parent" else ("true" if product.manage_stock else "false")


def sku_row(product: Product, checked_at: str = "") -> SkuRow:
    return SkuRow(
        sku=sku_key(product.sku),
        product_id=product.woo_product_id,
        parent_id=product.parent_id or 0,
        type=product.type,
        manage_stock=_manage_text(product),
        name=product.name,
        checked_at=checked_at,
    )


def map_products(products: Sequence[Product], checked_at: str = "") -> tuple[dict[str, SkuRow], list[SkuConflict]]:
    """The SKU map of a set of Woo products and variations, and the Woo-side SKU conflicts.

    A variation whose SKU is its parent's (it has none of its own: Woo shows the parent's) is left out
    and reported; the parent keeps the SKU. Two or more other products with one SKU are all left out
    (the SKU maps to a ``conflict`` row) and reported: writing one stock to both would sell it twice.
    """
    by_id = {p.woo_product_id: p for p in products}
    groups: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        sku = sku_key(product.sku)
        if sku and product.type != "grouped":
            groups[sku].append(product)
    rows: dict[str, SkuRow] = {}
    conflicts: list[SkuConflict] = []
    for sku, group in sorted(groups.items()):
        kept = []
        for product in group:
            parent = by_id.get(product.parent_id) if product.parent_id else None
            if product.is_variation and parent is not None and sku_key(parent.sku) == sku:
                conflicts.append(
                    SkuConflict(
                        "variation_shares_parent_sku",
                        sku,
                        (_label(product), _label(parent)),
                        f"Variation {_label(product)} has no SKU of its own (it shows its parent's '{sku}'); "
                        "give each variation its own SKU.",
                    )
                )
                continue
            kept.append(product)
        if len(kept) == 1:
            rows[sku] = sku_row(kept[0], checked_at)
        elif len(kept) > 1:
            labels = tuple(_label(p) for p in kept)
            conflicts.append(
                SkuConflict(
                    "duplicate_sku",
                    sku,
                    labels,
                    f"SKU '{sku}' is on {len(kept)} WooCommerce products ({', '.join(labels)}); none of them "
                    "gets stock or price until only one has it.",
                )
            )
            rows[sku] = SkuRow(sku=sku, type=CONFLICT, name="; ".join(labels), checked_at=checked_at)
    return rows, conflicts


def erp_side_conflicts(
    rows: Mapping[str, SkuRow], items: Sequence[ErpItem], sku_map: Mapping[str, str]
) -> list[SkuConflict]:
    """Woo SKUs without an ERP item, and ERP items (not blocked) without a Woo product."""
    numbers = {sku_key(item.number) for item in items}
    conflicts = []
    for sku, row in sorted(rows.items()):
        if row.found and row.type != "variable" and item_number_of(sku, sku_map) not in numbers:
            conflicts.append(
                SkuConflict(
                    "missing_in_erp",
                    sku,
                    (f"#{row.product_id} {row.name}".strip(),),
                    f"WooCommerce product #{row.product_id} {row.name} has SKU '{sku}', which is no ERP item.",
                )
            )
    reverse = woo_skus_by_item(sku_map)
    for item in sorted(items, key=lambda i: i.number):
        if item.blocked:
            continue
        skus = reverse.get(sku_key(item.number)) or [sku_key(item.number)]
        if not any(sku in rows for sku in skus):
            conflicts.append(
                SkuConflict(
                    "missing_in_woo",
                    item.number,
                    (),
                    f"ERP item '{item.number}' ({item.display_name}) has no WooCommerce product with its SKU.",
                )
            )
    return conflicts


# ------------------------------------------------------------------------------- pure: planning


@dataclass(frozen=True)
class Current:
    """A product's values as last known: read from WooCommerce (full reconcile) or last written."""

    stock: Decimal | None = None
    price: str | None = None
    manage_stock: bool = False


@dataclass
class Write:
    """One batch item: what to change on one Woo product."""

    product_id: int
    parent_id: int = 0  # > 0: a variation, written through products/{parent}/variations/batch
    stock: int | None = None
    price: str | None = None
    manage_stock_on: bool = False
    skus: tuple[str, ...] = ()

    @property
    def endpoint(self) -> str:
        return f"products/{self.parent_id}/variations" if self.parent_id else "products"

    def payload(self) -> dict[str, Any]:
        """Only the id and the stock/price fields: nothing else is touched."""
        body: dict[str, Any] = {"id": self.product_id}
        if self.manage_stock_on:
            body["manage_stock"] = True
        if self.stock is not None:
            body["stock_quantity"] = self.stock
        if self.price is not None:
            body["regular_price"] = self.price
        return body


def current_from_pushed(pushed: Mapping[int, PushedRow]) -> dict[int, Current]:
    return {
        pid: Current(None if row.stock is None else Decimal(row.stock), row.price, row.manage_stock)
        for pid, row in pushed.items()
    }


def current_from_products(products: Iterable[Product]) -> dict[int, Current]:
    result = {}
    for p in products:
        price = None if p.regular_price is None else format(p.regular_price, "f")
        result[p.woo_product_id] = Current(p.stock_quantity, price, p.manage_stock is True)
    return result


def plan_writes(
    desired: Mapping[str, Desired],
    rows: Mapping[str, SkuRow],
    current: Mapping[int, Current],
    *,
    manage_stock_on: bool = True,
) -> list[Write]:
    """The writes that make WooCommerce show ``desired``, given what it shows (``current``)."""
    stock_targets: dict[int, tuple[int, SkuRow, list[str]]] = {}  # owner id → (stock, row of owner, skus)
    inherited: dict[int, list[tuple[str, int]]] = defaultdict(list)  # parent id → [(sku, ats)]
    price_targets: dict[int, tuple[str, SkuRow, str]] = {}
    for sku, want in sorted(desired.items()):
        row = rows.get(sku)
        if row is None or not row.found:
            continue
        if want.stock is not None and row.type in STOCK_TYPES:
            if row.manage_stock == "parent" and row.parent_id:
                inherited[row.parent_id].append((sku, want.stock))
            else:
                stock_targets[row.product_id] = (want.stock, row, [sku])
        if want.price is not None and row.type in PRICE_TYPES:
            price_targets[row.product_id] = (want.price, row, sku)
    parent_rows = {row.product_id: row for row in rows.values() if row.found and row.type == "variable"}
    for parent_id, members in inherited.items():
        if parent_id in stock_targets:
            continue  # the parent's own SKU is an ERP item: its ATS wins
        parent = parent_rows.get(parent_id) or SkuRow(
            sku="", product_id=parent_id, type="variable", manage_stock="true"
        )
        total = sum(ats for _, ats in members)
        stock_targets[parent_id] = (total, replace(parent, manage_stock="true"), [sku for sku, _ in members])

    writes: dict[int, Write] = {}

    def write_for(row: SkuRow) -> Write:
        parent = row.parent_id if row.type == "variation" else 0
        return writes.setdefault(row.product_id, Write(row.product_id, parent))

    for owner_id, (ats, row, skus) in stock_targets.items():
        now = current.get(owner_id, Current())
        needs_manage = row.manage_stock == "false" and not now.manage_stock
        if needs_manage and not manage_stock_on:
            continue  # Woo would ignore the write (facts §2.6)
        if needs_manage or now.stock is None or now.stock != ats:
            write = write_for(replace(row, product_id=owner_id))
            write.stock = ats
            write.manage_stock_on = needs_manage
            write.skus = tuple(sorted({*write.skus, *skus}))
    for product_id, (price, row, sku) in price_targets.items():
        now = current.get(product_id, Current())
        if price_differs(price, now.price):
            write = write_for(row)
            write.price = price
            write.skus = tuple(sorted({*write.skus, sku}))
    return sorted(writes.values(), key=lambda w: (w.endpoint, w.product_id))


def chunked(writes: Sequence[Write], size: int = BATCH_LIMIT) -> list[tuple[str, list[Write]]]:
    """(endpoint, ≤ size writes) batches: grouped by endpoint (one group per variable parent)."""
    groups: dict[str, list[Write]] = defaultdict(list)
    for write in writes:
        groups[write.endpoint].append(write)
    batches: list[tuple[str, list[Write]]] = []
    for endpoint in sorted(groups):
        group = groups[endpoint]
        batches.extend((endpoint, group[start : start + size]) for start in range(0, len(group), size))
    return batches


# ------------------------------------------------------------------------------ writing to Woo


@dataclass(frozen=True)
class FailedWrite:
    write: Write
    code: str
    message: str
    transient: bool


@dataclass
class WriteOutcome:
    written: list[Write] = field(default_factory=list)
    failed: list[FailedWrite] = field(default_factory=list)
    batch_calls: Counter[str] = field(default_factory=Counter)
    retried: int = 0


def _item_error(item: Mapping[str, Any]) -> tuple[str, str, bool] | None:
    error = item.get("error")
    if not isinstance(error, Mapping):
        return None
    data = error.get("data") if isinstance(error.get("data"), Mapping) else {}
    status = data.get("status") if isinstance(data, Mapping) else None
    transient = not isinstance(status, int) or status >= 500 or status in (408, 429)
    return str(error.get("code") or "error"), str(error.get("message") or ""), transient


def send_batch(woo: WooClient, endpoint: str, writes: list[Write]) -> tuple[list[Write], list[FailedWrite]]:
    """One batch call; per-item errors (inside the HTTP 200) and missing items become failures."""
    try:
        answer = woo.batch(endpoint, update=[w.payload() for w in writes])
    except TransientHttpError as exc:
        return [], [FailedWrite(w, f"http_{exc.status or 'error'}", str(exc), True) for w in writes]
    except PermanentHttpError as exc:
        return [], [FailedWrite(w, f"http_{exc.status}", str(exc), False) for w in writes]
    by_id: dict[int, Mapping[str, Any]] = {}
    for item in answer.get("update") or []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), int):
            by_id[item["id"]] = item
    done, failed = [], []
    for write in writes:
        item = by_id.get(write.product_id)
        if item is None:
            failed.append(FailedWrite(write, "missing_in_answer", "the batch answer has no entry for it", True))
            continue
        error = _item_error(item)
        if error is not None:
            failed.append(FailedWrite(write, *error))
            continue
        if write.stock is not None and item.get("stock_quantity") is not None:
            shown = Decimal(str(item["stock_quantity"]))
            if shown != write.stock:
                log.warning("product %s shows stock %s after writing %s", write.product_id, shown, write.stock)
        elif write.stock is not None:
            log.warning("product %s ignored the stock write: is stock management on in the store?", write.product_id)
        done.append(write)
    return done, failed


def send_writes(woo: WooClient, writes: Sequence[Write]) -> WriteOutcome:
    """Send every write in batches of ≤ 100 per endpoint; failed items are retried once."""
    outcome = WriteOutcome()
    failed: list[FailedWrite] = []
    for endpoint, batch in chunked(writes):
        outcome.batch_calls[endpoint] += 1
        done, lost = send_batch(woo, endpoint, batch)
        outcome.written += done
        failed += lost
    if failed:
        outcome.retried = len(failed)
        for endpoint, batch in chunked([f.write for f in failed]):
            outcome.batch_calls[endpoint] += 1
            done, lost = send_batch(woo, endpoint, batch)
            outcome.written += done
            outcome.failed += lost
    return outcome


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
    items_mark_name, moves_mark_name, _ = watermark_names(store)
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


# ------------------------------------------------------------------------------ full reconcile


@dataclass
class Catalogue:
    """Both sides, read whole: the ERP items and the Woo products and variations."""

    items: list[ErpItem]
    products: list[Product]
    cursor: str  # the stock-moves cursor taken before the items were read


def read_catalogue(services: Services, store: str, *, stock: bool = True) -> Catalogue:
    erp = services.erp_of(store)
    cursor = erp.stock_cursor() if stock else "0"
    items = erp.catalog_items()
    return Catalogue(items, woo_catalogue(services.woo(store)), cursor)


def woo_catalogue(woo: WooClient) -> list[Product]:
    """Every product, each variable one followed by its variations.

    The variations are read by a pool (``VARIATION_WORKERS`` at a time) while the product pages are
    read, and put back in product order. The first error (in that order) is raised; the variation
    reads not started yet are cancelled.
    """
    pool = ThreadPoolExecutor(max_workers=VARIATION_WORKERS, thread_name_prefix="variations")
    try:
        listed: list[tuple[Product, Future[list[Product]] | None]] = []
        for raw in woo.list_products():
            product = product_stock_from_woo(raw)
            variations = pool.submit(_variations, woo, product.woo_product_id) if product.type == "variable" else None
            listed.append((product, variations))
        products: list[Product] = []
        for product, variations in listed:
            products.append(product)
            if variations is not None:
                products += variations.result()
        return products
    finally:
        pool.shutdown(cancel_futures=True)


def _variations(woo: WooClient, parent_id: int) -> list[Product]:
    return [product_stock_from_woo(v, parent_id=parent_id) for v in woo.list_variations(parent_id)]


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
    items_name, moves_name, full_name = watermark_names(store)
    try:
        services.watermarks.set(items_name, items_mark)
        if stock:
            services.watermarks.set(moves_name, catalogue.cursor)
        services.watermarks.set(full_name, checked_at)
    except WriteConflict:
        log.info("stock watermarks of %s moved by a concurrent run; left as they are", store)
    _log_push(report)
    return report
