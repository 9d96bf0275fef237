"""Suggestions for a held unknown SKU: the ERP items it probably meant (shared/mapping/suggestions.py),
over the connection's catalogue, read whole and kept for ``SKU_SUGGESTION_CATALOGUE_MINUTES``.

They go into the hold reason (so the Woo note, `connector held` and the alert say them), onto the
ledger entry (``suggestions``: what `connector sku-map accept` applies), and to the readiness report
through :func:`held_sku_suggestions` and :func:`suggest_for_sku`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.erp.port import ErpError
from shared.flows.services import Services
from shared.http import HttpError
from shared.mapping.suggestions import Candidate, Suggestion, suggest_items
from shared.model import HoldCode, HoldReason, Order
from shared.storage.ledger import LedgerEntry, OrderState

log = logging.getLogger("connector.sku_suggestions")

SUGGESTED_CODES = frozenset({HoldCode.UNKNOWN_SKU, HoldCode.SKU_TOO_LONG})
"""Holds a SKU mapping fixes."""


def catalogue_candidates(services: Services, connection: str) -> list[Candidate]:
    """Every ERP item of the connection as a candidate, read at most once per cache period."""
    ttl = services.settings.sku_suggestion_catalogue_minutes * 60
    cached = services.item_candidates.get(connection)
    now = time.monotonic()
    if cached is not None and now - cached[0] < ttl:
        return cached[1]
    items = services.erp_for(connection).catalog_items()
    candidates = [Candidate(item.number, item.display_name) for item in items if not item.blocked]
    services.item_candidates[connection] = (now, candidates)
    return candidates


def suggest_for_sku(services: Services, connection: str, sku: str, product_name: str = "") -> list[Suggestion]:
    """The closest ERP items of the connection for one Woo SKU (for the readiness report)."""
    return suggest_items(sku, catalogue_candidates(services, connection), product_name=product_name)


def suggestions_for_holds(order: Order, holds: Sequence[HoldReason], services: Services) -> dict[str, list[Suggestion]]:
    """For each held SKU a mapping would fix, its suggestions. An ERP that cannot be read now gives
    none (the order is held all the same; the next re-drive tries again)."""
    wanted = [hold for hold in holds if hold.code in SUGGESTED_CODES and hold.subject]
    if not wanted:
        return {}
    connection = services.settings.connection_of(order.store)
    try:
        candidates = catalogue_candidates(services, connection)
    except (ErpError, HttpError) as exc:
        log.warning("ERP catalogue unavailable for SKU suggestions: %s", type(exc).__name__)
        return {}
    names: dict[int | None, str] = {line.woo_item_id: line.name for line in order.lines}
    found: dict[str, list[Suggestion]] = {}
    for hold in wanted:
        suggestions = suggest_items(hold.subject, candidates, product_name=names.get(hold.woo_item_id, ""))
        if suggestions:
            found[hold.subject] = suggestions
    return found


def describe(suggestions: Iterable[Suggestion]) -> str:
    """``BLUE-MUG "Blue mug" (92)``, …: how a suggestion reads in a hold note."""
    parts = []
    for s in suggestions:
        name = f' "{s.name}"' if s.name else ""
        parts.append(f"{s.number}{name} ({s.score:g})")
    return ", ".join(parts)


def with_suggestions(
    holds: Sequence[HoldReason], found: dict[str, list[Suggestion]], order: str = ""
) -> tuple[HoldReason, ...]:
    """The holds, each SKU hold saying its closest ERP items, the last how to accept the first ones."""
    told: list[HoldReason] = []
    for hold in holds:
        suggestions = found.get(hold.subject) if hold.code in SUGGESTED_CODES else None
        if suggestions:
            message = f"{hold.message} Closest ERP items: {describe(suggestions)}"
            hold = hold.model_copy(update={"message": message})
        told.append(hold)
    if found and order:
        last = max(i for i, hold in enumerate(told) if hold.subject in found and hold.code in SUGGESTED_CODES)
        accept = f" (to map the first: connector sku-map accept {order})"
        told[last] = told[last].model_copy(update={"message": told[last].message + accept})
    return tuple(told)


def encode(found: dict[str, list[Suggestion]]) -> str:
    """The ledger's ``suggestions`` column: ``{sku: [[number, name, score], …]}``."""
    if not found:
        return ""
    return json.dumps({sku: [[s.number, s.name, s.score] for s in items] for sku, items in found.items()})


def decode(value: str) -> dict[str, list[Suggestion]]:
    if not value:
        return {}
    try:
        raw = json.loads(value)
    except json.JSONDecodeError:
        return {}
    return {
        str(sku): [Suggestion(str(n), str(name), float(score)) for n, name, score in items]
        for sku, items in raw.items()
    }


@dataclass(frozen=True)
class HeldSkuSuggestions:
    """One held order's SKUs and what each probably is (the readiness report lists these)."""

    store: str
    order_id: int
    connection: str
    suggestions: dict[str, list[Suggestion]]

    @property
    def subject(self) -> str:
        return f"{self.store}/{self.order_id}"


def held_sku_suggestions(services: Services, store: str | None = None) -> list[HeldSkuSuggestions]:
    """Every held order with SKU suggestions, as recorded when it was held (no ERP call)."""
    found: list[HeldSkuSuggestions] = []
    for entry in services.ledger.in_state(OrderState.HELD, store):
        suggestions = decode(entry.suggestions)
        if suggestions:
            connection = entry.connection or services.settings.connection_of(entry.store)
            found.append(HeldSkuSuggestions(entry.store, entry.order_id, connection, suggestions))
    return sorted(found, key=lambda h: (h.store, h.order_id))


def held_entry_suggestions(entry: LedgerEntry) -> dict[str, list[Suggestion]]:
    return decode(entry.suggestions)
