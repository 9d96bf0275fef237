"""Anomaly flags through the whole stack (the webhook, the local host, Azurite, the BC emulator), with
the default ANOMALY_ACTION=flag: a posted order is learnt into its store's history, and one far outside
it posts all the same and is marked with a plain reason."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sandbox.stack import Stack
from shared.anomalies import rules
from shared.anomalies.history import StoreStats
from shared.anomalies.rules import OrderFacts
from shared.flows.services import Services
from shared.storage.ledger import OrderState

from .conftest import bc_documents_for, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.bc]


def test_a_huge_order_posts_and_is_flagged_and_every_posted_order_is_learnt(stack: Stack, app: Services) -> None:
    usual = StoreStats()
    for n in range(60):  # a store whose orders are around 100
        facts = OrderFacts(Decimal(90 + n % 20), "USD", (("Side Panel", Decimal(1)),), "US", datetime.now(UTC))
        rules.learn_order(facts, usual, rules.Thresholds())
    app.store_history.replace_stats("main", usual)

    order = stack.woo.place_order([("1920-S", 20)], pay=True, email="bulk.buyer@example.com")

    def posted():
        entry = app.ledger.get("main", order["id"])
        return entry if entry is not None and entry.state == OrderState.POSTED and entry.anomaly else None

    entry = wait_for(posted)
    assert entry.anomaly.startswith("unusual order: order total ")
    assert "× the store's median" in entry.anomaly and "quantity 20 of 'ANTWERP Conference Table'" in entry.anomaly
    assert entry.attention == ""  # nothing to correct in the ERP
    assert len(bc_documents_for(stack, order)) == 1
    stages = [row.data["stage"] for row in app.audit.trail(f"main/{order['id']}")]
    assert stages.count("anomaly") == 1 and "posted" in stages
    assert wait_for(lambda: app.store_history.stats("main").orders >= 61)
