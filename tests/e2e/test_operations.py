"""Operations through the running host: poison replay (ADMIN), status (FUNCTION), the backfill command."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, QueueServiceClient

from sandbox.stack import Stack
from shared.flows.backfill import backfill_orders
from shared.flows.services import Services
from shared.flows.status import TIMERS
from shared.storage.ledger import OrderState
from shared.storage.names import HOSTS_CONTAINER

from .conftest import bc_documents_for, wait_for
from .test_order_to_cash import posted
from .test_reconcile import webhooks_paused, woo_clock_on

pytestmark = [pytest.mark.e2e, pytest.mark.bc]

REPO = Path(__file__).resolve().parents[2]
REPLAY_DAY = date(2021, 3, 16)


def raw_queue(stack: Stack, name: str) -> QueueClient:
    client = QueueServiceClient.from_connection_string(stack.settings["AzureWebJobsStorage"]).get_queue_client(name)
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    return client


def envelope(order: dict) -> str:
    """A woo-events message as the ingress writes it and the host moves it to poison: base64 JSON."""
    body = {"v": 1, "store": "main", "topic": "order.updated", "resource_id": order["id"]}
    return base64.b64encode(json.dumps(body).encode()).decode()


def test_poison_replay_moves_messages_back_unchanged_and_they_are_posted(stack: Stack, app: Services) -> None:
    with woo_clock_on(stack.woo, REPLAY_DAY), webhooks_paused(stack.woo):
        first = stack.woo.place_order([("70000", 2)], pay=True, email="replay1@example.com")
        second = stack.woo.place_order([("1964-W", 1)], pay=True, email="replay2@example.com")
    poison = raw_queue(stack, "woo-events-poison")
    sent_first = poison.send_message(envelope(first))
    sent_second = poison.send_message(envelope(second))
    url = f"{stack.host.url}/api/ops/replay-poison"
    master = {"x-functions-key": stack.host.keys.master}

    function_key = {"x-functions-key": stack.host.keys.function}
    refused = httpx.post(url, params={"order": f"main/{first['id']}"}, headers=function_key, timeout=30)
    assert refused.status_code == 401  # the function key is not enough: ADMIN needs the master key
    bad = httpx.post(url, params={"order": "first"}, headers=master, timeout=30)
    assert bad.status_code == 400 and "order must look like" in bad.json()["error"]

    moved = httpx.post(url, params={"order": f"main/{first['id']}"}, headers=master, timeout=30)
    assert moved.status_code == 200
    assert moved.json()["moved"] == 1 and moved.json()["queue"] == "woo-events"
    wait_for(lambda: posted(app, first))
    assert len(bc_documents_for(stack, first)) == 1
    left = {m.id for m in poison.peek_messages(max_messages=32)}
    assert sent_first.id not in left and sent_second.id in left
    assert not posted(app, second)

    by_id = httpx.post(url, content=json.dumps({"id": sent_second.id}), headers=master, timeout=30)
    assert by_id.json()["moved"] == 1
    wait_for(lambda: posted(app, second))
    assert len(bc_documents_for(stack, second)) == 1

    # The audit row follows the ledger write, so it may land a moment after `posted` shows in the ledger.
    def trail_with_posted() -> list[str]:
        stages = [row.data["stage"] for row in app.audit.trail(f"main/{second['id']}")]
        return stages if "posted" in stages else []

    stages = wait_for(trail_with_posted)
    assert stages.index("replayed") < stages.index("posted")


def test_status_reports_queues_holds_timers_and_watermarks(stack: Stack, app: Services) -> None:
    url = stack.host.function_url("status")
    before = httpx.get(url, timeout=30).json()
    junk = raw_queue(stack, "erp-events-poison")
    planted = [junk.send_message("bm90IGFuIGVudmVsb3Bl") for _ in range(2)]
    hosts = app.blobs.get_container_client(HOSTS_CONTAINER)
    with contextlib.suppress(ResourceExistsError):
        hosts.create_container()  # the host's schedule monitor creates it with the first timer run
    timer_blob = hosts.get_blob_client("timers/sandbox/reconcile/status")
    last = datetime.now(UTC).replace(microsecond=0)
    timer_blob.upload_blob(
        json.dumps({"Last": last.isoformat(), "Next": (last + timedelta(days=1)).isoformat(), "LastUpdated": None}),
        overwrite=True,
    )
    app.watermarks.set("ops-test:main", "2026-05-01T10:00:00+00:00")
    try:
        response = httpx.get(url, timeout=30)
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
        data = response.json()
    finally:
        for message in planted:
            junk.delete_message(message)
        timer_blob.delete_blob()

    queues = {q["name"]: q for q in data["queues"]}
    assert set(queues) == {"woo-events", "erp-events"}
    erp_before = next(q for q in before["queues"] if q["name"] == "erp-events")["poison"]
    assert queues["erp-events"]["poison"] == erp_before + 2
    assert all(q["depth"] is not None for q in queues.values())
    held = list(app.ledger.in_state(OrderState.HELD))
    assert data["held"]["count"] == len(held)
    if held:
        assert data["held"]["oldest_age_hours"] >= 0
    attention = sum(1 for _ in app.ledger.table.query("attention ne ''"))
    assert data["needs_attention"] == attention
    timers = {t["name"]: t for t in data["timers"]}
    assert timers["reconcile"]["last"] == last.isoformat() and timers["reconcile"]["host_id"] == "sandbox"
    assert data["watermarks"]["ops-test:main"] == "2026-05-01T10:00:00+00:00"
    assert httpx.get(stack.host.function_url("status", key="wrong"), timeout=30).status_code == 401
    # Scoped to an ERP connection: the stores posting to it (here `main` posts to `bc`); an unknown one is 400.
    scoped = httpx.get(f"{url}&erp=bc", timeout=30)
    assert scoped.status_code == 200 and scoped.json()["held"]["count"] == len(
        list(app.ledger.in_state(OrderState.HELD, "main"))
    )
    unknown = httpx.get(f"{url}&erp=nosuch", timeout=30)
    assert unknown.status_code == 400 and "unknown ERP connection" in unknown.json()["error"]


def test_backfill_command_queues_what_the_ledger_has_not_seen(stack: Stack, app: Services) -> None:
    with webhooks_paused(stack.woo):
        order = stack.woo.place_order([("70000", 1)], pay=True, email="cli-backfill@example.com")
    since = (datetime.now(UTC) - timedelta(minutes=2)).isoformat(timespec="seconds")
    env = {**os.environ, **stack.settings, "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "shared.cli", "backfill", "--since", since, "--store", "main"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Scanned" in result.stdout and "queued" in result.stdout
    wait_for(lambda: posted(app, order))


# ---------------------------------------------------------------- operator rough edges (issue 18)

QUIET_DAY = date(2021, 1, 5)  # no order of any test is dated this day


def test_status_lists_every_timer_of_the_app(stack: Stack, app: Services) -> None:
    data = httpx.get(stack.host.function_url("status"), timeout=30).json()
    timers = {t["name"]: t for t in data["timers"]}
    assert set(TIMERS) <= set(timers)  # the schedule monitor has records only for timers that have run
    for name in TIMERS:
        assert timers[name]["ran"] == bool(timers[name]["last"])


def test_backfill_reports_its_progress_against_the_stores_total(stack: Stack, app: Services) -> None:
    with webhooks_paused(stack.woo):
        stack.woo.place_order([("70000", 1)], pay=True, email="progress-backfill@example.com")
    seen: list[tuple[str, int, int]] = []
    since = datetime.now(UTC) - timedelta(minutes=3)
    result = backfill_orders(app, "main", since, progress=lambda *step: seen.append(step))
    assert result.scanned >= 1 and seen
    assert [scanned for _, scanned, _ in seen[:-1]] == list(range(1, result.scanned + 1))
    assert all(store == "main" and total >= scanned for store, scanned, total in seen)
    assert seen[-1] == ("main", result.scanned, result.scanned)  # full only at the end


def test_reconcile_command_prints_its_summary_and_no_raw_log_line(stack: Stack, app: Services) -> None:
    # A poison message makes the day's report have an exception, so the flow logs a WARNING event.
    poison = raw_queue(stack, "woo-events-poison")
    envelope_text = json.dumps({"v": 1, "store": "main", "topic": "order.updated", "resource_id": 987654})
    planted = poison.send_message(base64.b64encode(envelope_text.encode()).decode())
    env = {**os.environ, **stack.settings, "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "shared.cli", "reconcile", "--date", QUIET_DAY.isoformat(), "--store", "main"]
    try:
        quiet = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=180)
        verbose = subprocess.run([*command, "-v"], capture_output=True, text=True, env=env, cwd=REPO, timeout=180)
    finally:
        poison.delete_message(planted)
    assert quiet.returncode == 0, quiet.stderr
    assert "reconciliation_exceptions" not in quiet.stderr + quiet.stdout
    assert quiet.stdout.startswith("0 orders, 0 refunds") and "Poison message" in quiet.stdout
    assert verbose.returncode == 0 and "reconciliation_exceptions store=main" in verbose.stderr


def test_held_command_refuses_an_unknown_store(stack: Stack) -> None:
    env = {**os.environ, **stack.settings, "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "shared.cli", "held", "--store", "nosuch"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "unknown store 'nosuch'" in result.stderr and "No held orders" not in result.stdout
