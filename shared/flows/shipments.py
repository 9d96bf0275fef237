"""ERP → store: posted shipments and tracking go back to the WooCommerce order.

Each run (timer ``push_shipments``) reads the ERP shipments modified since the watermark (minus
``SHIPMENT_OVERLAP_MINUTES``; BC: ``salesShipments`` plus the custom tracking API when
``BC_TRACKING_API`` is set) and, for each one:

1. Matches it to a Woo order through the ledger: the shipment's external document number is the
   store's document prefix and the Woo order number (the ledger is keyed by store and order id; the
   number is tried as the id first, then looked up; stores without prefixes are told apart by the ERP
   order number).
2. Claims it in the shipments table (insert: a concurrent run gets a conflict), so it is applied once.
3. Reads the order. A cancelled, refunded or failed order is not touched: the shipment is recorded as
   skipped and reported (``shipment_not_applied``) for a person.
4. One PUT: status ``SHIPMENT_ORDER_STATUS`` (``completed``) unless the shipment is partial, plus the
   tracking meta for tracking plugins (``SHIPMENT_TRACKING_META``):
   - ``shipment_tracking`` (default): ``_wc_shipment_tracking_items``, the list the WooCommerce Shipment
     Tracking extension keeps (and other plugins and marketplaces read), one entry per shipment with
     ``custom_tracking_provider`` = carrier, ``custom_tracking_link`` = tracking URL, ``tracking_number``,
     ``date_shipped`` (Unix time) and ``tracking_id`` (stable per ERP shipment, so never twice);
   - ``simple``: ``_tracking_number``, ``_tracking_provider``, ``_tracking_url`` of the latest shipment;
   - ``none``.
5. One customer note (WooCommerce e-mails it) with the carrier, tracking number and link; a partial
   shipment lists what shipped. The note names the ERP shipment number, so a retry after a crash looks
   for it before writing it again.

A tracking number added to a shipment after it was applied (BC "Update Document") adds one more note
and updates the meta. Our own status change comes back as ``order.updated``: the order flow sees the
same business content (the fingerprint treats ``completed`` like ``processing``) and does nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from shared.config import Settings
from shared.erp.port import TransientErpError
from shared.flows.services import Services
from shared.http import HttpError, PermanentHttpError, TransientHttpError
from shared.model import Shipment
from shared.storage.ledger import LedgerEntry, OrderState, now_iso
from shared.storage.shipments import ShipmentRecord, ShipmentState
from shared.storage.tables import WriteConflict
from shared.telemetry import SHIPMENT_NOT_APPLIED, log_event

log = logging.getLogger("connector.shipments")

WATERMARK = "shipments:{erp}"
FIRST_RUN_LOOKBACK = timedelta(hours=24)
CLOSED_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})
TRACKING_ITEMS_KEY = "_wc_shipment_tracking_items"


# ------------------------------------------------------------------------------------------ pure


def tracking_note(shipment: Shipment) -> str:
    """The customer note for one shipment (plain text; WooCommerce e-mails it to the buyer)."""
    if shipment.partial:
        shipped = ", ".join(f"{_quantity(line.quantity)} × {line.description or line.sku}" for line in shipment.lines)
        text = f"Part of your order has shipped: {_sentence(shipped)}" if shipped else "Part of your order has shipped."
    else:
        text = "Your order has shipped."
    if shipment.carrier:
        text += f" Carrier: {_sentence(shipment.carrier)}"
    if shipment.tracking_number:
        text += f" Tracking number: {shipment.tracking_number}."
    if shipment.tracking_url:
        text += f" Track your parcel: {shipment.tracking_url}"
    return f"{text} (shipment {shipment.erp_shipment_number})"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def tracking_update_note(shipment: Shipment) -> str:
    text = f"Tracking for your shipment {shipment.erp_shipment_number}:"
    if shipment.carrier:
        text += f" {shipment.carrier},"
    text += f" tracking number {shipment.tracking_number}."
    if shipment.tracking_url:
        text += f" Track your parcel: {shipment.tracking_url}"
    return text


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def tracking_id(shipment: Shipment) -> str:
    return hashlib.md5(f"erp-shipment:{shipment.erp_shipment_number}".encode(), usedforsecurity=False).hexdigest()


def _shipped_at(shipment: Shipment) -> str:
    day = shipment.posting_date or datetime.now(UTC).date()
    return str(int(datetime.combine(day, time(12), tzinfo=UTC).timestamp()))


def tracking_meta(order_meta: Sequence[Mapping[str, Any]], shipment: Shipment, style: str) -> list[dict[str, Any]]:
    """The order meta_data entries to write for ``shipment`` (none without a tracking number)."""
    if style == "none" or not shipment.tracking_number:
        return []
    if style == "simple":
        return [
            {"key": "_tracking_number", "value": shipment.tracking_number},
            {"key": "_tracking_provider", "value": shipment.carrier},
            {"key": "_tracking_url", "value": shipment.tracking_url},
        ]
    existing: list[dict[str, Any]] = []
    for entry in order_meta:
        if entry.get("key") == TRACKING_ITEMS_KEY and isinstance(entry.get("value"), list):
            existing = [dict(item) for item in entry["value"] if isinstance(item, Mapping)]
            break
    wanted = tracking_id(shipment)
    item = {
        "tracking_provider": "",
        "custom_tracking_provider": shipment.carrier,
        "custom_tracking_link": shipment.tracking_url,
        "tracking_number": shipment.tracking_number,
        "date_shipped": _shipped_at(shipment),
        "tracking_id": wanted,
    }
    kept = [entry for entry in existing if entry.get("tracking_id") != wanted]
    return [{"key": TRACKING_ITEMS_KEY, "value": [*kept, item]}]


def _meta(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    meta = order.get("meta_data")
    return [entry for entry in meta if isinstance(entry, Mapping)] if isinstance(meta, list) else []


def order_changes(order: Mapping[str, Any], shipment: Shipment, settings: Settings) -> dict[str, Any]:
    """The PUT body for the order: status (when fully shipped) and tracking meta; {} when nothing changes."""
    changes: dict[str, Any] = {}
    status = settings.shipment_order_status
    if not shipment.partial and status and order.get("status") != status:
        changes["status"] = status
    entries = tracking_meta(_meta(order), shipment, settings.shipment_tracking_meta)
    if entries:
        changes["meta_data"] = entries
    return changes


# ------------------------------------------------------------------------------------ the flow


@dataclass
class ShipmentReport:
    read: int = 0
    applied: list[str] = field(default_factory=list)  # shipment numbers
    tracking_updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # order closed in Woo: a person decides
    unmatched: list[str] = field(default_factory=list)  # no Woo order in the ledger (not ours)
    failed: list[str] = field(default_factory=list)  # transient: the next run tries again


def push_shipments(services: Services, since: datetime | None = None) -> ShipmentReport:
    """The timer: apply each ERP connection's shipments modified since its watermark (``since`` overrides it)."""
    report = ShipmentReport()
    if not services.settings.shipment_sync:
        return report
    for connection in services.settings.connections():
        if services.settings.stores_of(connection):
            push_connection_shipments(services, connection, since, report)
    log_event(
        log,
        "shipments_pushed",
        read=report.read,
        applied=len(report.applied),
        tracking_updated=len(report.tracking_updated),
        skipped=len(report.skipped),
        failed=len(report.failed),
    )
    return report


