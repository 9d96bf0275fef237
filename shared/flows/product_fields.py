"""The two-way product sync: item names and prices between an ERP and a store, each field in its direction.

Only for connections where the merchant set a field's direction to ``woo`` or ``both`` (GP:
``ERPS__<id>__NAME_DIRECTION`` / ``__PRICE_DIRECTION``); elsewhere the ERP is master (invariant 4) and
nothing here runs: prices go ERP → store with stock (:mod:`shared.flows.stock`), names stay the store's.
A price made two-way is this flow's alone (the stock push leaves it, :func:`~shared.flows.stock.erp_owns_prices`).
Quantities never come here: they flow ERP → store only.

One run per store (on the stock timer, after the stock push):
1. Read both catalogues whole (the ERP items, the Woo products; GP's adapter reads every item for its stock
   cursor anyway) and pair them by SKU as the stock push does (a SKU on two products is left out).
2. For each pair and two-way field, compare both sides with the values they had when last in step (the
   snapshot, table ``productfields``) and decide (:mod:`shared.flows.product_fields_plan`, pure): write the
   store, write the ERP (through the port's optional :class:`~shared.erp.port.ItemFieldWrites`), refresh the
   snapshot, or report a conflict.
3. A conflict (both sides changed since the last sync) overwrites nothing: it is kept in the table (``connector
   conflicts``, ``connector status``), written to the audit trail and logged as ``product_field_conflict``
   once per change of values, and ends when the two sides agree again.
4. Writes that fail leave the snapshot as it was, so the next run tries again; after a transient ERP failure
   the run writes nothing more to the ERP. ERP writes and their failures are audited (subject
   ``product:<connection>/<item>``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from shared.config import two_way_fields
from shared.erp.port import ErpError, ErpItem, ItemFieldWrites, TransientErpError, item_field_writer
from shared.flows.catalogue import woo_catalogue
from shared.flows.product_fields_plan import Action, Synced, decide, name_value, price_value
from shared.flows.services import Services
from shared.flows.stock_plan import CONFLICT, item_number_of, map_products, sku_key
from shared.http import TransientHttpError
from shared.model import Product
from shared.storage.product_fields import FieldConflict
from shared.telemetry import PRODUCT_FIELD_CONFLICT, log_event
from shared.woo.batch_writer import Write, send_writes

log = logging.getLogger("connector.product_fields")


@dataclass
class FieldSyncReport:
    store: str
    connection: str
    pairs: int = 0  # (ERP item, Woo product) pairs looked at
    in_step: int = 0  # fields equal on both sides
    to_woo: list[str] = field(default_factory=list)  # "<item> <field>" written to the store
    to_erp: list[str] = field(default_factory=list)  # "<item> <field>" written to the ERP
    conflicts: list[FieldConflict] = field(default_factory=list)  # standing after this run
    failed: list[str] = field(default_factory=list)  # "<item> <field>: why"


def sync_product_fields(services: Services, store: str | None = None) -> list[FieldSyncReport]:
    """The two-way sync for one store or every store whose connection has a two-way field."""
    settings = services.settings
    stores = [store.lower()] if store else list(settings.woo_stores)
    reports: list[FieldSyncReport] = []
    failure: Exception | None = None
    for store_id in stores:
        if not two_way_fields(settings.connection_of_store(store_id)):
            continue
        try:
            reports.append(sync_store(services, store_id))
        except (TransientHttpError, TransientErpError) as exc:  # one store's outage does not stop the others
            log.warning("product sync for store %s failed transiently (the next run tries again): %s", store_id, exc)
            failure = exc
    if failure is not None and not reports:
        raise failure
    return reports


@dataclass
class _Pair:
    item: ErpItem
    product: Product
    values: dict[str, tuple[str | None, str | None]]  # field → (ERP value, store value)


@dataclass
class _WooWrite:
    write: Write
    number: str
    before: dict[str, tuple[str, str]]  # the item's snapshot as read
    after: dict[str, tuple[str, str]]  # ... with this run's ERP writes and in-step fields
    values: dict[str, str]  # field → what the write sets in the store


def sync_store(services: Services, store: str) -> FieldSyncReport:
    settings = services.settings
    connection_id = settings.connection_of(store)
    fields = two_way_fields(settings.connection(connection_id))
    report = FieldSyncReport(store, connection_id)
    if not fields:
        return report
    erp = services.erp_of(store)
    writer = item_field_writer(erp)
    if writer is None:  # start-up refuses this (shared.config); kept honest if it ever gets here
        report.failed.append(f"connection {connection_id} cannot write item fields to its ERP")
        log.error("product sync: connection %s cannot write item fields; nothing synced", connection_id)
        return report
    pairs = _pairs(services, store, connection_id, erp.catalog_items())
    report.pairs = len(pairs)
    table = services.product_fields
    snapshots = table.snapshots(connection_id, store)
    standing = {(c.item, c.field): c for c in table.conflicts(connection_id) if c.store == store}
    now = datetime.now(UTC).isoformat()
    woo_writes: list[_WooWrite] = []
    erp_down = False  # a transient failure: the rest of the run writes nothing more to the ERP

    for pair in pairs:
        number = pair.item.number
        before = snapshots.get(number, {})
        after = dict(before)
        to_woo: dict[str, str] = {}
        to_erp: dict[str, str] = {}
        for name, direction in fields.items():
            erp_value, woo_value = pair.values[name]
            last = Synced(*before[name]) if name in before else None
            decision = decide(direction, last, erp_value, woo_value)
            if decision.action == Action.CONFLICT:
                assert erp_value is not None and woo_value is not None
                report.conflicts.append(
                    _conflict(services, standing.pop((number, name), None), store, connection_id, pair, name, last, now)
                )
                continue
            if decision.action == Action.SKIP:
                continue
            if (number, name) in standing:
                _resolved(services, standing.pop((number, name)))
            if decision.action == Action.IN_STEP:
                assert erp_value is not None and woo_value is not None
                after[name] = (erp_value, woo_value)
                report.in_step += 1
            elif decision.action == Action.TO_WOO:
                assert decision.value is not None
                to_woo[name] = decision.value
            else:
                assert decision.value is not None
                to_erp[name] = decision.value
        if to_erp and erp_down:
            report.failed += [f"{number} {name}: not tried, the ERP is unavailable" for name in to_erp]
        elif to_erp:
            erp_down = not _write_to_erp(services, writer, report, store, connection_id, pair, to_erp, after)
        if to_woo:
            write = Write(
                pair.product.woo_product_id,
                parent_id=pair.product.parent_id or 0,
                price=to_woo.get("price"),
                name=to_woo.get("name"),
                skus=(sku_key(pair.product.sku),),
            )
            woo_writes.append(_WooWrite(write, number, before, after, to_woo))
        elif after != before:
            table.save_snapshot(connection_id, store, number, after, now)

    if woo_writes:
        outcome = send_writes(services.woo(store), [pending.write for pending in woo_writes])
        written = {id(write) for write in outcome.written}
        for pending in woo_writes:
            after = pending.after
            if id(pending.write) in written:
                after = {**after, **{name: (value, value) for name, value in pending.values.items()}}
                report.to_woo += [f"{pending.number} {name}" for name in pending.values]
            else:
                report.failed += [f"{pending.number} {name}: the store refused the write" for name in pending.values]
            if after != pending.before:
                table.save_snapshot(connection_id, store, pending.number, after, now)
    for stale in standing.values():  # the pair is gone (item or product deleted, SKU changed)
        _resolved(services, stale)
    if report.to_woo or report.to_erp or report.failed:
        log.info(
            "product sync store=%s to_woo=%d to_erp=%d conflicts=%d failed=%d",
            store,
            len(report.to_woo),
            len(report.to_erp),
            len(report.conflicts),
            len(report.failed),
        )
    return report


def _write_to_erp(
    services: Services,
    writer: ItemFieldWrites,
    report: FieldSyncReport,
    store: str,
    connection_id: str,
    pair: _Pair,
    to_erp: dict[str, str],
    after: dict[str, tuple[str, str]],
) -> bool:
    """Write the fields to the ERP item, audited; ``after`` takes them when it worked. False: the ERP is down."""
    number = pair.item.number
    subject = f"product:{connection_id}/{number}"
    fields = ",".join(sorted(to_erp))
    try:
        writer.write_item_fields(number, name=to_erp.get("name"), unit_price=_decimal(to_erp.get("price")))
    except ErpError as exc:  # the snapshot stays: the next run sees the same change and tries again
        transient = isinstance(exc, TransientErpError)
        report.failed += [f"{number} {name}: {exc.message}" for name in to_erp]
        log.warning("product sync: writing %s to item %s failed: %s", fields, number, exc.message)
        services.audit.record(
            subject,
            "product_sync",
            "erp_update_failed",
            store=store,
            fields=fields,
            error=exc.message[:500],
            transient=transient,
        )
        return not transient
    for name, value in to_erp.items():
        after[name] = (value, value)
        report.to_erp.append(f"{number} {name}")
    services.audit.record(
        subject,
        "product_sync",
        "erp_updated",
        store=store,
        fields=fields,
        **{f"{name}_was": pair.values[name][0] or "" for name in to_erp},
        **{f"{name}_now": value for name, value in to_erp.items()},
    )
    return True


def _pairs(services: Services, store: str, connection_id: str, items: list[ErpItem]) -> list[_Pair]:
    """Each ERP item with the one Woo product that has its SKU (variations carry no name of their own)."""
    products = woo_catalogue(services.woo(store))
    by_id = {product.woo_product_id: product for product in products}
    rows, _ = map_products(products)
    by_number = {sku_key(item.number): item for item in items if not item.blocked}
    sku_map = services.sku_map(connection_id)
    pairs = []
    for sku, row in sorted(rows.items()):
        if row.type == CONFLICT or not row.found:
            continue
        item = by_number.get(item_number_of(sku, sku_map))
        product = by_id.get(row.product_id)
        if item is None or product is None:
            continue
        woo_name = None if product.is_variation else name_value(product.name)
        values = {
            "name": (name_value(item.display_name), woo_name),
            "price": (price_value(item.unit_price), price_value(product.regular_price)),
        }
        pairs.append(_Pair(item, product, values))
    return pairs


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _conflict(
    services: Services,
    standing: FieldConflict | None,
    store: str,
    connection_id: str,
    pair: _Pair,
    name: str,
    last: Synced | None,
    now: str,
) -> FieldConflict:
    """Keep the conflict; audit and log it when it is new or its values moved on."""
    erp_value, woo_value = pair.values[name]
    conflict = FieldConflict(
        connection=connection_id,
        item=pair.item.number,
        field=name,
        store=store,
        product_id=pair.product.woo_product_id,
        erp_value=erp_value or "",
        woo_value=woo_value or "",
        erp_before=last.erp if last else "",
        woo_before=last.woo if last else "",
        since=standing.since if standing else now,
    )
    if standing is not None and (standing.erp_value, standing.woo_value) == (conflict.erp_value, conflict.woo_value):
        return standing
    services.product_fields.record_conflict(conflict)
    services.audit.record(
        f"product:{connection_id}/{pair.item.number}",
        "product_sync",
        "conflict",
        store=store,
        field=name,
        product_id=pair.product.woo_product_id,
        erp_before=conflict.erp_before,
        erp_now=conflict.erp_value,
        woo_before=conflict.woo_before,
        woo_now=conflict.woo_value,
    )
    log_event(
        log,
        PRODUCT_FIELD_CONFLICT,
        logging.WARNING,
        store=store,
        connection=connection_id,
        item=pair.item.number,
        field=name,
    )
    return conflict


def _resolved(services: Services, conflict: FieldConflict) -> None:
    services.product_fields.clear_conflict(conflict)
    services.audit.record(
        f"product:{conflict.connection}/{conflict.item}",
        "product_sync",
        "conflict_resolved",
        store=conflict.store,
        field=conflict.field,
    )
