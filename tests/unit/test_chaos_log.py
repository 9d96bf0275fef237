"""The fault run's reading of the host's log: the 429s' cost and the queue's producers (lines as the host
writes them)."""

from __future__ import annotations

from pathlib import Path

from sandbox.chaos import read_host_log, throttling_cost

LINES = """\
2026-12-04 21:27:25,715 INFO connector.ingress: webhook_queued store=main topic=order.created resource_id=112
2026-12-04 21:27:25,717 INFO connector.ingress: webhook_queued store=main topic=order.updated resource_id=112
2026-12-04 21:43:33,101 INFO connector.http: bc: POST customers answered 429; retrying in 0.37s (attempt 1 of 4)
2026-12-04 21:43:34,020 INFO connector.http: bc: GET items answered 429; retrying in 1.25s (attempt 2 of 4)
2026-12-04 21:27:26,680 INFO connector.http: bc: GET items answered 502; retrying in 1.00s (attempt 1 of 4)
2026-12-04 21:43:36,500 WARNING connector.orders: order_rescheduled store=main order=401 attempt=1 delay_s=1 \
reason=ERP unavailable: bc: POST salesOrders answered 429
2026-12-04 21:43:37,500 WARNING connector.orders: order_rescheduled store=main order=402 attempt=2 delay_s=6 \
reason=ERP unavailable: bc: POST salesOrders answered 429
2026-12-04 21:27:25,988 WARNING connector.orders: order_rescheduled store=main order=113 attempt=1 delay_s=1 \
reason=ERP unavailable: bc: POST customers answered 500
"""


def test_the_host_log_gives_the_429s_cost_and_the_messages_each_producer_queued(tmp_path: Path) -> None:
    log = tmp_path / "host.log"
    log.write_text(LINES)
    parsed = read_host_log(log)
    assert (parsed.webhook_queued, parsed.rescheduled) == (2, 3)
    assert throttling_cost(parsed, answered_429=5) == {
        "bc_429": 5,
        "retried_in_the_call": 2,
        "seconds_waited_in_calls": 1.6,
        "executions_requeued": 2,
        "seconds_requeued_for": 7.0,
    }


def test_a_missing_log_reads_as_nothing_happened(tmp_path: Path) -> None:
    assert read_host_log(tmp_path / "absent.log").rescheduled == 0
