"""Which orders and refunds are far outside a store's history, and why, in plain words (no I/O).

An order is checked against the history *before* it is learnt, so it never hides itself; nothing is
flagged until the store has ``min_history`` orders (a new deployment learns first; refund sizes wait
for ``min_refunds`` refunds). Totals and refund sizes are compared with the store's figures in the same
currency, and only once it has ``min_history`` orders (``min_refunds`` refunds) in that currency. The rules:

- order total ≥ ``order_total_ratio`` × the store's median order total, and above its 99th percentile;
- a line's quantity ≥ ``quantity_ratio`` × the median quantity per line, and above its 99th percentile;
- the first order of a new customer (an e-mail not seen before) ≥ ``new_customer_ratio`` × the median;
- a ship-to country that fewer than ``rare_country_share`` of the store's orders went to;
- the ``velocity_orders``-th order (or more) from one e-mail, or to one shipping address, within
  ``velocity_hours``;
- a refund ≥ ``refund_ratio`` × the store's median refund (once it has ``min_refunds``);
- the ``customer_refunds``-th refund (or more) for one customer within ``customer_refund_days``;
- the store's refund rate (refunds per order) over the last ``refund_rate_days`` ≥ ``refund_rate_ratio``
  × its rate over the ``refund_rate_baseline_days`` before them, once the recent days have
  ``refund_rate_min_refunds`` refunds and the earlier ones ``min_history`` orders (every refund credited
  while it is so is flagged: a wave of returns, a bad batch, a refund fraud).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from shared.anomalies.history import BuyerActivity, LogHistogram, StoreStats


@dataclass(frozen=True)
class Thresholds:
    min_history: int = 50
    order_total_ratio: float = 10.0
    quantity_ratio: float = 10.0
    new_customer_ratio: float = 5.0
    rare_country_share: float = 0.001
    velocity_orders: int = 4
    velocity_hours: float = 24.0
    min_refunds: int = 10
    refund_ratio: float = 5.0
    customer_refunds: int = 3
    customer_refund_days: float = 7.0
    refund_rate_ratio: float = 3.0
    refund_rate_days: int = 7
    refund_rate_min_refunds: int = 5
    refund_rate_baseline_days: int = 56

    @property
    def keep(self) -> timedelta:
        """How long a buyer's order and refund times are kept: the longest window a rule looks at."""
        return max(timedelta(hours=self.velocity_hours), timedelta(days=self.customer_refund_days))

    @property
    def keep_days(self) -> int:
        """How many days of order and refund counts a store keeps: the refund rate's two windows."""
        return self.refund_rate_days + self.refund_rate_baseline_days


@dataclass(frozen=True)
class Flag:
    code: str  # order_total, quantity, new_customer, country, email_velocity, address_velocity, refund, …
    reason: str


@dataclass(frozen=True)
class OrderFacts:
    """What the rules look at in an order (from shared.model.Order; no names, no addresses)."""

    total: Decimal
    currency: str
    quantities: tuple[tuple[str, Decimal], ...]  # (line name, quantity)
    country: str
    at: datetime
    buyers: dict[str, BuyerActivity] = field(default_factory=dict)  # "email" / "address" → activity


@dataclass(frozen=True)
class RefundFacts:
    amount: Decimal
    currency: str
    at: datetime
    customer: BuyerActivity | None  # the buyer's e-mail activity, when the order has an e-mail


_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]


def ordinal(n: int) -> str:
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def times(value: float, median: float) -> str:
    ratio = value / median
    return f"{ratio:.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def money(value: float | Decimal, currency: str) -> str:
    return f"{float(value):,.2f} {currency}".strip()


