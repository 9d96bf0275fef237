"""/products, /products/{id}/variations and /customers."""

from __future__ import annotations

from typing import Any

from sandbox.woo.api.common import (
    ApiContext,
    Req,
    Resp,
    as_bool,
    as_list,
    batch,
    date_filter,
    id_list,
    paginate,
    sort_items,
)
from sandbox.woo.errors import WooError, invalid_param
from sandbox.woo.formats import site_tz, to_dec
from sandbox.woo.models import Product
from sandbox.woo.views import customer_view, product_view, variation_view

Route = tuple[str, str, Any]
LIST_STATUSES = ("any", "future", "trash", "draft", "pending", "private", "publish")


def routes(ctx: ApiContext) -> list[Route]:
    store = ctx.store

    def filtered(req: Req, candidates: list[Product]) -> list[Product]:
        status = req.param("status", "any")
        if status not in LIST_STATUSES:
            raise invalid_param(
                "status", f"status is not one of {', '.join(LIST_STATUSES)}.", detail="rest_not_in_enum"
            )
        keep = date_filter(req, site_tz(store.options.timezone_offset_hours))
        skus = as_list(req.param("sku"))
        ptype = req.param("type")
        include, exclude = id_list(req, "include"), id_list(req, "exclude")
        parents = id_list(req, "parent")
        stock_status = req.param("stock_status")
        search = str(req.param("search") or "").lower()
        out = []
        for p in candidates:
            if (status == "any" and p.status == "trash") or (status != "any" and p.status != status):
                continue
            if skus and p.sku not in skus:
                continue
            if ptype and p.type != ptype:
                continue
            if (include and p.id not in include) or p.id in exclude:
                continue
            if parents and p.parent_id not in parents:
                continue
            if stock_status and store.stock_status(p) != stock_status:
                continue
            if search and search not in p.name.lower():
                continue
            if keep(p.date_created, p.date_modified):
                out.append(p)
        return sort_items(
            out,
            req,
            {
                "date": lambda p: (p.date_created, p.id),
                "id": lambda p: p.id,
                "modified": lambda p: (p.date_modified, p.id),
                "title": lambda p: (p.name, p.id),
                "slug": lambda p: (p.slug, p.id),
                "price": lambda p: (to_dec(store.price(p)), p.id),
                "popularity": lambda p: (p.total_sales, p.id),
                "rating": lambda p: p.id,
            },
        )

    def list_products(req: Req) -> Resp:
        with store.lock:
            with_variations = bool(req.param("sku")) or bool(req.param("search_sku"))
            candidates = [p for p in store.products.values() if with_variations or p.type != "variation"]
            items = filtered(req, candidates)
            return paginate(req, items, store.api_base, "/products", lambda p: product_view(store, p))

    def create(data: dict[str, Any]) -> dict[str, Any]:
        with store.lock:
            return product_view(store, store.create_product(data))

    def create_product(req: Req) -> Resp:
        body = create(req.data())
        return Resp(body, 201, {"Location": f"{store.api_base}/products/{body['id']}"})

    def get_product(req: Req) -> dict[str, Any]:
        with store.lock:
            return product_view(store, store.get_product(req.ids["id"]))

    def update(data: dict[str, Any]) -> dict[str, Any]:
        with store.lock:
            p = store.products.get(int(data.get("id") or 0))
            if p is None:
                raise WooError(400, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            return product_view(store, store.update_product(p, data))

    def update_product(req: Req) -> dict[str, Any]:
        return update({**req.data(), "id": req.ids["id"]})

    def delete(product_id: int, force: bool = True) -> dict[str, Any]:
        with store.lock:
            p = store.get_product(product_id)
            before = product_view(store, p)
            store.delete_product(p, force)
            return before if force else product_view(store, p)

    def delete_product(req: Req) -> dict[str, Any]:
        return delete(req.ids["id"], as_bool(req.param("force", False)))

    def batch_products(req: Req) -> Resp:
        return batch(req, ctx, create, update, delete)

    # variations
    def list_variations(req: Req) -> Resp:
        with store.lock:
            parent = store.products.get(req.ids["id"])
            children = [store.products[v] for v in parent.variations if v in store.products] if parent else []
            items = filtered(req, children)
            return paginate(
                req, items, store.api_base, f"/products/{req.ids['id']}/variations", lambda v: variation_view(store, v)
            )

    def create_variation_item(parent_id: int, data: dict[str, Any]) -> dict[str, Any]:
        with store.lock:
            return variation_view(store, store.create_variation(parent_id, data))

    def create_variation(req: Req) -> Resp:
        body = create_variation_item(req.ids["id"], req.data())
        return Resp(body, 201, {"Location": f"{store.api_base}/products/{req.ids['id']}/variations/{body['id']}"})

    def get_variation(req: Req) -> dict[str, Any]:
        with store.lock:
            return variation_view(store, store.get_product(req.ids["variation_id"], variation_parent=req.ids["id"]))

    def update_variation_item(parent_id: int, data: dict[str, Any]) -> dict[str, Any]:
        with store.lock:
            v = store.products.get(int(data.get("id") or 0))
            if v is None or v.type != "variation" or v.parent_id != parent_id:
                raise WooError(400, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
            return variation_view(store, store.update_product(v, data))

    def update_variation(req: Req) -> dict[str, Any]:
        return update_variation_item(req.ids["id"], {**req.data(), "id": req.ids["variation_id"]})

    def delete_variation_item(parent_id: int, variation_id: int, force: bool = True) -> dict[str, Any]:
        with store.lock:
            v = store.get_product(variation_id, variation_parent=parent_id)
            before = variation_view(store, v)
            store.delete_product(v, force)
            return before if force else variation_view(store, v)

    def delete_variation(req: Req) -> dict[str, Any]:
        return delete_variation_item(req.ids["id"], req.ids["variation_id"], as_bool(req.param("force", False)))

    def batch_variations(req: Req) -> Resp:
        pid = req.ids["id"]
        return batch(
            req,
            ctx,
            lambda d: create_variation_item(pid, d),
            lambda d: update_variation_item(pid, d),
            lambda i: delete_variation_item(pid, i),
        )

    # customers (read-only: enough for customer.* payloads and lookups)
    def list_customers(req: Req) -> Resp:
        email = req.param("email")
        with store.lock:
            items = [c for c in store.customers.values() if not email or c.email.lower() == str(email).lower()]
            items = sorted(items, key=lambda c: c.id)
            return paginate(req, items, store.api_base, "/customers", lambda c: customer_view(store, c))

    def get_customer(req: Req) -> dict[str, Any]:
        with store.lock:
            c = store.customers.get(req.ids["id"])
            if c is None:
                raise WooError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
            return customer_view(store, c)

    return [
        ("GET", "/products", list_products),
        ("POST", "/products", create_product),
        ("POST", "/products/batch", batch_products),
        ("GET", "/products/{id}", get_product),
        ("PUT", "/products/{id}", update_product),
        ("PATCH", "/products/{id}", update_product),
        ("POST", "/products/{id}", update_product),
        ("DELETE", "/products/{id}", delete_product),
        ("GET", "/products/{id}/variations", list_variations),
        ("POST", "/products/{id}/variations", create_variation),
        ("POST", "/products/{id}/variations/batch", batch_variations),
        ("GET", "/products/{id}/variations/{variation_id}", get_variation),
        ("PUT", "/products/{id}/variations/{variation_id}", update_variation),
        ("PATCH", "/products/{id}/variations/{variation_id}", update_variation),
        ("POST", "/products/{id}/variations/{variation_id}", update_variation),
        ("DELETE", "/products/{id}/variations/{variation_id}", delete_variation),
        ("GET", "/customers", list_customers),
        ("GET", "/customers/{id}", get_customer),
    ]
