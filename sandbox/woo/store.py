"""The whole emulated store: catalog + orders + webhooks (records only; delivery lives in delivery.py)."""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import urlsplit

from sandbox.woo.errors import WooError
from sandbox.woo.formats import site_tz, to_dec
from sandbox.woo.models import ApiKey, Coupon, TaxRate, Webhook
from sandbox.woo.orders import OrderOps
from sandbox.woo.state import StoreOptions

WEBHOOK_STATUSES = ("active", "paused", "disabled")
RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
BLOCKED_ACTIONS = (
    "action.woocommerce_login_credentials",
    "action.woocommerce_product_csv_importer_check_import_file_path",
    "action.woocommerce_webhook_should_deliver",
)
TOPIC_HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded", "woocommerce_delete_order_refund"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": [
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
}


def valid_topic(topic: str) -> bool:
    """wc_is_webhook_valid_topic()."""
    if topic.startswith("action."):
        hook = topic[len("action.") :]
        return topic not in BLOCKED_ACTIONS and hook.startswith(("woocommerce_", "wc_"))
    parts = topic.split(".")
    return len(parts) == 2 and parts[0] in RESOURCES and parts[1] in EVENTS


def valid_url(url: str) -> bool:
    """wc_is_valid_url(): http(s) scheme and a host."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def topic_hooks(topic: str) -> list[str]:
    if topic.startswith("action."):
        return [topic[len("action.") :]]
    return list(TOPIC_HOOKS.get(topic, []))


class Store(OrderOps):
    def __init__(self, options: StoreOptions | None = None, *, seed: int = 1) -> None:
        super().__init__(options, seed=seed)

    # configuration
    def add_api_key(self, consumer_key: str, consumer_secret: str, permissions: str = "read_write") -> ApiKey:
        with self.lock:
            key = ApiKey(consumer_key, consumer_secret, permissions)
            self.api_keys[consumer_key] = key
            return key

    def add_coupon(self, code: str, discount_type: str = "percent", amount: Any = 10) -> Coupon:
        with self.lock:
            coupon = Coupon(code.lower(), discount_type, to_dec(amount))
            self.coupons[coupon.code] = coupon
            return coupon

    def add_tax_rate(
        self, rate: Any, label: str = "Tax", country: str = "", state: str = "", shipping: bool = True
    ) -> TaxRate:
        with self.lock:
            tax = TaxRate(
                id=len(self.tax_rates) + 1,
                rate=to_dec(rate),
                label=label,
                country=country,
                state=state,
                shipping=shipping,
            )
            self.tax_rates.append(tax)
            return tax

    # webhooks
    def get_webhook(self, webhook_id: int, *, missing_status: int = 400) -> Webhook:
        hook = self.webhooks.get(webhook_id)
        if hook is None:
            raise WooError(missing_status, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        return hook

    def _validate_webhook(self, data: dict[str, Any], *, creating: bool) -> None:
        if creating or "topic" in data:
            topic = str(data.get("topic") or "").lower()
            if not topic or not valid_topic(topic):
                raise WooError(
                    400, "woocommerce_rest_webhook_invalid_topic", "Webhook topic is required and must be valid."
                )
        url = data.get("delivery_url")
        if (creating or "delivery_url" in data) and (not url or not valid_url(str(url))):
            raise WooError(
                400,
                "woocommerce_rest_webhook_invalid_delivery_url",
                "Webhook delivery URL must be a valid URL starting with http:// or https://.",
            )
        if "status" in data and data["status"] not in WEBHOOK_STATUSES:
            raise WooError(400, "woocommerce_rest_webhook_invalid_status", "Webhook status must be valid.")

    def create_webhook(self, data: dict[str, Any], *, user_id: int = 1) -> Webhook:
        with self.lock:
            self._validate_webhook(data, creating=True)
            now = self.now()
            secret = data.get("secret") or "".join(
                self.rng.choice(string.ascii_letters + string.digits + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|")
                for _ in range(50)
            )
            local = now.astimezone(self._tz())
            hook = Webhook(
                id=self.next_webhook_id(),
                name=str(data.get("name") or f"Webhook created on {local.strftime('%b %d, %Y @ %I:%M %p')}"),
                status=str(data.get("status") or "active"),
                topic=str(data["topic"]).lower(),
                delivery_url=str(data["delivery_url"]),
                secret=str(secret),
                user_id=user_id,
                date_created=now,
                date_modified=None,  # null until the webhook is first edited (facts woocommerce.md §0)
            )
            self.webhooks[hook.id] = hook
            return hook

    def update_webhook(self, hook: Webhook, data: dict[str, Any]) -> bool:
        """Apply a REST update; True when the data store would ping (active and URL changed or pending)."""
        with self.lock:
            self._validate_webhook(data, creating=False)
            url_changed = "delivery_url" in data and data["delivery_url"] != hook.delivery_url
            for key in ("name", "status", "delivery_url", "secret"):
                if key in data and data[key] is not None:
                    setattr(hook, key, str(data[key]))
            if "topic" in data:
                hook.topic = str(data["topic"]).lower()
            hook.date_modified = self.now()
            return hook.status == "active" and (url_changed or hook.pending_delivery)

    def delete_webhook(self, hook: Webhook) -> None:
        with self.lock:
            self.webhooks.pop(hook.id, None)

    def _tz(self) -> Any:
        return site_tz(self.options.timezone_offset_hours)
