"""`python -m bench.anomalies [--out PATH]`: precision and recall of the anomaly flags on a generated
store history with planted anomalies, and the flags on a normal day (there should be none).

The store (a fixed seed): 60 days of history, ~50 orders a day; order totals log-normal around 60
(σ 0.7), 1-4 lines of mostly single units, ship-to countries US / CA / GB / DE / AU, a pool of returning
customers each with their own address, and refunds on ~5 % of orders (part or all of the order). Every
order and refund is checked against the history so far, then learnt, as the connector does
(shared/anomalies/rules.py with the default thresholds), so the history is the same shape as in a
store. Then:
- a normal day: the same process for one more day (no flag expected), and a normal week after it;
- a test day: a busy day's orders (4× a normal day) with planted anomalies mixed in: huge orders (15-60× the median),
  bulk quantities (40-200 units on a line), new customers' large first orders (6-9×), ship-to
  countries the store never sent to, bursts of orders from one e-mail and to one address (a flag is
  expected from the 4th order within 24 h), refunds 8-20× the median refund, customers refunding a
  third time within the week, and a wave of ordinary-looking refunds (a bad batch: 90 in the day). A
  wave refund is planted once the week's refunds per order, counted by this generator from the events
  it made, are 3× the store's rate over the 8 weeks before (the refunds before that are the lead-in,
  not yet an anomaly, and are expected unflagged).

Precision: flagged events that were planted ÷ flagged events. Recall: planted events flagged ÷ planted.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.anomalies import rules
from shared.anomalies.history import BuyerActivity, StoreStats, buyer_keys
from shared.anomalies.rules import Flag, OrderFacts, RefundFacts, Thresholds

SEED = 1616
HISTORY_DAYS = 60
ORDERS_PER_DAY = 50
NORMAL_WEEK = 7
COUNTRIES = {"US": 0.70, "CA": 0.12, "GB": 0.10, "DE": 0.05, "AU": 0.03}
START = datetime(2026, 9, 1, tzinfo=UTC)


@dataclass
class Simulated:
    """A store's history as the connector keeps it, and what each checked event got."""

    limits: Thresholds = field(default_factory=Thresholds)
    stats: StoreStats = field(default_factory=StoreStats)
    buyers: dict[str, BuyerActivity] = field(default_factory=dict)
    flags: list[tuple[str, str, list[Flag]]] = field(default_factory=list)  # (event id, planted kind, flags)
    made: Counter[tuple[date, str]] = field(default_factory=Counter)  # (day, "order" / "refund") → events made

    def made_between(self, first: date, last: date) -> tuple[int, int]:
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return sum(self.made[d, "order"] for d in days), sum(self.made[d, "refund"] for d in days)

    def order(self, event: str, total: float, quantities: list[int], country: str, email: str, street: str,
              at: datetime, planted: str = "") -> None:  # fmt: skip
        keys = buyer_keys(email, street, "12345", country)
        activity = {kind: self.buyers.setdefault(key, BuyerActivity()) for kind, key in keys.items()}
        facts = OrderFacts(
            Decimal(str(round(total, 2))), "USD", tuple(("Item", Decimal(q)) for q in quantities), country, at, activity
        )
        self.flags.append((event, planted, rules.check_order(facts, self.stats, self.limits)))
        rules.learn_order(facts, self.stats, self.limits)
        self.made[at.date(), "order"] += 1
        for one in activity.values():
            rules.learn_buyer_order(one, at, self.limits)

    def refund(self, event: str, amount: float, email: str, at: datetime, planted: str = "") -> None:
        customer = self.buyers.setdefault(buyer_keys(email, "", "", "")["email"], BuyerActivity())
        facts = RefundFacts(Decimal(str(round(amount, 2))), "USD", at, customer)
        self.flags.append((event, planted, rules.check_refund(facts, self.stats, self.limits)))
        rules.learn_refund(facts, self.stats, self.limits)
        self.made[at.date(), "refund"] += 1
        rules.learn_buyer_refund(customer, at, self.limits)


