"""Anomaly flags (issue 16): the running statistics, the rules' plain reasons, the generated history
with planted anomalies (precision, recall, a normal day without a flag), and the order and refund
flows in flag and hold mode on in-memory adapters."""

from __future__ import annotations

import logging
import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bench.anomalies import run as simulate
from shared.anomalies import rules
from shared.anomalies.history import BuyerActivity, LogHistogram, StoreStats, buyer_keys
from shared.anomalies.rules import OrderFacts, RefundFacts, Thresholds
from shared.flows import anomalies
from shared.flows.orders import redrive_held_orders
from shared.model import HoldCode
from shared.storage.ledger import OrderState
from shared.telemetry import NEEDS_ATTENTION
from tests.fakes import FakeErp
from tests.unit.test_order_flows import STORE, App, order_payload

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
LIMITS = Thresholds()

# ------------------------------------------------------------------------------ statistics


def test_a_log_histogram_reads_the_median_and_percentiles_within_a_bin() -> None:
    rng = random.Random(3)
    values = sorted(rng.lognormvariate(4, 0.8) for _ in range(5000))
    histogram = LogHistogram()
    for v in values:
        histogram.add(v)
    for q in (0.5, 0.9, 0.99):
        exact = values[int(q * len(values)) - 1]
        assert abs(histogram.quantile(q) / exact - 1) < 0.1  # bins are 9 % wide
    again = LogHistogram.from_json(histogram.to_json())
    assert again == histogram and again.count == 5000
    assert LogHistogram().median == 0.0


def test_the_store_stats_stay_small_however_many_orders() -> None:
    stats = StoreStats()
    for n in range(20_000):
        at = NOW - timedelta(minutes=n)
        rules.learn_order(
            OrderFacts(Decimal(10 + n % 500), "USD", (("x", Decimal(1 + n % 7)),), "US", at), stats, LIMITS
        )
    text = stats.to_json()
    assert StoreStats.from_json(text).orders == 20_000 and len(text) < 4000  # one table cell (64 KiB) holds it


def test_buyer_keys_are_hashes_and_the_same_however_written() -> None:
    a = buyer_keys(" Jane@Example.com", "1 Main  Street", "SW1A 1AA", "gb")
    b = buyer_keys("jane@example.com", "1 main street", "sw1a1aa", "GB")
    assert a == b and set(a) == {"email", "address"}
    assert "jane" not in a["email"] and "main" not in a["address"]
    assert buyer_keys("", "", "", "US") == {}


# ------------------------------------------------------------------------------ rules


def history(orders: int = 100, total: str = "50", country: str = "US") -> StoreStats:
    stats = StoreStats()
    for n in range(orders):
        amount = Decimal(total) * Decimal(0.8 + 0.4 * (n % 10) / 10)
        rules.learn_order(OrderFacts(amount, "USD", (("Mug", Decimal(1 + n % 2)),), country, NOW), stats, LIMITS)
    return stats


def facts(total: str, *, quantity: int = 1, country: str = "US", email: BuyerActivity | None = None) -> OrderFacts:
    buyers = {"email": email if email is not None else BuyerActivity(orders=3)}
    return OrderFacts(Decimal(total), "USD", (("Blue mug", Decimal(quantity)),), country, NOW, buyers)


def test_a_huge_order_is_flagged_with_how_far_it_is_from_the_median() -> None:
    [flag] = rules.check_order(facts("2400"), history(), Thresholds())
    assert flag.code == "order_total"  # ~48× a median near 50, read from 9 %-wide bins
    assert re.fullmatch(r"order total (4[5-9]|5[0-3])× the store's median \(4\d\.\d\d USD\)", flag.reason)


def test_nothing_is_flagged_before_the_store_has_history() -> None:
    assert rules.check_order(facts("2400", quantity=500, country="BR"), history(orders=10), Thresholds()) == []


def test_a_bulk_quantity_a_new_customers_large_first_order_and_a_new_country() -> None:
    stats = history()
    [bulk] = rules.check_order(facts("60", quantity=40), stats, Thresholds())
    assert (
        bulk.reason == "quantity 40 of 'Blue mug' is 38× the store's median per line"
    )  # the median 1 read as its bin's middle, 1.04
    [first] = rules.check_order(facts("300", email=BuyerActivity()), stats, Thresholds())
    assert first.code == "new_customer" and first.reason.startswith("first order of a new customer, 6.")
    assert rules.check_order(facts("300"), stats, Thresholds()) == []  # a returning customer: fine
    [country] = rules.check_order(facts("50", country="BR"), stats, Thresholds())
    assert country.reason == "ship-to country BR: none of the store's 100 earlier orders went there"


