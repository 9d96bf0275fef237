"""REST v3 JSON of each resource, shaped like the reference responses (docs + real-store additions)."""

from __future__ import annotations

from typing import Any

from sandbox.woo.formats import CURRENCY_SYMBOLS, money, number, raw, site_tz, wc_date, wc_date_gmt
from sandbox.woo.models import Customer, Meta, Note, Order, OrderItem, Product, Refund, Webhook
from sandbox.woo.orders import ADDRESS_KEYS
from sandbox.woo.store import Store, topic_hooks


def _links(store: Store, path: str, collection: str, up: str | None = None, **extra: str) -> dict[str, Any]:
    base = store.api_base
    links: dict[str, Any] = {"self": [{"href": f"{base}/{path}"}], "collection": [{"href": f"{base}/{collection}"}]}
    if up:
        links["up"] = [{"href": f"{base}/{up}"}]
    for rel, href in extra.items():
        links[rel] = [{"href": f"{base}/{href}"}]
    return links


def _dates(store: Store, **moments: Any) -> dict[str, Any]:
    tz = site_tz(store.options.timezone_offset_hours)
    out: dict[str, Any] = {}
    for name, moment in moments.items():
        out[name] = wc_date(moment, tz)
        out[f"{name}_gmt"] = wc_date_gmt(moment)
    return out


def meta_view(meta: list[Meta]) -> list[dict[str, Any]]:
    return [{"id": m.id, "key": m.key, "value": m.value} for m in meta]


def _item_meta(meta: list[Meta]) -> list[dict[str, Any]]:
    """Every item meta entry, `_`-prefixed ones too: a live 8.2.2 store sends `_reduced_stock` on line
    items and `_refunded_item_id` on refund items (facts woocommerce.md §0)."""
    return [{"id": m.id, "key": m.key, "value": m.value, "display_key": m.key, "display_value": m.value} for m in meta]


def _taxes(item: OrderItem, with_subtotal: bool = True) -> list[dict[str, Any]]:
    """`taxes[]`: raw strings; shipping lines have no tax subtotal and send `subtotal: ""` (facts §0)."""
    out = []
    for rid, total in item.taxes_total.items():
        subtotal = raw(item.taxes_subtotal.get(rid, total)) if with_subtotal else ""
        out.append({"id": rid, "total": raw(total), "subtotal": subtotal})
    return out


def line_item_view(item: OrderItem, dp: int) -> dict[str, Any]:
    qty = item.quantity
    return {
        "id": item.id,
        "name": item.name,
        "product_id": item.product_id,
        "variation_id": item.variation_id,
        "quantity": qty,
        "tax_class": item.tax_class,
        "subtotal": money(item.subtotal, dp),
        "subtotal_tax": money(item.subtotal_tax, dp),
        "total": money(item.total, dp),
        "total_tax": money(item.total_tax, dp),
        "taxes": _taxes(item),
        "meta_data": _item_meta(item.meta_data),
        "sku": item.sku,
        "price": number(item.total / abs(qty) if qty else item.total),
        "image": {"id": "", "src": ""},
        "parent_name": item.parent_name,
    }


def shipping_line_view(item: OrderItem, dp: int) -> dict[str, Any]:
    return {
        "id": item.id,
        "method_title": item.name,
        "method_id": item.method_id,
        "instance_id": item.instance_id,
        "total": money(item.total, dp),
        "total_tax": money(item.total_tax, dp),
        "taxes": _taxes(item, with_subtotal=False),
        "meta_data": _item_meta(item.meta_data),
    }


def fee_line_view(item: OrderItem, dp: int) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "tax_class": item.tax_class,
        "tax_status": item.tax_status,
        "amount": raw(item.total),
        "total": money(item.total, dp),
        "total_tax": money(item.total_tax, dp),
        "taxes": _taxes(item),
        "meta_data": _item_meta(item.meta_data),
    }


def coupon_line_view(item: OrderItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "discount": raw(item.discount),
        "discount_tax": raw(item.discount_tax),
        "meta_data": _item_meta(item.meta_data),
    }


def tax_line_view(item: OrderItem, dp: int) -> dict[str, Any]:
    return {
        "id": item.id,
        "rate_code": item.rate_code,
        "rate_id": item.rate_id,
        "label": item.label,
        "compound": item.compound,
        "tax_total": money(item.tax_total, dp),
        "shipping_tax_total": money(item.shipping_tax_total, dp),
        "rate_percent": number(item.rate_percent),
        "meta_data": _item_meta(item.meta_data),
    }


