"""The readiness report as a self-contained HTML page (inline SVG chart, no scripts, no outside files)
and a CSV of every finding and every order's outcome. Pure: text in, text out."""

from __future__ import annotations

import csv
import html
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from shared.flows.readiness import ReadinessReport
from shared.flows.readiness_classify import KINDS, Action, FindingKind, group_by_reason
from shared.model import currency_places

CSV_COLUMNS = ("section", "store", "kind", "subject", "order", "action", "orders", "detail", "suggestions")
HTML_ORDER_ROWS = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_READY_COLOR, _SKIP_COLOR = "#27ae60", "#95a5a6"
_REASON_COLORS = ("#c0392b", "#e67e22", "#8e44ad", "#d35400", "#2c3e50", "#a04000", "#6c3483", "#1f618d")


def money(amount: Decimal, currency: str) -> str:
    """``1,234.50 USD``: fixed-point with the currency's minor unit (never ``1E+2``)."""
    places = currency_places(currency)
    return f"{amount.quantize(Decimal(1).scaleb(-places)):,.{places}f} {currency}"


def totals_by_currency(report: ReadinessReport) -> dict[str, dict[Action, Decimal]]:
    totals: dict[str, dict[Action, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for v in report.verdicts:
        totals[v.currency][v.action] += v.total
    return {currency: dict(by_action) for currency, by_action in sorted(totals.items())}


def _safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render_csv(report: ReadinessReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in report.findings:
        suggested = " | ".join(f.suggestions)
        row = ["finding", f.store, str(f.kind), f.subject, "", "", str(len(f.orders)), f.detail, suggested]
        writer.writerow([_safe(cell) for cell in row])
    for v in report.verdicts:
        row = ["order", v.store, v.reason, "", v.number, str(v.action), "", v.detail, ""]
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


# --------------------------------------------------------------------------------------------- HTML

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:75rem}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem}h3{font-size:1rem;margin-bottom:.2rem}
.meta{color:#555;margin-top:0}
.verdict{font-size:1.2rem;padding:.8rem 1rem;border-radius:.4rem}
.ready{background:#e8f6ec;border:1px solid #27ae60;color:#1e7d45}
.blocked{background:#fdecea;border:1px solid #c0392b;color:#922b21}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;
vertical-align:top}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9rem}.fix{background:#f8f9f9;border-left:3px solid #7f8c8d;padding:.4rem .8rem}
.tag{font-size:.8rem;padding:.1rem .4rem;border-radius:.3rem;color:#fff}
"""


def share_chart_svg(groups: Mapping[str, int], *, width: int = 680) -> str:
    """One bar per outcome (ready, held by reason, fails, skipped) with its share of the orders."""
    total = sum(groups.values())
    names = sorted(groups, key=lambda name: (name != "ready", name.startswith("skipped"), -groups[name], name))
    label_width, value_width, row, bar_height, top = 250, 110, 30, 20, 10
    bar_space = width - label_width - value_width
    height = top * 2 + row * max(1, len(names))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="Share of orders by outcome">',
        "<title>Share of orders by outcome</title>",
    ]
    if not names:
        parts.append(f'<text x="10" y="{top + 15}" font-size="13">No orders in the period.</text>')
    reason_colors = iter(_REASON_COLORS * 4)
    for index, name in enumerate(names):
        count = groups[name]
        share = Decimal(count * 100) / Decimal(total)
        color = _READY_COLOR if name == "ready" else _SKIP_COLOR if name.startswith("skipped") else next(reason_colors)
        y = top + index * row
        bar = max(2, round(bar_space * count / total))
        label = html.escape(name)
        value = f"{count} ({share:.1f}%)"
        parts.append(
            f'<g data-outcome="{label}">'
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="13">{label}</text>'
            f'<rect class="bar" x="{label_width}" y="{y}" width="{bar}" height="{bar_height}" fill="{color}">'
            f"<title>{label}: {value}</title></rect>"
            f'<text x="{label_width + bar + 6}" y="{y + 15}" font-size="13">{value}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _cell(value: object, numeric: bool = False) -> str:
    css = ' class="num"' if numeric else ""
    return f"<td{css}>{html.escape(str(value))}</td>"


def _row(cells: Iterable[str]) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def render_html(report: ReadinessReport) -> str:
    e = html.escape
    stores = ", ".join(s.store for s in report.stores) or "(none configured)"
    period = f"{report.since.strftime('%Y-%m-%d %H:%M')} to {report.until.strftime('%Y-%m-%d %H:%M')} UTC"
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Go-live readiness: {e(stores)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Go-live readiness: {e(stores)}</h1>",
        f'<p class="meta">Orders created {e(period)} · generated '
        f"{e(report.generated_at.strftime('%Y-%m-%d %H:%M UTC'))} · read-only: nothing was written to "
        "WooCommerce or the ERP</p>",
    ]
    orders = len(report.verdicts)
    if report.ready:
        out.append(
            f'<p class="verdict ready">Ready: all {orders} orders would post and nothing found blocks go-live.</p>'
        )
    else:
        stuck = report.count(Action.HOLD) + report.count(Action.FAIL)
        out.append(
            f'<p class="verdict blocked">Not ready: {stuck} of {orders} orders would be held or fail, and '
            f"{len(report.blocking)} finding(s) block go-live.</p>"
        )
    out.append("<h2>Orders</h2>")
    out.append(
        '<table class="summary"><tr><th>store</th><th>ERP connection</th><th>orders read</th><th>would post</th>'
        "<th>would be held</th><th>would fail</th><th>skipped (not paid)</th><th>refunds read</th>"
        "<th>products and variations</th><th>ERP items</th><th>SKUs with stock compared</th></tr>"
    )
    for s in report.stores:
        mine = [v for v in report.verdicts if v.store == s.store]
        counts = [sum(1 for v in mine if v.action == action) for action in Action]
        cells = [_cell(s.store), _cell(s.connection), _cell(s.orders, True)]
        cells += [_cell(c, True) for c in counts]
        cells += [_cell(n, True) for n in (s.refunds, s.products, s.erp_items, s.skus_compared)]
        out.append(_row(cells))
    out.append("</table>")
    totals = totals_by_currency(report)
    if totals:
        out.append(
            '<table class="money"><tr><th>currency</th><th>order total</th><th>would post</th>'
            "<th>would be held</th><th>would fail</th><th>skipped</th></tr>"
        )
        for currency, by_action in totals.items():
            whole = sum(by_action.values(), Decimal(0))
            cells = [_cell(currency), _cell(money(whole, currency), True)]
            cells += [_cell(money(by_action.get(action, Decimal(0)), currency), True) for action in Action]
            out.append(_row(cells))
        out.append("</table>")
    out.append("<h2>Share of orders by outcome</h2>")
    out.append(share_chart_svg(group_by_reason(report.verdicts)))
    out.append("<h2>Findings</h2>")
    if not report.findings:
        out.append("<p>No findings.</p>")
    else:
        out.append(
            '<table class="findings"><tr><th>finding</th><th>blocks go-live</th><th>count</th><th>orders</th></tr>'
        )
        for kind in FindingKind:
            found = report.of_kind(kind)
            if found:
                affected = len({(f.store, o) for f in found for o in f.orders})
                info = KINDS[kind]
                out.append(
                    _row(
                        [
                            f'<td><a href="#{kind}">{e(info.title)}</a></td>',
                            _cell("yes" if info.blocking else "no"),
                            _cell(len(found), True),
                            _cell(affected, True),
                        ]
                    )
                )
        out.append("</table>")
    for kind in FindingKind:
        found = report.of_kind(kind)
        if not found:
            continue
        info = KINDS[kind]
        out.append(f'<section class="finding" id="{kind}"><h3>{e(info.title)} ({len(found)})</h3>')
        out.append(f'<p>{e(info.meaning)}</p><p class="fix"><b>What to fix, and where:</b> {e(info.fix)}</p>')
        out.append(
            "<table><tr><th>store</th><th>what</th><th>orders</th><th>detail</th><th>closest ERP items</th></tr>"
        )
        for f in found:
            cells = [_cell(f.store), _cell(f.subject), _cell(len(f.orders), True), _cell(f.detail)]
            cells.append(_cell(", ".join(f.suggestions) or ("none close" if kind == FindingKind.UNKNOWN_SKU else "")))
            out.append(_row(cells))
        out.append("</table></section>")
    stuck_orders = [v for v in report.verdicts if v.action in (Action.HOLD, Action.FAIL)]
    if stuck_orders:
        out.append("<h2>Orders that would be held or fail</h2>")
        out.append(
            "<table><tr><th>store</th><th>order</th><th>status</th><th>total</th><th>outcome</th><th>why</th></tr>"
        )
        for v in stuck_orders[:HTML_ORDER_ROWS]:
            outcome = "held" if v.action == Action.HOLD else "fails"
            cells = [_cell(v.store), _cell(f"#{v.number}"), _cell(v.status), _cell(money(v.total, v.currency), True)]
            cells += [_cell(outcome), _cell(v.detail)]
            out.append(_row(cells))
        out.append("</table>")
        if len(stuck_orders) > HTML_ORDER_ROWS:
            out.append(f'<p class="note">The first {HTML_ORDER_ROWS} of {len(stuck_orders)}; the CSV has them all.</p>')
    out.append("</body></html>")
    return "\n".join(out)
