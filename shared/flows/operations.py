"""Operations: what the operator tools share (order references, HTTP answers, operator errors).

The tools themselves: :mod:`shared.flows.poison` (list and replay poison queues) and
:mod:`shared.flows.status` (held orders, orders needing attention, timers, the daily status).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from shared.flows.services import Services


class OperationsError(ValueError):
    """A request an operator can correct (unknown queue, store or connection, malformed order reference)."""


def parse_order_ref(ref: str) -> tuple[str, int]:
    """`store/order id` → (store, id)."""
    store, sep, order = ref.strip().partition("/")
    if not sep or not store or not order.strip().isdigit():
        raise OperationsError(f"order must look like <store>/<order id>, e.g. main/1234 (got {ref!r})")
    return store.lower(), int(order)


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: str


def error_reply(status: int, message: str) -> HttpReply:
    return HttpReply(status, json.dumps({"error": message}))


def known_store(services: Services, store: str) -> str:
    """The store id, lower-cased, when the settings configure it or the ledger has orders of it.

    OperationsError otherwise, so a mistyped `--store` is an error rather than an empty listing. (The
    ledger counts too: commands that only read storage may run without the stores' settings.)
    """
    name = store.strip().lower()
    if name in services.settings.woo_stores:
        return name
    rows = services.ledger.table.client.query_entities(
        "PartitionKey eq @store", parameters={"store": name}, select=["RowKey"], results_per_page=1
    )
    if next(iter(rows), None) is not None:
        return name
    configured = ", ".join(services.settings.woo_stores) or "none"
    raise OperationsError(
        f"unknown store {store!r}: not in the settings (stores configured: {configured}) "
        "and no orders of it in the ledger"
    )


def known_connection(services: Services, connection: str) -> str:
    """The connection id, lower-cased, when the settings configure it; OperationsError otherwise."""
    name = connection.strip().lower()
    if name in services.settings.connections():
        return name
    configured = ", ".join(services.settings.connections()) or "none"
    raise OperationsError(f"unknown ERP connection {connection!r} (connections configured: {configured})")


def stores_in_scope(services: Services, store: str | None = None, connection: str | None = None) -> list[str] | None:
    """The stores a command looks at: one store, a connection's stores, or None for all of them."""
    if store:
        return [known_store(services, store)]
    if connection:
        return services.settings.stores_of(known_connection(services, connection))
    return None
