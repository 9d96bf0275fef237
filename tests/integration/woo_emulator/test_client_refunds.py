"""The connector's read of one day's refunds works on every supported WooCommerce version: 8.x has no
top-level `/refunds` route (404 `rest_no_route`, facts woocommerce.md §0, §2.5), newer stores list it in
their route index."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, time

import pytest
from pydantic import SecretStr

from sandbox.woo import WooEmulator
from shared.config import Settings, WooStoreSettings
from shared.flows.reconcile import REFUND_FIELDS, day_bounds
from shared.http import PermanentHttpError, TransientHttpError
from shared.woo.client import WooClient

from .conftest import CK, CS

pytestmark = pytest.mark.integration

DAY = datetime(2021, 3, 2, tzinfo=UTC).date()


def client_for(emu: WooEmulator) -> WooClient:
    store = WooStoreSettings(
        url=emu.url, consumer_key=SecretStr(CK), consumer_secret=SecretStr(CS), webhook_secret=SecretStr("x")
    )
    return WooClient("main", store, settings=Settings(sandbox_ca_bundle=str(emu.ca_bundle), http_max_attempts=1))


@pytest.fixture
def refunds_on_three_days(emu: WooEmulator) -> Iterator[dict[str, int]]:
    """Refunds the day before, on the day (two orders, one with two refunds) and the day after; a third
    order modified on the day without a refund."""
    emu.add_product("Mug", "MUG-1", "20.00")
    shift = (datetime.combine(DAY, time(10), tzinfo=UTC) - emu.store.now()).total_seconds()
    emu.advance_clock(shift - 86400)
    try:
        a = emu.place_order([("MUG-1", 2)], pay=True)
        b = emu.place_order([("MUG-1", 1)], pay=True)
        untouched = emu.place_order([("MUG-1", 1)], pay=True)
        before = emu.refund_order(a["id"], amount="1.00", api_refund=False)["id"]
        emu.advance_clock(86400)
        emu.set_order_status(untouched["id"], "completed")  # modified on the day, but no refund
        on_day = [
            emu.refund_order(a["id"], amount="2.00", api_refund=False)["id"],
            emu.refund_order(b["id"], amount="3.00", api_refund=False)["id"],
        ]
        emu.advance_clock(3600)
        on_day.append(emu.refund_order(a["id"], amount="4.00", api_refund=False)["id"])
        emu.advance_clock(86400)
        after = emu.refund_order(b["id"], amount="5.00", api_refund=False)["id"]
    finally:
        emu.advance_clock(-emu.store.clock_offset.total_seconds())
    yield {
        "a": a["id"],
        "b": b["id"],
        "untouched": untouched["id"],
        "before": before,
        "after": after,
        **{f"day{i}": refund for i, refund in enumerate(on_day)},
    }


def day_refunds(woo: WooClient) -> list[tuple[int, int, str]]:
    after, before = day_bounds(DAY)
    found = woo.refunds_created_between(after, before, fields=REFUND_FIELDS)
    return sorted((int(r["id"]), int(r["parent_id"]), str(r["amount"])) for r in found)


def test_a_woocommerce_8_store_is_read_per_refunded_order(emu: WooEmulator, refunds_on_three_days: dict) -> None:
    ids = refunds_on_three_days
    woo = client_for(emu)
    try:
        with pytest.raises(PermanentHttpError) as no_route:
            list(woo.list_store_refunds())
        assert no_route.value.status == 404 and no_route.value.body["code"] == "rest_no_route"
        emu.reset_api_calls()
        assert day_refunds(woo) == sorted(
            [(ids["day0"], ids["a"], "2.00"), (ids["day1"], ids["b"], "3.00"), (ids["day2"], ids["a"], "4.00")]
        )
        calls = emu.api_calls()
        assert "GET /refunds" not in calls
        # Only the orders with refunds are asked for them; the untouched one is not.
        assert calls["GET /orders/{id}/refunds"] == 2 and calls["GET /orders"] == 1
    finally:
        woo.close()


def test_a_newer_store_is_read_through_the_top_level_route(emu: WooEmulator, refunds_on_three_days: dict) -> None:
    ids = refunds_on_three_days
    emu.store.options.wc_version = "9.4.0"
    woo = client_for(emu)
    try:
        emu.reset_api_calls()
        assert day_refunds(woo) == sorted(
            [(ids["day0"], ids["a"], "2.00"), (ids["day1"], ids["b"], "3.00"), (ids["day2"], ids["a"], "4.00")]
        )
        assert emu.api_calls() == {"GET /refunds": 1}  # the route index is not a counted route
    finally:
        woo.close()


def test_a_day_without_refunds_reads_nothing_more(emu: WooEmulator) -> None:
    emu.add_product("Mug", "MUG-1", "20.00")
    emu.place_order([("MUG-1", 1)], pay=True)
    woo = client_for(emu)
    try:
        after, before = day_bounds(datetime.now(UTC).date())
        assert list(woo.refunds_created_between(after, before, fields=REFUND_FIELDS)) == []
        assert "GET /orders/{id}/refunds" not in emu.api_calls()
    finally:
        woo.close()


def test_a_store_that_cannot_answer_is_a_transient_failure(emu: WooEmulator) -> None:
    """The reconciliation turns this into a "check could not run" row (its `_guarded`), not a crash."""
    emu.faults.config = dataclasses.replace(emu.faults.config, outage=True)
    woo = client_for(emu)
    try:
        after, before = day_bounds(DAY)
        with pytest.raises(TransientHttpError, match="answered 503"):
            list(woo.refunds_created_between(after, before, fields=REFUND_FIELDS))
    finally:
        woo.close()
        emu.faults.config = dataclasses.replace(emu.faults.config, outage=False)
