"""Which REST routes a WooCommerce version registers.

The top-level `GET /wc/v3/refunds` is newer than 8.x: a live 8.2.2 store answers it with 404
`rest_no_route` and registers only `orders/{order_id}/refunds` (facts woocommerce.md §0, §2.5). It came
with woocommerce/woocommerce PR #46895 (merged 2024); the emulator registers it from 9.0 on.
"""

from __future__ import annotations

import re

ROUTE_SINCE: dict[str, tuple[int, int]] = {"/refunds": (9, 0)}


def parse_version(version: str) -> tuple[int, int]:
    """ "8.2.2" → (8, 2); anything unreadable counts as the oldest."""
    match = re.match(r"^\s*(\d+)(?:\.(\d+))?", version or "")
    if not match:
        return (0, 0)
    return int(match.group(1)), int(match.group(2) or 0)


def version_has_route(version: str, template: str) -> bool:
    since = ROUTE_SINCE.get(template)
    return since is None or parse_version(version) >= since
