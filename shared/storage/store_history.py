"""Each store's running statistics for the anomaly flags (shared/anomalies/history.py), in one table.

A store's statistics are ``SHARDS`` rows in partition ``<store>|stats`` (RowKey ``0`` … ``7``; each a
JSON cell of a few KB): every posted order and credited refund changes one of them, picked at random,
and a read is one query for the partition, the shards merged (counters add up). One row per store is a
hot row: every queue worker posting an order of the store races for its ETag. Measured on Azurite, 8
workers learning 96 orders at once: one row, 39-44 writes lost the race; 8 shards, 20-25 (a retry moves
to another random shard); every order counted either way, thanks to the jittered retries (a lost race
past ``ATTEMPTS`` would cost the history that order). Shards keep a read at one request (a partition of
at most 8 small rows); more shards would cut races further but make every read bigger, and point reads
of each shard would cost 8 requests per order. Buyer rows (``email-<hash>`` / ``address-<hash>`` in
partition ``<store>``: a buyer's recent order and refund times; keys are hashes, no personal data) are
not hot. Updates are read-modify-write under the row's ETag, retried on a race after a short random
pause."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from azure.data.tables import TableServiceClient

from shared.anomalies.history import BuyerActivity, StoreStats
from shared.storage.names import STORE_HISTORY_TABLE
from shared.storage.tables import Row, Table, WriteConflict

T = TypeVar("T", StoreStats, BuyerActivity)

SHARDS = 8  # about the queue workers that post one store's orders at once (host.json batchSize × instances)
ATTEMPTS = 20  # a race for a row: jittered backoff between tries (a stats retry also moves to another shard)


def stats_partition(store: str) -> str:
    """The partition of a store's statistics shards (``|`` is in no store id: they come from setting names)."""
    return f"{store}|stats"


class StoreHistory:
    def __init__(self, service: TableServiceClient) -> None:
        self.table = Table.of(service, STORE_HISTORY_TABLE)

    def stats(self, store: str) -> StoreStats:
        """The store's statistics: its shards merged (one query)."""
        merged = StoreStats()
        for row in self.table.partition(stats_partition(store)):
            merged.merge(StoreStats.from_json(str(row.data.get("json", ""))))
        return merged

    def replace_stats(self, store: str, stats: StoreStats) -> None:
        """Make ``stats`` the store's whole statistics (one shard, the others removed): seeding a store's
        history, or starting it afresh. Not for concurrent use."""
        for row in list(self.table.partition(stats_partition(store))):
            self.table.delete(row.partition, row.key)
        self.table.upsert(Row(stats_partition(store), "0", {"json": stats.to_json()}))

    def buyer(self, store: str, key: str) -> BuyerActivity:
        row = self.table.get(store, key)
        return BuyerActivity.from_json(str(row.data.get("json", ""))) if row else BuyerActivity()

    def update_stats(self, store: str, change: Callable[[StoreStats], None]) -> None:
        """Apply ``change`` (adding one order or refund: it must add, not set, as it sees one shard)."""
        self._update(stats_partition(store), lambda: str(random.randrange(SHARDS)), StoreStats.from_json, change)

    def update_buyer(self, store: str, key: str, change: Callable[[BuyerActivity], None]) -> BuyerActivity:
        return self._update(store, lambda: key, BuyerActivity.from_json, change)

    def _update(
        self, partition: str, key: Callable[[], str], parse: Callable[[str], T], change: Callable[[T], None]
    ) -> T:
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0.01, 0.05) * min(attempt, 8))
            row_key = key()
            row = self.table.get(partition, row_key)
            value = parse(str(row.data.get("json", "")) if row else "")
            change(value)
            fresh = Row(partition, row_key, {"json": value.to_json()}, row.etag if row else None)
            try:
                if row is None:
                    self.table.insert(fresh)
                else:
                    self.table.replace(fresh)
                return value
            except WriteConflict:
                continue  # another order of the store changed it: read again and re-apply
        raise WriteConflict(f"store history {partition} kept changing")
