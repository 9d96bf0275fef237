"""Daily reconciliation: WooCommerce against the ERP, and what is stuck, as an exception report.

For one UTC day (the timer runs at 02:30 for the day before):
1. **Orders created that day** (all pages, `dates_are_gmt` with naive GMT bounds, facts woocommerce.md
   §2.3): every paid order must have exactly one ERP sales order or invoice whose external document
   number is the order number, with the same total (within `TOTAL_TOLERANCE`). The ERP is asked, not
   the ledger. Its documents dated the day before to the day after are listed once into a compact index
   (external document number → total); orders the index does not have are looked up by number (one
   `$batch` per page of 100), and full documents are read again only for the exceptions. Held orders
   are not "missing": they are listed as held.
2. **Refunds made that day** (the top-level `GET /refunds` where the store has it, else each refunded
   order's refunds: WooCommerce 8.x has no top-level route, facts §2.5): each must have its credit memo
   `<order number>-R<refund id>`;
   and each credit memo of the day must total what its refund returned (`shared.flows.credit_memo_check`).
3. **Held orders** (all of them, whatever day) with how long they have waited.
4. **Poison messages** in `<queue>-poison` for every queue, with the order each one names.
5. **Stock drift**: Woo `stock_quantity` against the ERP's available-to-sell for every product and
   variation that manages its own stock (ATS as the stock push computes it, `shared.flows.stock`).

It streams: WooCommerce pages of 100 orders are checked a few at a time (the ERP connection's
concurrency limit less two pages in flight), each page is dropped once checked, and exception rows go
to a spooled temporary file; what stays in
memory is the index (an int per ERP document). The CSV (every row) and an HTML page (summary, a chart
by kind, the first rows) are written to `reports/reconciliation/{day}.csv|.html`, and one summary event
is logged. A part that cannot read WooCommerce or the ERP becomes a `check_failed` row rather than an
exception that loses the rest.
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from azure.core.exceptions import AzureError, ResourceExistsError

from shared.erp.port import DocumentKind, ErpDocument, ErpError
from shared.flows.credit_memo_check import check_credit_memo_totals
from shared.flows.day_totals import ORDER_TOTAL_FIELDS, DayTotals
from shared.flows.paging import batches, in_order, prefetched
from shared.flows.poison import list_poison
from shared.flows.reconcile_classify import (
    attention_exception,
    classify_order,
    classify_refund,
    classify_stock,
    created_on,
    day_bounds,
    expected_stock,
    explained_by_lag,
    failed_check,
    held_exception,
    order_number,
    plain,
    poison_exception,
)
from shared.flows.report import (
    ExceptionKind,
    ReconciliationException,
    Report,
    render_html,
    write_csv_header,
    write_csv_rows,
)
from shared.flows.services import Services
from shared.flows.status import held_orders, needing_attention
from shared.flows.stock import open_order_quantities
from shared.flows.stock_plan import item_number_of
from shared.http import PermanentHttpError, TransientHttpError
from shared.model import credit_memo_number, round_money, to_money
from shared.storage.ledger import OrderState
from shared.storage.names import QUEUES, RECONCILIATION_REPORTS, REPORTS_CONTAINER
from shared.telemetry import RECONCILIATION_EXCEPTIONS, log_event

log = logging.getLogger("connector.reconcile")

T = TypeVar("T")
Progress = Callable[[str, int, int | None], None]  # (store, orders checked, orders that day or None)

BATCH = 100  # Woo page size: one ERP lookup round per page
# Pages in flight (a Woo read + ERP lookups each) are the connection's concurrent-call limit less this
# many, left to the orders that post meanwhile: 3 for BC's 5 per user.
CALLS_LEFT_TO_ORDERS = 2
INDEX_DAYS_AROUND = 1  # ERP documents dated this many days either side of the day are indexed
LEDGER_DETAIL_LIMIT = 500  # missing orders whose ledger state is looked up for the detail, per store
POISON_LIMIT = 1000  # poison messages listed per queue; more are counted
ORDER_FIELDS = f"id,number,status,total,currency,date_created_gmt,date_paid_gmt,{ORDER_TOTAL_FIELDS}"
REFUND_FIELDS = "id,parent_id,amount,date_created_gmt"
PRODUCT_FIELDS = "id,sku,type,manage_stock,stock_quantity,parent_id"
CHECK_ERRORS = (TransientHttpError, PermanentHttpError, ErpError, AzureError)


class _CsvSpool:
    """Exception rows as CSV in a temporary file that stays in memory while small."""

    def __init__(self) -> None:
        self.raw = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024, mode="w+b")  # noqa: SIM115 (closed in close)
        self.text = io.TextIOWrapper(self.raw, encoding="utf-8", newline="")
        write_csv_header(self.text)

    def write(self, exception: ReconciliationException) -> None:
        write_csv_rows(self.text, (exception,))

    def binary(self) -> Any:
        self.text.flush()
        self.raw.seek(0)
        return self.raw

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.text.close()


# ------------------------------------------------------------------------ the run


def report_blob_names(day: date, stores: Sequence[str] | None = None) -> tuple[str, str]:
    suffix = "-" + "+".join(stores) if stores else ""
    base = f"{RECONCILIATION_REPORTS}/{day.isoformat()}{suffix}"
    return base + ".csv", base + ".html"


def reconcile_previous_day(services: Services, now: datetime | None = None) -> Report:
    """The timer's run: the UTC day before `now`."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return reconcile_day(services, today - timedelta(days=1))


