"""The backfill queues an order still waiting in the queue once, however often it runs, and never at the
cost of the order: a newer state, or a copy older than the grace period, is queued again.

Each test has its own WooCommerce emulator, store id and queue (on the stack's Azurite), so the host
consumes nothing and the queue shows exactly what the backfill sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from sandbox.stack import Stack
from sandbox.woo import WooEmulator
from shared.config import WooStoreSettings
from shared.flows import backfill
from shared.flows.services import Services, services
from shared.storage.backfill_marks import BackfillMarks
from shared.storage.ledger import LedgerEntry, OrderState
from shared.storage.queues import MessageSender, ensure_queues, queue_client

pytestmark = pytest.mark.e2e


@dataclass
class OwnStore:
    woo: WooEmulator
    app: Services
    store: str
    queue: str

    def run(self) -> backfill.BackfillResult:
        return backfill.backfill_orders(self.app, self.store, since=datetime.now(UTC) - timedelta(minutes=5))

    def queued_ids(self) -> list[int]:
        """The order ids of the messages in this store's queue (received and left there)."""
        client = queue_client(self.app.storage.queue_service(), self.queue)
        return sorted(json.loads(m.content)["resource_id"] for m in client.peek_messages(max_messages=32))

    def marks(self) -> set[int]:
        return set(BackfillMarks(self.app.storage.table_service()).load(self.store))


@pytest.fixture
def own(stack: Stack) -> Iterator[OwnStore]:
    woo = WooEmulator("ck_backfill", "cs_backfill")
    woo.start()
    woo.add_product("Mug", "MUG", "9.00", stock_quantity=100)
    store = "bf" + uuid.uuid4().hex[:8]
    woo_store = WooStoreSettings(
        url=woo.url,
        consumer_key=SecretStr(woo.consumer_key),
        consumer_secret=SecretStr(woo.consumer_secret),
        webhook_secret=SecretStr("unused"),
    )
    app = Services(services().settings.model_copy(update={"woo_stores": {store: woo_store}}))
    queue = f"backfill-{store}"
    ensure_queues(app.storage.queue_service(), [queue])
    # This store's events go to a queue of its own: the stack's host does not consume it.
    app.__dict__["woo_events"] = MessageSender(queue_client(app.storage.queue_service(), queue), lambda: app.blobs)
    try:
        yield OwnStore(woo, app, store, queue)
    finally:
        app.storage.queue_service().delete_queue(queue)
        app.woo(store).close()
        woo.stop()


def test_an_order_still_in_the_queue_is_not_queued_again_by_the_next_runs(own: OwnStore) -> None:
    orders = [own.woo.place_order([("MUG", 1)], pay=True, email=f"b{i}@example.com")["id"] for i in range(3)]
    first = own.run()
    assert sorted(int(o.split("/")[1]) for o in first.queued_orders) == sorted(orders)
    assert (first.enqueued, first.already_queued) == (3, 0)
    for _ in range(2):  # the timer's next runs, while nothing has consumed the queue yet
        again = own.run()
        assert (again.enqueued, again.already_queued) == (0, 3) and again.queued_orders == []
    assert own.queued_ids() == sorted(orders)  # one message per order, not one per run
    assert own.marks() == set(orders)


def test_a_newer_state_of_a_queued_order_is_queued_again(own: OwnStore) -> None:
    order = own.woo.place_order([("MUG", 1)], pay=True, email="newer@example.com")["id"]
    assert own.run().enqueued == 1
    own.woo.set_order_status(order, "completed")  # the same second, or a later one: the status differs
    again = own.run()
    assert again.queued_orders == [f"{own.store}/{order}"]
    own.woo.advance_clock(5)
    own.woo.set_order_status(order, "processing")
    assert own.run().queued_orders == [f"{own.store}/{order}"]
    assert own.queued_ids() == [order, order, order]


def test_once_the_ledger_has_the_state_the_order_is_not_queued_and_its_mark_is_forgotten(own: OwnStore) -> None:
    order = own.woo.place_order([("MUG", 1)], pay=True, email="done@example.com")
    assert own.run().enqueued == 1 and own.marks() == {order["id"]}
    entry = LedgerEntry(own.store, order["id"], state=OrderState.POSTED, woo_modified=order["date_modified_gmt"])
    own.app.ledger.save(entry)  # what the order flow records when it handles the queued copy
    result = own.run()
    assert (result.enqueued, result.already_queued) == (0, 0)
    assert own.marks() == set()


def test_a_copy_older_than_the_grace_period_is_queued_again(own: OwnStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A queued copy that was somehow never handled costs a delay, never the order."""
    order = own.woo.place_order([("MUG", 1)], pay=True, email="late@example.com")["id"]
    assert own.run().enqueued == 1
    monkeypatch.setattr(backfill, "QUEUED_GRACE", timedelta(0))
    again = own.run()
    assert again.queued_orders == [f"{own.store}/{order}"]
    assert own.queued_ids() == [order, order]