def order_view(store: Store, order: Order, dp: int | None = None) -> dict[str, Any]:
    dp = store.options.decimals if dp is None else dp
    extra = {"customer": f"customers/{order.customer_id}"} if order.customer_id else {}
    body: dict[str, Any] = {
        "id": order.id,
        "parent_id": order.parent_id,
        "number": order.number,
        "order_key": order.order_key,
        "created_via": order.created_via,
        "version": order.version,
        "status": order.status,
        "currency": order.currency,
        **_dates(store, date_created=order.date_created, date_modified=order.date_modified),
        "discount_total": money(order.discount_total, dp),
        "discount_tax": money(order.discount_tax, dp),
        "shipping_total": money(order.shipping_total, dp),
        "shipping_tax": money(order.shipping_tax, dp),
        "cart_tax": money(order.cart_tax, dp),
        "total": money(order.total, dp),
        "total_tax": money(order.total_tax, dp),
        "prices_include_tax": order.prices_include_tax,
        "customer_id": order.customer_id,
        "customer_ip_address": order.customer_ip_address,
        "customer_user_agent": order.customer_user_agent,
        "customer_note": order.customer_note,
        "billing": dict(order.billing),
        "shipping": dict(order.shipping),
        "payment_method": order.payment_method,
        "payment_method_title": order.payment_method_title,
        "transaction_id": order.transaction_id,
        **_dates(store, date_paid=order.date_paid, date_completed=order.date_completed),
        "cart_hash": order.cart_hash,
        "meta_data": meta_view(order.meta_data),
        "line_items": [line_item_view(i, dp) for i in order.lines("line_item")],
        "tax_lines": [tax_line_view(i, dp) for i in order.lines("tax")],
        "shipping_lines": [shipping_line_view(i, dp) for i in order.lines("shipping")],
        "fee_lines": [fee_line_view(i, dp) for i in order.lines("fee")],
        "coupon_lines": [coupon_line_view(i) for i in order.lines("coupon")],
        "refunds": [
            {"id": r.id, "reason": r.reason, "total": money(-r.amount, dp)}
            for r in (store.refunds.get(rid) for rid in order.refund_ids)
            if r is not None
        ],
        "payment_url": f"{store.home_url}checkout/order-pay/{order.id}/?pay_for_order=true&key={order.order_key}",
        "is_editable": order.status in ("pending", "on-hold", "auto-draft", "checkout-draft"),
        "needs_payment": order.status in ("pending", "failed") and order.total > 0,
        "needs_processing": bool(order.lines("line_item")),
        "currency_symbol": CURRENCY_SYMBOLS.get(order.currency, order.currency),
        "_links": _links(store, f"orders/{order.id}", "orders", **extra),
    }
    return body


def refund_view(store: Store, refund: Refund, dp: int | None = None, *, with_parent: bool = False) -> dict[str, Any]:
    dp = store.options.decimals if dp is None else dp
    body: dict[str, Any] = {"id": refund.id}
    if with_parent:
        body["parent_id"] = refund.order_id
    body.update(
        {
            **_dates(store, date_created=refund.date_created),
            "amount": money(refund.amount, dp),
            "reason": refund.reason,
            "refunded_by": refund.refunded_by,
            "refunded_payment": refund.refunded_payment,
            "meta_data": meta_view(refund.meta_data),
            "line_items": [line_item_view(i, dp) for i in refund.items if i.kind == "line_item"],
            "shipping_lines": [shipping_line_view(i, dp) for i in refund.items if i.kind == "shipping"],
            "tax_lines": [tax_line_view(i, dp) for i in refund.items if i.kind == "tax"],
            "fee_lines": [fee_line_view(i, dp) for i in refund.items if i.kind == "fee"],
            "_links": _links(
                store,
                f"orders/{refund.order_id}/refunds/{refund.id}",
                f"orders/{refund.order_id}/refunds",
                up=f"orders/{refund.order_id}",
            ),
        }
    )
    return body


def note_view(store: Store, note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "author": note.author,
        **_dates(store, date_created=note.date_created),
        "note": note.note,
        "customer_note": note.customer_note,
        "_links": _links(
            store,
            f"orders/{note.order_id}/notes/{note.id}",
            f"orders/{note.order_id}/notes",
            up=f"orders/{note.order_id}",
        ),
    }


def webhook_view(store: Store, hook: Webhook) -> dict[str, Any]:
    return {
        "id": hook.id,
        "name": hook.name,
        "status": hook.status,
        "topic": hook.topic,
        "resource": hook.resource,
        "event": hook.event,
        "hooks": topic_hooks(hook.topic),
        "delivery_url": hook.delivery_url,
        # A webhook never edited since its creation has date_modified null (facts §0).
        **_dates(store, date_created=hook.date_created, date_modified=hook.date_modified),
        "_links": _links(store, f"webhooks/{hook.id}", "webhooks"),
    }


def _price_html(store: Store, price: str) -> str:
    if not price:
        return ""
    symbol = CURRENCY_SYMBOLS.get(store.options.currency, store.options.currency)
    entity = "&#36;" if symbol == "$" else symbol
    return (
        '<span class="woocommerce-Price-amount amount"><span class="woocommerce-Price-currencySymbol">'
        f"{entity}</span>{money(price, store.options.decimals)}</span>"
    )


def _stock_fields(store: Store, p: Product) -> dict[str, Any]:
    status = store.stock_status(p)
    return {
        "manage_stock": store.manage_stock_view(p),
        "stock_quantity": store.stock_quantity_view(p),
        "stock_status": status,
        "backorders": p.backorders,
        "backorders_allowed": p.backorders != "no",
        "backordered": status == "onbackorder",
    }


