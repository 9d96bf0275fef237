"""The operator CLI against real storage (its own Azurite, so no running host consumes the queues)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.storage.queue import QueueServiceClient

from sandbox.azurite import Azurite
from sandbox.server import free_port
from shared.cli import main
from shared.config import Settings
from shared.flows.orders import process_queue_message
from shared.flows.services import Services
from shared.flows.status import TIMERS
from shared.storage.ledger import LedgerEntry, OrderState
from shared.storage.queues import queue_client

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
STORE = "clitest"


@pytest.fixture(scope="module")
def storage() -> Iterator[str]:
    with Azurite() as own:
        yield own.connection_string


def envelope(order: int, store: str = STORE) -> str:
    body = {"v": 1, "store": store, "topic": "order.updated", "resource_id": order}
    return base64.b64encode(json.dumps(body).encode()).decode()


@pytest.fixture(scope="module")
def seeded(storage: str) -> dict[str, str]:
    """Queues, tables, a held order, an audit trail and poison messages, as the app would leave them."""
    saved = os.environ.get("AzureWebJobsStorage")
    os.environ["AzureWebJobsStorage"] = storage
    try:
        services = Services(Settings())
        services.ensure_storage()
        held = LedgerEntry(STORE, 5001, state=OrderState.HELD, order_number="5001", woo_total="89.00")
        held.hold_code, held.hold_reason = "unknown_sku", "SKU OSLO-SHELF is not an item in Business Central"
        held.held_since = (datetime.now(UTC) - timedelta(hours=3, minutes=5)).isoformat()
        services.ledger.save(held)
        flagged = LedgerEntry(STORE, 5002, state=OrderState.POSTED, attention="ERP total 10 differs from Woo total 12")
        services.ledger.save(flagged)
        services.audit.record(f"{STORE}/5001", "received", "processing", topic="order.created")
        services.audit.record(f"{STORE}/5001", "held", "unknown_sku", reason="SKU OSLO-SHELF [bold]x[/bold]")
        services.watermarks.set(f"backfill:{STORE}", "2026-05-01T10:00:00+00:00")
        queues = QueueServiceClient.from_connection_string(storage)
        poison = queues.get_queue_client("woo-events-poison")
        poison.create_queue()
        first = poison.send_message(envelope(77)).id
        second = poison.send_message(envelope(78)).id
        poison.send_message('{"raw": "json the host could not decode"}')
        return {"first": first, "second": second, "raw77": envelope(77)}
    finally:
        if saved is None:
            os.environ.pop("AzureWebJobsStorage", None)
        else:
            os.environ["AzureWebJobsStorage"] = saved


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.lower().startswith("azurewebjobsstorage")}
    base.update({"COLUMNS": "200", "PYTHONPATH": str(REPO)}, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args], capture_output=True, text=True, env=base, cwd=REPO, timeout=60
    )


@pytest.fixture
def restore_environment() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_status_in_a_subprocess_with_a_settings_file(storage: str, seeded: dict[str, str], tmp_path: Path) -> None:
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps({"IsEncrypted": False, "Values": {"AzureWebJobsStorage": storage}}))
    result = run_cli("status", "--settings", str(settings))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "woo-events" in out and "erp-events-poison" in out
    assert "Held orders: 1 (oldest clitest/5001, waiting 3h 5m)" in out
    assert "Orders needing attention: 1" in out
    assert "backfill:clitest" in out and "2026-05-01T10:00:00+00:00" in out


def test_status_json_counts_poison(storage: str, seeded: dict[str, str], capsys, restore_environment) -> None:
    assert main(["--connection-string", storage, "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    queues = {q["name"]: q for q in data["queues"]}
    assert queues["woo-events"]["poison"] >= 1 and queues["erp-events"]["poison"] == 0
    assert data["held"]["count"] == 1 and data["held"]["oldest"]["order"] == 5001
    assert data["needs_attention"] == 1


def test_held_lists_reason_and_age(storage: str, seeded: dict[str, str], capsys, restore_environment) -> None:
    assert main(["held", "--connection-string", storage]) == 0
    out = capsys.readouterr().out
    assert "clitest/5001" in out and "3h 5m" in out and "unknown_sku" in out and "OSLO-SHELF" in out


def test_poison_lists_orders_and_undecodable_messages(
    storage: str, seeded: dict[str, str], capsys, restore_environment
) -> None:
    assert main(["poison", "--queue", "woo-events", "--json", "--connection-string", storage]) == 0
    (listing,) = json.loads(capsys.readouterr().out)
    by_id = {m["id"]: m for m in listing["messages"]}
    assert by_id[seeded["first"]]["subject"] == "clitest/77"
    assert by_id[seeded["first"]]["topic"] == "order.updated"
    assert any("not base64" in m["problem"] for m in listing["messages"])
    assert listing["count"] == len(listing["messages"])


def test_replay_one_order_moves_the_stored_text_unchanged(storage: str, seeded: dict[str, str]) -> None:
    result = run_cli("replay", "--order", "clitest/77", env={"AzureWebJobsStorage": storage})
    assert result.returncode == 0, result.stderr
    assert "Moved 1 message(s) from woo-events-poison back to woo-events" in result.stdout
    assert "clitest/77" in result.stdout
    queues = QueueServiceClient.from_connection_string(storage)
    raw = [m.content for m in queues.get_queue_client("woo-events").peek_messages(max_messages=32)]
    assert seeded["raw77"] in raw  # the same base64 text: decoded once by the trigger, never twice
    decoded = [m.content for m in queue_client(queues, "woo-events").peek_messages(max_messages=32)]
    assert any(json.loads(text)["resource_id"] == 77 for text in decoded)
    left = [m.id for m in queues.get_queue_client("woo-events-poison").peek_messages(max_messages=32)]
    assert seeded["first"] not in left and seeded["second"] in left  # only the order asked for moved


def test_audit_prints_the_trail_without_markup(
    storage: str, seeded: dict[str, str], capsys, restore_environment
) -> None:
    assert main(["audit", "clitest/5001", "--connection-string", storage]) == 0
    out = capsys.readouterr().out
    assert out.index("received") < out.index("held")
    assert "[bold]x[/bold]" in out  # data is printed as is, never interpreted as rich markup


def test_missing_storage_exits_1_with_a_message_and_no_traceback() -> None:
    result = run_cli("status")
    assert result.returncode == 1
    assert "Missing setting AzureWebJobsStorage" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["reconcile", "--date", "2026-05-01"], "Missing required setting(s)"),
        (["replay", "--order", "1234"], "order must look like"),
        (["reconcile", "--date", "yesterday"], "--date must look like"),
        (["backfill", "--since", "last week"], "--since must be an ISO date"),
        (["poison", "--queue", "nope"], "invalid choice"),
    ],
)
def test_expected_errors_exit_1(storage: str, args: list[str], message: str, capsys, restore_environment) -> None:
    try:
        code = main([*args, "--connection-string", storage])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    assert code == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_settings_file_that_is_missing_is_an_error(tmp_path: Path, capsys, restore_environment) -> None:
    assert main(["status", "--settings", str(tmp_path / "nope.json")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_more_than_a_peek_is_listed_left_intact_and_replayed(
    storage: str, seeded: dict[str, str], capsys, restore_environment
) -> None:
    """Past 32 messages the listing receives and shows them again: same content, all still there."""
    poison = QueueServiceClient.from_connection_string(storage).get_queue_client("erp-events-poison")
    poison.create_queue()
    texts = [envelope(9000 + i, "bulk") for i in range(45)]
    for text in texts:
        poison.send_message(text)
    assert main(["poison", "--queue", "erp-events", "--limit", "100", "--json", "--connection-string", storage]) == 0
    (listing,) = json.loads(capsys.readouterr().out)
    assert listing["count"] == 45 and len({m["id"] for m in listing["messages"]}) == 45
    assert {m.content for m in poison.peek_messages(max_messages=32)} <= set(texts)  # visible again, unchanged
    assert poison.get_queue_properties().approximate_message_count == 45
    assert main(["replay", "--queue", "erp-events", "--json", "--connection-string", storage]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["moved"], result["remaining"]) == (45, 0)
    target = QueueServiceClient.from_connection_string(storage).get_queue_client("erp-events")
    moved = []
    for message in target.receive_messages(messages_per_page=32, visibility_timeout=30):
        moved.append(message.content)
    assert sorted(moved) == sorted(texts)


# ---------------------------------------------------------------- operator rough edges (issue 18)


def test_held_for_an_unknown_store_is_an_error_not_an_empty_list(
    storage: str, seeded: dict[str, str], capsys, restore_environment
) -> None:
    assert main(["held", "--store", "nosuch", "--connection-string", storage]) == 1
    err = capsys.readouterr().err
    assert "unknown store 'nosuch'" in err and "No held orders" not in err and "Traceback" not in err
    # Without the stores' settings, a store the ledger knows is still a store.
    assert main(["held", "--store", STORE.upper(), "--connection-string", storage]) == 0
    assert "clitest/5001" in capsys.readouterr().out


def test_status_lists_every_timer_with_never_ran(storage: str, seeded: dict[str, str]) -> None:
    result = run_cli("status", "--connection-string", storage)
    assert result.returncode == 0, result.stderr
    timer_rows = [line for line in result.stdout.splitlines() if any(name in line for name in TIMERS)]
    for name in TIMERS:
        (row,) = [line for line in timer_rows if f" {name} " in line]
        assert "never ran" in row, row
    data = json.loads(run_cli("status", "--json", "--connection-string", storage).stdout)
    assert {t["name"] for t in data["timers"]} == set(TIMERS)
    assert not any(t["ran"] for t in data["timers"])


def test_a_poisoned_order_says_why_in_poison_status_and_its_audit_trail(
    storage: str, seeded: dict[str, str], capsys, restore_environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", storage)
    monkeypatch.setenv("COLUMNS", "400")  # the tables print the cause on one line
    refused = f"http://127.0.0.1:{free_port()}/"  # nothing listens: WooCommerce is down for good
    for field, value in (("URL", refused), ("CONSUMER_KEY", "ck"), ("CONSUMER_SECRET", "cs"), ("WEBHOOK_SECRET", "w")):
        monkeypatch.setenv(f"WOO_STORES__why__{field}", value)
    monkeypatch.setenv("HTTP_MAX_ATTEMPTS", "1")
    services = Services(Settings())
    limit = services.settings.max_reschedules
    envelope_text = json.dumps(
        {"v": 1, "store": "why", "topic": "order.updated", "resource_id": 4242, "attempt": limit}
    )
    for tries in (1, 5):  # an early try is retried by the host; only the last one is recorded
        with pytest.raises(RuntimeError, match="still failing after"):
            process_queue_message(envelope_text.encode(), tries, services, max_dequeue_count=5, message_id="m-4242")
    (row,) = [row.data for row in services.audit.trail("why/4242") if row.data["stage"] == "poisoned"]
    assert row["error"] == "RuntimeError" and row["tries"] == 5 and row["queue"] == "woo-events"
    assert row["cause"].startswith(f"order why/4242: still failing after {limit} re-schedules: WooCommerce unavailable")

    # The host then copies the message, unchanged, to the poison queue.
    poison = QueueServiceClient.from_connection_string(storage).get_queue_client("woo-events-poison")
    planted = poison.send_message(base64.b64encode(envelope_text.encode()).decode())
    try:
        assert main(["poison", "--queue", "woo-events", "--json", "--connection-string", storage]) == 0
        (listing,) = json.loads(capsys.readouterr().out)
        (message,) = [m for m in listing["messages"] if m["subject"] == "why/4242"]
        assert message["cause"].startswith("RuntimeError: order why/4242: still failing after")
        assert main(["poison", "--queue", "woo-events", "--connection-string", storage]) == 0
        assert "RuntimeError: order why/4242" in capsys.readouterr().out
        assert main(["status", "--json", "--connection-string", storage]) == 0
        status = json.loads(capsys.readouterr().out)
        (listed,) = [m for m in status["poison_messages"] if m["subject"] == "why/4242"]
        assert listed["cause"] == message["cause"]
        assert main(["status", "--connection-string", storage]) == 0
        assert "RuntimeError: order why/4242" in capsys.readouterr().out
    finally:
        poison.delete_message(planted)