def push_connection_shipments(
    services: Services, connection: str, since: datetime | None, report: ShipmentReport
) -> None:
    """One connection's shipments since its watermark, each applied to its Woo order once."""
    name = WATERMARK.format(erp=connection)
    mark = services.watermarks.get(name)
    if since is None:
        overlap = timedelta(minutes=services.settings.shipment_overlap_minutes)
        since = datetime.fromisoformat(mark) - overlap if mark else datetime.now(UTC) - FIRST_RUN_LOOKBACK
    shipments = services.erp_for(connection).list_shipments_since(since)
    report.read += len(shipments)
    oldest_failure: datetime | None = None
    for shipment in shipments:
        try:
            apply_shipment(services, connection, shipment, report)
        except (TransientHttpError, TransientErpError, WriteConflict) as exc:
            log.warning("shipment %s not applied yet: %s", shipment.erp_shipment_number, exc)
            report.failed.append(shipment.erp_shipment_number)
            if shipment.modified_at is not None:
                oldest_failure = min(oldest_failure or shipment.modified_at, shipment.modified_at)
    stamps = [s.modified_at for s in shipments if s.modified_at is not None]
    if stamps:
        new_mark = max(stamps) if oldest_failure is None else oldest_failure - timedelta(milliseconds=1)
        if mark is None or new_mark > datetime.fromisoformat(mark):
            try:
                services.watermarks.set(name, new_mark.isoformat())
            except WriteConflict:
                log.info("shipment watermark of %s moved by a concurrent run; left as it is", connection)


