"""The benchmark's cost model (bench/cost.py): Flex instance billing, free grants, the day simulation."""

from __future__ import annotations

import math

import pytest

from bench import cost
from bench.cost import FunctionLoad, TimerLoad, Workload


def test_a_busy_period_is_billed_at_least_one_second_then_in_100_ms_steps():
    assert cost.billed_seconds(0.012) == 1.0
    assert cost.billed_seconds(1.0) == 1.0
    assert cost.billed_seconds(1.01) == pytest.approx(1.1)
    assert cost.billed_seconds(2.25) == pytest.approx(2.3)


def test_executions_whose_billed_windows_overlap_share_them():
    assert cost.merge_busy([(0.0, 0.5), (0.2, 0.7), (3.0, 3.1)]) == [(0.0, 0.7), (3.0, 3.1)]
    # two overlapping 0.5 s executions: one activity period from 0 to 1.1 s, not two 1 s minimums
    assert cost.billed_gb_seconds([(0.0, 0.5), (0.1, 0.6)], memory_gb=2.0) == pytest.approx(2.2)
    assert cost.billed_gb_seconds([(0.0, 0.5), (5.0, 5.5)], memory_gb=2.0) == pytest.approx(4.0)


def test_an_instance_is_never_billed_more_than_its_wall_clock_time():
    # ten 10 ms requests, one every 100 ms: billed from the first start to 1 s after the last
    back_to_back = [(n * 0.1, n * 0.1 + 0.01) for n in range(10)]
    assert cost.billed_gb_seconds(back_to_back, memory_gb=1.0) == pytest.approx(1.9)
    # one long execution is billed for its length in 100 ms steps
    assert cost.billed_gb_seconds([(0.0, 2.25)], memory_gb=1.0) == pytest.approx(2.3)


def test_action_scheduler_posts_the_deliveries_of_a_minute_in_one_run_one_after_another():
    import random

    phase = random.Random(1).random() * cost.ACTION_SCHEDULER_INTERVAL_S  # the first run's offset
    run = phase + cost.ACTION_SCHEDULER_INTERVAL_S
    created = [run - 30.0, run - 20.0, run - 10.0, run + 15.0]
    starts = cost.webhook_deliveries(created, 0.02, "action_scheduler", random.Random(1))
    step = 0.02 + cost.WOO_DELIVERY_GAP_S
    assert starts == pytest.approx([run, run + step, run + 2 * step, run + cost.ACTION_SCHEDULER_INTERVAL_S])
    synchronous = cost.webhook_deliveries(created, 0.02, "synchronous", random.Random(1))
    assert synchronous == [at + cost.CHECKOUT_TO_DELIVERY_S for at in created]
    with pytest.raises(ValueError, match="unknown delivery mode"):
        cost.webhook_deliveries(created, 0.02, "carrier pigeon", random.Random(1))


def test_the_queue_listener_takes_a_batch_and_polls_again_below_the_threshold():
    runs = cost.queue_executions([0.0] * 6, 0.5, batch_size=4, new_batch_threshold=1, max_polling_s=2.0)
    starts = [start for start, _ in runs]
    assert starts[:4] == [0.0] * 4  # one batch of four
    assert starts[4:] == [pytest.approx(0.5)] * 2  # the next poll once the batch is done
    # a message after a quiet hour waits at most one idle poll interval
    late = cost.queue_executions([3600.0], 0.1, batch_size=4, new_batch_threshold=1, max_polling_s=2.0)
    assert 3600.0 <= late[0][0] <= 3602.0


def test_host_json_gives_the_queue_listener_settings():
    settings = cost.queue_listener_settings(
        {"extensions": {"queues": {"batchSize": 4, "newBatchThreshold": 1, "maxPollingInterval": "00:00:02"}}}
    )
    assert settings == {"queue_batch_size": 4, "queue_new_batch_threshold": 1, "queue_max_polling_s": 2.0}
    defaults = cost.queue_listener_settings({})
    assert defaults == {"queue_batch_size": 16, "queue_new_batch_threshold": 8, "queue_max_polling_s": 60.0}


def test_free_grants_come_off_before_the_price():
    assert cost.flex_cost(cost.FLEX_FREE_GB_SECONDS, cost.FLEX_FREE_EXECUTIONS) == 0.0
    extra = cost.flex_cost(cost.FLEX_FREE_GB_SECONDS + 1_000_000, cost.FLEX_FREE_EXECUTIONS + 1_000_000)
    assert extra == pytest.approx(1_000_000 * cost.FLEX_GB_SECOND + cost.FLEX_PER_MILLION_EXECUTIONS)


