"""Recursive JSON shape comparison: same keys, same JSON types (ints and floats are both "number")."""

from __future__ import annotations

import re
from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _allowed(path: str, patterns: dict[str, str]) -> bool:
    return any(re.search(f"(?:{p})$", path) for p in patterns)


def compare_shape(
    reference: Any,
    actual: Any,
    *,
    extra_keys: dict[str, str] | None = None,
    nullable: dict[str, str] | None = None,
    alt_types: dict[str, tuple[str, str]] | None = None,
    path: str = "$",
) -> list[str]:
    """Mismatches between `actual` and the shape of `reference`.

    extra_keys / nullable map a regex matching the end of a path (e.g. r"\\.line_items\\[\\]\\.image") to the
    reason the difference is allowed: keys newer WooCommerce versions add, or values that are null when unset.
    alt_types maps a path regex to (another JSON type allowed there, reason).
    """
    extra_keys = extra_keys or {}
    nullable = nullable or {}
    alt_types = alt_types or {}
    kw: dict[str, Any] = {"extra_keys": extra_keys, "nullable": nullable, "alt_types": alt_types}
    ref_type, act_type = json_type(reference), json_type(actual)
    if ref_type == "null":
        # the sample has no value here; a null or any scalar is what an unset/set field looks like
        return [] if act_type in ("null", "string", "number", "boolean") else [f"{path}: null in sample, {act_type}"]
    if ref_type != act_type:
        if act_type == "null" and _allowed(path, nullable):
            return []
        if any(re.search(f"(?:{p})$", path) and t == act_type for p, (t, _) in alt_types.items()):
            return []
        return [f"{path}: expected {ref_type}, got {act_type} ({actual!r})"]
    problems: list[str] = []
    if ref_type == "object":
        for key in reference:
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += compare_shape(reference[key], actual[key], **kw, path=f"{path}.{key}")
        for key in actual:
            if key not in reference and not _allowed(f"{path}.{key}", extra_keys):
                problems.append(f"{path}.{key}: not in the sample and not allow-listed")
    elif ref_type == "array" and reference and actual:
        for i, item in enumerate(actual):
            problems += compare_shape(reference[0], item, **kw, path=f"{path}[]")
            if i > 20:
                break
    return problems
