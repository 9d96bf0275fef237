"""`_fields`: WordPress trims every REST response to the requested keys (`rest_filter_response_fields`).

A real store honours it (facts woocommerce.md §0), so a client that reads a key it did not ask for gets
nothing there. Rules, as WordPress 6.4 applies them ([S10] `wp-includes/rest-api.php`):
- `_fields` is a comma (or space) separated list; `a.b` keeps only `b` inside `a`;
- a list response (a collection) is filtered item by item; error responses are not filtered;
- `_links` stays only when it is asked for.
"""

from __future__ import annotations

import re
from typing import Any

Spec = dict[str, "Spec | bool"]


def parse_fields(value: str) -> Spec:
    """The nested spec of `a,b.c` → {"a": True, "b": {"c": True}} (a parent already kept wins)."""
    spec: Spec = {}
    for field in (part for part in re.split(r"[\s,]+", value) if part):
        parts = field.split(".")
        node: Spec = spec
        for name in parts[:-1]:
            child = node.get(name)
            if child is True:
                break
            if not isinstance(child, dict):
                child = {}
                node[name] = child
            node = child
        else:
            node[parts[-1]] = True
    return spec


def _intersect(data: Any, spec: Spec) -> Any:
    """`_rest_array_intersect_key_recursive`: keep the keys in `spec`; recurse where both are arrays."""
    if isinstance(data, list):
        return []  # a PHP list has integer keys: none of them is a field name
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in spec:
            continue
        wanted = spec[key]
        out[key] = _intersect(value, wanted) if isinstance(wanted, dict) and isinstance(value, dict | list) else value
    return out


def filter_fields(body: Any, fields: str) -> Any:
    spec = parse_fields(fields)
    if not spec:
        return body
    if isinstance(body, list):
        return [_intersect(item, spec) for item in body]
    return _intersect(body, spec)