def test_storage_and_telemetry_prices():
    assert cost.storage_cost(10_000, 10_000) == pytest.approx(cost.QUEUE_PER_10K + cost.TABLE_PER_10K)
    free_items = cost.APP_INSIGHTS_FREE_GB * 1024 * 1024 / cost.TELEMETRY_ITEM_KB
    assert cost.telemetry_cost(free_items) == 0.0
    assert cost.telemetry_cost(free_items * 2) == pytest.approx(cost.APP_INSIGHTS_FREE_GB * cost.APP_INSIGHTS_PER_GB)


def test_order_times_cover_one_day_in_order():
    import random

    times = cost.order_times(5_000, random.Random(3))
    assert len(times) == 5_000 and times == sorted(times)
    assert times[0] >= 0 and times[-1] < 86_400
    evening = sum(1 for t in times if 19 * 3600 <= t < 21 * 3600)
    night = sum(1 for t in times if 2 * 3600 <= t < 4 * 3600)
    assert evening > 5 * night


def test_isolated_checkouts_each_cost_a_billed_second_when_delivered_synchronously():
    workload = Workload(functions=[FunctionLoad("woo_webhook", 1.0, 0.02, "http")])
    day = cost.simulate_day(workload, 500, seed=2, delivery="synchronous")
    assert day["executions"] == 500
    # 500 executions of 20 ms spread over a day hardly ever overlap: ~500 billed seconds of 2 GB
    assert day["gb_seconds"] == pytest.approx(500 * cost.INSTANCE_MEMORY_GB, rel=0.03)
    assert day["gb_seconds_unmerged"] == pytest.approx(500 * cost.INSTANCE_MEMORY_GB)
    assert day["gb_seconds_duration_only"] == pytest.approx(500 * 0.02 * cost.INSTANCE_MEMORY_GB)


def test_action_scheduler_runs_share_billed_seconds_and_queue_runs_follow_the_webhooks():
    workload = Workload(
        functions=[FunctionLoad("woo_webhook", 2.0, 0.01, "http"), FunctionLoad("handle_woo_event", 2.5, 0.13, "q")]
    )
    day = cost.simulate_day(workload, 50_000, seed=4)
    assert day["executions"] == pytest.approx(50_000 * 4.5, rel=0.01)
    # 100,000 deliveries in per-minute runs: far fewer billed seconds than one per execution
    assert day["gb_seconds"] < 0.5 * day["gb_seconds_unmerged"]
    assert day["gb_seconds"] > day["gb_seconds_duration_only"]
    assert day["peak_concurrency_by_group"]["http"] == 1  # the store posts one delivery at a time
    assert day["peak_concurrency_by_group"]["q"] <= workload.queue_batch_size


def test_timers_scale_with_the_orders_in_their_window():
    backfill = TimerLoad("backfill_orders", 96, 0.0, seconds_per_order_in_window=0.01, window_minutes=25)
    workload = Workload(functions=[], timers=[backfill])
    day = cost.simulate_day(workload, 144_000)  # 2,500 orders in each 25-minute window: 25 s a run
    assert day["executions"] == 96
    assert day["gb_seconds"] == pytest.approx(96 * 25.0 * cost.INSTANCE_MEMORY_GB, rel=0.01)


def test_estimate_adds_up_and_compares_with_the_ipaas():
    workload = Workload(
        functions=[FunctionLoad("woo_webhook", 2.0, 0.02, "http"), FunctionLoad("handle_woo_event", 2.0, 0.1, "q")],
        queue_ops_per_order=6,
        table_ops_per_order=9,
        telemetry_per_order_lean=20,
        telemetry_per_order_verbose=60,
    )
    low, high = cost.estimate(workload, 1_000), cost.estimate(workload, 20_000)
    assert low.executions_month == pytest.approx(4 * 1_000 * cost.DAYS_PER_MONTH, rel=0.02)
    assert high.total_lean > low.total_lean > 0
    assert high.total_verbose >= high.total_lean
    shown = high.as_dict()["usd_month"]
    assert shown["ipaas"] == cost.IPAAS_MONTHLY
    assert math.isclose(shown["total_lean"], round(high.flex + high.storage + high.telemetry_lean, 2), abs_tol=0.011)


def test_runs_per_day_reads_six_field_schedules():
    assert cost.runs_per_day("0 */5 * * * *") == 288
    assert cost.runs_per_day("0 5-59/15 * * * *") == 96
    assert cost.runs_per_day("0 30 2 * * *") == 1
