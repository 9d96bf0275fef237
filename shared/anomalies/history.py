"""A store's running statistics (no I/O): what is normal for it, kept incrementally.

Each figure is a histogram on a log scale (bins 2^(1/8) ≈ 9 % wide), so a median or a percentile is read
without keeping, or re-reading, the orders: adding one is a counter increment, and the whole history of
a store is a few hundred numbers however many orders it has had. Order totals and refund amounts are
kept per currency (a multi-currency store's 50 USD and 5,000 JPY are different figures). Ship-to
countries are counted by code; orders and refunds are counted per day over the last weeks (the store's
refund rate, recent and usual). Per buyer (an e-mail, or a shipping address: hashed, no personal data
stored) the times of recent orders and refunds are kept, trimmed to the longest window a rule looks at."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

BINS_PER_DOUBLING = 8
MAX_TIMES = 200  # a buyer's order (refund) times kept: far more than any rule counts
_LOG_BASE = math.log(2) / BINS_PER_DOUBLING


@dataclass
class LogHistogram:
    """Counts of positive values by log bin (``zero`` counts values ≤ 0)."""

    bins: dict[int, int] = field(default_factory=dict)
    zero: int = 0

    @property
    def count(self) -> int:
        return self.zero + sum(self.bins.values())

    def add(self, value: Decimal | float) -> None:
        v = float(value)
        if v <= 0:
            self.zero += 1
            return
        index = math.floor(math.log(v) / _LOG_BASE)
        self.bins[index] = self.bins.get(index, 0) + 1

    def quantile(self, q: float) -> float:
        """The value below which a share ``q`` of the values lie (the middle of its bin); 0 when empty."""
        total = self.count
        if total == 0:
            return 0.0
        rank = q * total
        seen = self.zero
        if seen >= rank and self.zero:
            return 0.0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= rank:
                return math.exp((index + 0.5) * _LOG_BASE)
        return math.exp((max(self.bins) + 0.5) * _LOG_BASE)

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    def merge(self, other: LogHistogram) -> None:
        self.zero += other.zero
        for index, n in other.bins.items():
            self.bins[index] = self.bins.get(index, 0) + n

    def to_json(self) -> dict[str, Any]:
        return {"bins": {str(k): v for k, v in self.bins.items()}, "zero": self.zero}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LogHistogram:
        data = data or {}
        return cls({int(k): int(v) for k, v in dict(data.get("bins", {})).items()}, int(data.get("zero", 0)))


def _histograms(data: Any) -> dict[str, LogHistogram]:
    """Histograms by currency; a single histogram (written before they were kept per currency, its
    currency unknown) is left out: the store learns its currencies again."""
    if not isinstance(data, dict) or "bins" in data:
        return {}
    return {str(currency): LogHistogram.from_json(h) for currency, h in data.items()}


@dataclass
class StoreStats:
    """What is normal for one store (or one shard of it: shards are merged on read): order totals and
    refund amounts per currency, quantities per line, ship-to countries, and orders and refunds per day
    (``days``: ISO date → [orders, refunds], the last few weeks only)."""

    orders: int = 0
    order_totals: dict[str, LogHistogram] = field(default_factory=dict)
    line_quantities: LogHistogram = field(default_factory=LogHistogram)
    refunds: int = 0
    refund_amounts: dict[str, LogHistogram] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)
    days: dict[str, list[int]] = field(default_factory=dict)

    def totals(self, currency: str) -> LogHistogram:
        """The order totals in ``currency`` (empty when the store has none)."""
        return self.order_totals.get(currency.upper(), LogHistogram())

    def refunds_in(self, currency: str) -> LogHistogram:
        return self.refund_amounts.get(currency.upper(), LogHistogram())

    def count_day(self, day: date, *, orders: int = 0, refunds: int = 0, keep_days: int) -> None:
        """Count an order or refund on its day; days more than ``keep_days`` before the latest are dropped
        (and an event older than that is not counted by day: it is in the histograms all the same)."""
        latest = max([date.fromisoformat(d) for d in self.days] + [day])
        since = latest - timedelta(days=keep_days)
        self.days = {d: c for d, c in self.days.items() if date.fromisoformat(d) >= since}
        if day >= since:
            counts = self.days.setdefault(day.isoformat(), [0, 0])
            counts[0] += orders
            counts[1] += refunds

    def between(self, first: date, last: date) -> tuple[int, int]:
        """(orders, refunds) counted on the days ``first`` … ``last``, both included."""
        orders = refunds = 0
        for d, (o, r) in self.days.items():
            if first <= date.fromisoformat(d) <= last:
                orders, refunds = orders + o, refunds + r
        return orders, refunds

    def merge(self, other: StoreStats) -> None:
        """Add another shard's figures to these."""
        self.orders += other.orders
        self.refunds += other.refunds
        self.line_quantities.merge(other.line_quantities)
        for mine, theirs in ((self.order_totals, other.order_totals), (self.refund_amounts, other.refund_amounts)):
            for currency, histogram in theirs.items():
                mine.setdefault(currency, LogHistogram()).merge(histogram)
        for country, n in other.countries.items():
            self.countries[country] = self.countries.get(country, 0) + n
        for d, (o, r) in other.days.items():
            counts = self.days.setdefault(d, [0, 0])
            counts[0] += o
            counts[1] += r

    def to_json(self) -> str:
        return json.dumps(
            {
                "orders": self.orders,
                "order_totals": {c: h.to_json() for c, h in self.order_totals.items()},
                "line_quantities": self.line_quantities.to_json(),
                "refunds": self.refunds,
                "refund_amounts": {c: h.to_json() for c, h in self.refund_amounts.items()},
                "countries": self.countries,
                "days": self.days,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> StoreStats:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            orders=int(data.get("orders", 0)),
            order_totals=_histograms(data.get("order_totals")),
            line_quantities=LogHistogram.from_json(data.get("line_quantities")),
            refunds=int(data.get("refunds", 0)),
            refund_amounts=_histograms(data.get("refund_amounts")),
            countries={str(k): int(v) for k, v in dict(data.get("countries", {})).items()},
            days={str(d): [int(o), int(r)] for d, (o, r) in dict(data.get("days", {})).items()},
        )


@dataclass
class BuyerActivity:
    """One buyer's (an e-mail's, or a shipping address's) recent orders and refunds, times in UTC."""

    orders: int = 0
    order_times: list[str] = field(default_factory=list)
    refund_times: list[str] = field(default_factory=list)

    def recent(self, times: list[str], now: datetime, window: timedelta) -> int:
        since = now - window
        return sum(1 for t in times if since <= datetime.fromisoformat(t) <= now)

    def trim(self, now: datetime, keep: timedelta) -> None:
        """Forget times older than ``keep``, and all but the latest ``MAX_TIMES`` (a table cell's size)."""
        since = now - keep
        self.order_times = [t for t in self.order_times if datetime.fromisoformat(t) >= since][-MAX_TIMES:]
        self.refund_times = [t for t in self.refund_times if datetime.fromisoformat(t) >= since][-MAX_TIMES:]

    def to_json(self) -> str:
        return json.dumps({"orders": self.orders, "order_times": self.order_times, "refund_times": self.refund_times})

    @classmethod
    def from_json(cls, text: str) -> BuyerActivity:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(int(data.get("orders", 0)), list(data.get("order_times", [])), list(data.get("refund_times", [])))


def buyer_keys(email: str, address_1: str, postcode: str, country: str) -> dict[str, str]:
    """Hashed keys of a buyer: ``email`` and ``address`` (normalised first; only what is known)."""
    keys: dict[str, str] = {}
    if email.strip():
        keys["email"] = "email-" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    street = "".join(address_1.lower().split())
    if street:
        basis = f"{street}|{''.join(postcode.lower().split())}|{country.upper()}"
        keys["address"] = "address-" + hashlib.sha256(basis.encode()).hexdigest()[:32]
    return keys