def test_the_fourth_order_from_one_email_within_a_day_is_flagged() -> None:
    activity = BuyerActivity(orders=3)
    limits = Thresholds()
    for hours in (5, 3, 1):
        rules.learn_buyer_order(activity, NOW - timedelta(hours=hours), limits)
    [flag] = rules.check_order(facts("50", email=activity), history(), limits)
    assert flag.reason == "fourth order from this e-mail within a day"
    old = BuyerActivity(orders=3, order_times=[(NOW - timedelta(days=2)).isoformat()] * 3)
    assert rules.check_order(facts("50", email=old), history(), limits) == []


def test_ordinals_read_as_words_then_numbers() -> None:
    assert [rules.ordinal(n) for n in (3, 10, 11, 12, 13, 21, 22, 23, 101)] == [
        "third", "tenth", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st"
    ]  # fmt: skip


def test_a_large_refund_and_a_third_refund_for_a_customer_this_week() -> None:
    stats = history()
    for n in range(20):
        rules.learn_refund(RefundFacts(Decimal(20 + n), "USD", NOW, None), stats, LIMITS)
    [big] = rules.check_refund(RefundFacts(Decimal("400"), "USD", NOW, None), stats, Thresholds())
    assert big.reason.startswith("refund of 400.00 USD is 1") and big.reason.endswith("× the store's median refund")
    customer = BuyerActivity()
    for days in (5, 2):
        rules.learn_buyer_refund(customer, NOW - timedelta(days=days), Thresholds())
    [third] = rules.check_refund(RefundFacts(Decimal("25"), "USD", NOW, customer), stats, Thresholds())
    assert third.reason == "third refund for this customer this week"


def test_the_refund_rate_of_the_week_far_above_the_stores_usual_rate_is_flagged() -> None:
    stats, limits = StoreStats(), Thresholds()
    for day in range(7, 63):  # eight weeks before this one: 20 orders a day, one refund every other day
        at = NOW - timedelta(days=day)
        for _n in range(20):
            rules.learn_order(OrderFacts(Decimal(50), "USD", (), "US", at), stats, limits)
        if day % 2:
            rules.learn_refund(RefundFacts(Decimal(30), "USD", at, None), stats, limits)
    for day in range(7):  # this week: as many orders, and refunds coming in
        for _n in range(20):
            rules.learn_order(OrderFacts(Decimal(50), "USD", (), "US", NOW - timedelta(days=day)), stats, limits)
    usual = RefundFacts(Decimal(30), "USD", NOW, None)
    for _n in range(10):  # 2.5 per 100 usually; 11 for 140 orders is 3.1×, the first over 3×
        assert rules.check_refund(usual, stats, limits) == []
        rules.learn_refund(usual, stats, limits)
    [flag] = rules.check_refund(usual, stats, limits)
    assert flag == rules.Flag(
        "refund_rate", "refunds are 3.1× the store's usual rate this week (11 for 140 orders; usually 2.5 per 100)"
    )
    assert rules.check_refund(usual, stats, Thresholds(refund_rate_ratio=4)) == []
    assert rules.check_refund(usual, stats, Thresholds(refund_rate_min_refunds=12)) == []
    # Nine weeks on, the wave has left the window: no flag; and days older than both windows are not kept.
    later = RefundFacts(Decimal(30), "USD", NOW + timedelta(days=64), None)
    rules.learn_order(OrderFacts(Decimal(50), "USD", (), "US", later.at), stats, limits)
    assert rules.check_refund(later, stats, limits) == [] and len(stats.days) == 1


def test_a_store_without_enough_earlier_orders_has_no_usual_refund_rate() -> None:
    stats, limits = StoreStats(), Thresholds()
    for _n in range(100):  # all this week: nothing to compare with
        rules.learn_order(OrderFacts(Decimal(50), "USD", (), "US", NOW), stats, limits)
    for _n in range(30):
        rules.learn_refund(RefundFacts(Decimal(30), "USD", NOW, None), stats, limits)
    assert [f.code for f in rules.check_refund(RefundFacts(Decimal(30), "USD", NOW, None), stats, limits)] == []