def find_order_entry(services: Services, shipment: Shipment, connection: str | None = None) -> LedgerEntry | None:
    """The ledger entry of the Woo order the shipment is for: its external number is the store's prefix
    and the Woo order number (entries posted before prefixes carry none: the bare number matches)."""
    number = shipment.order_number.strip()
    if not number:
        return None
    stores = services.settings.stores_of(connection) if connection else list(services.settings.woo_stores)
    candidates: list[LedgerEntry] = []
    for store in stores:
        prefix = services.settings.store(store).document_prefix
        rest = number[len(prefix) :] if number.upper().startswith(prefix.upper()) else ""
        if rest.isdigit():
            entry = services.ledger.get(store, int(rest))
            if entry is not None and (entry.external_number or entry.order_number) == number:
                candidates.append(entry)
    if not candidates:
        for field in ("external_number", "order_number"):
            rows = services.ledger.table.query(f"{field} eq @number", number=number)
            candidates = [entry for entry in map(LedgerEntry.from_row, rows) if entry.store in stores]
            candidates = [entry for entry in candidates if (entry.external_number or entry.order_number) == number]
            if candidates:
                break
    posted = [e for e in candidates if e.state == OrderState.POSTED] or candidates
    if len(posted) > 1 and shipment.erp_order_number:
        posted = [e for e in posted if e.document_number == shipment.erp_order_number] or posted
    return posted[0] if posted else None


def apply_shipment(services: Services, connection: str, shipment: Shipment, report: ShipmentReport) -> None:
    erp = connection  # the shipments table is partitioned by ERP connection
    record = services.shipment_log.get(erp, shipment.erp_shipment_number)
    if record is not None and record.state == ShipmentState.APPLIED:
        if shipment.tracking_number and shipment.tracking_number != record.tracking_number:
            update_tracking(services, record, shipment, report)
        return
    if record is not None and record.state == ShipmentState.SKIPPED:
        return
    if record is not None and record.claimed_at:
        age = datetime.now(UTC) - datetime.fromisoformat(record.claimed_at)
        if age < timedelta(seconds=services.settings.claim_timeout_seconds):
            return  # another run is applying it right now
    entry = find_order_entry(services, shipment, connection)
    if entry is None:
        report.unmatched.append(shipment.erp_shipment_number)
        return
    retry = record is not None  # an earlier attempt may have written to the order
    record = record or ShipmentRecord(erp, shipment.erp_shipment_number)
    record.store, record.order_id, record.order_number = entry.store, entry.order_id, entry.order_number
    record.erp_order_number = shipment.erp_order_number
    record.partial, record.carrier, record.tracking_number = (
        shipment.partial,
        shipment.carrier,
        shipment.tracking_number,
    )
    record.state = ShipmentState.APPLYING
    try:
        services.shipment_log.claim(record)
    except WriteConflict:
        return  # a concurrent run claimed it first
    try:
        write_to_order(services, record, shipment, retry=retry, report=report)
    except (TransientHttpError, TransientErpError):
        record.claimed_at = ""  # let the next run take it over at once
        with contextlib.suppress(WriteConflict):
            services.shipment_log.save(record)
        raise
    except PermanentHttpError as exc:  # e.g. the order was deleted in WooCommerce
        record.state, record.outcome = ShipmentState.SKIPPED, f"WooCommerce refused: {exc}"[:500]
        with contextlib.suppress(WriteConflict):
            services.shipment_log.save(record)
        report.skipped.append(shipment.erp_shipment_number)
        subject = f"{record.store}/{record.order_id}"
        services.audit.record(
            subject, "shipment", "not applied", shipment=shipment.erp_shipment_number, reason=record.outcome
        )
        log_event(
            log, SHIPMENT_NOT_APPLIED, logging.WARNING, store=record.store, order=record.order_id, status=exc.status
        )


