"""The store history on Azurite: concurrent updates all land (ETag-guarded), and `connector release`
and `connector flagged` on real storage."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueServiceClient

from shared.anomalies import rules
from shared.anomalies.rules import OrderFacts
from shared.cli import main
from shared.config import Settings
from shared.flows.services import Services
from shared.model import HoldCode
from shared.storage.ledger import LedgerEntry, OrderState
from shared.storage.names import LEDGER_TABLE, STORE_HISTORY_TABLE, WOO_EVENTS_QUEUE

pytestmark = pytest.mark.integration

STORE = "anomalystore"


@pytest.fixture
def storage(storage_env: str) -> Iterator[str]:
    Services(Settings()).ensure_storage()
    tables = TableServiceClient.from_connection_string(storage_env)
    for name in (STORE_HISTORY_TABLE, LEDGER_TABLE):
        client = tables.get_table_client(name)
        for entity in client.query_entities("PartitionKey eq @pk", parameters={"pk": STORE}):
            client.delete_entity(entity["PartitionKey"], entity["RowKey"])
    QueueServiceClient.from_connection_string(storage_env).get_queue_client(WOO_EVENTS_QUEUE).clear_messages()
    yield storage_env


def test_concurrent_orders_of_one_store_are_all_learnt(storage: str) -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)

    def learn(count: int) -> None:
        history = Services(Settings()).store_history  # one per worker, as instances are
        for n in range(count):
            facts = OrderFacts(Decimal(20 + n), "USD", (("Mug", Decimal(1)),), "US", at)
            history.update_stats(STORE, lambda stats, f=facts: rules.learn_order(f, stats))

    workers = [threading.Thread(target=learn, args=(15,)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    stats = Services(Settings()).store_history.stats(STORE)
    assert stats.orders == 45 and stats.order_totals.count == 45 and stats.countries == {"US": 45}


def test_release_and_flagged_on_real_storage(storage: str, capsys: pytest.CaptureFixture[str]) -> None:
    services = Services(Settings())
    held = LedgerEntry(STORE, 77, state=OrderState.HELD, hold_code=str(HoldCode.ANOMALY_REVIEW))
    held.hold_reason = "Held for review: order total 48× the store's median (50.00 USD)"
    services.ledger.save(held)
    services.ledger.save(LedgerEntry(STORE, 78, state=OrderState.POSTED, anomaly="ship-to country BR: none …"))
    assert main(["flagged", "--store", STORE, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(f["order_id"], f["state"]) for f in listed] == [(77, "held"), (78, "posted")]

    assert main(["release", f"{STORE}/77", "--by", "reviewer"]) == 0
    assert "Released" in capsys.readouterr().out
    entry = services.ledger.get(STORE, 77)
    assert entry is not None and entry.anomaly_released.startswith("reviewer at ")
    queue = QueueServiceClient.from_connection_string(storage).get_queue_client(WOO_EVENTS_QUEUE)
    [message] = queue.peek_messages(max_messages=5)
    assert json.loads(base64.b64decode(message.content))["resource_id"] == 77

    assert main(["release", f"{STORE}/78"]) == 1
    assert "not held for review" in capsys.readouterr().err
