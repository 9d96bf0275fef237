"""Store state shared by the catalog, order and webhook operations; one re-entrant lock guards it all."""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sandbox.woo.models import ApiKey, Coupon, Customer, Note, Order, Product, Refund, TaxRate, Webhook

EventSink = Callable[[int, int, str], None]  # (webhook_id, resource_id, topic)
NO_EVENT_ORDER_STATUSES = ("draft", "auto-draft", "new")


@dataclass
class StoreOptions:
    currency: str = "USD"
    decimals: int = 2
    timezone_offset_hours: float = 0.0
    manage_stock: bool = True  # the store-level woocommerce_manage_stock option
    prices_include_tax: bool = False
    tax_round_at_subtotal: bool = False
    wc_version: str = "8.2.2"
    wp_version: str = "6.4.1"
    max_delivery_failures: int = 5  # filter woocommerce_max_webhook_delivery_failures
    api_user_name: str = "admin"
    refund_gateways: tuple[str, ...] = ("stripe", "ppcp-gateway", "woocommerce_payments", "sandbox_card")
    gateway_titles: dict[str, str] = field(
        default_factory=lambda: {
            "bacs": "Direct bank transfer",
            "cheque": "Check payments",
            "cod": "Cash on delivery",
            "stripe": "Credit Card (Stripe)",
            "ppcp-gateway": "PayPal",
            "woocommerce_payments": "WooPayments",
            "sandbox_card": "Sandbox card",
        }
    )


class StoreState:
    def __init__(self, options: StoreOptions | None = None, *, seed: int = 1) -> None:
        self.lock = threading.RLock()
        self.options = options or StoreOptions()
        self.rng = random.Random(seed)
        self.salt = f"sandbox-auth-salt-{seed}"
        self.home_url = "https://localhost/"
        self.clock_offset = timedelta(0)
        self._post_ids = itertools.count(100)
        self._item_ids = itertools.count(1)
        self._meta_ids = itertools.count(1000)
        self._note_ids = itertools.count(1)
        self._webhook_ids = itertools.count(1)
        self._user_ids = itertools.count(2)  # user 1 is the admin who owns the API keys
        self.products: dict[int, Product] = {}
        self.orders: dict[int, Order] = {}
        self.refunds: dict[int, Refund] = {}
        self.notes: dict[int, list[Note]] = {}
        self.customers: dict[int, Customer] = {}
        self.webhooks: dict[int, Webhook] = {}
        self.coupons: dict[str, Coupon] = {}
        self.tax_rates: list[TaxRate] = []
        self.api_keys: dict[str, ApiKey] = {}
        self.sink: EventSink | None = None

    # ids and time
    def now(self) -> datetime:
        return (datetime.now(UTC) + self.clock_offset).replace(microsecond=0)

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += timedelta(seconds=seconds)

    def next_post_id(self) -> int:
        return next(self._post_ids)

    def next_item_id(self) -> int:
        return next(self._item_ids)

    def next_meta_id(self) -> int:
        return next(self._meta_ids)

    def next_note_id(self) -> int:
        return next(self._note_ids)

    def next_webhook_id(self) -> int:
        return next(self._webhook_ids)

    def next_user_id(self) -> int:
        return next(self._user_ids)

    @property
    def api_base(self) -> str:
        return self.home_url.rstrip("/") + "/wp-json/wc/v3"

    # webhook events
    def emit(self, resource: str, event: str, resource_id: int) -> None:
        """Queue one delivery per active webhook listening to resource.event (inactive ones drop it)."""
        topic = f"{resource}.{event}"
        if resource == "order":
            order = self.orders.get(resource_id)
            if order is not None and order.status in NO_EVENT_ORDER_STATUSES:
                return
            if order is not None and event == "created" and order.status == "checkout-draft":
                return
        with self.lock:
            targets = [w for w in self.webhooks.values() if w.status == "active" and w.topic == topic]
        if self.sink is None:
            return
        for hook in targets:
            self.sink(hook.id, resource_id, topic)
