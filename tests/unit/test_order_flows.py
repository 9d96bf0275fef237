"""The order and refund flows on in-memory adapters: exactly once, holds, backoff, cancellation.

The whole flow runs (ledger claims with ETags, customer cache, audit trail, re-queues) through
:func:`shared.flows.services.bootstrap` with :mod:`tests.fakes` in place of Azure Storage, WooCommerce
and the ERP. The end-to-end tests prove the same on Azurite and the emulators, far slower.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from shared.config import Settings
from shared.erp.port import TransientErpError
from shared.events import WooEvent
from shared.flows import orders
from shared.flows.services import Services, bootstrap
from shared.model import HoldCode
from shared.storage.ledger import OrderState
from tests.fakes import FakeErp, FakeWoo, ListQueue, MemoryTables

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "woocommerce"
STORE = "main"


def order_payload(**changes: Any) -> dict[str, Any]:
    """Woo's order 727 (docs sample), with a SKU on its simple line (the sample's is empty)."""
    payload = json.loads((REFERENCE / "order-retrieve.json").read_text(encoding="utf-8"))
    payload["line_items"][0]["sku"] = "WOO-93"
    payload.update(changes)
    return payload


class App:
    """The flows on fakes, with helpers to deliver a message the way the queue trigger would."""

    def __init__(self, erp: FakeErp, stores: dict[str, str] | None = None, **settings: Any) -> None:
        self.erp = erp
        self.woo = FakeWoo()
        self.woo.products[22] = {"id": 22, "sku": "BAR-PARENT"}
        self.queue = ListQueue()
        self.tables = MemoryTables()
        prefixes = stores or {STORE: ""}
        config = Settings.model_validate(
            {
                "woo_stores": {
                    store: {"url": f"https://{store}.example.com/", "consumer_key": "ck", "consumer_secret": "cs",
                            "webhook_secret": "whsec", "document_prefix": prefix}
                    for store, prefix in prefixes.items()
                },
                **settings,
            }
        )  # fmt: skip
        self.services: Services = bootstrap(
            config,
            erp=erp,
            tables=self.tables,
            woo=lambda store: self.woo,
            woo_events=self.queue,  # type: ignore[arg-type]
        )
        self._messages = 0

    def deliver(self, payload: dict[str, Any], topic: str = "order.updated", store: str = STORE) -> None:
        self.woo.orders[payload["id"]] = copy.deepcopy(payload)
        event = WooEvent(
            store=store, topic=topic, resource_id=payload["id"], modified=payload["date_modified_gmt"],
            status=payload["status"], body=payload,
        )  # fmt: skip
        self.handle(event.model_dump(mode="json"))

    def handle(self, message: dict[str, Any]) -> None:
        self._messages += 1
        orders.handle_woo_event(message, self.services, message_id=f"message-{self._messages}")

    def drain(self) -> int:
        """Handle what the flows re-queued (delays are the queue's business, not the flow's)."""
        handled = 0
        while self.queue.sent:
            for message in self.queue.take():
                self.handle(message)
                handled += 1
        return handled

    def entry(self, order_id: int = 727, store: str = STORE) -> Any:
        return self.services.ledger.get(store, order_id)


@pytest.fixture
def erp() -> FakeErp:
    return FakeErp(items=["WOO-93", "Bar3"])


def test_a_paid_order_becomes_one_document_however_often_it_is_delivered(erp: FakeErp) -> None:
    app = App(erp)
    for _ in range(3):
        app.deliver(order_payload())
    entry = app.entry()
    assert entry.state == OrderState.POSTED
    assert list(erp.documents) == ["727"] and entry.document_number == erp.documents["727"].number
    assert erp.calls["create_sales_document"] == 1
    assert erp.calls["find_sales_document"] == 0  # the normal path looks nothing up
    assert app.queue.sent == []


def test_a_returning_customer_costs_no_customer_call(erp: FakeErp) -> None:
    app = App(erp)
    app.deliver(order_payload())
    app.deliver(order_payload(id=728, number="728"))
    assert erp.calls["create_customer"] == 1 and erp.calls["find_customer"] == 1
    assert {d.customer_number for d in erp.documents.values()} == {next(iter(erp.customers))}


def test_a_document_whose_answer_was_lost_is_found_on_the_retry_not_created_again(erp: FakeErp) -> None:
    app = App(erp)
    erp.crash_after = "create_sales_document"
    app.deliver(order_payload())
    assert app.entry().state != OrderState.POSTED and len(app.queue.sent) == 1  # re-queued with backoff
    app.drain()
    assert app.entry().state == OrderState.POSTED
    assert len(erp.documents) == 1 and erp.calls["create_sales_document"] == 1
    assert erp.calls["find_sales_document"] == 1
    assert app.entry().document_number == erp.documents["727"].number


def test_throttling_requeues_the_message_after_the_erps_retry_after(erp: FakeErp) -> None:
    app = App(erp)
    erp.fail_next = [TransientErpError("Too many requests", status=429, retry_after=40)]
    app.deliver(order_payload())
    ((message, delay),) = app.queue.sent
    assert delay is not None and delay >= 40
    assert message["attempt"] == 1
    assert app.entry().claim_id == ""  # the claim was released for the retry
    app.drain()
    assert app.entry().state == OrderState.POSTED and len(erp.documents) == 1
    assert erp.calls["find_sales_document"] == 0  # a 429 never reached the ERP: nothing to look up


def test_an_unknown_sku_holds_the_order_once_then_it_posts_when_the_item_exists(erp: FakeErp) -> None:
    del erp.items["Bar3"]
    app = App(erp)
    app.deliver(order_payload())
    entry = app.entry()
    assert (entry.state, entry.hold_code) == (OrderState.HELD, HoldCode.UNKNOWN_SKU)
    assert "Bar3" in entry.hold_reason
    orders.redrive_held_orders(app.services)
    app.drain()
    assert app.entry().state == OrderState.HELD
    assert len(app.woo.notes[727]) == 1  # one note for one reason, however often it is retried
    erp.items["Bar3"] = erp.items.get("Bar3") or FakeErp(items=["Bar3"]).items["Bar3"]
    assert orders.redrive_held_orders(app.services) == 1
    app.drain()
    assert app.entry().state == OrderState.POSTED and len(erp.documents) == 1


def test_a_blocked_customer_and_a_currency_not_set_up_hold_the_order(erp: FakeErp) -> None:
    app = App(erp)
    app.deliver(order_payload(currency="NOK"))
    assert app.entry().hold_code == HoldCode.CURRENCY_NOT_SET_UP
    customer = next(iter(erp.customers))
    erp.block_customer(customer)
    app.deliver(order_payload(id=728, number="728"))
    assert app.entry(728).hold_code == HoldCode.BLOCKED_CUSTOMER and erp.documents == {}


def test_each_refund_becomes_one_credit_memo(erp: FakeErp) -> None:
    app = App(erp)
    app.deliver(order_payload())
    refund = {"id": 901, "reason": "damaged", "amount": "10.00", "refunded_payment": True,
              "date_created_gmt": "2017-03-23T10:00:00", "line_items": [], "shipping_lines": [], "fee_lines": []}  # fmt: skip
    app.woo.refunds[727] = [refund]
    refunded = order_payload(date_modified_gmt="2017-03-23T10:00:01")
    refunded["refunds"] = [{"id": 901, "reason": "damaged", "total": "-10.00"}]
    app.deliver(refunded)
    app.deliver(refunded)
    assert list(erp.credit_memos) == ["727-R901"] and erp.calls["create_credit_memo"] == 1
    assert app.entry().refunds_posted == "901"


def test_a_credit_memo_whose_answer_was_lost_is_found_not_doubled(erp: FakeErp) -> None:
    app = App(erp)
    app.deliver(order_payload())
    app.woo.refunds[727] = [{"id": 902, "amount": "5.00", "date_created_gmt": "2017-03-23T10:00:00"}]
    refunded = order_payload(date_modified_gmt="2017-03-23T10:00:01")
    refunded["refunds"] = [{"id": 902, "reason": "", "total": "-5.00"}]
    erp.crash_after = "create_credit_memo"
    app.deliver(refunded)
    app.drain()
    assert list(erp.credit_memos) == ["727-R902"] and erp.calls["find_credit_memo"] == 1
    assert app.entry().refunds_posted == "902"


def test_cancelling_an_unshipped_order_deletes_it_and_a_shipped_one_is_flagged(erp: FakeErp) -> None:
    app = App(erp)
    app.deliver(order_payload())
    app.deliver(order_payload(status="cancelled", date_modified_gmt="2017-03-24T00:00:00"))
    assert app.entry().state == OrderState.CANCELLED and erp.documents == {}

    app.deliver(order_payload(id=728, number="728"))
    erp.shipped.add("728")
    app.deliver(order_payload(id=728, number="728", status="cancelled", date_modified_gmt="2017-03-24T00:00:00"))
    entry = app.entry(728)
    assert entry.state == OrderState.POSTED and "728" in erp.documents
    assert "shipped" in entry.attention


def test_two_stores_sharing_a_connection_post_the_same_order_number_as_two_documents(erp: FakeErp) -> None:
    app = App(erp, stores={"web": "WEB-", "outlet": "OUT-"})
    for store in ("web", "outlet"):
        app.deliver(order_payload(), store=store)
        app.deliver(order_payload(), store=store)  # and each once only
    assert sorted(erp.documents) == ["OUT-727", "WEB-727"]
    web, outlet = app.entry(store="web"), app.entry(store="outlet")
    assert (web.external_number, web.connection) == ("WEB-727", "bc")
    assert web.document_number != outlet.document_number


def test_the_reconciliation_checks_as_many_pages_at_once_as_the_connection_allows() -> None:
    from shared.flows.reconcile import page_workers

    store = {"url": "https://a.example.com/", "consumer_key": "k", "consumer_secret": "s", "webhook_secret": "w"}
    config = Settings.model_validate(
        {
            "bc_company_id": "c",
            "woo_stores": {"a": store, "b": {**store, "erp": "slow", "document_prefix": "B-"}},
            "erps": {"slow": {"kind": "bc", "company_id": "c2", "max_concurrency": 2}},
        }
    )
    app = bootstrap(config, erp=FakeErp())
    assert (page_workers(app, "a"), page_workers(app, "b")) == (3, 1)  # BC's 5 less 2; never below one
