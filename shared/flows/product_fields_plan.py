"""Pure: which way one product field goes in the two-way product sync (no I/O).

For each (ERP item, Woo product) pair and each synced field (``name``, ``price``) the sync knows the values
both sides had when they were last in step (the snapshot) and reads both sides now. Then, by the field's
direction (``GP_FIELD``: the ERP is master; ``woo``: the store is; ``both``):

* the sides are equal → in step (the snapshot is refreshed);
* a one-way field → the master's value is written to the other side (a change on the other side is drift);
* ``both``, no snapshot yet (the first sync) → the ERP is master (seed 004: "default: GP is master");
* ``both``, only the ERP changed since the snapshot → the store gets it; only the store changed → the ERP
  gets it; both changed (to different values) → a **conflict**: nothing is overwritten on either side, and
  the snapshot stays as it was, so the conflict stands until the sides agree again (a person makes them
  equal, or puts one side back to its snapshot value so the other side's change wins).
* a side without a value (an item with no price on the price level, a product without a regular price) →
  the field is left alone.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from shared.flows.stock_plan import woo_price

ERP_MASTER = "gp"  # the direction value that means "the ERP is master" (GP connections call it `gp`)


class Action(StrEnum):
    IN_STEP = "in_step"
    TO_WOO = "to_woo"
    TO_ERP = "to_erp"
    CONFLICT = "conflict"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Synced:
    """One field's values on both sides when they were last in step."""

    erp: str
    woo: str


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    value: str | None = None  # what to write (TO_WOO, TO_ERP)


def decide(direction: str, last: Synced | None, erp: str | None, woo: str | None) -> Decision:
    """What to do with one field whose values are ``erp`` and ``woo`` now (normalised, see below)."""
    if erp is None or woo is None:
        return Decision(Action.SKIP)
    if erp == woo:
        return Decision(Action.IN_STEP)
    if direction == ERP_MASTER:
        return Decision(Action.TO_WOO, erp)
    if direction == "woo":
        return Decision(Action.TO_ERP, woo)
    if last is None:
        return Decision(Action.TO_WOO, erp)
    erp_changed, woo_changed = erp != last.erp, woo != last.woo
    if erp_changed and not woo_changed:
        return Decision(Action.TO_WOO, erp)
    if woo_changed and not erp_changed:
        return Decision(Action.TO_ERP, woo)
    return Decision(Action.CONFLICT)  # both changed (or neither, yet they differ: no side can be trusted)


# ---------------------------------------------------------------------------------------- values


def name_value(name: str | None) -> str | None:
    """A name as compared: HTML entities decoded (WordPress may keep ``&`` in a title as ``&amp;``; not in the
    facts, so decoded either way), stripped; an empty name is no value."""
    text = html.unescape(name or "").strip()
    return text or None


def price_value(price: Decimal | str | None) -> str | None:
    """A price as compared: two decimals as Woo keeps it (``39`` = ``39.00``); none, zero or unreadable is no value
    (an ERP price of 0 means "not priced", as the price push treats it)."""
    if price is None or price == "":
        return None
    try:
        amount = Decimal(str(price))
    except InvalidOperation:
        return None
    return woo_price(amount)
