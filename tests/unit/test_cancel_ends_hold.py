"""A held order cancelled in WooCommerce logs `order_cancelled`, the event that ends its hold for the
held-orders alert (infra/modules/operations.bicep), and the ledger says cancelled."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, cast

import pytest

from shared.flows.orders import cancel_order
from shared.storage.ledger import LedgerEntry, OrderState
from shared.telemetry import ORDER_CANCELLED


class _Ledger:
    def __init__(self) -> None:
        self.saved: list[LedgerEntry] = []

    def save(self, entry: LedgerEntry) -> None:
        self.saved.append(entry)


class _Audit:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def record(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(args)


@pytest.mark.parametrize("state", [OrderState.HELD, OrderState.RECEIVED])
def test_cancelling_an_unposted_order_logs_the_event_that_ends_its_hold(state: str, caplog) -> None:
    services = SimpleNamespace(ledger=_Ledger(), audit=_Audit())
    order = SimpleNamespace(store="main", woo_order_id=42, number="42", status="cancelled")
    entry = LedgerEntry("main", 42, state=state)
    with caplog.at_level(logging.INFO, logger="connector"):
        cancel_order(cast(Any, order), {"date_modified_gmt": "2026-01-01T00:00:00"}, entry, cast(Any, services))
    assert services.ledger.saved[-1].state == OrderState.CANCELLED
    events = [r for r in caplog.records if getattr(r, "event", None) == ORDER_CANCELLED]
    assert len(events) == 1
    assert (events[0].store, events[0].order) == ("main", 42)
