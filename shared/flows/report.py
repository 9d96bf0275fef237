"""The reconciliation report: exception kinds, the report summary, and its CSV and HTML renderings.

Pure: no I/O. `shared.flows.reconcile` finds the exceptions and stores the renderings as blobs.
The CSV has one row per exception and every row; the HTML page has a summary table, an inline SVG bar
chart of exceptions by kind (no script, no CDN) and the first rows, and on a clean day says so plainly.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TextIO

from shared.flows.day_totals import COLUMNS, DayTotals, cell, format_money


class ExceptionKind(StrEnum):
    """What a reconciliation exception is about; the order is the order of the report's sections."""

    TOTAL_MISMATCH = "total_mismatch"
    MISSING_ORDER = "missing_order"
    DUPLICATE_DOCUMENT = "duplicate_document"
    MISSING_CREDIT_MEMO = "missing_credit_memo"
    CREDIT_MEMO_MISMATCH = "credit_memo_mismatch"
    HELD_ORDER = "held_order"
    NEEDS_ATTENTION = "needs_attention"
    POISON_MESSAGE = "poison_message"
    STOCK_DRIFT = "stock_drift"
    CHECK_FAILED = "check_failed"


@dataclass(frozen=True)
class KindInfo:
    title: str
    meaning: str
    color: str


KINDS: dict[ExceptionKind, KindInfo] = {
    ExceptionKind.TOTAL_MISMATCH: KindInfo(
        "Total mismatch",
        "The ERP document total differs from the Woo order total by more than the allowed difference "
        "(the connector's total tolerance, 0.01 unless set otherwise).",
        "#c0392b",
    ),
    ExceptionKind.MISSING_ORDER: KindInfo(
        "Paid order missing in the ERP",
        "A paid Woo order has no sales order or invoice (and is not held): replay or backfill it.",
        "#8e44ad",
    ),
    ExceptionKind.DUPLICATE_DOCUMENT: KindInfo(
        "Duplicate ERP documents",
        "More than one ERP document carries the order number as external document number.",
        "#d35400",
    ),
    ExceptionKind.MISSING_CREDIT_MEMO: KindInfo(
        "Refund without credit memo",
        "A Woo refund made that day has no ERP credit memo '<order number>-R<refund id>'.",
        "#2980b9",
    ),
    ExceptionKind.CREDIT_MEMO_MISMATCH: KindInfo(
        "Credit memo total differs",
        "An ERP credit memo of that day does not total what its Woo refund returned (or has no refund).",
        "#1f618d",
    ),
    ExceptionKind.HELD_ORDER: KindInfo(
        "Held order",
        "Currently held with a data problem (all days); it posts by itself once the data is fixed.",
        "#f39c12",
    ),
    ExceptionKind.NEEDS_ATTENTION: KindInfo(
        "Needs attention",
        "A posted order a person must look at (all days): its total differs, it changed or was taken back "
        "in WooCommerce after posting, or it was cancelled after it shipped. The connector never re-posts it.",
        "#8e44ad",
    ),
    ExceptionKind.POISON_MESSAGE: KindInfo(
        "Poison message",
        "A queue message that failed every try; fix the cause, then replay it.",
        "#7f8c8d",
    ),
    ExceptionKind.STOCK_DRIFT: KindInfo(
        "Stock drift",
        "Woo stock differs from the ERP's available to sell (its inventory, less the units on open ERP sales "
        "orders and the units held back as a buffer).",
        "#16a085",
    ),
    ExceptionKind.CHECK_FAILED: KindInfo(
        "Check could not run",
        "A part of the reconciliation could not read WooCommerce or the ERP; its results are missing.",
        "#2c3e50",
    ),
}

