"""The health check's repair of a webhook the store disabled after failed deliveries, against the emulator.

WooCommerce keeps `failure_count` at 6 when a disabled webhook is re-enabled, so re-enabling leaves it one
failure from being disabled again; a new webhook starts at 0 (facts woocommerce.md §0, §1.7).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from sandbox.woo import WooEmulator
from shared.config import Settings, WooStoreSettings
from shared.flows.webhook_health import ensure_webhook
from shared.http import TransientHttpError
from shared.woo.client import WooClient

from .conftest import CK, CS, Receiver

pytestmark = pytest.mark.integration

SECRET = "repair-secret"


@pytest.fixture
def woo(emu: WooEmulator) -> Iterator[WooClient]:
    store = WooStoreSettings(
        url=emu.url, consumer_key=SecretStr(CK), consumer_secret=SecretStr(CS), webhook_secret=SecretStr(SECRET)
    )
    client = WooClient("main", store, settings=Settings(sandbox_ca_bundle=str(emu.ca_bundle), http_max_attempts=1))
    yield client
    client.close()


def disable_by_failures(emu: WooEmulator, receiver: Receiver, order_id: int, hook_id: int) -> None:
    """Seven failed deliveries in a row, as the store counts them."""
    receiver.status = 500
    for n in range(7):
        emu.store.update_order(emu.store.orders[order_id], {"customer_note": f"change {n}"})
        emu.flush_deliveries()
    state = emu.webhook(hook_id)
    assert (state["status"], state["failure_count"]) == ("disabled", 6)


def test_a_disabled_webhook_is_recreated_with_its_full_failure_tolerance(
    emu: WooEmulator, receiver: Receiver, woo: WooClient
) -> None:
    emu.add_product("Mug", "MUG-1", "9.50")
    order = emu.place_order([("MUG-1", 1)], pay=True)
    hook = emu.create_webhook("order.updated", receiver.url, name="Dynamics connector order.updated")
    disable_by_failures(emu, receiver, order["id"], hook["id"])

    repaired = ensure_webhook(woo, woo.list_webhooks(), "order.updated", receiver.url, SECRET)

    assert repaired == "disabled → recreated"
    (new,) = emu.webhooks()
    assert new["id"] != hook["id"] and new["status"] == "active"
    assert (new["failure_count"], new["delivery_url"], new["secret"]) == (0, receiver.url, SECRET)
    assert new["name"] == "Dynamics connector order.updated"
    # The receiver still fails once (the app restarting, say): the new webhook stays active.
    emu.store.update_order(emu.store.orders[order["id"]], {"customer_note": "after the repair"})
    emu.flush_deliveries()
    assert (emu.webhook(new["id"])["status"], emu.webhook(new["id"])["failure_count"]) == ("active", 1)
    receiver.status = 200
    emu.store.update_order(emu.store.orders[order["id"]], {"customer_note": "delivered"})
    emu.flush_deliveries()
    assert emu.webhook(new["id"])["failure_count"] == 0
    assert ensure_webhook(woo, woo.list_webhooks(), "order.updated", receiver.url, SECRET) == ""


def test_re_enabling_alone_would_leave_it_one_failure_from_disabled(emu: WooEmulator, receiver: Receiver) -> None:
    """Why the repair recreates: the emulator, like the store, keeps the count across re-activation."""
    emu.add_product("Mug", "MUG-1", "9.50")
    order = emu.place_order([("MUG-1", 1)], pay=True)
    hook = emu.create_webhook("order.updated", receiver.url)
    disable_by_failures(emu, receiver, order["id"], hook["id"])
    emu.update_webhook(hook["id"], status="active")
    emu.store.update_order(emu.store.orders[order["id"]], {"customer_note": "one more failure"})
    emu.flush_deliveries()
    assert emu.webhook(hook["id"])["status"] == "disabled"


def test_an_active_webhook_pointing_elsewhere_is_corrected_in_place(
    emu: WooEmulator, receiver: Receiver, woo: WooClient
) -> None:
    hook = emu.create_webhook("order.created", receiver.url + "?code=old-key", ping=False)
    repaired = ensure_webhook(woo, woo.list_webhooks(), "order.created", receiver.url + "?code=new-key", SECRET)
    assert repaired == "delivery URL corrected"
    assert [(h["id"], h["delivery_url"]) for h in emu.webhooks()] == [(hook["id"], receiver.url + "?code=new-key")]


def test_a_failed_delete_after_the_create_leaves_a_working_webhook(
    emu: WooEmulator, receiver: Receiver, woo: WooClient
) -> None:
    """The new webhook is created before the old one is deleted, so a failure in between loses nothing."""
    emu.add_product("Mug", "MUG-1", "9.50")
    order = emu.place_order([("MUG-1", 1)], pay=True)
    hook = emu.create_webhook("order.updated", receiver.url)
    disable_by_failures(emu, receiver, order["id"], hook["id"])
    real_create = woo.create_webhook

    def create_then_outage(body: dict) -> dict:
        created = real_create(body)
        emu.faults.config = dataclasses.replace(emu.faults.config, outage=True)  # the store goes down
        return created

    woo.create_webhook = create_then_outage  # type: ignore[method-assign]
    try:
        with pytest.raises(TransientHttpError):
            ensure_webhook(woo, woo.list_webhooks(), "order.updated", receiver.url, SECRET)
    finally:
        emu.faults.config = dataclasses.replace(emu.faults.config, outage=False)
    statuses = sorted((h["status"], h["failure_count"]) for h in emu.webhooks())
    assert statuses == [("active", 0), ("disabled", 6)]
    # The next run finds the active one and leaves it; the disabled leftover is not "ours" any more.
    assert ensure_webhook(woo, woo.list_webhooks(), "order.updated", receiver.url, SECRET) == ""