def _view_sku(store: Store, p: Product) -> str:
    """Variations without their own SKU show the parent's in the view context."""
    if p.sku or p.type != "variation":
        return p.sku
    parent = store.parent_of(p)
    return parent.sku if parent else ""


def _permalink(store: Store, p: Product) -> str:
    if p.type == "variation":
        parent = store.parent_of(p)
        query = "&".join(
            f"attribute_{str(a.get('name', '')).lower()}={str(a.get('option', '')).lower()}" for a in p.attributes
        )
        return f"{store.home_url}product/{parent.slug if parent else p.id}/?{query}"
    return f"{store.home_url}product/{p.slug}/"


def product_view(store: Store, p: Product) -> dict[str, Any]:
    """GET /products/{id}; a variation reached this way has type "variation" and its parent_id."""
    price = store.price(p)
    parent = store.parent_of(p) if p.type == "variation" else None
    name = p.name
    if parent is not None:
        options = ", ".join(str(a.get("option", "")) for a in p.attributes)
        name = f"{parent.name} - {options}" if options else parent.name
    links = _links(store, f"products/{p.id}", "products", up=f"products/{parent.id}" if parent else None)
    return {
        "id": p.id,
        "name": name,
        "slug": p.slug or f"{parent.slug if parent else 'product'}-{p.id}",
        "permalink": _permalink(store, p),
        **_dates(store, date_created=p.date_created, date_modified=p.date_modified),
        "type": p.type,
        "status": p.status,
        "featured": False,
        "catalog_visibility": "visible",
        "description": p.description,
        "short_description": p.short_description,
        "sku": _view_sku(store, p),
        "price": price,
        "regular_price": p.regular_price,
        "sale_price": p.sale_price,
        **_dates(store, date_on_sale_from=None, date_on_sale_to=None),
        "price_html": _price_html(store, price),
        "on_sale": p.sale_price != "",
        "purchasable": price != "" and p.status == "publish",
        "total_sales": str(p.total_sales),  # a string on a live 8.2.2 store (facts §0)
        "virtual": p.virtual,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "",
        "button_text": "",
        "tax_status": p.tax_status,
        "tax_class": p.tax_class,
        **_stock_fields(store, p),
        "low_stock_amount": p.low_stock_amount,
        "sold_individually": False,
        "weight": p.weight,
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": not p.virtual,
        "shipping_taxable": p.tax_status == "taxable",
        "shipping_class": "",
        "shipping_class_id": 0,
        "reviews_allowed": p.type != "variation",
        "average_rating": "0.00",
        "rating_count": 0,
        "related_ids": [],
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": p.parent_id,
        "purchase_note": "",
        "categories": [dict(c) for c in p.categories],
        "tags": [],
        "images": [],
        "attributes": [dict(a) for a in p.attributes],
        "default_attributes": [],
        "variations": list(p.variations),
        "grouped_products": [],
        "menu_order": p.menu_order,
        "post_password": "",
        "meta_data": meta_view(p.meta_data),
        "has_options": p.type == "variable",
        "_links": links,
    }


def variation_view(store: Store, v: Product) -> dict[str, Any]:
    """GET /products/{parent}/variations/{id} (the documented v3 variation shape)."""
    price = store.price(v)
    return {
        "id": v.id,
        **_dates(store, date_created=v.date_created, date_modified=v.date_modified),
        "description": v.description,
        "permalink": _permalink(store, v),
        "sku": _view_sku(store, v),
        "price": price,
        "regular_price": v.regular_price,
        "sale_price": v.sale_price,
        **_dates(store, date_on_sale_from=None, date_on_sale_to=None),
        "on_sale": v.sale_price != "",
        "status": v.status,
        "purchasable": price != "" and v.status == "publish",
        "virtual": v.virtual,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": v.tax_status,
        "tax_class": v.tax_class,
        **_stock_fields(store, v),
        "low_stock_amount": v.low_stock_amount,
        "weight": v.weight,
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": None,
        "attributes": [
            {"id": int(a.get("id", 0)), "name": a.get("name", ""), "option": a.get("option", "")} for a in v.attributes
        ],
        "menu_order": v.menu_order,
        "meta_data": meta_view(v.meta_data),
        "_links": _links(
            store,
            f"products/{v.parent_id}/variations/{v.id}",
            f"products/{v.parent_id}/variations",
            up=f"products/{v.parent_id}",
        ),
    }


def customer_view(store: Store, c: Customer) -> dict[str, Any]:
    paying = any(o.customer_id == c.id and o.date_paid for o in store.orders.values())
    billing = {k: "" for k in ADDRESS_KEYS}
    billing.update(c.billing)
    shipping = {k: "" for k in ADDRESS_KEYS if k not in ("email", "phone")}
    shipping.update(c.shipping)
    return {
        "id": c.id,
        **_dates(store, date_created=c.date_created, date_modified=c.date_modified),
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "role": "customer",
        "username": c.username,
        "billing": billing,
        "shipping": shipping,
        "is_paying_customer": paying,
        "avatar_url": "https://secure.gravatar.com/avatar/?s=96&d=mm&r=g",
        "meta_data": [],
        "_links": _links(store, f"customers/{c.id}", "customers"),
    }