class Store:
    """The normal order process of one store."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.customers = [(f"buyer{n}@example.com", f"{n} Main Street") for n in range(1500)]
        self.countries = [rng.choices(list(COUNTRIES), weights=list(COUNTRIES.values()))[0] for _ in self.customers]
        self.orders: list[tuple[float, str, datetime]] = []  # (total, email, at) for refunds
        self.next_new = len(self.customers)

    def total(self) -> float:
        return math.exp(self.rng.gauss(math.log(60), 0.7))

    def quantities(self) -> list[int]:
        return [self.rng.choices([1, 2, 3, 4, 5], weights=[70, 20, 5, 3, 2])[0] for _ in range(self.rng.randint(1, 4))]

    def day(self, sim: Simulated, day: int, count: int = ORDERS_PER_DAY, tag: str = "") -> None:
        base = START + timedelta(days=day)
        for n in range(count):
            at = base + timedelta(seconds=self.rng.uniform(0, 86_400))
            if self.rng.random() < 0.3:  # a new customer
                index = self.next_new
                self.next_new += 1
                email, street = f"buyer{index}@example.com", f"{index} Main Street"
                country = self.rng.choices(list(COUNTRIES), weights=list(COUNTRIES.values()))[0]
            else:
                index = self.rng.randrange(len(self.customers))
                (email, street), country = self.customers[index], self.countries[index]
            total = self.total()
            sim.order(f"{tag}d{day}-o{n}", total, self.quantities(), country, email, street, at)
            self.orders.append((total, email, at))
        for n in range(max(1, count // 20)):  # ~5 % of orders are refunded, partly or whole
            total, email, at = self.rng.choice(self.orders[-count * 7 :])
            share = self.rng.choice([1.0, 1.0, 0.5, 0.3])
            sim.refund(f"{tag}d{day}-r{n}", total * share, email, base + timedelta(hours=23, minutes=n))


def history(rng: random.Random) -> tuple[Simulated, Store]:
    sim = Simulated()
    store = Store(rng)
    for day in range(HISTORY_DAYS):
        store.day(sim, day)
    sim.flags.clear()  # the history only sets what is normal
    return sim, store


def plant(sim: Simulated, store: Store, day: int) -> None:
    """The test day's anomalies, each a planted event (or several for a burst)."""
    rng = store.rng
    base = START + timedelta(days=day, hours=9)
    median = sim.stats.totals("USD").median
    for n in range(6):
        email, street = store.customers[rng.randrange(len(store.customers))]
        sim.order(f"huge{n}", median * rng.uniform(15, 60), [1, 2], "US", email, street, base, "order_total")
    for n in range(6):
        email, street = store.customers[rng.randrange(len(store.customers))]
        sim.order(f"bulk{n}", median * 1.5, [rng.randint(40, 200)], "US", email, street, base, "quantity")
    for n in range(6):
        email, street = f"newcomer{n}@example.net", f"{n} New Road"
        sim.order(f"new{n}", median * rng.uniform(6, 9), [1], "US", email, street, base, "new_customer")
    for n, country in enumerate(["BR", "NG", "ID", "VN", "RU"]):
        email, street = store.customers[rng.randrange(len(store.customers))]
        sim.order(f"country{n}", median, [1], country, email, street, base, "country")
    for n in range(3):  # one e-mail, five orders in two hours: the 4th and 5th are the anomaly
        email, street = f"burst{n}@example.org", f"{n} Burst Lane"
        for k in range(5):
            planted = "email_velocity" if k >= 3 else ""
            sim.order(f"burst{n}-{k}", median, [1], "US", email, street, base + timedelta(minutes=25 * k), planted)
    for n in range(2):  # one address, different e-mails, four orders in a day
        for k in range(4):
            planted = "address_velocity" if k >= 3 else ""
            email = f"drop{n}-{k}@example.org"
            sim.order(f"drop{n}-{k}", median, [1], "US", email, f"{n} Drop Street", base + timedelta(hours=k), planted)
    refund_median = sim.stats.refunds_in("USD").median
    for n in range(4):
        email, _ = store.customers[rng.randrange(len(store.customers))]
        sim.refund(f"bigrefund{n}", refund_median * rng.uniform(8, 20), email, base, "refund")
    for n in range(3):  # a customer refunding three times in a week: the third is the anomaly
        email, _ = store.customers[rng.randrange(len(store.customers))]
        for k in range(3):
            planted = "customer_refunds" if k == 2 else ""
            sim.refund(f"serial{n}-{k}", refund_median * 0.5, email, base - timedelta(days=2 * (2 - k)), planted)
    wave(sim, store, day)


