"""The transforms a mapping rule applies to a value. Pure.

A value is text, a list of texts (``coupon_codes``, or several ``from`` fields before a ``join``), or
None (empty: the field is left out). Every transform but ``join`` works on each text of a list; a list
left at the end is joined with ", ".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from shared.mapping.spec import Transform

__all__ = ["Value", "apply_transforms", "cut", "finish"]

Value = str | tuple[str, ...] | None


def cut(text: str, length: int | None) -> str:
    """``text`` cut to ``length`` characters (trailing spaces of the cut dropped)."""
    if length is not None and len(text) > length:
        return text[:length].rstrip()
    return text


def _each(value: Value, step: object, *, empty_too: bool = False) -> Value:
    """Apply ``step`` (text → text | None) to a text or to each text of a list, dropping empties. An empty
    text stays empty (a prefix adds nothing to nothing), except for a lookup (``empty_too``): a table
    may list "" (the standard tax class)."""
    assert callable(step)
    if value is None or (value == "" and not empty_too):
        return None
    if isinstance(value, str):
        result = step(value)
        return result or None
    items = tuple(text for text in (step(item) for item in value) if text)
    return items or None


def _date(text: str, transform: Transform, notes: list[str]) -> str | None:
    stripped = text.strip()
    for fmt in transform.formats:
        try:
            return datetime.strptime(stripped, fmt).strftime(transform.output)
        except ValueError:
            continue
    notes.append(f"{stripped[:40]!r} is not a date in {' or '.join(transform.formats)}; left out")
    return None


def _lookup(text: str, transform: Transform, lookups: Mapping[str, Mapping[str, str]], notes: list[str]) -> str | None:
    table = lookups.get(transform.table, {})
    if text in table:
        return table[text]
    if not text:
        return None  # nothing to look up (an order without shipping); only an explicit "" entry maps it
    if transform.default is not None:
        return transform.default
    notes.append(f"{text[:40]!r} is not in lookup table {transform.table!r}; left out")
    return None


def apply_transforms(
    value: Value,
    transforms: Sequence[Transform],
    lookups: Mapping[str, Mapping[str, str]],
    max_length: int | None,
    notes: list[str],
) -> Value:
    """``value`` through ``transforms`` in order. ``max_length`` is the target field's length (for a
    bare ``truncate``); ``notes`` collects values that were left out (a date that does not parse, a
    value no lookup lists), for the audit trail."""
    for transform in transforms:
        op = transform.op
        if op == "join":
            if isinstance(value, tuple):
                value = transform.text.join(value) or None
            continue
        if op == "trim":
            value = _each(value, lambda text: " ".join(text.split()))
        elif op == "upper":
            value = _each(value, str.upper)
        elif op == "lower":
            value = _each(value, str.lower)
        elif op == "truncate":
            length = transform.length or max_length
            value = _each(value, lambda text, length=length: cut(text, length))
        elif op == "date":
            value = _each(value, lambda text, t=transform: _date(text, t, notes))
        elif op == "lookup":
            value = _each(value, lambda text, t=transform: _lookup(text, t, lookups, notes), empty_too=True)
        elif op == "prefix":
            value = _each(value, lambda text, t=transform: t.text + text)
        elif op == "suffix":
            value = _each(value, lambda text, t=transform: text + t.text)
    return value


def finish(value: Value, max_length: int | None) -> str | None:
    """The text written: a list joined with ", ", never longer than the target field."""
    if isinstance(value, tuple):
        value = ", ".join(value)
    if not value:
        return None
    return cut(value, max_length) or None