def reconcile_day(
    services: Services,
    day: date,
    *,
    stores: Sequence[str] | None = None,
    progress: Progress | None = None,
    sample_limit: int = 500,
) -> Report:
    """Reconcile one UTC day (of all stores, or of `stores` only) and write the report blobs.

    With `stores`, held orders and poison messages are limited to those stores too, and the blobs get
    the store ids in their names so the full daily report is not overwritten.
    """
    scoped = [s.lower() for s in stores] if stores else None
    store_ids = scoped or list(services.settings.woo_stores)
    report = Report(
        day=day,
        stores=tuple(store_ids),
        generated_at=datetime.now(UTC),
        sample_limit=sample_limit,
        paid_statuses=_posted_statuses(services, store_ids),
        tolerance=services.settings.total_tolerance,
    )
    spool = _CsvSpool()

    def add(exception: ReconciliationException) -> None:
        report.add(exception)
        spool.write(exception)

    try:
        held_keys = _check_held(services, store_ids, report, add)
        _guarded("", "orders needing attention", add, partial(_check_attention, services, store_ids, add))
        unposted: dict[str, set[int]] = {}  # paid orders of the day without an ERP document, by store
        indexes: dict[str, DocumentIndex] = {}  # one per ERP connection, shared by the stores posting to it
        for store in store_ids:
            connection = services.settings.connection_of(store)
            if connection not in indexes:
                indexes[connection] = _index_or_empty(services, connection, day)
            index = indexes[connection]
            check = partial(_check_orders, services, store, day, held_keys, index, report, add, progress, unposted)
            _guarded(store, "orders", add, check)
            _guarded(store, "refunds", add, partial(_check_refunds, services, store, day, report, add))
            _guarded(store, "credit memo totals", add, partial(check_credit_memo_totals, services, store, day, add))
            pending = unposted.get(store, set()) | {order for held_store, order in held_keys if held_store == store}
            _guarded(store, "stock", add, partial(_check_stock, services, store, report, add, pending))
        for connection in indexes:
            _guarded(connection, "payments", add, partial(read_payments, services, connection, day, report))
        _guarded("", "poison queues", add, partial(_check_poison, services, scoped, add))
        report.csv_blob, report.html_blob = report_blob_names(day, scoped)
        _write_blobs(services, report, spool)
    finally:
        spool.close()
    _log_summary(report)
    return report


def _posted_statuses(services: Services, stores: Sequence[str]) -> tuple[str, ...]:
    """The Woo statuses that post an order, for the report's note: each store's connection's mapping (else
    PAID_STATUSES), in the settings' order."""
    statuses: list[str] = []
    for store in stores:
        rules = services.status_rules(store)
        for status in rules.post if rules is not None else services.settings.paid_statuses:
            if status not in statuses:
                statuses.append(status)
    return tuple(statuses)


