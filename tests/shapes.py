"""Recursive JSON shape comparison against a reference sample (docs samples of BC, WooCommerce…):
same keys, same JSON types (ints and floats are both "number"). Used by every emulator's contract tests."""

from __future__ import annotations

import re
from collections.abc import Mapping
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


def _allowed(path: str, patterns: Mapping[str, Any]) -> bool:
    return any(re.search(f"(?:{p})$", path) for p in patterns)


def shape_diff(
    reference: Any,
    actual: Any,
    *,
    closed: bool = True,
    extra_keys: Mapping[str, str] | None = None,
    nullable: Mapping[str, str] | None = None,
    alt_types: Mapping[str, tuple[str, str]] | None = None,
    non_empty_arrays: bool = False,
    path: str = "$",
) -> list[str]:
    """Mismatches between `actual` and the shape of `reference` (empty: same shape).

    Every key of the reference must be in `actual` with the same JSON type; a null in the reference
    (a sample's unset field) takes null or any scalar. Each item of an array is checked against the
    reference's first item.
    closed: a key of `actual` that the reference lacks is a mismatch unless `extra_keys` allow-lists it.
    extra_keys / nullable map a regex matching the end of a path (e.g. r"\\.line_items\\[\\]\\.image") to the
    reason the difference is allowed: keys newer versions add, or values that are null when unset.
    alt_types maps a path regex to (another JSON type allowed there, reason).
    non_empty_arrays: a non-empty array in the reference needs a non-empty array in `actual`.
    """
    options: dict[str, Any] = {
        "closed": closed,
        "extra_keys": extra_keys or {},
        "nullable": nullable or {},
        "alt_types": alt_types or {},
        "non_empty_arrays": non_empty_arrays,
    }
    ref_type, act_type = json_type(reference), json_type(actual)
    if ref_type == "null":
        return [] if act_type in ("null", "string", "number", "boolean") else [f"{path}: null in sample, {act_type}"]
    if ref_type != act_type:
        if act_type == "null" and _allowed(path, options["nullable"]):
            return []
        if any(re.search(f"(?:{p})$", path) and t == act_type for p, (t, _) in options["alt_types"].items()):
            return []
        return [f"{path}: expected {ref_type}, got {act_type} ({actual!r})"]
    problems: list[str] = []
    if ref_type == "object":
        for key in reference:
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += shape_diff(reference[key], actual[key], **options, path=f"{path}.{key}")
        if closed:
            for key in actual:
                if key not in reference and not _allowed(f"{path}.{key}", options["extra_keys"]):
                    problems.append(f"{path}.{key}: not in the sample and not allow-listed")
    elif ref_type == "array" and reference:
        if not actual and non_empty_arrays:
            return [f"{path}: expected a non-empty array"]
        for item in actual:
            problems += shape_diff(reference[0], item, **options, path=f"{path}[]")
    return problems


def assert_shape(reference: Any, actual: Any, **options: Any) -> None:
    problems = shape_diff(reference, actual, **options)
    assert not problems, "\n".join(problems)