def test_totals_and_refund_sizes_are_judged_per_currency() -> None:
    stats, limits = StoreStats(), Thresholds()
    for n in range(100):  # a store selling in euros (~50) and yen (~7,000)
        rules.learn_order(OrderFacts(Decimal(45 + n % 10), "EUR", (), "DE", NOW), stats, limits)
        rules.learn_order(OrderFacts(Decimal(6500 + 100 * (n % 10)), "JPY", (), "JP", NOW), stats, limits)
        rules.learn_refund(RefundFacts(Decimal(20 + n % 5), "EUR", NOW, None), stats, limits)
        rules.learn_refund(RefundFacts(Decimal(3000 + n % 5), "JPY", NOW, None), stats, limits)
    yen = OrderFacts(Decimal(7000), "JPY", (), "JP", NOW, {"email": BuyerActivity()})
    assert rules.check_order(yen, stats, limits) == []  # 140× the euro median, but an ordinary yen order
    [huge] = rules.check_order(OrderFacts(Decimal(2500), "eur", (), "DE", NOW), stats, limits)
    assert huge.code == "order_total" and huge.reason.startswith("order total 5")  # the euro median, ~47
    assert rules.check_refund(RefundFacts(Decimal(3000), "JPY", NOW, None), stats, limits) == []
    [big] = rules.check_refund(RefundFacts(Decimal(3000), "EUR", NOW, None), stats, limits)
    assert big.code == "refund"
    # A currency the store has too few orders in is not judged on size (it learns it first).
    assert rules.check_order(OrderFacts(Decimal(90000), "GBP", (), "DE", NOW), stats, limits) == []
    again = StoreStats.from_json(stats.to_json())
    assert again == stats and set(again.order_totals) == {"EUR", "JPY"}


def test_shards_merge_into_the_stores_figures_and_old_single_histograms_are_dropped() -> None:
    limits, one, two, whole = Thresholds(), StoreStats(), StoreStats(), StoreStats()
    for n in range(60):
        facts = OrderFacts(Decimal(10 + n), "USD", (("Mug", Decimal(1 + n % 3)),), "US" if n % 4 else "CA", NOW)
        rules.learn_order(facts, one if n % 2 else two, limits)
        rules.learn_order(facts, whole, limits)
        refund = RefundFacts(Decimal(5 + n), "USD", NOW - timedelta(days=n % 3), None)
        rules.learn_refund(refund, two if n % 3 else one, limits)
        rules.learn_refund(refund, whole, limits)
    merged = StoreStats()
    merged.merge(one)
    merged.merge(two)
    assert merged == whole
    legacy = '{"orders":3,"order_totals":{"bins":{"40":3},"zero":0},"refunds":0,"refund_amounts":{"bins":{},"zero":0}}'
    read = StoreStats.from_json(legacy)
    assert read.orders == 3 and read.order_totals == {} and read.refund_amounts == {}


# ------------------------------------------------------------------------------ a generated history


def test_planted_anomalies_are_found_and_a_normal_day_flags_nothing() -> None:
    result = simulate()
    assert result["normal_day"]["flagged"] == 0 and result["normal_day"]["events"] >= 50
    test_day = result["test_day"]
    assert test_day["recall"] >= 0.95 and test_day["precision"] >= 0.9
    assert all(kind["flagged"] == kind["planted"] for kind in test_day["by_kind"].values())
    assert test_day["by_kind"]["refund_rate"]["planted"] >= 30  # the wave, after its lead-in
    assert result["normal_week"]["flagged"] <= 0.01 * result["normal_week"]["events"]


# ------------------------------------------------------------------------------ the flows


def seeded(app: App, orders: int = 20, refunds: int = 0) -> None:
    """A store whose orders are ~2 (order 727 is 29.35: far above)."""
    stats = StoreStats()
    for n in range(orders):
        rules.learn_order(OrderFacts(Decimal("2.00") + Decimal(n % 5) / 10, "USD", (), "US", NOW), stats, LIMITS)
    for n in range(refunds):
        rules.learn_refund(RefundFacts(Decimal("1.00") + Decimal(n % 3) / 10, "USD", NOW, None), stats, LIMITS)
    app.services.store_history.replace_stats(STORE, stats)


def test_flag_mode_posts_the_order_and_marks_it_for_a_person(caplog: pytest.LogCaptureFixture) -> None:
    app = App(FakeErp(items=["WOO-93", "Bar3"]), anomaly_min_history=10)
    seeded(app)
    with caplog.at_level(logging.WARNING):
        app.deliver(order_payload())
    entry = app.entry()
    assert entry.state == OrderState.POSTED
    assert entry.anomaly.startswith("unusual order: order total 1") and entry.attention == ""
    assert any(getattr(r, "event", "") == NEEDS_ATTENTION for r in caplog.records)
    assert any(getattr(r, "event", "") == anomalies.ORDER_ANOMALY for r in caplog.records)
    assert app.services.store_history.stats(STORE).orders == 21  # learnt once posted
    [flagged] = anomalies.flagged_orders(app.services)
    assert (flagged.order_id, flagged.state) == (727, OrderState.POSTED)