def read_payments(services: Services, connection: str, day: date, report: Report) -> None:
    """The connection's payments dated that day into the day's totals, or that it records none."""
    if not services.settings.connection(connection).records_payments:
        report.totals.payments_unrecorded(connection)
        return
    try:
        payments = services.erp_for(connection).payments_between(day, day)
    except CHECK_ERRORS:
        report.totals.payments_unread(connection)
        raise
    report.totals.add_payments(payments)


def _index_or_empty(services: Services, connection: str, day: date) -> DocumentIndex:
    """The index, or an empty one when the ERP cannot list the range (every order is then looked up)."""
    try:
        return build_index(services, connection, day)
    except CHECK_ERRORS as exc:
        log.warning(
            "reconciliation: ERP documents of %s could not be listed, looking orders up one page at a time: %s",
            day,
            exc,
        )
        return DocumentIndex(DocumentKind(services.settings.connection(connection).document_kind))


def _guarded(store: str, what: str, add: Callable[[ReconciliationException], None], check: Callable[[], None]) -> None:
    try:
        check()
    except CHECK_ERRORS as exc:
        log.warning("reconciliation: %s of %s could not be checked: %s", what, store or "all stores", exc)
        add(failed_check(store, what, exc))


def _check_attention(services: Services, stores: Sequence[str], add: Callable[[ReconciliationException], None]) -> None:
    for entry in needing_attention(services, set(stores)):
        add(attention_exception(entry))


def _check_held(
    services: Services, stores: Sequence[str], report: Report, add: Callable[[ReconciliationException], None]
) -> set[tuple[str, int]]:
    keys: set[tuple[str, int]] = set()
    wanted = set(stores)
    for held in held_orders(services):
        if held.store not in wanted:
            continue
        keys.add((held.store, held.order_id))
        add(held_exception(held))
        if held.age is not None and (report.oldest_held is None or held.age > report.oldest_held):
            report.oldest_held = held.age
    return keys


def _group(documents: Iterable[ErpDocument]) -> dict[str, list[ErpDocument]]:
    grouped: dict[str, list[ErpDocument]] = defaultdict(list)
    for document in documents:
        grouped[document.external_document_number].append(document)
    return grouped


def _documents_for(services: Services, store: str, numbers: Sequence[str]) -> dict[str, list[ErpDocument]]:
    """ERP documents by external document number: the configured kind first, the other for the rest
    (an order may have been invoiced and removed, or an invoice set-up changed)."""
    if not numbers:
        return {}
    erp = services.erp_of(store)
    primary = DocumentKind(services.settings.connection_of_store(store).document_kind)
    secondary = DocumentKind.SALES_INVOICE if primary == DocumentKind.SALES_ORDER else DocumentKind.SALES_ORDER
    found = _group(erp.find_documents(primary, numbers))
    rest = [number for number in numbers if number not in found]
    if rest:
        found.update(_group(erp.find_documents(secondary, rest)))
    return found


class DocumentIndex:
    """ERP document totals by external document number, for the documents dated around the day.

    Compact on purpose (an int per document, totals scaled by 10^5), so a 100,000-order day costs a few
    tens of MB; full documents are read again only for the orders that turn out to be exceptions.
    """

    SCALE = 5

    def __init__(self, kind: DocumentKind) -> None:
        self.kind = kind
        self.totals: dict[str, int] = {}
        self.duplicates: set[str] = set()

    def add(self, number: str, total: Decimal) -> None:
        key = number.strip()
        if not key:
            return
        if key in self.totals:
            self.duplicates.add(key)
            return
        self.totals[key] = int(total.scaleb(self.SCALE).to_integral_value())

    def total(self, number: str) -> Decimal | None:
        value = self.totals.get(number)
        return None if value is None else Decimal(value).scaleb(-self.SCALE)

    def __len__(self) -> int:
        return len(self.totals)


def build_index(services: Services, connection: str, day: date) -> DocumentIndex:
    """The connection's document kind dated from the day before to the day after (time zones, late posting)."""
    index = DocumentIndex(DocumentKind(services.settings.connection(connection).document_kind))
    first, last = day - timedelta(days=INDEX_DAYS_AROUND), day + timedelta(days=INDEX_DAYS_AROUND)
    for number, total in services.erp_for(connection).document_totals(index.kind, first, last):
        index.add(number, total)
    return index


