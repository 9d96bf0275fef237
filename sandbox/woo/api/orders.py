"""/orders, /orders/{id}/notes, /orders/{id}/refunds and /refunds."""

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
    int_param,
    paginate,
    sort_items,
)
from sandbox.woo.errors import WooError, invalid_param
from sandbox.woo.formats import site_tz
from sandbox.woo.models import Order
from sandbox.woo.orders import ORDER_STATUSES
from sandbox.woo.views import note_view, order_view, refund_view

Route = tuple[str, str, Any]
LIST_STATUSES = ("any", "trash", "auto-draft", *[s for s in ORDER_STATUSES if s != "trash"])


def routes(ctx: ApiContext) -> list[Route]:
    store = ctx.store
    opts = store.options

    def dp(req: Req) -> int:
        return int_param(req, "dp", opts.decimals, 0, 10)

    def order_or_404(order_id: int, status: int = 404) -> Order:
        order = store.orders.get(order_id)
        if order is None:
            raise WooError(status, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return order

    def list_orders(req: Req) -> Resp:
        statuses = as_list(req.param("status")) or ["any"]
        for s in statuses:
            if s not in LIST_STATUSES:
                raise invalid_param(
                    "status", f"status[0] is not one of {', '.join(LIST_STATUSES)}.", detail="rest_not_in_enum"
                )
        site = site_tz(opts.timezone_offset_hours)
        keep = date_filter(req, site)
        include, exclude = id_list(req, "include"), id_list(req, "exclude")
        customer = req.param("customer")
        product = req.param("product")
        search = str(req.param("search") or "").lower()
        with store.lock:
            items = []
            for o in store.orders.values():
                if "any" in statuses:
                    if o.status in ("trash", "auto-draft"):
                        continue
                elif o.status not in statuses:
                    continue
                if (include and o.id not in include) or o.id in exclude:
                    continue
                if customer not in (None, "") and o.customer_id != int(customer):
                    continue
                if product not in (None, "") and not any(
                    int(product) in (i.product_id, i.variation_id) for i in o.lines("line_item")
                ):
                    continue
                if search and search not in f"{o.billing} {o.shipping} {o.number}".lower():
                    continue
                if keep(o.date_created, o.date_modified):
                    items.append(o)
            items = sort_items(
                items,
                req,
                {
                    "date": lambda o: (o.date_created, o.id),
                    "id": lambda o: o.id,
                    "modified": lambda o: (o.date_modified, o.id),
                    "title": lambda o: (o.date_created, o.id),
                    "slug": lambda o: o.id,
                },
            )
            d = dp(req)
            return paginate(req, items, store.api_base, "/orders", lambda o: order_view(store, o, d))

    def create(data: dict[str, Any]) -> dict[str, Any]:
        with store.lock:
            return order_view(store, store.create_order(data, created_via="rest-api"))

    def create_order(req: Req) -> Resp:
        body = create(req.data())
        return Resp(body, 201, {"Location": f"{store.api_base}/orders/{body['id']}"})

    def get_order(req: Req) -> dict[str, Any]:
        with store.lock:
            return order_view(store, order_or_404(req.ids["id"]), dp(req))

    def update(data: dict[str, Any]) -> dict[str, Any]:
        with store.lock:
            order = order_or_404(int(data.get("id") or 0), 400)
            return order_view(store, store.update_order(order, data))

    def update_order(req: Req) -> dict[str, Any]:
        return update({**req.data(), "id": req.ids["id"]})

    def delete(order_id: int, force: bool = True) -> dict[str, Any]:
        with store.lock:
            order = order_or_404(order_id)
            before = order_view(store, order)
            store.delete_order(order, force)
            return before if force else order_view(store, order)

    def delete_order(req: Req) -> dict[str, Any]:
        return delete(req.ids["id"], as_bool(req.param("force", False)))

    def batch_orders(req: Req) -> Resp:
        return batch(req, ctx, create, update, delete)

    # notes
    def order_for_notes(order_id: int) -> Order:
        order = store.orders.get(order_id)
        if order is None:
            raise WooError(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        return order

    def list_notes(req: Req) -> list[dict[str, Any]]:
        kind = req.param("type", "any")
        with store.lock:
            order = order_for_notes(req.ids["id"])
            notes = sorted(store.notes.get(order.id, []), key=lambda n: (n.date_created, n.id), reverse=True)
            notes = [n for n in notes if kind == "any" or (kind == "customer") == n.customer_note]
            return [note_view(store, n) for n in notes]

    def create_note(req: Req) -> Resp:
        text = req.param("note")
        if not text:
            raise WooError(400, "rest_missing_callback_param", "Missing parameter(s): note", params=["note"])
        with store.lock:
            order = order_for_notes(req.ids["id"])
            note = store.add_note(
                order,
                str(text),
                customer_note=as_bool(req.param("customer_note", False)),
                added_by_user=as_bool(req.param("added_by_user", False)),
            )
            body = note_view(store, note)
        return Resp(body, 201, {"Location": f"{store.api_base}/orders/{order.id}/notes/{note.id}"})

    def find_note(req: Req) -> Any:
        order = order_for_notes(req.ids["id"])
        note = next((n for n in store.notes.get(order.id, []) if n.id == req.ids["note_id"]), None)
        if note is None:
            raise WooError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
        return order, note

    def get_note(req: Req) -> dict[str, Any]:
        with store.lock:
            return note_view(store, find_note(req)[1])

    def delete_note(req: Req) -> dict[str, Any]:
        with store.lock:
            order, note = find_note(req)
            if not as_bool(req.param("force", False)):
                raise WooError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
            body = note_view(store, note)
            store.notes[order.id].remove(note)
            return body

    # refunds
    def order_for_refunds(order_id: int) -> Order:
        order = store.orders.get(order_id)
        if order is None:
            raise WooError(404, "woocommerce_rest_invalid_order_id", "Invalid order ID.")
        return order

    def list_refunds(req: Req) -> Resp:
        with store.lock:
            order = order_for_refunds(req.ids["id"])
            refunds = [store.refunds[r] for r in order.refund_ids if r in store.refunds]
            d = dp(req)
            return paginate(
                req, refunds, store.api_base, f"/orders/{order.id}/refunds", lambda r: refund_view(store, r, d)
            )

    def create_refund(req: Req) -> Resp:
        with store.lock:
            order = order_for_refunds(req.ids["id"])
            refund = store.create_refund(order, req.data(), refunded_by=req.key.user_id if req.key else 1)
            body = refund_view(store, refund)
        return Resp(body, 201, {"Location": f"{store.api_base}/orders/{order.id}/refunds/{refund.id}"})

    def find_refund(req: Req) -> Any:
        order = order_for_refunds(req.ids["id"])
        refund = store.refunds.get(req.ids["refund_id"])
        if refund is None or refund.order_id != order.id:
            raise WooError(404, "woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.")
        return order, refund

    def get_refund(req: Req) -> dict[str, Any]:
        with store.lock:
            return refund_view(store, find_refund(req)[1], dp(req))

    def delete_refund(req: Req) -> dict[str, Any]:
        with store.lock:
            order, refund = find_refund(req)
            if not as_bool(req.param("force", False)):
                raise WooError(501, "woocommerce_rest_trash_not_supported", "Refunds do not support trashing.")
            body = refund_view(store, refund)
            store.delete_refund(order, refund)
            return body

    def all_refunds(req: Req) -> Resp:
        site = site_tz(opts.timezone_offset_hours)
        keep = date_filter(req, site)
        with store.lock:
            items = [r for r in store.refunds.values() if keep(r.date_created, r.date_created)]
            items = sort_items(
                items,
                req,
                {
                    "date": lambda r: (r.date_created, r.id),
                    "id": lambda r: r.id,
                    "modified": lambda r: (r.date_created, r.id),
                    "title": lambda r: r.id,
                    "slug": lambda r: r.id,
                },
            )
            d = dp(req)
            return paginate(
                req, items, store.api_base, "/refunds", lambda r: refund_view(store, r, d, with_parent=True)
            )

    return [
        ("GET", "/orders", list_orders),
        ("POST", "/orders", create_order),
        ("POST", "/orders/batch", batch_orders),
        ("GET", "/orders/{id}", get_order),
        ("PUT", "/orders/{id}", update_order),
        ("PATCH", "/orders/{id}", update_order),
        ("POST", "/orders/{id}", update_order),
        ("DELETE", "/orders/{id}", delete_order),
        ("GET", "/orders/{id}/notes", list_notes),
        ("POST", "/orders/{id}/notes", create_note),
        ("GET", "/orders/{id}/notes/{note_id}", get_note),
        ("DELETE", "/orders/{id}/notes/{note_id}", delete_note),
        ("GET", "/orders/{id}/refunds", list_refunds),
        ("POST", "/orders/{id}/refunds", create_refund),
        ("GET", "/orders/{id}/refunds/{refund_id}", get_refund),
        ("DELETE", "/orders/{id}/refunds/{refund_id}", delete_refund),
        ("GET", "/refunds", all_refunds),
    ]