WAVE = 90  # refunds of a bad batch in one afternoon


def wave(sim: Simulated, store: Store, day: int) -> None:
    """Ordinary refunds of recent orders, one after another: planted from the one that makes the week's
    refunds per order 3× the store's rate over the 8 weeks before (counted from the events made)."""
    today = (START + timedelta(days=day)).date()
    first = today - timedelta(days=6)
    for n in range(WAVE):
        total, email, _ = store.rng.choice(store.orders[-ORDERS_PER_DAY * 7 :])
        orders, refunds = sim.made_between(first, today)
        before, refunded = sim.made_between(first - timedelta(days=56), first - timedelta(days=1))
        planted = "refund_rate" if (refunds + 1) / orders >= 3 * refunded / before else ""
        at = START + timedelta(days=day, hours=14, minutes=n)
        sim.refund(f"wave{n}", total * store.rng.choice([1.0, 0.5]), email, at, planted)


def scores(flags: list[tuple[str, str, list[Flag]]]) -> dict[str, Any]:
    planted = [f for f in flags if f[1]]
    flagged = [f for f in flags if f[2]]
    hit = [f for f in flagged if f[1]]
    by_kind: dict[str, dict[str, int]] = {}
    for _, kind, got in planted:
        counts = by_kind.setdefault(kind, {"planted": 0, "flagged": 0})
        counts["planted"] += 1
        counts["flagged"] += bool(got)
    return {
        "events": len(flags),
        "planted": len(planted),
        "flagged": len(flagged),
        "precision": round(len(hit) / len(flagged), 3) if flagged else 1.0,
        "recall": round(len(hit) / len(planted), 3) if planted else 1.0,
        "by_kind": by_kind,
        "false_positives": [{"event": e, "reasons": [f.reason for f in got]} for e, kind, got in flagged if not kind],
        "flag_codes": dict(Counter(f.code for _, _, got in flagged for f in got)),
    }


def run() -> dict[str, Any]:
    sim, store = history(random.Random(SEED))
    store.day(sim, HISTORY_DAYS, tag="normal-")
    normal = scores(sim.flags)
    sim.flags.clear()
    for day in range(HISTORY_DAYS + 1, HISTORY_DAYS + 1 + NORMAL_WEEK):
        store.day(sim, day, tag="week-")
    week = scores(sim.flags)
    sim.flags.clear()
    test = HISTORY_DAYS + 1 + NORMAL_WEEK
    store.day(sim, test, count=ORDERS_PER_DAY * 4, tag="test-")  # a busy day: more chances to be wrong
    plant(sim, store, test)
    test_day = scores(sim.flags)
    return {
        "seed": SEED,
        "history_orders": HISTORY_DAYS * ORDERS_PER_DAY,
        "median_order_total": round(sim.stats.totals("USD").median, 2),
        "normal_day": normal,
        "normal_week": {k: week[k] for k in ("events", "flagged", "false_positives", "flag_codes")},
        "test_day": test_day,
        "examples": sorted({f.reason for _, kind, got in sim.flags if kind for f in got})[:12],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.anomalies", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "anomalies.json")
    args = parser.parse_args(argv)
    result = run()
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    normal, test = result["normal_day"], result["test_day"]
    print(f"normal day: {normal['flagged']} of {normal['events']} events flagged")
    week = result["normal_week"]
    print(f"normal week after it: {week['flagged']} of {week['events']} events flagged")
    for fp in week["false_positives"]:
        print(f"  {fp['event']}: {'; '.join(fp['reasons'])}")
    print(f"test day: precision {test['precision']:.1%}, recall {test['recall']:.1%} "
          f"({test['planted']} planted among {test['events']} events)")  # fmt: skip
    for kind, counts in test["by_kind"].items():
        print(f"  {kind:18} {counts['flagged']}/{counts['planted']}")
    for fp in test["false_positives"]:
        print(f"  false positive {fp['event']}: {'; '.join(fp['reasons'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