def test_hold_mode_holds_for_review_until_released_then_posts() -> None:
    erp = FakeErp(items=["WOO-93", "Bar3"])
    app = App(erp, anomaly_min_history=10, anomaly_action="hold")
    seeded(app)
    app.deliver(order_payload())
    entry = app.entry()
    assert (entry.state, entry.hold_code) == (OrderState.HELD, HoldCode.ANOMALY_REVIEW)
    assert "Held for review: order total" in entry.hold_reason and "connector release main/727" in entry.hold_reason
    assert erp.calls["create_sales_document"] == 0 and len(app.woo.notes[727]) == 1
    assert app.services.store_history.stats(STORE).orders == 20  # not learnt while held
    seeded(app, orders=40)  # the history moved on (other orders posted): the reason stays as the person saw it
    reason = app.entry().hold_reason
    redrive_held_orders(app.services)
    app.drain()
    assert app.entry().state == OrderState.HELD and app.entry().hold_reason == reason
    assert len(app.woo.notes[727]) == 1  # no second note
    with pytest.raises(anomalies.ReleaseError, match="not in the ledger"):
        anomalies.release(app.services, STORE, 999, by="ops")
    anomalies.release(app.services, STORE, 727, by="ops")
    app.drain()
    entry = app.entry()
    assert entry.state == OrderState.POSTED and "unusual order (released by ops at " in entry.anomaly
    assert [row.data["stage"] for row in app.services.audit.trail(f"{STORE}/727")].count("released") == 1
    assert app.services.store_history.stats(STORE).orders == 41  # the 40 seeded, and this one once posted


def test_off_checks_and_learns_nothing() -> None:
    app = App(FakeErp(items=["WOO-93", "Bar3"]), anomaly_min_history=10, anomaly_action="off")
    seeded(app)
    app.deliver(order_payload())
    assert app.entry().state == OrderState.POSTED and app.entry().attention == ""
    assert app.services.store_history.stats(STORE).orders == 20


def test_a_large_refund_is_flagged_never_held() -> None:
    app = App(FakeErp(items=["WOO-93", "Bar3"]), anomaly_min_history=1000, anomaly_min_refunds=5)
    seeded(app, refunds=10)
    app.deliver(order_payload())
    assert app.entry().anomaly == ""  # too little history to judge the order
    refund = {"id": 901, "reason": "damaged", "amount": "10.00", "refunded_payment": True,
              "date_created_gmt": "2017-03-23T10:00:00", "line_items": [], "shipping_lines": [], "fee_lines": []}  # fmt: skip
    app.woo.refunds[727] = [refund]
    refunded = order_payload(date_modified_gmt="2017-03-23T10:00:01")
    refunded["refunds"] = [{"id": 901, "reason": "damaged", "total": "-10.00"}]
    app.deliver(refunded)
    entry = app.entry()
    assert entry.refunds_posted == "901"
    assert entry.anomaly.startswith("unusual refund 901: refund of 10.00 USD is") and entry.attention == ""
    assert app.services.store_history.stats(STORE).refunds == 11


def test_a_refund_in_a_week_of_many_refunds_is_flagged_through_the_refund_flow() -> None:
    app = App(FakeErp(items=["WOO-93", "Bar3"]))
    limits, stats = Thresholds(), StoreStats()
    refunded_on = datetime(2017, 3, 23, 10, tzinfo=UTC)
    for day in range(1, 63):  # 10 orders a day for nine weeks, a refund a week, then 6 refunds this week
        at = refunded_on - timedelta(days=day)
        for _ in range(10):
            rules.learn_order(OrderFacts(Decimal(20), "USD", (), "US", at), stats, limits)
        if day % 7 == 0 or day < 7:
            rules.learn_refund(RefundFacts(Decimal(10), "USD", at, None), stats, limits)
    app.services.store_history.replace_stats(STORE, stats)
    app.deliver(order_payload())
    refund = {"id": 901, "reason": "damaged", "amount": "10.00", "refunded_payment": True,
              "date_created_gmt": "2017-03-23T10:00:00", "line_items": [], "shipping_lines": [], "fee_lines": []}  # fmt: skip
    app.woo.refunds[727] = [refund]
    refunded = order_payload(date_modified_gmt="2017-03-23T10:00:01")
    refunded["refunds"] = [{"id": 901, "reason": "damaged", "total": "-10.00"}]
    app.deliver(refunded)
    entry = app.entry()
    assert entry.refunds_posted == "901" and entry.state == OrderState.POSTED  # flagged, never held
    assert entry.anomaly == (
        "unusual refund 901: refunds are 8.0× the store's usual rate this week (7 for 61 orders; usually 1.4 per 100)"
    )
    assert app.services.store_history.stats(STORE).days["2017-03-23"] == [0, 1]  # learnt on its day
