"""A near-miss SKU end to end (issue 16): the webhook, the local host, Azurite and the BC emulator.

A Woo product whose SKU is a near miss of a BC item number (``1964w`` for item ``1964-W``) is held
with that item suggested, in the ledger and in the note on the Woo order; `connector sku-map accept
--yes` maps it; the next re-drive after the host's map refresh (``SKU_MAP_REFRESH_SECONDS``) posts it
with the BC item.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.stack import Stack
from shared.cli import main
from shared.flows import orders
from shared.flows.services import Services
from shared.storage.ledger import OrderState

from .conftest import bc_documents_for, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.bc]


def test_a_near_miss_sku_is_held_with_its_item_suggested_and_posts_once_accepted(stack: Stack, app: Services) -> None:
    stack.woo.add_product("INNSBRUCK Storage Unit", "1964w", "149.90", stock_quantity=10, manage_stock=True)
    order = stack.woo.place_order([("1964w", 1)], pay=True, email="near.miss@example.com")

    def held():
        entry = app.ledger.get("main", order["id"])
        return entry if entry is not None and entry.state == OrderState.HELD else None

    entry = wait_for(held)
    assert entry.hold_code == "unknown_sku"
    assert 'Closest ERP items: 1964-W "INNSBRUCK Storage Unit" (100)' in entry.hold_reason
    notes = wait_for(lambda: [n for n in stack.woo.notes(order["id"]) if "Closest ERP items: 1964-W" in n["note"]])
    assert notes[0]["customer_note"] is False

    assert main(["sku-map", "accept", f"main/{order['id']}", "--yes", "--by", "e2e"]) == 0
    mapped = app.sku_map_table.get("bc", "1964W")
    assert mapped is not None and (mapped.number, mapped.source, mapped.updated_by) == ("1964-W", "accept", "e2e")

    def posted() -> bool:
        orders.redrive_held_orders(app)  # what the retry_held_orders timer does every 10 minutes
        current = app.ledger.get("main", order["id"])
        return current is not None and current.state == OrderState.POSTED

    # The host sees the change within its map refresh (30 s by default): re-driven until then, it stays held.
    wait_for(posted, timeout=120, interval=3)
    (document,) = bc_documents_for(stack, order)
    lines = [line for line in stack.bc.lines("salesOrders", document["id"]) if line["lineType"] == "Item"]
    assert [line["lineObjectNumber"] for line in lines] == ["1964-W"]
    assert Decimal(str(document["totalAmountIncludingTax"])) == Decimal(order["total"])