class _Budget:
    """A thread-safe allowance (ledger reads for the detail of missing orders: a mass outage needs none)."""

    def __init__(self, allowance: int) -> None:
        self.left = allowance
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def page_workers(services: Services, store: str) -> int:
    """Pages of the day's orders checked at a time: the store's connection's limit, less the calls left
    to the orders posting meanwhile (at least one)."""
    return max(1, services.settings.connection_of_store(store).max_concurrency - CALLS_LEFT_TO_ORDERS)


def _check_orders(
    services: Services,
    store: str,
    day: date,
    held_keys: set[tuple[str, int]],
    index: DocumentIndex,
    report: Report,
    add: Callable[[ReconciliationException], None],
    progress: Progress | None,
    unposted_orders: dict[str, set[int]],
) -> None:
    """The day's orders, page by page: a few pages (Woo read + ERP lookups) in flight at a time, as many as
    the store's ERP connection allows (:func:`page_workers`)."""
    woo = services.woo(store)
    after, before = day_bounds(day)
    params = {
        "after": after,
        "before": before,
        "dates_are_gmt": "true",
        "orderby": "id",
        "order": "asc",
        "_fields": ORDER_FIELDS,
    }
    first, pages, total = woo.page("orders", 1, **params)
    budget = _Budget(LEDGER_DETAIL_LIMIT)
    unposted = unposted_orders.setdefault(store, set())

    def check_page(number: int) -> tuple[int, list[ReconciliationException]]:
        orders = first if number == 1 else woo.page("orders", number, **params)[0]
        return _check_order_page(services, store, day, orders, held_keys, budget, index, report.totals, unposted)

    checked = 0
    workers = page_workers(services, store)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reconcile") as pool:
        for count, exceptions in in_order(pool, check_page, range(1, pages + 1), workers * 2):
            for exception in exceptions:
                add(exception)
            checked += count
            report.orders_checked += count
            if progress:
                progress(store, checked, total)


def _check_order_page(
    services: Services,
    store: str,
    day: date,
    page: list[dict[str, Any]],
    held_keys: set[tuple[str, int]],
    budget: _Budget,
    index: DocumentIndex,
    totals: DayTotals | None = None,
    unposted: set[int] | None = None,
) -> tuple[int, list[ReconciliationException]]:
    """One page of orders: totals from the index; the ERP is asked only about orders the index does not
    have (posted on another day, invoiced, never posted) and, for the detail, about the exceptions."""
    settings = services.settings
    rules = services.status_rules(store)  # the statuses the connection's mapping posts, else PAID_STATUSES
    paid = list(rules.post if rules is not None else settings.paid_statuses)
    compared = {*paid, "refunded"}
    orders = [order for order in page if created_on(order, day)]
    wanted = [order for order in orders if order.get("status") in compared]
    unknown: set[str] = set()
    suspicious: set[str] = set()
    prefix = settings.store(store).document_prefix
    for order in wanted:
        number = order_number(order, prefix)
        total = index.total(number)
        if total is None:
            unknown.add(number)
        elif number in index.duplicates or abs(total - round_money(to_money(order.get("total") or "0"))) > (
            settings.total_tolerance
        ):
            suspicious.add(number)
    documents = _documents_for(services, store, sorted(unknown))
    if suspicious:
        documents.update(_group(services.erp_of(store).find_documents(index.kind, sorted(suspicious))))
    found: list[ReconciliationException] = []
    for order in wanted:
        order_id = int(order["id"])
        number = order_number(order, prefix)
        if number in documents:
            docs = documents[number]
        elif number in index.totals:  # in the index with a matching total
            docs = [ErpDocument("", "", number, index.kind, index.total(number) or Decimal(0))]
        else:
            docs = []
        if totals is not None:
            totals.add_order(order, [doc.total_including_tax for doc in docs])
        if unposted is not None and not docs and order.get("status") in paid:
            unposted.add(order_id)  # its units are sold in Woo, still available in the ERP
        exception = classify_order(
            store,
            order,
            docs,
            paid_statuses=paid,
            tolerance=settings.total_tolerance,
            held=(store, order_id) in held_keys,
            prefix=prefix,
        )
        if exception is not None and exception.kind == ExceptionKind.MISSING_ORDER and budget.take():
            exception = _with_ledger_state(services, store, order_id, exception)
        if exception is not None:
            found.append(exception)
    return len(orders), found