def write_to_order(
    services: Services, record: ShipmentRecord, shipment: Shipment, *, retry: bool, report: ShipmentReport
) -> None:
    settings = services.settings
    woo = services.woo(record.store)
    subject = f"{record.store}/{record.order_id}"
    order = woo.get_order(record.order_id)
    status = str(order.get("status") or "")
    if status in CLOSED_STATUSES:
        record.state, record.outcome = ShipmentState.SKIPPED, f"order is {status} in WooCommerce"
        services.shipment_log.save(record)
        report.skipped.append(shipment.erp_shipment_number)
        services.audit.record(
            subject, "shipment", "not applied", shipment=shipment.erp_shipment_number, reason=record.outcome
        )
        log_event(log, SHIPMENT_NOT_APPLIED, logging.WARNING, store=record.store, order=record.order_id, status=status)
        return
    if not record.status_set:
        changes = order_changes(order, shipment, settings)
        if changes:
            woo.update_order(record.order_id, changes)
        record.status_set = True
        services.shipment_log.save(record)
    if settings.shipment_customer_note and not record.note_added:
        note = tracking_note(shipment)
        if not (retry and note_exists(services, record, shipment)):
            woo.add_order_note(record.order_id, note, customer_note=True)
        record.note_added = True
    record.state, record.applied_at = ShipmentState.APPLIED, now_iso()
    record.outcome = "partial" if shipment.partial else "completed"
    record.claimed_at = ""
    services.shipment_log.save(record)
    report.applied.append(shipment.erp_shipment_number)
    services.audit.record(
        subject,
        "shipment",
        record.outcome,
        shipment=shipment.erp_shipment_number,
        carrier=shipment.carrier,
        tracking=shipment.tracking_number,
    )


def note_exists(services: Services, record: ShipmentRecord, shipment: Shipment) -> bool:
    """After a crash between the note and the record: is the note for this shipment already there?"""
    marker = f"(shipment {shipment.erp_shipment_number})"
    try:
        notes = services.woo(record.store).list_order_notes(record.order_id)
    except HttpError:
        return False
    return any(marker in str(note.get("note") or "") for note in notes)


def update_tracking(services: Services, record: ShipmentRecord, shipment: Shipment, report: ShipmentReport) -> None:
    """A tracking number added (or changed) after the shipment was applied: one more note, new meta."""
    previous = record.tracking_number
    record.tracking_number, record.carrier = shipment.tracking_number, shipment.carrier
    try:
        services.shipment_log.save(record)  # claim the update (ETag): a concurrent run gets a conflict
    except WriteConflict:
        return
    woo = services.woo(record.store)
    try:
        order = woo.get_order(record.order_id)
        entries = tracking_meta(_meta(order), shipment, services.settings.shipment_tracking_meta)
        if entries:
            woo.update_order(record.order_id, {"meta_data": entries})
        if services.settings.shipment_customer_note:
            woo.add_order_note(record.order_id, tracking_update_note(shipment), customer_note=True)
    except HttpError as exc:
        record.tracking_number = previous  # the next run tries again
        with contextlib.suppress(WriteConflict):
            services.shipment_log.save(record)
        if isinstance(exc, PermanentHttpError):
            log.warning("tracking update of shipment %s refused: %s", shipment.erp_shipment_number, exc)
            return
        raise
    report.tracking_updated.append(shipment.erp_shipment_number)
    services.audit.record(
        f"{record.store}/{record.order_id}",
        "shipment",
        "tracking updated",
        shipment=shipment.erp_shipment_number,
        tracking=shipment.tracking_number,
    )
