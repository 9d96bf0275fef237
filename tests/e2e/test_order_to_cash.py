"""Order to cash through the real HTTP function, queue (Azurite), local host and the emulators."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import ssl
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from sandbox.stack import Stack
from shared.events import WooEvent
from shared.flows import orders
from shared.flows.reconcile import reconcile_day
from shared.flows.report import ExceptionKind
from shared.flows.services import Services
from shared.flows.status import attention_count
from shared.storage.ledger import OrderState
from shared.woo.mapping import order_from_woo

from .conftest import bc_documents_for, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.bc]

SHIPPING = [{"method_id": "flat_rate", "method_title": "Flat rate", "total": "10.00"}]


def posted(app: Services, order: dict) -> bool:
    entry = app.ledger.get("main", order["id"])
    return entry is not None and entry.state == OrderState.POSTED


def held(app: Services, order: dict):
    entry = app.ledger.get("main", order["id"])
    return entry if entry is not None and entry.state == OrderState.HELD else None


def deliver(stack: Stack, order_id: int, topic: str = "order.updated", secret: str | None = None) -> httpx.Response:
    """One delivery of the order's current state, signed as WooCommerce signs it."""
    body = json.dumps(stack.woo.order(order_id), separators=(",", ":")).encode()
    key = (secret or stack.webhook_secret).encode()
    signature = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Signature": signature,
        "X-WC-Webhook-ID": "1",
        "X-WC-Webhook-Delivery-ID": "0" * 32,
    }
    return httpx.post(stack.webhook_url, content=body, headers=headers, timeout=30)


def test_paid_order_appears_once_with_lines_discount_shipping_note_and_matching_total(stack: Stack, app) -> None:
    stack.woo.add_coupon("TENOFF", "percent", 10)
    order = stack.woo.place_order(
        [("1900-S", 2), ("LAMP-BRASS", 1)],
        pay=True,
        email="first.buyer@example.com",
        first_name="Fiona",
        last_name="Buyer",
        coupons=["TENOFF"],
        shipping=SHIPPING,
        customer_note="Please call before delivery",
    )
    wait_for(lambda: posted(app, order))
    (document,) = bc_documents_for(stack, order)
    assert Decimal(str(document["totalAmountIncludingTax"])) == Decimal(order["total"])
    lines = stack.bc.lines("salesOrders", document["id"])
    items = {line["lineObjectNumber"]: line for line in lines if line["lineType"] == "Item"}
    assert set(items) == {"1900-S", "LAMP-BRASS"}
    assert items["1900-S"]["quantity"] == 2
    assert Decimal(str(items["1900-S"]["discountAmount"])) > 0  # the coupon as a line discount
    freight = [line for line in lines if line["lineType"] == "Account"]
    assert [line["lineObjectNumber"] for line in freight] == ["6410"]
    comments = " ".join(line["description"] for line in lines if line["lineType"] == "Comment")
    assert "Please call before delivery" in comments
    customer = stack.bc.find("customers", "number", document["customerNumber"])[0]
    assert customer["email"] == "first.buyer@example.com"
    assert customer["displayName"] == "Fiona Buyer"
    trail = [row.data["stage"] for row in app.audit.trail(f"main/{order['id']}")]
    assert trail[0] == "received" and "posted" in trail


def test_returning_customer_is_matched_without_creating_another(stack: Stack, app) -> None:
    first = stack.woo.place_order([("70000", 1)], pay=True, email="regular@example.com")
    wait_for(lambda: posted(app, first))
    second = stack.woo.place_order([("70000", 3)], pay=True, email="Regular@Example.com")
    wait_for(lambda: posted(app, second))
    numbers = {bc_documents_for(stack, o)[0]["customerNumber"] for o in (first, second)}
    assert len(numbers) == 1
    assert len(stack.bc.find("customers", "email", "regular@example.com")) == 1


def test_a_new_buyer_is_looked_up_by_email_then_phone_in_one_erp_call(stack: Stack, app) -> None:
    stack.bc.add_customer(number="C-MAIL", displayName="Mail Match", email="match@example.com", phoneNumber="555-0101")
    stack.bc.add_customer(
        number="C-PHONE", displayName="Phone Match", email="other@example.com", phoneNumber="555-0199"
    )
    cases = [
        (("match@example.com", "555-0199"), "C-MAIL"),  # the e-mail wins over the phone
        (("nobody@example.com", "555-0199"), "C-PHONE"),
        (("nobody@example.com", "555-0000"), None),
        (("nobody@example.com", None), None),
    ]
    for (email, phone), number in cases:
        before = app.erp.calls
        found = app.erp.find_customer(email, phone)
        assert (found.number if found else None) == number, (email, phone)
        assert app.erp.calls - before == 1, "both lookups travel in one $batch"