CSV_COLUMNS = ("kind", "store", "order", "sku", "woo_value", "erp_value", "difference", "detail")
HEADINGS = {
    "kind": "exception",
    "store": "store",
    "order": "Woo order id",
    "sku": "SKU",
    "woo_value": "WooCommerce",
    "erp_value": "ERP",
    "difference": "difference",
    "detail": "what happened",
}
"""The HTML table's column headings (the CSV keeps the column names)."""
_NUMERIC_COLUMNS = frozenset({"woo_value", "erp_value", "difference"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ReconciliationException:
    """One row of the report. `order` is the Woo order id (what `audit` and `replay --order` take)."""

    kind: ExceptionKind
    store: str = ""
    order: str = ""
    sku: str = ""
    woo_value: str = ""
    erp_value: str = ""
    difference: str = ""
    detail: str = ""
    currency: str = ""
    """The currency of the money columns, when they are money (the HTML shows it; the CSV keeps plain numbers)."""

    def values(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in CSV_COLUMNS}


def csv_row(exception: ReconciliationException) -> list[str]:
    """The CSV cells; text cells that a spreadsheet would run as a formula are quoted with a '."""
    row = []
    for name, value in exception.values().items():
        if name not in _NUMERIC_COLUMNS and value.startswith(_FORMULA_START):
            value = "'" + value
        row.append(value)
    return row


def write_csv_header(stream: TextIO) -> None:
    csv.writer(stream, lineterminator="\r\n").writerow(CSV_COLUMNS)


def write_csv_rows(stream: TextIO, exceptions: Iterable[ReconciliationException]) -> None:
    writer = csv.writer(stream, lineterminator="\r\n")
    for exception in exceptions:
        writer.writerow(csv_row(exception))


def render_csv(exceptions: Iterable[ReconciliationException]) -> str:
    buffer = io.StringIO()
    write_csv_header(buffer)
    write_csv_rows(buffer, exceptions)
    return buffer.getvalue()


def format_age(age: timedelta | None) -> str:
    """`2d 3h`, `5h 20m`, `12m`; `?` when unknown."""
    if age is None:
        return "?"
    minutes = max(0, int(age.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


@dataclass
class Report:
    """What one reconciliation run found. `sample` keeps the first rows for the HTML page; the CSV has all."""

    day: date
    stores: tuple[str, ...]
    generated_at: datetime
    counts: dict[ExceptionKind, int] = field(default_factory=dict)
    orders_checked: int = 0
    refunds_checked: int = 0
    skus_checked: int = 0
    oldest_held: timedelta | None = None
    sample: list[ReconciliationException] = field(default_factory=list)
    sample_limit: int = 500
    csv_blob: str = ""
    html_blob: str = ""
    totals: DayTotals = field(default_factory=DayTotals)
    explained_drift: list[ReconciliationException] = field(default_factory=list)
    paid_statuses: tuple[str, ...] = ("processing", "completed")
    tolerance: Decimal = Decimal("0.01")

    def add(self, exception: ReconciliationException) -> None:
        self.counts[exception.kind] = self.counts.get(exception.kind, 0) + 1
        if len(self.sample) < self.sample_limit:
            self.sample.append(exception)

    def explain(self, drift: ReconciliationException) -> None:
        """A stock drift that is only the normal lag: shown apart, not an exception (the CSV has none)."""
        self.explained_drift.append(drift)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def clean(self) -> bool:
        return self.total == 0

    def count(self, kind: ExceptionKind) -> int:
        return self.counts.get(kind, 0)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: what the CLI prints and the summary event carries."""
        return {
            "day": self.day.isoformat(),
            "stores": list(self.stores),
            "generated_at": self.generated_at.isoformat(),
            "clean": self.clean,
            "exceptions": self.total,
            "counts": {str(kind): self.count(kind) for kind in ExceptionKind if self.count(kind)},
            "orders_checked": self.orders_checked,
            "refunds_checked": self.refunds_checked,
            "skus_checked": self.skus_checked,
            "oldest_held": format_age(self.oldest_held) if self.oldest_held is not None else None,
            "csv_blob": self.csv_blob,
            "html_blob": self.html_blob,
            "totals": self.totals.summary(),
            "stock_drift_explained": len(self.explained_drift),
        }


# ---------------------------------------------------------------------------------------------- HTML

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:75rem}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem}
.meta{color:#555;margin-top:0}
.verdict{font-size:1.2rem;padding:.8rem 1rem;border-radius:.4rem}
.clean{background:#e8f6ec;border:1px solid #27ae60;color:#1e7d45}
.alert{background:#fdecea;border:1px solid #c0392b;color:#922b21}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;
vertical-align:top}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9rem}
"""


def bar_chart_svg(counts: Mapping[ExceptionKind, int], *, width: int = 640) -> str:
    """Horizontal bars, one per kind with exceptions, in report order; labels and counts as text."""
    kinds = [kind for kind in ExceptionKind if counts.get(kind, 0) > 0]
    label_width, count_width, row, bar_height, top = 230, 60, 30, 20, 10
    bar_space = width - label_width - count_width
    largest = max((counts[kind] for kind in kinds), default=1)
    height = top * 2 + row * len(kinds)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="Exceptions by kind">',
        "<title>Exceptions by kind</title>",
    ]
    for index, kind in enumerate(kinds):
        info = KINDS[kind]
        count = counts[kind]
        y = top + index * row
        bar = max(2, round(bar_space * count / largest))
        title = html.escape(info.title)
        parts.append(
            f'<g data-kind="{kind}">'
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="13">{title}</text>'
            f'<rect class="bar" x="{label_width}" y="{y}" width="{bar}" height="{bar_height}" fill="{info.color}">'
            f"<title>{title}: {count}</title></rect>"
            f'<text x="{label_width + bar + 6}" y="{y + 15}" font-size="13">{count}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _as_money(value: str, currency: str) -> str:
    """``120.00`` → ``120.00 USD``; a value that is not an amount (empty, document numbers) stays as it is."""
    try:
        amount = Decimal(value)
    except ArithmeticError:
        return value
    return format_money(amount, currency) if value else value


def _cell(value: str, numeric: bool = False) -> str:
    css = ' class="num"' if numeric else ""
    return f"<td{css}>{html.escape(value)}</td>"


def totals_html(report: Report) -> str:
    """The day's totals side by side: one column per currency, one row per figure, in plain words."""
    e = html.escape
    rows = report.totals.rows()
    if not rows:
        return "<h2>The day's totals</h2><p>No paid orders and no refunds that day.</p>"
    out = ["<h2>The day's totals</h2>", '<table class="totals"><tr><th></th>']
    out.extend(f"<th>{e(row.currency)}</th>" for row in rows)
    out.append("</tr>")
    unread = report.totals.unread_text()
    for name, heading, is_money in COLUMNS:
        cells = "".join(_cell(cell(row, name, is_money, unread), True) for row in rows)
        out.append(f"<tr><th>{e(heading)}</th>{cells}</tr>")
    out.append("</table>")
    statuses = " or ".join(report.paid_statuses)
    out.append(
        f'<p class="note">Paid orders are the orders created that day (UTC) whose WooCommerce status is {e(statuses)}, '
        "and those refunded since; refunds are those made that day. The ERP figures are the sales documents and "
        "credit memos carrying those orders' and refunds' numbers. An order whose ERP total differs from its "
        f"WooCommerce total by more than {e(str(report.tolerance))} is listed below as a total mismatch. "
        "ERP payments are the payments the connector recorded in the ERP dated that day (the payment journal lines "
        "finance has not posted yet in Business Central; payment journal lines in Finance & Operations; cash "
        "receipts in GP), compared with the day's gross sales: an order paid on another day than it was placed "
        "shows on the day it was paid.</p>"
    )
    out.append(_payments_note(report))
    return "".join(out)


def _payments_note(report: Report) -> str:
    """Which ERP connections record no payments, or could not be read: their payments are not in the figures."""
    e = html.escape
    notes = []
    if report.totals.payments_not_recorded:
        names = ", ".join(report.totals.payments_not_recorded)
        notes.append(
            f"The ERP connection {e(names)} records no payments (no customer payment journal or checkbook is set "
            "for it), so its payments cannot be compared."
        )
    if report.totals.payments_failed:
        names = ", ".join(report.totals.payments_failed)
        notes.append(f"The payments of {e(names)} could not be read: see the check_failed row below.")
    return f'<p class="note">{" ".join(notes)}</p>' if notes else ""


def render_html(report: Report) -> str:
    """A self-contained page: verdict, summary table, chart by kind and the first exception rows."""
    e = html.escape
    day = report.day.isoformat()
    stores = ", ".join(report.stores) or "(none configured)"
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Reconciliation {e(day)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Reconciliation report for {e(day)} (UTC)</h1>",
        f'<p class="meta">Stores: {e(stores)} · generated {e(report.generated_at.strftime("%Y-%m-%d %H:%M UTC"))} · '
        f"{report.orders_checked} orders, {report.refunds_checked} refunds and {report.skus_checked} SKUs checked</p>",
    ]
    if report.clean:
        out.append(
            '<p class="verdict clean">Clean day: no exceptions. Every paid order of the day is in the ERP with a '
            "matching total, every refund has its credit memo, nothing is held, no message is in a poison queue "
            "and stock matches (or differs only by paid orders not yet in the ERP).</p>"
        )
    else:
        noun = "exception needs" if report.total == 1 else "exceptions need"
        out.append(f'<p class="verdict alert">{report.total} {noun} attention.</p>')
    out.append('<h2>Summary</h2><table class="summary"><tr><th>exception</th><th>count</th><th>what it means</th></tr>')
    for kind in ExceptionKind:
        info = KINDS[kind]
        out.append(f"<tr><td>{e(info.title)}</td>{_cell(str(report.count(kind)), True)}<td>{e(info.meaning)}</td></tr>")
    out.append("</table>")
    out.append(totals_html(report))
    if report.oldest_held is not None:
        out.append(f'<p class="note">The oldest held order has waited {e(format_age(report.oldest_held))}.</p>')
    if not report.clean:
        out.append("<h2>Exceptions by kind</h2>")
        out.append(bar_chart_svg(report.counts))
        out.append('<h2>Exceptions</h2><table class="exceptions"><tr>')
        out.extend(f"<th>{e(HEADINGS[name])}</th>" for name in CSV_COLUMNS)
        out.append("</tr>")
        for exception in report.sample:
            values = exception.values()
            values["kind"] = KINDS[exception.kind].title
            if exception.currency:
                for name in _NUMERIC_COLUMNS:
                    values[name] = _as_money(values[name], exception.currency)
            out.append(
                "<tr>" + "".join(_cell(values[name], name in _NUMERIC_COLUMNS) for name in CSV_COLUMNS) + "</tr>"
            )
        out.append("</table>")
        if report.total > len(report.sample):
            out.append(
                f'<p class="note">Showing the first {len(report.sample)} of {report.total} exceptions; '
                f"the CSV ({e(report.csv_blob or 'beside this page')}) has them all.</p>"
            )
    out.append(explained_drift_html(report))
    out.append("</body></html>")
    return "\n".join(out)


def explained_drift_html(report: Report) -> str:
    """Stock that differs only by the normal lag, apart from the drift a person must look at."""
    if not report.explained_drift:
        return ""
    out = [
        f"<h2>Stock drift explained by orders not yet in the ERP ({len(report.explained_drift)})</h2>",
        '<p class="note">WooCommerce shows fewer units than the ERP has available to sell, by no more than the '
        "units of paid orders the ERP has not taken off yet (orders held or not yet posted, and, where open ERP "
        "orders are not subtracted, orders not yet shipped). Nothing to do: it evens out as they post and ship.</p>",
        '<table class="explained"><tr><th>SKU</th><th>WooCommerce</th><th>ERP</th><th>difference</th><th>why</th></tr>',
    ]
    for drift in report.explained_drift[: report.sample_limit]:
        out.append(
            f"<tr>{_cell(drift.sku)}{_cell(drift.woo_value, True)}{_cell(drift.erp_value, True)}"
            f"{_cell(drift.difference, True)}{_cell(drift.detail)}</tr>"
        )
    out.append("</table>")
    return "".join(out)
