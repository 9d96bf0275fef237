"""Each store's running statistics for the anomaly flags (shared/anomalies/history.py), in one table.

PartitionKey = the store; RowKey ``stats`` holds the store's histograms and counts (one JSON cell of a
few KB), and ``email-<hash>`` / ``address-<hash>`` rows a buyer's recent order and refund times (keys
are hashes: no personal data). Updates are read-modify-write under the row's ETag, retried on a race
after a short random pause (so racing workers spread out).
"""

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

STATS_KEY = "stats"
ATTEMPTS = 20  # a busy store's workers race for its stats row: jittered backoff between tries


class StoreHistory:
    def __init__(self, service: TableServiceClient) -> None:
        self.table = Table.of(service, STORE_HISTORY_TABLE)

    def stats(self, store: str) -> StoreStats:
        row = self.table.get(store, STATS_KEY)
        return StoreStats.from_json(str(row.data.get("json", ""))) if row else StoreStats()

    def buyer(self, store: str, key: str) -> BuyerActivity:
        row = self.table.get(store, key)
        return BuyerActivity.from_json(str(row.data.get("json", ""))) if row else BuyerActivity()

    def update_stats(self, store: str, change: Callable[[StoreStats], None]) -> StoreStats:
        return self._update(store, STATS_KEY, StoreStats.from_json, change)

    def update_buyer(self, store: str, key: str, change: Callable[[BuyerActivity], None]) -> BuyerActivity:
        return self._update(store, key, BuyerActivity.from_json, change)

    def _update(self, store: str, key: str, parse: Callable[[str], T], change: Callable[[T], None]) -> T:
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0.01, 0.05) * min(attempt, 8))
            row = self.table.get(store, key)
            value = parse(str(row.data.get("json", "")) if row else "")
            change(value)
            fresh = Row(store, key, {"json": value.to_json()}, row.etag if row else None)
            try:
                if row is None:
                    self.table.insert(fresh)
                else:
                    self.table.replace(fresh)
                return value
            except WriteConflict:
                continue  # another order of the store changed it: read again and re-apply
        raise WriteConflict(f"store history {store}/{key} kept changing")