def test_foreign_currency_order_carries_its_currency(stack: Stack, app) -> None:
    order = stack.woo.place_order([("1964-W", 1)], pay=True, email="euro@example.com", currency="EUR")
    wait_for(lambda: posted(app, order))
    (document,) = bc_documents_for(stack, order)
    assert document["currencyCode"] == "EUR"


def test_ten_concurrent_deliveries_of_one_order_make_one_document(stack: Stack, app) -> None:
    stack.woo.pause_deliveries()
    try:
        order = stack.woo.place_order([("1920-S", 1)], pay=True, email="dupes@example.com")
        statuses: list[int] = []
        threads = [threading.Thread(target=lambda: statuses.append(deliver(stack, order["id"]).status_code))
                   for _ in range(10)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * 10
    finally:
        stack.woo.resume_deliveries()
    wait_for(lambda: posted(app, order))
    stack.woo.flush_deliveries()
    for _ in range(3):
        assert deliver(stack, order["id"]).status_code == 200
    wait_for(lambda: app.audit.trail(f"main/{order['id']}"))
    assert len(bc_documents_for(stack, order)) == 1


def test_crash_between_erp_write_and_ledger_write_still_yields_one_document(stack: Stack, app) -> None:
    stack.woo.pause_deliveries()
    try:
        order = stack.woo.place_order([("1896-S", 1)], pay=True, email="crash@example.com")
        # A previous attempt created the document in BC and died before recording it: the ledger
        # says "posting" with an expired claim.
        from shared.flows.orders import claim
        from shared.woo.mapping import order_from_woo

        payload = stack.woo.order(order["id"])
        model = order_from_woo(payload, "main")
        entry = claim(model, payload, None, app)
        customer = app.erp.create_customer(model.customer)
        app.erp.create_sales_document(model, customer)
        entry.claimed_at = "2000-01-01T00:00:00+00:00"
        app.ledger.save(entry)
        assert len(bc_documents_for(stack, order)) == 1
        assert deliver(stack, order["id"]).status_code == 200
    finally:
        stack.woo.resume_deliveries()
    wait_for(lambda: posted(app, order))
    stack.woo.flush_deliveries()
    assert len(bc_documents_for(stack, order)) == 1
    assert app.ledger.get("main", order["id"]).document_number == bc_documents_for(stack, order)[0]["number"]


def queued_event(payload: dict) -> dict:
    """The queue message the ingress makes of an order.updated delivery of `payload`."""
    modified = payload["date_modified_gmt"]
    return WooEvent(
        store="main", topic="order.updated", resource_id=payload["id"], modified=modified, body=payload
    ).model_dump()


def test_a_racing_duplicate_is_dropped_and_a_dead_workers_own_message_takes_over_its_claim(
    stack: Stack, app, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="connector.orders")
    stack.woo.pause_deliveries()
    try:
        order = stack.woo.place_order([("1920-S", 2)], pay=True, email="race@example.com")
        payload = stack.woo.order(order["id"])
        # The worker holding message "m-1" claimed the order and died before reaching BC.
        model = order_from_woo(payload, "main")
        orders.claim(model, payload, None, app, message_id="m-1")
        orders.handle_woo_event(queued_event(payload), app, message_id="m-2")  # a duplicate: same state
        orders.post_order(model, payload, None, app, message_id="m-3")  # read the ledger before m-1 claimed
        entry = app.ledger.get("main", order["id"])
        assert (entry.state, entry.claim_id) == (OrderState.POSTING, "m-1") and bc_documents_for(stack, order) == []
        dropped = [r for r in caplog.records if getattr(r, "event", None) == "duplicate_dropped"]
        assert dropped and not [r for r in caplog.records if getattr(r, "event", None) == "order_rescheduled"]
        orders.handle_woo_event(queued_event(payload), app, message_id="m-1")  # m-1 comes back after its lease
        assert posted(app, order) and len(bc_documents_for(stack, order)) == 1
    finally:
        stack.woo.resume_deliveries()
    stack.woo.flush_deliveries()
    wait_for(lambda: app.audit.trail(f"main/{order['id']}"))
    assert len(bc_documents_for(stack, order)) == 1


def test_a_transient_erp_failure_frees_the_claim_and_an_unsent_attempt_does_not_count(stack: Stack, app) -> None:
    stack.woo.pause_deliveries()
    try:
        order = stack.woo.place_order([("1920-S", 1)], pay=True, email="outage@example.com")
        payload = stack.woo.order(order["id"])
        stack.bc.faults.config.outage = True
        try:
            orders.handle_woo_event(queued_event(payload), app, message_id="m-outage")  # re-scheduled, not raised
        finally:
            stack.bc.faults.config.outage = False
        entry = app.ledger.get("main", order["id"])
        assert (entry.state, entry.claim_id, entry.claimed_at, entry.attempts) == (OrderState.POSTING, "", "", 0)
    finally:
        stack.woo.resume_deliveries()
    wait_for(lambda: posted(app, order))  # the re-scheduled copy (or the delivery) claims at once
    assert app.ledger.get("main", order["id"]).attempts == 1  # no look-up was needed: nothing had been sent
    assert len(bc_documents_for(stack, order)) == 1


def test_unknown_sku_holds_then_posts_once_the_item_exists(stack: Stack, app) -> None:
    stack.woo.add_product("Oslo Shelf", "OSLO-SHELF", "89.00", stock_quantity=10, manage_stock=True)
    order = stack.woo.place_order([("OSLO-SHELF", 1), ("70000", 2)], pay=True, email="shelf@example.com")
    entry = wait_for(lambda: held(app, order))
    assert entry.hold_code == "unknown_sku" and "OSLO-SHELF" in entry.hold_reason
    assert bc_documents_for(stack, order) == []

    def hold_notes() -> list[dict]:
        return [n for n in stack.woo.notes(order["id"]) if n["note"].startswith("Not yet in the ERP")]

    notes = wait_for(hold_notes)
    assert "OSLO-SHELF" in notes[0]["note"]
    assert notes[0]["customer_note"] is False  # a private note for the merchant
    orders.redrive_held_orders(app)  # still unknown: it stays held, and no second note is written
    time.sleep(1)
    wait_for(lambda: held(app, order))
    stack.bc.add_item("OSLO-SHELF", "Oslo Shelf", 89, inventory=10)
    orders.redrive_held_orders(app)
    wait_for(lambda: posted(app, order))
    assert len(bc_documents_for(stack, order)) == 1
    assert len(hold_notes()) == 1


def test_blocked_customer_holds_the_order(stack: Stack, app) -> None:
    stack.bc.add_customer(number="C-BLOCK", displayName="Blocked Buyer", email="blocked@example.com")
    stack.bc.block_customer("C-BLOCK", "All")
    order = stack.woo.place_order([("70000", 1)], pay=True, email="blocked@example.com")
    entry = wait_for(lambda: held(app, order))
    assert entry.hold_code == "blocked_customer" and "C-BLOCK" in entry.hold_reason


def test_currency_not_set_up_in_bc_holds_the_order(stack: Stack, app) -> None:
    order = stack.woo.place_order([("70000", 1)], pay=True, email="yen@example.com", currency="JPY")
    entry = wait_for(lambda: held(app, order))
    assert entry.hold_code == "currency_not_set_up" and "JPY" in entry.hold_reason


def test_unpaid_orders_are_not_posted(stack: Stack, app) -> None:
    order = stack.woo.place_order([("70000", 1)], pay=False, email="later@example.com")
    stack.woo.flush_deliveries()
    wait_for(lambda: app.ledger.get("main", order["id"]))
    assert app.ledger.get("main", order["id"]).state == OrderState.RECEIVED
    assert bc_documents_for(stack, order) == []
    stack.woo.pay_order(order["id"])
    wait_for(lambda: posted(app, order))


def test_cancellation_deletes_the_unshipped_bc_order_and_flags_a_shipped_one(stack: Stack, app) -> None:
    unshipped = stack.woo.place_order([("70000", 1)], pay=True, email="cancel1@example.com")
    shipped = stack.woo.place_order([("70000", 1)], pay=True, email="cancel2@example.com")
    wait_for(lambda: posted(app, unshipped) and posted(app, shipped))
    stack.bc.ship_order(bc_documents_for(stack, shipped)[0]["number"])
    stack.woo.cancel_order(unshipped["id"])
    stack.woo.cancel_order(shipped["id"])
    wait_for(lambda: app.ledger.get("main", unshipped["id"]).state == OrderState.CANCELLED)
    assert bc_documents_for(stack, unshipped) == []
    entry = wait_for(lambda: (e := app.ledger.get("main", shipped["id"])) and e.attention and e)
    assert "shipped" in entry.attention and entry.state == OrderState.POSTED


def test_a_change_after_posting_is_flagged_not_reposted(stack: Stack, app) -> None:
    order = stack.woo.place_order([("1900-S", 1)], pay=True, email="changer@example.com")
    wait_for(lambda: posted(app, order))
    stack.woo.set_order_status(order["id"], "completed")  # status change: same business content
    stack.woo.flush_deliveries()
    stack.woo.store.orders[order["id"]].billing["city"] = "Elsewhere"  # an edit after posting
    assert deliver(stack, order["id"]).status_code == 200
    entry = wait_for(lambda: (e := app.ledger.get("main", order["id"])) and e.attention and e)
    assert "changed" in entry.attention
    assert len(bc_documents_for(stack, order)) == 1


def test_bc_throttling_and_5xx_storm_is_survived_exactly_once(stack: Stack, app) -> None:
    faults = stack.bc.faults.config
    faults.error_rate, faults.error_statuses, faults.retry_after_seconds = 0.4, (429, 503), 1
    try:
        placed = [stack.woo.place_order([("70000", 1)], pay=True, email=f"storm{i}@example.com") for i in range(6)]
        wait_for(lambda: all(posted(app, o) for o in placed), timeout=90)
    finally:
        faults.error_rate = 0.0
    for order in placed:
        assert len(bc_documents_for(stack, order)) == 1
    assert stack.bc.faults.counters["status_429"] + stack.bc.faults.counters["status_503"] > 0


def test_an_expired_token_is_reacquired(stack: Stack, app) -> None:
    app.erp.tokens.token()  # make sure the connector holds a token
    assert stack.entra.expire_all_tokens() >= 1
    order = stack.woo.place_order([("70000", 1)], pay=True, email="token@example.com")
    wait_for(lambda: posted(app, order))


def test_wrong_signature_is_401_and_nothing_is_queued(stack: Stack, app) -> None:
    stack.woo.pause_deliveries()
    try:
        order = stack.woo.place_order([("70000", 1)], pay=True, email="forged@example.com")
        response = deliver(stack, order["id"], secret="not-the-secret")
        assert response.status_code == 401
        unsigned = httpx.post(stack.webhook_url, content=b'{"id": 1}', headers={"X-WC-Webhook-Topic": "order.updated"})
        assert unsigned.status_code == 401
        # Had anything been queued, the queue function would have recorded the order within a second.
        time.sleep(2)
        assert app.ledger.get("main", order["id"]) is None
        assert app.audit.trail(f"main/{order['id']}") == []
    finally:
        stack.woo.resume_deliveries()


def test_payment_is_recorded_once_in_the_configured_journal(stack: Stack, app) -> None:
    app.settings.bc_payment_journal = app.erp.payment_journal = "CASHRCPT"
    try:
        order = stack.woo.place_order([("1964-W", 2)], pay=True, email="payer@example.com")
        wait_for(lambda: (e := app.ledger.get("main", order["id"])) and e.payment_state == "recorded")
        assert deliver(stack, order["id"]).status_code == 200  # a late duplicate records nothing more
        stack.woo.flush_deliveries()
        wait_for(lambda: len(app.audit.trail(f"main/{order['id']}")) >= 3)
    finally:
        app.settings.bc_payment_journal = app.erp.payment_journal = ""
    payments = stack.bc.find("customerPayments", "externalDocumentNumber", order["number"])
    assert len(payments) == 1
    assert Decimal(str(payments[0]["amount"])) == -Decimal(order["total"])
    assert payments[0]["customerNumber"] == bc_documents_for(stack, order)[0]["customerNumber"]


@pytest.mark.parametrize("status", ["trash", "on-hold", "pending", "failed"])
def test_a_posted_order_taken_back_is_flagged_for_a_person(stack: Stack, app, status: str) -> None:
    """Trash (an `order.deleted` delivery of `{"id": N}`, facts woocommerce.md §0) or a status that takes
    the payment back: flagged (ledger, audit, status count), the BC document left alone."""
    order = stack.woo.place_order([("1900-S", 1)], pay=True, email=f"taken-back-{status}@example.com")
    wait_for(lambda: posted(app, order))
    flagged_before = attention_count(app)
    if status == "trash":
        trashed = httpx.delete(
            f"{stack.woo.api_url}/orders/{order['id']}",
            auth=(stack.woo.consumer_key, stack.woo.consumer_secret),
            verify=ssl.create_default_context(cafile=stack.settings["SANDBOX_CA_BUNDLE"]),
        )
        assert trashed.status_code == 200 and trashed.json()["status"] == "trash"
    else:
        stack.woo.set_order_status(order["id"], status)
    entry = wait_for(lambda: (e := app.ledger.get("main", order["id"])) and e.attention and e)
    assert entry.state == OrderState.POSTED
    assert stack.woo.order(order["id"])["status"] == status
    assert ("moved to the trash" if status == "trash" else f"set to {status}") in entry.attention
    assert entry.document_number in entry.attention
    flagged = [row.data for row in app.audit.trail(f"main/{order['id']}") if row.data["stage"] == "flagged"]
    assert len(flagged) == 1 and flagged[0]["reason"] == entry.attention
    assert attention_count(app) >= flagged_before + 1  # the status count includes it (others may flag meanwhile)
    assert len(bc_documents_for(stack, order)) == 1
    if status == "trash":  # and the daily report lists it (once is enough: the same section for every reason)
        report = reconcile_day(app, datetime.now(UTC).date(), stores=["main"])
        listed = [e for e in report.sample if e.kind == ExceptionKind.NEEDS_ATTENTION and e.order == str(order["id"])]
        assert len(listed) == 1 and entry.attention in listed[0].detail
