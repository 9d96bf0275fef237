"""Which orders and refunds are far outside a store's history, and why, in plain words (no I/O).

An order is checked against the history *before* it is learnt, so it never hides itself; nothing is
flagged until the store has ``min_history`` orders (a new deployment learns first; refund sizes wait
for ``min_refunds`` refunds). The rules:

- order total ≥ ``order_total_ratio`` × the store's median order total, and above its 99th percentile;
- a line's quantity ≥ ``quantity_ratio`` × the median quantity per line, and above its 99th percentile;
- the first order of a new customer (an e-mail not seen before) ≥ ``new_customer_ratio`` × the median;
- a ship-to country that fewer than ``rare_country_share`` of the store's orders went to;
- the ``velocity_orders``-th order (or more) from one e-mail, or to one shipping address, within
  ``velocity_hours``;
- a refund ≥ ``refund_ratio`` × the store's median refund (once it has ``min_refunds``);
- the ``customer_refunds``-th refund (or more) for one customer within ``customer_refund_days``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from shared.anomalies.history import BuyerActivity, StoreStats


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

    @property
    def keep(self) -> timedelta:
        """How long a buyer's order and refund times are kept: the longest window a rule looks at."""
        return max(timedelta(hours=self.velocity_hours), timedelta(days=self.customer_refund_days))


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


def check_order(order: OrderFacts, stats: StoreStats, limits: Thresholds) -> list[Flag]:
    flags: list[Flag] = []
    known = stats.orders >= limits.min_history
    total = float(order.total)
    median = stats.order_totals.median
    if known and median > 0:
        if total >= limits.order_total_ratio * median and total > stats.order_totals.quantile(0.99):
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
    median = stats.refund_amounts.median
    amount = float(refund.amount)
    if stats.refunds >= limits.min_refunds and median > 0 and amount >= limits.refund_ratio * median:
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
    return flags


def learn_order(order: OrderFacts, stats: StoreStats) -> None:
    """Add the order to the store's history (after it was checked)."""
    stats.orders += 1
    stats.order_totals.add(order.total)
    for _, quantity in order.quantities:
        stats.line_quantities.add(quantity)
    if order.country:
        stats.countries[order.country.upper()] = stats.countries.get(order.country.upper(), 0) + 1


def learn_buyer_order(activity: BuyerActivity, at: datetime, limits: Thresholds) -> None:
    activity.orders += 1
    activity.order_times.append(at.isoformat())
    activity.trim(at, limits.keep)


def learn_refund(amount: Decimal, stats: StoreStats) -> None:
    stats.refunds += 1
    stats.refund_amounts.add(amount)


def learn_buyer_refund(activity: BuyerActivity, at: datetime, limits: Thresholds) -> None:
    activity.refund_times.append(at.isoformat())
    activity.trim(at, limits.keep)
