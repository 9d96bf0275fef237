"""/webhooks, /system_status and the namespace index."""

from __future__ import annotations

from typing import Any

from sandbox.woo.api.common import (
    ApiContext,
    Req,
    Resp,
    as_bool,
    batch,
    date_filter,
    enum_param,
    id_list,
    paginate,
    sort_items,
)
from sandbox.woo.errors import WooError
from sandbox.woo.formats import CURRENCY_SYMBOLS, site_tz
from sandbox.woo.views import webhook_view

Route = tuple[str, str, Any]


def routes(ctx: ApiContext) -> list[Route]:
    store = ctx.store

    def list_webhooks(req: Req) -> Resp:
        status = enum_param(req, "status", ("all", "active", "paused", "disabled"), "all")
        keep = date_filter(req, site_tz(store.options.timezone_offset_hours))
        include, exclude = id_list(req, "include"), id_list(req, "exclude")
        search = str(req.param("search") or "").lower()
        with store.lock:
            items = [
                w
                for w in store.webhooks.values()
                if (status == "all" or w.status == status)
                and (not include or w.id in include)
                and w.id not in exclude
                and (not search or search in w.name.lower())
                and keep(w.date_created, w.date_modified)
            ]
            items = sort_items(
                items,
                req,
                {
                    "date": lambda w: (w.date_created, w.id),
                    "id": lambda w: w.id,
                    "title": lambda w: (w.name, w.id),
                },
            )
            return paginate(req, items, store.api_base, "/webhooks", lambda w: webhook_view(store, w))

    def create(data: dict[str, Any]) -> dict[str, Any]:
        hook = store.create_webhook(data, user_id=1)
        with store.lock:
            body = webhook_view(store, hook)
        if hook.status == "active":
            ctx.delivery.ping(hook.id)  # the 201 body is built first; a failed ping does not fail the request
        return body

    def create_webhook(req: Req) -> Resp:
        body = create(req.data())
        return Resp(body, 201, {"Location": f"{store.api_base}/webhooks/{body['id']}"})

    def get_webhook(req: Req) -> dict[str, Any]:
        with store.lock:
            return webhook_view(store, store.get_webhook(req.ids["id"]))

    def update(data: dict[str, Any]) -> dict[str, Any]:
        hook = store.get_webhook(int(data.get("id") or 0))
        must_ping = store.update_webhook(hook, data)
        if must_ping:
            ctx.delivery.ping(hook.id)
        with store.lock:
            return webhook_view(store, hook)

    def update_webhook(req: Req) -> dict[str, Any]:
        return update({**req.data(), "id": req.ids["id"]})

    def delete(webhook_id: int, force: bool = True) -> dict[str, Any]:
        with store.lock:
            hook = store.get_webhook(webhook_id, missing_status=404)
            if not force:
                raise WooError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
            body = webhook_view(store, hook)
            store.delete_webhook(hook)
            return body

    def delete_webhook(req: Req) -> dict[str, Any]:
        return delete(req.ids["id"], as_bool(req.param("force", False)))

    def batch_webhooks(req: Req) -> Resp:
        return batch(req, ctx, create, update, delete)

    def system_status(req: Req) -> dict[str, Any]:
        o = store.options
        return {
            "environment": {
                "home_url": store.home_url.rstrip("/"),
                "site_url": store.home_url.rstrip("/"),
                "version": o.wc_version,
                "wp_version": o.wp_version,
                "wp_multisite": False,
                "wp_memory_limit": 268435456,
                "wp_debug_mode": False,
                "wp_cron": True,
                "language": "en_US",
                "external_object_cache": None,
                "server_info": "sandbox",
                "php_version": "8.1.0",
                "max_upload_size": 67108864,
                "default_timezone": "UTC",
            },
            "database": {"wc_database_version": o.wc_version, "database_prefix": "wp_"},
            "active_plugins": [
                {"plugin": "woocommerce/woocommerce.php", "name": "WooCommerce", "version": o.wc_version}
            ],
            "inactive_plugins": [],
            "theme": {"name": "Storefront", "version": "4.5.0"},
            "settings": {
                "api_enabled": True,
                "force_ssl": False,
                "currency": o.currency,
                "currency_symbol": CURRENCY_SYMBOLS.get(o.currency, o.currency),
                "currency_position": "left",
                "thousand_separator": ",",
                "decimal_separator": ".",
                "number_of_decimals": o.decimals,
                "geolocation_enabled": False,
                "taxonomies": {},
                "product_visibility_terms": {},
                "woocommerce_com_connected": "no",
                "enforce_approved_download_directories": False,
                "order_datastore": "WC_Order_Data_Store_CPT",
                "HPOS_enabled": False,
            },
            "security": {"secure_connection": True, "hide_errors": True},
            "pages": [],
            "post_type_counts": [],
        }

    return [
        ("GET", "/webhooks", list_webhooks),
        ("POST", "/webhooks", create_webhook),
        ("POST", "/webhooks/batch", batch_webhooks),
        ("GET", "/webhooks/{id}", get_webhook),
        ("PUT", "/webhooks/{id}", update_webhook),
        ("PATCH", "/webhooks/{id}", update_webhook),
        ("POST", "/webhooks/{id}", update_webhook),
        ("DELETE", "/webhooks/{id}", delete_webhook),
        ("GET", "/system_status", system_status),
    ]
