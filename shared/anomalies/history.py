"""A store's running statistics (no I/O): what is normal for it, kept incrementally.

Each figure is a histogram on a log scale (bins 2^(1/8) ≈ 9 % wide), so a median or a percentile is
read without keeping, or re-reading, the orders: adding one is a counter increment, and the whole
history of a store is a few hundred numbers however many orders it has had. Ship-to countries are
counted by code. Per buyer (an e-mail, or a shipping address: hashed, no personal data stored) the
times of recent orders and refunds are kept, trimmed to the longest window a rule looks at.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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

    def to_json(self) -> dict[str, Any]:
        return {"bins": {str(k): v for k, v in self.bins.items()}, "zero": self.zero}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LogHistogram:
        data = data or {}
        return cls({int(k): int(v) for k, v in dict(data.get("bins", {})).items()}, int(data.get("zero", 0)))


@dataclass
class StoreStats:
    """What is normal for one store: order totals, quantities per line, refunds, ship-to countries."""

    orders: int = 0
    order_totals: LogHistogram = field(default_factory=LogHistogram)
    line_quantities: LogHistogram = field(default_factory=LogHistogram)
    refunds: int = 0
    refund_amounts: LogHistogram = field(default_factory=LogHistogram)
    countries: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "orders": self.orders,
                "order_totals": self.order_totals.to_json(),
                "line_quantities": self.line_quantities.to_json(),
                "refunds": self.refunds,
                "refund_amounts": self.refund_amounts.to_json(),
                "countries": self.countries,
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
            order_totals=LogHistogram.from_json(data.get("order_totals")),
            line_quantities=LogHistogram.from_json(data.get("line_quantities")),
            refunds=int(data.get("refunds", 0)),
            refund_amounts=LogHistogram.from_json(data.get("refund_amounts")),
            countries={str(k): int(v) for k, v in dict(data.get("countries", {})).items()},
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
