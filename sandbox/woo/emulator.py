"""WooEmulator: the store, its REST app, webhook delivery, fault injection and the shopper, in one object."""

from __future__ import annotations

import dataclasses
from typing import Any

from sandbox.faults import FaultConfig
from sandbox.lifecycle import Emulator
from sandbox.tls import ensure_tls_files
from sandbox.woo.api.common import ApiContext
from sandbox.woo.app import CallCounter, WooApp
from sandbox.woo.control import control_app
from sandbox.woo.delivery import DeliveryOptions, DeliveryWorker
from sandbox.woo.errors import WooError
from sandbox.woo.formats import wp_json_encode
from sandbox.woo.shopper import CartLine, Checkout, Shopper
from sandbox.woo.state import StoreOptions
from sandbox.woo.store import Store
from sandbox.woo.views import (
    customer_view,
    note_view,
    order_view,
    product_view,
    refund_view,
    variation_view,
    webhook_view,
)


def woo_error_body(status: int) -> tuple[bytes, str]:
    body = {"code": f"http_{status}", "message": "Injected fault.", "data": {"status": status}}
    return wp_json_encode(body), "application/json; charset=UTF-8"


class WooEmulator(Emulator):
    """An in-memory WooCommerce store speaking REST API v3 over HTTPS and delivering signed webhooks."""

    name = "woo"

    def __init__(
        self,
        consumer_key: str = "ck_sandbox",
        consumer_secret: str = "cs_sandbox",
        *,
        permissions: str = "read_write",
        options: StoreOptions | None = None,
        delivery: DeliveryOptions | None = None,
        faults: FaultConfig | None = None,
        seed: int = 1,
        **option_overrides: Any,
    ) -> None:
        options = options or StoreOptions()
        if option_overrides:
            options = dataclasses.replace(options, **option_overrides)
        self.store = Store(options, seed=seed)
        self.store.add_api_key(consumer_key, consumer_secret, permissions)
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.delivery = DeliveryWorker(
            self.store, delivery or DeliveryOptions(verify=str(ensure_tls_files().ca_bundle))
        )
        self.store.sink = self.delivery.enqueue
        self.ctx = ApiContext(self.store, self.delivery)
        self.calls = CallCounter()
        self.shopper = Shopper(self.store)
        self.app = WooApp(self.ctx, control_app(self), self.calls)
        self.serve_with_faults(self.app, faults, error_body=woo_error_body)

    # lifecycle (sandbox/lifecycle.py)
    def on_start(self) -> None:
        assert self.server is not None
        self.store.home_url = self.server.url.rstrip("/") + "/"
        self.delivery.start()

    def on_stop(self) -> None:
        self.delivery.stop()

    @property
    def url(self) -> str:
        """The store home URL with a trailing slash (what X-WC-Webhook-Source carries)."""
        return self.store.home_url

    @property
    def api_url(self) -> str:
        return self.store.api_base

    # configuration and seeding
    def add_api_key(self, consumer_key: str, consumer_secret: str, permissions: str = "read_write") -> None:
        self.store.add_api_key(consumer_key, consumer_secret, permissions)

    def add_product(
        self,
        name: str,
        sku: str,
        regular_price: Any,
        *,
        stock_quantity: int | None = None,
        manage_stock: bool | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        data = {"name": name, "sku": sku, "regular_price": str(regular_price), **fields}
        if stock_quantity is not None:
            data["stock_quantity"] = stock_quantity
        data["manage_stock"] = manage_stock if manage_stock is not None else stock_quantity is not None
        with self.store.lock:
            return product_view(self.store, self.store.create_product(data))

    def add_variable_product(
        self,
        name: str,
        sku: str,
        variations: list[dict[str, Any]],
        *,
        attribute: str = "Color",
        stock_quantity: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Variations: [{"sku", "regular_price", "option", optional "stock_quantity"/"manage_stock"...}].

        With parent `stock_quantity` the parent manages stock and variations without their own report
        manage_stock "parent".
        """
        options = [v.get("option", "") for v in variations]
        data = {
            "name": name,
            "sku": sku,
            "type": "variable",
            **fields,
            "attributes": [
                {"id": 0, "name": attribute, "position": 0, "visible": True, "variation": True, "options": options}
            ],
        }
        if stock_quantity is not None:
            data.update(manage_stock=True, stock_quantity=stock_quantity)
        with self.store.lock:
            parent = self.store.create_product(data)
            for v in variations:
                spec = {k: val for k, val in v.items() if k != "option"}
                if "regular_price" in spec:
                    spec["regular_price"] = str(spec["regular_price"])
                if spec.get("stock_quantity") is not None and "manage_stock" not in spec:
                    spec["manage_stock"] = True
                spec["attributes"] = [{"id": 0, "name": attribute, "option": v.get("option", "")}]
                self.store.create_variation(parent.id, spec)
            return product_view(self.store, parent)

    def add_customer(self, email: str, first_name: str = "", last_name: str = "", **fields: Any) -> dict[str, Any]:
        with self.store.lock:
            return customer_view(self.store, self.store.add_customer(email, first_name, last_name, **fields))

    def add_coupon(self, code: str, discount_type: str = "percent", amount: Any = 10) -> None:
        self.store.add_coupon(code, discount_type, amount)

    def add_tax_rate(
        self, rate: Any, label: str = "Tax", country: str = "", state: str = "", shipping: bool = True
    ) -> int:
        return self.store.add_tax_rate(rate, label, country, state, shipping).id

    def create_webhook(
        self,
        topic: str,
        delivery_url: str,
        secret: str = "sandbox-webhook-secret",
        *,
        name: str = "",
        status: str = "active",
        ping: bool = True,
    ) -> dict[str, Any]:
        hook = self.store.create_webhook(
            {"topic": topic, "delivery_url": delivery_url, "secret": secret, "name": name, "status": status}
        )
        if ping and hook.status == "active":
            self.delivery.ping(hook.id)
        return self.webhook(hook.id)

    def update_webhook(self, webhook_id: int, **fields: Any) -> dict[str, Any]:
        hook = self.store.get_webhook(webhook_id)
        if self.store.update_webhook(hook, fields):
            self.delivery.ping(hook.id)
        return self.webhook(webhook_id)

    # shopper
    def place_order(
        self, lines: list[tuple[str, int]] | list[CartLine], *, pay: bool = False, **checkout: Any
    ) -> dict[str, Any]:
        """lines: [(sku, qty), ...]; checkout: Checkout fields (email, register, coupons, fees, shipping,
        currency, customer_note, payment_method, prices_include_tax, city)."""
        cart = [line if isinstance(line, CartLine) else CartLine(line[0], int(line[1])) for line in lines]
        order = self.shopper.place_order(Checkout(lines=cart, **checkout), pay=pay)
        return self.order(order.id)

    def pay_order(self, order_id: int, transaction_id: str | None = None) -> dict[str, Any]:
        self.shopper.pay(order_id, transaction_id)
        return self.order(order_id)

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        self.shopper.cancel(order_id)
        return self.order(order_id)

    def set_order_status(self, order_id: int, status: str) -> dict[str, Any]:
        self.shopper.set_status(order_id, status)
        return self.order(order_id)

    def refund_order(self, order_id: int, **kwargs: Any) -> dict[str, Any]:
        """kwargs: lines={item_id: qty}, shipping=bool, amount=..., reason, restock, api_refund."""
        refund = self.shopper.refund(order_id, **kwargs)
        with self.store.lock:
            return refund_view(self.store, refund)

    def generate_order(self, rng: Any, **kwargs: Any) -> dict[str, Any]:
        return self.order(self.shopper.generate_order(rng, **kwargs).id)

    # reads
    def order(self, order_id: int) -> dict[str, Any]:
        with self.store.lock:
            return order_view(self.store, self.store.get_order(order_id))

    def orders(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return [order_view(self.store, o) for o in self.store.orders.values()]

    def notes(self, order_id: int) -> list[dict[str, Any]]:
        with self.store.lock:
            return [note_view(self.store, n) for n in self.store.notes.get(order_id, [])]

    def refunds(self, order_id: int) -> list[dict[str, Any]]:
        with self.store.lock:
            order = self.store.get_order(order_id)
            return [refund_view(self.store, self.store.refunds[r]) for r in order.refund_ids]

    def product(self, product_id: int) -> dict[str, Any]:
        with self.store.lock:
            return product_view(self.store, self.store.get_product(product_id))

    def product_by_sku(self, sku: str) -> dict[str, Any]:
        with self.store.lock:
            p = self.store.find_by_sku(sku)
            if p is None:
                raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            return product_view(self.store, p)

    def variation(self, variation_id: int) -> dict[str, Any]:
        with self.store.lock:
            return variation_view(self.store, self.store.get_product(variation_id))

    def webhook(self, webhook_id: int) -> dict[str, Any]:
        """The REST view plus what the REST API hides: secret, failure_count, pending_delivery."""
        with self.store.lock:
            hook = self.store.get_webhook(webhook_id, missing_status=404)
            return {
                **webhook_view(self.store, hook),
                "secret": hook.secret,
                "failure_count": hook.failure_count,
                "pending_delivery": hook.pending_delivery,
                "api_version": hook.api_version,
            }

    def webhooks(self) -> list[dict[str, Any]]:
        with self.store.lock:
            ids = list(self.store.webhooks)
        return [self.webhook(i) for i in ids]

    # delivery control
    def deliveries(self, webhook_id: int | None = None, kind: str | None = "delivery") -> list[dict[str, Any]]:
        return [
            r.to_dict()
            for r in self.delivery.records()
            if (webhook_id is None or r.webhook_id == webhook_id) and (kind is None or r.kind == kind)
        ]

    def flush_deliveries(self, timeout: float = 30.0) -> bool:
        return self.delivery.flush(timeout)

    def pause_deliveries(self) -> None:
        self.delivery.pause()

    def resume_deliveries(self) -> None:
        self.delivery.resume()

    # API call counters and batch failures
    def api_calls(self) -> dict[str, int]:
        return self.calls.snapshot()

    def reset_api_calls(self) -> None:
        self.calls.reset()

    def fail_batch_items(
        self,
        ids: list[int],
        *,
        status: int = 500,
        code: str = "woocommerce_rest_sandbox_item_failed",
        message: str = "Injected batch item failure.",
    ) -> None:
        self.ctx.batch_fail_ids = set(ids)
        self.ctx.batch_fail_error = (status, code, message)

    def clear_batch_failures(self) -> None:
        self.ctx.batch_fail_ids = set()

    def advance_clock(self, seconds: float) -> None:
        self.store.advance_clock(seconds)