def _with_ledger_state(
    services: Services, store: str, order_id: int, exception: ReconciliationException
) -> ReconciliationException:
    entry = services.ledger.get(store, order_id)
    if entry is None:
        note = "the connector never saw it (a missed webhook): run a backfill"
    elif entry.state == OrderState.POSTED:
        note = f"the ledger says posted as {entry.document_number or '?'}, but the ERP has no such document"
    elif entry.state == OrderState.POSTING:
        note = f"the ledger says it is being posted (claimed {entry.claimed_at or '?'})"
    else:
        note = f"the ledger has it as {entry.state} (Woo status then: {entry.woo_status or '?'})"
    return replace(exception, detail=f"{exception.detail}; {note}")


def _check_refunds(
    services: Services, store: str, day: date, report: Report, add: Callable[[ReconciliationException], None]
) -> None:
    woo = services.woo(store)
    after, before = day_bounds(day)
    refunds = woo.refunds_created_between(after, before, fields=REFUND_FIELDS)
    for page in prefetched(batches(refunds, BATCH)):
        page = [refund for refund in page if created_on(refund, day) and refund.get("parent_id")]
        report.refunds_checked += len(page)
        parents = sorted({int(refund["parent_id"]) for refund in page})
        if not parents:
            continue
        parent_orders = list(woo.list_orders(include=",".join(map(str, parents)), _fields="id,number,currency"))
        prefix = services.settings.store(store).document_prefix
        numbers = {int(order["id"]): order_number(order, prefix) for order in parent_orders}
        currencies = {int(order["id"]): str(order.get("currency") or "") for order in parent_orders}
        expected = {
            int(refund["id"]): credit_memo_number(
                numbers.get(int(refund["parent_id"]), str(refund["parent_id"])), refund["id"]
            )
            for refund in page
        }
        memos = _group(services.erp_of(store).find_documents(DocumentKind.CREDIT_MEMO, sorted(set(expected.values()))))
        for refund in page:
            parent = int(refund["parent_id"])
            found = memos.get(expected[int(refund["id"])], [])
            currency = currencies.get(parent) or services.settings.store(store).currency
            report.totals.add_refund(
                currency, to_money(refund.get("amount") or "0"), [m.total_including_tax for m in found]
            )
            exception = classify_refund(store, parent, numbers.get(parent, str(parent)), refund, found)
            if exception is not None:
                add(_with_refund_ledger_state(services, store, parent, int(refund["id"]), exception))


def _with_refund_ledger_state(
    services: Services, store: str, order_id: int, refund_id: int, exception: ReconciliationException
) -> ReconciliationException:
    entry = services.ledger.get(store, order_id)
    if entry is None:
        note = "the connector never saw the order"
    elif str(refund_id) in entry.refunds_posted.split(","):
        note = "the ledger says it was credited, but the ERP has no such credit memo"
    elif entry.state != OrderState.POSTED:
        note = f"the order itself is {entry.state}" + (f" ({entry.hold_reason})" if entry.hold_reason else "")
    else:
        note = "the connector has not credited it (a missed webhook?): replay or backfill the order"
    return replace(exception, detail=f"{exception.detail}; {note}")


