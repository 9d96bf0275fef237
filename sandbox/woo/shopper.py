"""A shopper at the storefront: checkout orders (guest or registered), pay, cancel, refund; seeded generator."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from sandbox.woo.errors import WooError
from sandbox.woo.models import Customer, Order, Product, Refund
from sandbox.woo.store import Store

FIRST = [
    "Ada",
    "Bo",
    "Chloé",
    "Dario",
    "Eva",
    "Finn",
    "Grete",
    "Hiro",
    "Ines",
    "Jonas",
    "Kirsten",
    "Lars",
    "Mia",
    "Nils",
    "Olga",
    "Per",
    "Ragnhild",
    "Søren",
    "Tove",
    "Ulla",
]
LAST = [
    "Andersen",
    "Berg",
    "Christensen",
    "Dahl",
    "Eriksen",
    "Fischer",
    "Hansen",
    "Jensen",
    "Larsen",
    "Møller",
    "Nielsen",
    "Olsen",
    "Pedersen",
    "Schmidt",
    "Sørensen",
]
CITIES = [
    ("Copenhagen", "DK", "", "1050"),
    ("Berlin", "DE", "", "10115"),
    ("San Francisco", "US", "CA", "94103"),
    ("London", "GB", "", "SW1A 1AA"),
    ("Stockholm", "SE", "", "111 22"),
]
SHIPPING = [
    ("flat_rate", "Flat rate", "10.00"),
    ("free_shipping", "Free shipping", "0.00"),
    ("local_pickup", "Local pickup", "0.00"),
    ("flat_rate", "Express", "25.00"),
]


@dataclass
class CartLine:
    sku: str
    quantity: int = 1


@dataclass
class Checkout:
    lines: list[CartLine]
    email: str = "guest@example.com"
    first_name: str = "Guest"
    last_name: str = "Shopper"
    register: bool = False  # create/use a customer account for the email
    coupons: list[str] = field(default_factory=list)
    fees: list[dict[str, Any]] = field(default_factory=list)  # {"name", "total", "tax_status"}
    shipping: list[dict[str, Any]] = field(default_factory=list)  # {"method_id", "method_title", "total"}
    currency: str | None = None
    customer_note: str = ""
    payment_method: str = "stripe"
    city: tuple[str, str, str, str] = CITIES[0]
    prices_include_tax: bool | None = None
    phone: str = ""  # empty: a stable number derived from the e-mail (each shopper has their own)


def phone_for(email: str) -> str:
    digits = str(int(hashlib.sha256(email.strip().lower().encode()).hexdigest(), 16))[-8:]
    return f"+45 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"


class Shopper:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _customer(self, checkout: Checkout) -> Customer | None:
        if not checkout.register:
            return None
        existing = self.store.customer_by_email(checkout.email)
        if existing is not None:
            return existing
        city, country, state, postcode = checkout.city
        return self.store.add_customer(
            checkout.email,
            checkout.first_name,
            checkout.last_name,
            billing={"city": city, "country": country, "state": state, "postcode": postcode},
        )

    def place_order(self, checkout: Checkout, *, pay: bool = False, status: str = "pending") -> Order:
        """Checkout: creates the order (order.created), then optionally pays it (order.updated + stock)."""
        store = self.store
        with store.lock:
            customer = self._customer(checkout)
            city, country, state, postcode = checkout.city
            billing = {
                "first_name": checkout.first_name,
                "last_name": checkout.last_name,
                "address_1": "1 Main Street",
                "city": city,
                "state": state,
                "postcode": postcode,
                "country": country,
                "email": checkout.email,
                "phone": checkout.phone or phone_for(checkout.email),
            }
            items = []
            for line in checkout.lines:
                product = store.find_by_sku(line.sku)
                if product is None:
                    raise WooError(400, "woocommerce_rest_invalid_product_id", f"No product with SKU {line.sku}.")
                items.append({"product_id": product.id, "quantity": line.quantity})
            data: dict[str, Any] = {
                "status": status,
                "currency": checkout.currency or store.options.currency,
                "customer_id": customer.id if customer else 0,
                "customer_note": checkout.customer_note,
                "billing": billing,
                "shipping": {k: v for k, v in billing.items() if k not in ("email", "phone")},
                "payment_method": checkout.payment_method,
                "line_items": items,
                "coupon_lines": [{"code": c} for c in checkout.coupons],
                "fee_lines": checkout.fees,
                "shipping_lines": checkout.shipping,
            }
            if checkout.prices_include_tax is not None:
                data["prices_include_tax"] = checkout.prices_include_tax
            order = store.create_order(data, created_via="checkout")
            if pay:
                self.pay(order.id)
            return order

    def pay(self, order_id: int, transaction_id: str | None = None) -> Order:
        with self.store.lock:
            order = self.store.get_order(order_id)
            self.store.payment_complete(order, transaction_id or f"txn_{order.id}_{order.order_key[-6:]}")
            return order

    def set_status(self, order_id: int, status: str) -> Order:
        with self.store.lock:
            order = self.store.get_order(order_id)
            self.store.set_status(order, status)
            return order

    def cancel(self, order_id: int) -> Order:
        return self.set_status(order_id, "cancelled")

    def complete(self, order_id: int) -> Order:
        return self.set_status(order_id, "completed")

    def refund(
        self,
        order_id: int,
        *,
        lines: dict[int, int] | None = None,
        shipping: bool = False,
        amount: Any = None,
        reason: str = "",
        restock: bool = True,
        api_refund: bool = True,
    ) -> Refund:
        """Refund by line (item id → qty), the shipping, or an amount only (no lines). Full refund → refunded."""
        with self.store.lock:
            order = self.store.get_order(order_id)
            data: dict[str, Any] = {"reason": reason, "api_refund": api_refund, "api_restock": restock}
            if lines or shipping:
                data["line_items"] = self.store.refund_lines_for(order, lines or {}, shipping=shipping)
            if amount is not None:
                data["amount"] = str(amount)
            elif not lines and not shipping:
                data["amount"] = str(self.store.remaining_refund_amount(order))
            return self.store.create_refund(order, data)

    def refund_all(self, order_id: int, reason: str = "") -> Refund:
        with self.store.lock:
            order = self.store.get_order(order_id)
            qty = {i.id: i.quantity for i in order.lines("line_item")}
            return self.refund(order_id, lines=qty, shipping=True, reason=reason)

    def generate_order(
        self,
        rng: random.Random,
        *,
        pay: bool = True,
        customers: int = 20,
        guest_rate: float = 0.3,
        coupon_rate: float = 0.2,
        fee_rate: float = 0.1,
        note_rate: float = 0.2,
        currencies: tuple[str, ...] = (),
    ) -> Order:
        """A reproducible random order: 1-10 lines of purchasable products; returning customers share emails."""
        with self.store.lock:
            catalog = [p for p in self.store.products.values() if _buyable(self.store, p)]
            if not catalog:
                raise WooError(400, "woocommerce_rest_invalid_product_id", "Nothing in stock to buy.")
            picks = rng.sample(catalog, k=min(len(catalog), rng.randint(1, 10)))
            n = rng.randrange(customers)
            first, last = FIRST[n % len(FIRST)], LAST[n % len(LAST)]
            checkout = Checkout(
                lines=[CartLine(p.sku, rng.randint(1, 3)) for p in picks],
                email=f"{_ascii(first)}.{_ascii(last)}{n}@example.com",
                first_name=first,
                last_name=last,
                register=rng.random() >= guest_rate,
                city=CITIES[n % len(CITIES)],
                shipping=[dict(zip(("method_id", "method_title", "total"), rng.choice(SHIPPING), strict=True))],
                customer_note=rng.choice(["Please leave at the door.", "Gift wrap, thanks!", "Ring twice."])
                if rng.random() < note_rate
                else "",
                payment_method=rng.choice(["stripe", "stripe", "ppcp-gateway", "bacs"]),
                currency=rng.choice(currencies) if currencies else None,
            )
            if self.store.coupons and rng.random() < coupon_rate:
                checkout.coupons = [rng.choice(sorted(self.store.coupons))]
            if rng.random() < fee_rate:
                checkout.fees = [{"name": "Handling", "total": "2.50", "tax_status": "taxable"}]
            return self.place_order(checkout, pay=pay)


def _ascii(name: str) -> str:
    return name.lower().replace("é", "e").replace("ø", "o")


def _buyable(store: Store, p: Product) -> bool:
    if not p.sku or p.status != "publish" or p.type not in ("simple", "variation") or store.price(p) == "":
        return False
    return store.stock_status(p) != "outofstock"