def _window(hours: float) -> str:
    if hours % 24 == 0:
        days = int(hours // 24)
        return "this week" if days == 7 else ("a day" if days == 1 else f"{days} days")
    return f"{hours:g} h"


def utc_day(at: datetime) -> date:
    """The UTC day of a time (a naive time is taken as UTC)."""
    return (at.astimezone(UTC) if at.tzinfo else at).date()


def check_order(order: OrderFacts, stats: StoreStats, limits: Thresholds) -> list[Flag]:
    flags: list[Flag] = []
    known = stats.orders >= limits.min_history
    total = float(order.total)
    totals = stats.totals(order.currency)  # a currency the store has too few orders in is not judged
    median = totals.median
    if totals.count >= limits.min_history and median > 0:
        if total >= limits.order_total_ratio * median and total > totals.quantile(0.99):
            flags.append(
                Flag(
                    "order_total",
                    f"order total {times(total, median)} the store's median ({money(median, order.currency)})",
                )
            )
        else:
            email = order.buyers.get("email")
            if email is not None and email.orders == 0 and total >= limits.new_customer_ratio * median:
                flags.append(
                    Flag(
                        "new_customer",
                        f"first order of a new customer, {times(total, median)} the store's median order",
                    )
                )
    quantity_median = stats.line_quantities.median
    if stats.line_quantities.count >= limits.min_history and quantity_median > 0:
        ceiling = stats.line_quantities.quantile(0.99)
        for name, quantity in order.quantities:
            q = float(quantity)
            if q >= limits.quantity_ratio * quantity_median and q > ceiling:
                flags.append(
                    Flag(
                        "quantity",
                        f"quantity {quantity:g} of '{name}' is {times(q, quantity_median)} the store's median per line",
                    )
                )
    if known and order.country:
        earlier = stats.countries.get(order.country.upper(), 0)
        if earlier < limits.rare_country_share * stats.orders:
            went = "none" if earlier == 0 else f"{earlier}"
            flags.append(
                Flag(
                    "country",
                    f"ship-to country {order.country.upper()}: {went} of the store's {stats.orders:,} "
                    "earlier orders went there",
                )
            )
    window = timedelta(hours=limits.velocity_hours)
    for kind, what in (("email", "from this e-mail"), ("address", "to this shipping address")):
        activity = order.buyers.get(kind)
        if activity is None or not known:
            continue
        count = activity.recent(activity.order_times, order.at, window) + 1
        if count >= limits.velocity_orders:
            flags.append(
                Flag(f"{kind}_velocity", f"{ordinal(count)} order {what} within {_window(limits.velocity_hours)}")
            )
    return flags


def check_refund(refund: RefundFacts, stats: StoreStats, limits: Thresholds) -> list[Flag]:
    flags: list[Flag] = []
    amounts = stats.refunds_in(refund.currency)
    median = amounts.median
    amount = float(refund.amount)
    if amounts.count >= limits.min_refunds and median > 0 and amount >= limits.refund_ratio * median:
        flags.append(
            Flag(
                "refund",
                f"refund of {money(amount, refund.currency)} is {times(amount, median)} the store's median refund",
            )
        )
    if refund.customer is not None and stats.orders >= limits.min_history:
        window = timedelta(days=limits.customer_refund_days)
        count = refund.customer.recent(refund.customer.refund_times, refund.at, window) + 1
        if count >= limits.customer_refunds:
            flags.append(
                Flag(
                    "customer_refunds",
                    f"{ordinal(count)} refund for this customer {_window(limits.customer_refund_days * 24)}",
                )
            )
    rate = refund_rate(utc_day(refund.at), stats, limits)
    if rate is not None:
        flags.append(Flag("refund_rate", rate))
    return flags


def refund_rate(day: date, stats: StoreStats, limits: Thresholds) -> str | None:
    """The reason, when the store's refunds per order over the recent days (with this refund) are
    ``refund_rate_ratio`` × its usual rate or more; ``None`` when not, or too little is known."""
    first = day - timedelta(days=limits.refund_rate_days - 1)
    orders, refunds = stats.between(first, day)
    refunds += 1  # this refund
    before, refunded = stats.between(
        first - timedelta(days=limits.refund_rate_baseline_days), first - timedelta(days=1)
    )
    if refunds < limits.refund_rate_min_refunds or before < limits.min_history:
        return None
    usual = max(refunded, 1) / before  # never zero: a store that never refunded is judged as if once
    recent = refunds / max(orders, 1)
    if recent < limits.refund_rate_ratio * usual:
        return None
    days = "this week" if limits.refund_rate_days == 7 else f"in the last {limits.refund_rate_days} days"
    return (
        f"refunds are {times(recent, usual)} the store's usual rate {days} "
        f"({refunds} for {orders} orders; usually {100 * usual:.1f} per 100)"
    )


def learn_order(order: OrderFacts, stats: StoreStats, limits: Thresholds) -> None:
    """Add the order to the store's history (after it was checked)."""
    stats.orders += 1
    stats.order_totals.setdefault(order.currency.upper(), LogHistogram()).add(order.total)
    stats.count_day(utc_day(order.at), orders=1, keep_days=limits.keep_days)
    for _, quantity in order.quantities:
        stats.line_quantities.add(quantity)
    if order.country:
        stats.countries[order.country.upper()] = stats.countries.get(order.country.upper(), 0) + 1


def learn_buyer_order(activity: BuyerActivity, at: datetime, limits: Thresholds) -> None:
    activity.orders += 1
    activity.order_times.append(at.isoformat())
    activity.trim(at, limits.keep)


def learn_refund(refund: RefundFacts, stats: StoreStats, limits: Thresholds) -> None:
    stats.refunds += 1
    stats.refund_amounts.setdefault(refund.currency.upper(), LogHistogram()).add(refund.amount)
    stats.count_day(utc_day(refund.at), refunds=1, keep_days=limits.keep_days)


def learn_buyer_refund(activity: BuyerActivity, at: datetime, limits: Thresholds) -> None:
    activity.refund_times.append(at.isoformat())
    activity.trim(at, limits.keep)
