"""The store history on Azurite: concurrent updates all land (ETag-guarded, the store's statistics
sharded), and `connector release` and `connector flagged` on real storage."""

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
from shared.storage.store_history import SHARDS, stats_partition

pytestmark = pytest.mark.integration

STORE = "anomalystore"


@pytest.fixture
def storage(storage_env: str) -> Iterator[str]:
    Services(Settings()).ensure_storage()
    tables = TableServiceClient.from_connection_string(storage_env)
    for name in (STORE_HISTORY_TABLE, LEDGER_TABLE):
        client = tables.get_table_client(name)
        for partition in (STORE, stats_partition(STORE)):
            for entity in client.query_entities("PartitionKey eq @pk", parameters={"pk": partition}):
                client.delete_entity(entity["PartitionKey"], entity["RowKey"])
    QueueServiceClient.from_connection_string(storage_env).get_queue_client(WOO_EVENTS_QUEUE).clear_messages()
    yield storage_env


def test_eight_workers_learning_orders_of_one_store_at_once_count_every_order(storage: str) -> None:
    """Every queue worker posting an order of the store writes its statistics: none may be lost."""
    at = datetime(2026, 12, 1, tzinfo=UTC)
    limits = rules.Thresholds()
    workers, each = 8, 12
    start = threading.Barrier(workers)
    failures: list[str] = []

    def learn(worker: int) -> None:
        history = Services(Settings()).store_history  # one per worker, as instances are
        start.wait(timeout=60)
        for n in range(each):
            facts = OrderFacts(Decimal(20 + n), "USD", (("Mug", Decimal(1)),), "US", at)
            refund = rules.RefundFacts(Decimal(5), "USD", at, None)
            try:
                history.update_stats(STORE, lambda stats, f=facts: rules.learn_order(f, stats, limits))
                if n % 4 == worker % 4:
                    history.update_stats(STORE, lambda stats, r=refund: rules.learn_refund(r, stats, limits))
            except Exception as exc:  # a lost update is the failure this test is about
                failures.append(type(exc).__name__)

    threads = [threading.Thread(target=learn, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == [] and not any(thread.is_alive() for thread in threads)
    stats = Services(Settings()).store_history.stats(STORE)
    orders = workers * each
    assert stats.orders == orders and stats.totals("USD").count == orders and stats.countries == {"US": orders}
    assert stats.refunds == orders // 4 and stats.days == {"2026-12-01": [orders, orders // 4]}
    shards = TableServiceClient.from_connection_string(storage).get_table_client(STORE_HISTORY_TABLE)
    rows = list(shards.query_entities("PartitionKey eq @pk", parameters={"pk": stats_partition(STORE)}))
    assert 1 < len(rows) <= SHARDS  # spread over the shards, read back in one query


def test_replacing_a_stores_statistics_leaves_one_shard(storage: str) -> None:
    history = Services(Settings()).store_history
    limits = rules.Thresholds()
    for _n in range(20):
        facts = OrderFacts(Decimal(20), "USD", (), "US", datetime(2026, 12, 1, tzinfo=UTC))
        history.update_stats(STORE, lambda stats, f=facts: rules.learn_order(f, stats, limits))
    seeded = history.stats(STORE)
    assert seeded.orders == 20
    seeded.orders = 5
    history.replace_stats(STORE, seeded)
    assert history.stats(STORE).orders == 5


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
