"""WooCommerce REST API v3 client: one adapter for one outside system (facts: woocommerce.md §2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from shared.config import Settings, WooStoreSettings
from shared.http import ApiClient, RetryPolicy

BATCH_LIMIT = 100
PAGE_SIZE = 100


class WooClient:
    def __init__(self, store_id: str, store: WooStoreSettings, *, settings: Settings) -> None:
        self.store_id = store_id
        auth = httpx.BasicAuth(store.consumer_key.get_secret_value(), store.consumer_secret.get_secret_value())
        self.api = ApiClient(
            f"woo:{store_id}",
            store.api_url,
            timeout=max(settings.http_timeout_seconds, 60.0),  # batches are slow on real stores (§2.7)
            policy=RetryPolicy(max_attempts=settings.http_max_attempts),
            auth=auth,
            verify=[bundle for bundle in (settings.sandbox_ca_bundle, store.ca_bundle) if bundle],
        )
        self._routes: frozenset[str] | None = None

    @property
    def calls(self) -> int:
        return self.api.calls

    def close(self) -> None:
        self.api.close()

    # -------------------------------------------------------------- orders

    def get_order(self, order_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self.api.request("GET", f"orders/{order_id}").json()
        return result

    def update_order(self, order_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.api.request("PUT", f"orders/{order_id}", json=changes).json()
        return result

    def add_order_note(self, order_id: int, note: str, *, customer_note: bool = False) -> dict[str, Any]:
        body = {"note": note, "customer_note": customer_note}
        result: dict[str, Any] = self.api.request("POST", f"orders/{order_id}/notes", json=body).json()
        return result

    def list_order_notes(self, order_id: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api.request("GET", f"orders/{order_id}/notes").json()
        return result

    def list_orders(self, **params: Any) -> Iterator[dict[str, Any]]:
        """Every order matching `params`, following the pages (per_page ≤ 100)."""
        yield from self._pages("orders", params)

    def list_refunds(self, order_id: int, **params: Any) -> list[dict[str, Any]]:
        return list(self._pages(f"orders/{order_id}/refunds", params))

    def list_store_refunds(self, **params: Any) -> Iterator[dict[str, Any]]:
        """Refunds of every order (`GET /refunds`, with `parent_id`), e.g. by `after`/`before` (§2.5).

        Only newer WooCommerce has this route (an 8.x store answers 404 `rest_no_route`): see
        `refunds_created_between`, which every supported version answers.
        """
        yield from self._pages("refunds", params)

    def refunds_created_between(self, after: str, before: str, *, fields: str) -> Iterator[dict[str, Any]]:
        """Refunds created strictly between two naive GMT times, each with `parent_id` (its order's id).

        Where the store's route index lists the top-level `/refunds` route, one paged read. Otherwise
        (WooCommerce 8.x, facts §0, §2.5): the orders modified since `after` (`wc_create_refund()` ends
        with `$order->set_date_modified( time() ); $order->save();`), and the refunds of those that have
        any, read per order.
        """
        if self.has_route("/refunds"):
            yield from self.list_store_refunds(
                after=after, before=before, dates_are_gmt="true", orderby="id", order="asc", _fields=fields
            )
            return
        per_order = ",".join(dict.fromkeys(["id", "date_created_gmt", *fields.split(",")]))
        orders = self.list_orders(
            modified_after=after, dates_are_gmt="true", orderby="id", order="asc", _fields="id,refunds"
        )
        for order in orders:
            if not order.get("refunds"):
                continue
            order_id = int(order["id"])
            for refund in self.list_refunds(order_id, _fields=per_order):
                created = str(refund.get("date_created_gmt") or "")
                if after < created < before:
                    yield {**refund, "parent_id": order_id}

    # -------------------------------------------------------------- routes

    def has_route(self, route: str) -> bool:
        """Whether the store registers `/wc/v3<route>` (its route index, read once per client, §2.10)."""
        if self._routes is None:
            index: dict[str, Any] = self.api.request("GET", "").json()
            self._routes = frozenset(str(path) for path in index.get("routes") or {})
        return f"/wc/v3{route}" in self._routes

    def page(self, path: str, page: int, **params: Any) -> tuple[list[dict[str, Any]], int, int]:
        """One page of a collection (per_page 100), its total pages and total items (X-WP-TotalPages/-Total).

        For readers that fetch pages concurrently; the set must not change meanwhile (e.g. a past day).
        """
        response = self.api.request("GET", path, params={**params, "per_page": PAGE_SIZE, "page": page})
        items: list[dict[str, Any]] = response.json()
        pages = int(response.headers.get("x-wp-totalpages", "1") or 1)
        return items, pages, int(response.headers.get("x-wp-total", "0") or 0)

    # -------------------------------------------------------------- products

    def products_by_sku(self, skus: list[str]) -> list[dict[str, Any]]:
        """Products and variations whose SKU is one of `skus` (exact match, §2.6)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(skus), 50):
            chunk = ",".join(skus[start : start + 50])
            found.extend(self._pages("products", {"sku": chunk}))
        return found

    def list_products(self, **params: Any) -> Iterator[dict[str, Any]]:
        yield from self._pages("products", params)

    def list_variations(self, product_id: int) -> list[dict[str, Any]]:
        return list(self._pages(f"products/{product_id}/variations", {}))

    def batch(self, path: str, *, update: list[dict[str, Any]]) -> dict[str, Any]:
        """POST `<path>/batch` with ≤ 100 updates; per-item errors come back inside a 200 (§2.7)."""
        if len(update) > BATCH_LIMIT:
            raise ValueError(f"a WooCommerce batch takes at most {BATCH_LIMIT} items")
        result: dict[str, Any] = self.api.request("POST", f"{path}/batch", json={"update": update}).json()
        return result

    # -------------------------------------------------------------- webhooks

    def list_webhooks(self) -> list[dict[str, Any]]:
        return list(self._pages("webhooks", {}))

    def create_webhook(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.api.request("POST", "webhooks", json=body).json()
        return result

    def update_webhook(self, webhook_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.api.request("PUT", f"webhooks/{webhook_id}", json=changes).json()
        return result

    def delete_webhook(self, webhook_id: int) -> None:
        """Delete for good (webhooks cannot be trashed: without `force` the store answers 501, §1.8)."""
        self.api.request("DELETE", f"webhooks/{webhook_id}", params={"force": "true"})

    # -------------------------------------------------------------- paging

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            response = self.api.request("GET", path, params={**params, "per_page": PAGE_SIZE, "page": page})
            items = response.json()
            yield from items
            total_pages = int(response.headers.get("x-wp-totalpages", "1") or 1)
            if page >= total_pages or not items:
                return
            page += 1