def _check_stock(
    services: Services,
    store: str,
    report: Report,
    add: Callable[[ReconciliationException], None],
    pending_orders: set[int] | None = None,
) -> None:
    """Every product and variation that manages its own stock against its ERP item (small on purpose).

    Woo lower than the ERP by no more than the units of paid orders the ERP has not taken off yet
    (``pending_orders``: held, or of the day and not posted; and the open ERP orders where they are not
    subtracted) is the normal lag: shown as explained, not as an exception."""
    settings = services.settings
    if not settings.stock_sync:
        return
    items = {item.number: item for item in services.erp_of(store).catalog_items()}
    on_open_orders = open_order_quantities(services, store, items.values(), stock=True)
    lag = _pending_units(services, store, sorted(pending_orders or ()))
    if not settings.stock_subtract_open_orders and any(item.stock_tracked for item in items.values()):
        for number, units in services.erp_of(store).open_order_quantities().items():
            lag[number] = lag.get(number, Decimal(0)) + units
    woo = services.woo(store)
    for product in woo.list_products(_fields=PRODUCT_FIELDS):
        candidates = [product]
        if product.get("type") == "variable":
            parent_sku = str(product.get("sku") or "")
            variations = woo.list_variations(int(product["id"]))
            candidates += [v for v in variations if str(v.get("sku") or "") != parent_sku]
        for candidate in candidates:
            sku = str(candidate.get("sku") or "").strip()
            if not sku or candidate.get("manage_stock") is not True:
                continue
            number = item_number_of(sku, services.sku_map(settings.connection_of(store)))
            expected = expected_stock(sku, items.get(number), settings, on_open_orders.get(number, Decimal(0)))
            if expected is None:
                continue
            report.skus_checked += 1
            exception = classify_stock(store, sku, candidate.get("stock_quantity"), expected, item_number=number)
            if exception is None:
                continue
            if explained_by_lag(exception, lag.get(number, Decimal(0))):
                pending = lag[number]
                report.explain(replace(exception, detail=f"{plain(pending)} units in paid orders not yet in the ERP"))
            else:
                add(exception)


def _pending_units(services: Services, store: str, order_ids: Sequence[int]) -> dict[str, Decimal]:
    """Units by ERP item number in these Woo orders (the paid ones), 100 orders a call."""
    units: dict[str, Decimal] = defaultdict(Decimal)
    sku_map = services.settings.connection_of_store(store).sku_map
    paid = set(services.settings.paid_statuses)
    woo = services.woo(store)
    for start in range(0, len(order_ids), BATCH):
        include = ",".join(map(str, order_ids[start : start + BATCH]))
        for order in woo.list_orders(include=include, _fields="id,status,line_items"):
            if order.get("status") not in paid:
                continue
            for line in order.get("line_items") or []:
                sku = str(line.get("sku") or "").strip()
                if sku:
                    units[item_number_of(sku, sku_map)] += Decimal(str(line.get("quantity") or 0))
    return dict(units)


def _check_poison(
    services: Services, stores: Sequence[str] | None, add: Callable[[ReconciliationException], None]
) -> None:
    for name in QUEUES:
        listing = list_poison(services, name, limit=POISON_LIMIT)
        for message in listing.messages:
            if stores is None or message.store in stores:
                add(poison_exception(message))
        unlisted = listing.count - len(listing.messages)
        if unlisted > 0 and stores is None:
            add(
                ReconciliationException(
                    ExceptionKind.POISON_MESSAGE, detail=f"{unlisted} more messages in {name}-poison (not listed)"
                )
            )


def _write_blobs(services: Services, report: Report, spool: _CsvSpool) -> None:
    from azure.storage.blob import ContentSettings  # not at cold start: reports are written once a day

    container = services.blobs.get_container_client(REPORTS_CONTAINER)
    with contextlib.suppress(ResourceExistsError):
        container.create_container()
    container.upload_blob(
        report.csv_blob,
        spool.binary(),
        overwrite=True,
        content_settings=ContentSettings(content_type="text/csv; charset=utf-8"),
    )
    container.upload_blob(
        report.html_blob,
        render_html(report).encode("utf-8"),
        overwrite=True,
        content_settings=ContentSettings(content_type="text/html; charset=utf-8"),
    )


def _log_summary(report: Report) -> None:
    """One event per run: `reconciliation_exceptions` with `count` and a count per kind, or a clean one."""
    common: dict[str, Any] = {
        "store": ",".join(report.stores),
        "day": report.day.isoformat(),
        "count": report.total,
        "orders": report.orders_checked,
        "refunds": report.refunds_checked,
        "skus": report.skus_checked,
        "report": report.html_blob,
    }
    if report.clean:
        log_event(log, "reconciliation_clean", **common)
        return
    counts = {str(kind): report.count(kind) for kind in ExceptionKind if report.count(kind)}
    log_event(log, RECONCILIATION_EXCEPTIONS, logging.WARNING, **common, **counts)
