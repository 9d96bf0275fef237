"""Orders: creation with totals, status transitions, payment, stock, notes and refunds."""

from __future__ import annotations

import hashlib
import string
from decimal import Decimal
from typing import Any

from sandbox.woo.calc import PricedLine, price_order, recalc_totals
from sandbox.woo.catalog import CatalogOps, slugify, upsert_meta
from sandbox.woo.errors import WooError, cannot_create_refund, invalid_param
from sandbox.woo.formats import money, round_dp, to_dec
from sandbox.woo.formats import raw as raw_amount
from sandbox.woo.models import D0, Coupon, Meta, Note, Order, OrderItem, Product, Refund

STATUS_LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
    "trash": "Trash",
}
ORDER_STATUSES = tuple(STATUS_LABELS)
PAID_STATUSES = ("processing", "completed")
ADDRESS_KEYS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)


def address(data: dict[str, Any] | None, *, email: bool) -> dict[str, str]:
    keys = ADDRESS_KEYS if email else tuple(k for k in ADDRESS_KEYS if k != "email")
    data = data or {}
    return {k: str(data.get(k) or "") for k in keys}


class OrderOps(CatalogOps):
    def get_order(self, order_id: int) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return order

    # creation
    def _line_for(self, spec: dict[str, Any]) -> PricedLine:
        pid = int(spec.get("variation_id") or spec.get("product_id") or 0)
        product = self.products.get(pid)
        if product is None and spec.get("sku"):
            product = self.find_by_sku(str(spec["sku"]))
        if product is None:
            raise WooError(400, "woocommerce_rest_invalid_product_id", "Product ID provided is invalid.")
        qty = int(spec.get("quantity") or 1)
        parent = self.parent_of(product) if product.type == "variation" else None
        name = product.name
        meta: list[Meta] = []
        if parent is not None:
            options = [str(a.get("option", "")) for a in product.attributes]
            name = f"{parent.name} - {', '.join(options)}" if options else parent.name
            for a in product.attributes:
                option = str(a.get("option", ""))
                if a.get("id"):  # a global attribute: taxonomy key and term slug
                    meta.append(Meta(self.next_meta_id(), "pa_" + slugify(str(a.get("name", ""))), slugify(option)))
                else:
                    meta.append(Meta(self.next_meta_id(), slugify(str(a.get("name", ""))), option))
        unit = spec.get("price")
        price = to_dec(unit if unit is not None else self.price(product))
        item = OrderItem(
            id=self.next_item_id(),
            kind="line_item",
            name=str(spec.get("name") or name),
            product_id=parent.id if parent else product.id,
            variation_id=product.id if parent else 0,
            quantity=qty,
            tax_class=product.tax_class,
            sku=product.sku or (parent.sku if parent else ""),
            meta_data=meta,
            parent_name=parent.name if parent else None,
        )
        return PricedLine(item=item, unit_price=price, taxable=product.tax_status == "taxable")

    def create_order(self, data: dict[str, Any], *, created_via: str = "rest-api") -> Order:
        with self.lock:
            status = str(data.get("status") or "pending")
            if status not in ORDER_STATUSES:
                raise invalid_param(
                    "status", f"status is not one of {', '.join(ORDER_STATUSES)}.", detail="rest_not_in_enum"
                )
            lines = [self._line_for(s) for s in data.get("line_items") or []]
            coupons: list[Coupon] = []
            for c in data.get("coupon_lines") or []:
                code = str(c.get("code", "")).lower()
                if code not in self.coupons:
                    raise WooError(400, "woocommerce_rest_invalid_coupon", f'Coupon "{code}" does not exist!')
                coupons.append(self.coupons[code])
            now = self.now()
            oid = self.next_post_id()
            method = str(data.get("payment_method") or "")
            order = Order(
                id=oid,
                number=str(oid),
                order_key="wc_order_"
                + "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(13)),
                status=status,
                currency=str(data.get("currency") or self.options.currency),
                created_via=created_via,
                version=self.options.wc_version,
                prices_include_tax=bool(data.get("prices_include_tax", self.options.prices_include_tax)),
                customer_id=int(data.get("customer_id") or 0),
                customer_note=str(data.get("customer_note") or ""),
                billing=address(data.get("billing"), email=True),
                shipping=address(data.get("shipping"), email=False),
                payment_method=method,
                payment_method_title=str(
                    data.get("payment_method_title") or self.options.gateway_titles.get(method, "")
                ),
                transaction_id=str(data.get("transaction_id") or ""),
                date_created=now,
                date_modified=now,
            )
            if created_via == "checkout":
                order.customer_ip_address = "127.0.0.1"
                order.customer_user_agent = "Mozilla/5.0 (X11; Linux x86_64) Sandbox Shopper"
                order.cart_hash = hashlib.md5(f"{oid}".encode()).hexdigest()
            upsert_meta(self, order.meta_data, data.get("meta_data"))
            for s in data.get("shipping_lines") or []:
                order.items.append(
                    OrderItem(
                        id=self.next_item_id(),
                        kind="shipping",
                        name=str(s.get("method_title") or "Shipping"),
                        method_id=str(s.get("method_id") or "flat_rate"),
                        instance_id=str(s.get("instance_id") or "1"),
                        total=round_dp(to_dec(s.get("total")), self.options.decimals),
                    )
                )
            for f in data.get("fee_lines") or []:
                order.items.append(
                    OrderItem(
                        id=self.next_item_id(),
                        kind="fee",
                        name=str(f.get("name") or "Fee"),
                        tax_status=str(f.get("tax_status") or "taxable"),
                        tax_class=str(f.get("tax_class") or ""),
                        total=round_dp(to_dec(f.get("total")), self.options.decimals),
                    )
                )
            price_order(
                order,
                lines,
                coupons,
                self.tax_rates,
                dp=self.options.decimals,
                round_at_subtotal=self.options.tax_round_at_subtotal,
                next_item_id=self.next_item_id,
            )
            for item in order.lines("coupon"):
                item.meta_data.append(Meta(self.next_meta_id(), "coupon_data", self._coupon_data(item.code)))
            self.orders[oid] = order
            self.notes[oid] = []
            self.emit("order", "created", oid)
            if data.get("set_paid"):
                self.payment_complete(order, str(data.get("transaction_id") or ""))
            elif status in ("processing", "completed", "on-hold"):
                self._reduce_stock(order)
            return order

    def _coupon_data(self, code: str) -> dict[str, Any]:
        """The coupon's data as a live 8.2.2 store copies it into the coupon line's meta (facts §0)."""
        coupon = self.coupons.get(code)
        return {
            "id": 1 + list(self.coupons).index(code) if code in self.coupons else 0,
            "code": code,
            "amount": raw_amount(coupon.amount if coupon else D0),
            "status": "publish",
            "date_created": None,
            "date_modified": None,
            "date_expires": None,
            "discount_type": coupon.discount_type if coupon else "fixed_cart",
            "description": "",
            "usage_count": 0,
            "individual_use": False,
            "product_ids": [],
            "excluded_product_ids": [],
            "usage_limit": 0,
            "usage_limit_per_user": 0,
            "limit_usage_to_x_items": None,
            "free_shipping": False,
            "product_categories": [],
            "excluded_product_categories": [],
            "exclude_sale_items": False,
            "minimum_amount": "",
            "maximum_amount": "",
            "email_restrictions": [],
            "virtual": False,
            "meta_data": [],
        }

    # status and payment
    def set_status(self, order: Order, new: str, *, note: str = "", fire: bool = True) -> None:
        with self.lock:
            old = order.status
            if new not in ORDER_STATUSES:
                raise invalid_param(
                    "status", f"status is not one of {', '.join(ORDER_STATUSES)}.", detail="rest_not_in_enum"
                )
            if new == old:
                return
            order.status = new
            now = self.now()
            if new in PAID_STATUSES and order.date_paid is None:
                order.date_paid = now
            if new == "completed":
                order.date_completed = now
            text = f"Order status changed from {STATUS_LABELS.get(old, old)} to {STATUS_LABELS.get(new, new)}."
            self.add_note(order, f"{note} {text}".strip())
            if new in ("processing", "completed", "on-hold"):
                self._reduce_stock(order)
            elif new in ("cancelled", "pending"):
                self._restore_stock(order)
            order.date_modified = now
            if fire:
                self.emit("order", "updated", order.id)

    def payment_complete(self, order: Order, transaction_id: str = "") -> None:
        """WC_Order::payment_complete(): only for orders that still need payment."""
        with self.lock:
            if order.status not in ("pending", "failed", "on-hold", "checkout-draft"):
                return
            if transaction_id:
                order.transaction_id = transaction_id
            order.date_paid = order.date_paid or self.now()
            self.set_status(order, "processing", fire=False)
            self._reduce_stock(order)
            order.date_modified = self.now()
            self.emit("order", "updated", order.id)

    def _line_product(self, item: OrderItem) -> Product | None:
        return self.products.get(item.variation_id or item.product_id)

    def _reduce_stock(self, order: Order) -> None:
        if order.stock_reduced:
            return
        changes = []
        for item in order.lines("line_item"):
            p = self._line_product(item)
            result = self.change_stock(p, -item.quantity) if p else None
            if result:
                owner, old, new = result
                item.meta_data.append(Meta(self.next_meta_id(), "_reduced_stock", str(item.quantity)))
                changes.append(f"{owner.name} ({owner.sku or owner.id}) {old}&rarr;{new}")
            if p:
                p.total_sales += item.quantity
        order.stock_reduced = True
        if changes:
            self.add_note(order, "Stock levels reduced: " + ", ".join(changes))

    def _restore_stock(self, order: Order) -> None:
        if not order.stock_reduced:
            return
        changes = []
        for item in order.lines("line_item"):
            p = self._line_product(item)
            result = self.change_stock(p, item.quantity) if p else None
            if result:
                owner, old, new = result
                changes.append(f"{owner.name} ({owner.sku or owner.id}) {old}&rarr;{new}")
        order.stock_reduced = False
        if changes:
            self.add_note(order, "Stock levels increased: " + ", ".join(changes))

    def update_order(self, order: Order, data: dict[str, Any]) -> Order:
        with self.lock:
            for key in ("customer_note", "transaction_id", "payment_method", "payment_method_title"):
                if key in data and data[key] is not None:
                    setattr(order, key, str(data[key]))
            if isinstance(data.get("billing"), dict):
                order.billing.update({k: str(v) for k, v in data["billing"].items() if k in ADDRESS_KEYS})
            if isinstance(data.get("shipping"), dict):
                order.shipping.update({k: str(v) for k, v in data["shipping"].items() if k in ADDRESS_KEYS})
            if "customer_id" in data:
                order.customer_id = int(data["customer_id"] or 0)
            if "meta_data" in data:
                upsert_meta(self, order.meta_data, data["meta_data"])
            if data.get("status"):
                self.set_status(order, str(data["status"]), fire=False)
            if data.get("set_paid"):
                self.payment_complete(order, str(data.get("transaction_id") or ""))
            order.date_modified = self.now()
            self.emit("order", "updated", order.id)
            return order

    def delete_order(self, order: Order, force: bool) -> None:
        with self.lock:
            if force:
                self.orders.pop(order.id, None)
                return
            if order.status == "trash":
                raise WooError(410, "woocommerce_rest_already_trashed", "The order has already been deleted.")
            order.status_before_trash = order.status
            order.status = "trash"
            order.date_modified = self.now()
            self.emit("order", "deleted", order.id)

    # notes
    def add_note(self, order: Order, text: str, *, customer_note: bool = False, added_by_user: bool = False) -> Note:
        with self.lock:
            author = self.options.api_user_name if added_by_user else "system"
            note = Note(self.next_note_id(), order.id, text, author, customer_note, self.now())
            self.notes.setdefault(order.id, []).append(note)
            return note

    # refunds
    def remaining_refund_amount(self, order: Order) -> Decimal:
        refunded = sum((self.refunds[r].amount for r in order.refund_ids if r in self.refunds), D0)
        return order.total - refunded

    def create_refund(self, order: Order, data: dict[str, Any], *, refunded_by: int = 1) -> Refund:
        with self.lock:
            dp = self.options.decimals
            entries = _refund_entries(data.get("line_items"))
            if data.get("amount") in (None, ""):
                amount = sum(
                    (
                        to_dec(e.get("refund_total"))
                        + sum((to_dec(t.get("refund_total")) for t in e["refund_tax"]), D0)
                        for e in entries
                    ),
                    D0,
                )
            else:
                amount = to_dec(data["amount"])
            if amount < 0:
                raise WooError(400, "woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.")
            amount = round_dp(amount, dp)
            if amount > self.remaining_refund_amount(order):
                raise cannot_create_refund("Invalid refund amount.")
            api_refund = _truthy(data.get("api_refund", True))
            if api_refund:
                if order.payment_method not in self.options.gateway_titles:
                    raise cannot_create_refund("The payment gateway for this order does not exist.")
                if order.payment_method not in self.options.refund_gateways:
                    raise cannot_create_refund("The payment gateway for this order does not support automatic refunds.")
            refund = Refund(
                id=self.next_post_id(),
                order_id=order.id,
                amount=amount,
                reason=str(data.get("reason") or ""),
                refunded_by=refunded_by,
                refunded_payment=api_refund,
                date_created=self.now(),
            )
            upsert_meta(self, refund.meta_data, data.get("meta_data"))
            restock = _truthy(data.get("api_restock", True))
            for e in entries:
                src = order.item(int(e.get("id") or 0))
                qty = int(e.get("quantity") or 0)
                total = to_dec(e.get("refund_total"))
                taxes = {int(t.get("id") or 0): to_dec(t.get("refund_total")) for t in e["refund_tax"]}
                if src is None or (qty == 0 and total == 0 and not any(taxes.values())):
                    continue
                refund.items.append(self._refund_item(src, qty, total, taxes))
                if restock and qty > 0 and src.kind == "line_item":
                    p = self._line_product(src)
                    result = self.change_stock(p, qty) if p else None
                    if result:
                        self.add_note(order, f"Item #{result[0].id} stock increased from {result[1]} to {result[2]}.")
            refund.items += self._refund_tax_items(order, refund.items)
            self.refunds[refund.id] = refund
            order.refund_ids.insert(0, refund.id)
            order.date_modified = self.now()
            if self.remaining_refund_amount(order) <= 0 and order.status != "refunded":
                self.set_status(order, "refunded", fire=False)
            self.emit("order", "updated", order.id)
            return refund

    def _refund_tax_items(self, order: Order, items: list[OrderItem]) -> list[OrderItem]:
        """One negative tax line per rate the refunded items carry (a live 8.2.2 refund has them, facts §0)."""
        cart: dict[int, Decimal] = {}
        shipping: dict[int, Decimal] = {}
        for item in items:
            into = shipping if item.kind == "shipping" else cart
            for rid, amount in item.taxes_total.items():
                into[rid] = into.get(rid, D0) + amount
        out = []
        for source in order.lines("tax"):
            if source.rate_id not in cart and source.rate_id not in shipping:
                continue
            out.append(
                OrderItem(
                    id=self.next_item_id(),
                    kind="tax",
                    name=source.name,
                    rate_id=source.rate_id,
                    rate_code=source.rate_code,
                    label=source.label,
                    compound=source.compound,
                    rate_percent=source.rate_percent,
                    tax_total=round_dp(cart.get(source.rate_id, D0), self.options.decimals),
                    shipping_tax_total=round_dp(shipping.get(source.rate_id, D0), self.options.decimals),
                )
            )
        return out

    def _refund_item(self, src: OrderItem, qty: int, total: Decimal, taxes: dict[int, Decimal]) -> OrderItem:
        neg_taxes = {rid: -amount for rid, amount in taxes.items()}
        tax_sum = sum(neg_taxes.values(), D0)
        return OrderItem(
            id=self.next_item_id(),
            kind=src.kind,
            name=src.name,
            product_id=src.product_id,
            variation_id=src.variation_id,
            quantity=-qty,
            tax_class=src.tax_class,
            subtotal=-total,
            subtotal_tax=tax_sum,
            total=-total,
            total_tax=tax_sum,
            taxes_total=neg_taxes,
            taxes_subtotal=dict(neg_taxes),
            sku=src.sku,
            parent_name=src.parent_name,
            method_id=src.method_id,
            instance_id=src.instance_id,
            tax_status=src.tax_status,
            meta_data=[Meta(self.next_meta_id(), "_refunded_item_id", str(src.id))],
        )

    def delete_refund(self, order: Order, refund: Refund) -> None:
        with self.lock:
            self.refunds.pop(refund.id, None)
            if refund.id in order.refund_ids:
                order.refund_ids.remove(refund.id)
            order.date_modified = self.now()
            self.emit("order", "updated", order.id)

    def refund_lines_for(
        self, order: Order, quantities: dict[int, int], *, shipping: bool = False
    ) -> list[dict[str, Any]]:
        """Refund line_items for `quantities` (item id → qty) at the order's prices, plus all shipping."""
        dp = self.options.decimals
        out: list[dict[str, Any]] = []
        for item_id, qty in quantities.items():
            src = order.item(item_id)
            if src is None or src.quantity == 0:
                continue
            share = Decimal(qty) / Decimal(src.quantity)
            out.append(
                {
                    "id": src.id,
                    "quantity": qty,
                    "refund_total": money(src.total * share, dp),
                    "refund_tax": [
                        {"id": rid, "refund_total": money(t * share, dp)} for rid, t in src.taxes_total.items()
                    ],
                }
            )
        if shipping:
            for s in order.lines("shipping"):
                out.append(
                    {
                        "id": s.id,
                        "refund_total": money(s.total, dp),
                        "refund_tax": [{"id": rid, "refund_total": money(t, dp)} for rid, t in s.taxes_total.items()],
                    }
                )
        return out

    def recalc(self, order: Order) -> None:
        recalc_totals(order, self.options.decimals)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() not in ("", "0", "false", "no")
    return bool(value)


def _refund_entries(raw: Any) -> list[dict[str, Any]]:
    """Accept the documented list form and WooCommerce's internal map form {item_id: {...}}."""
    if isinstance(raw, dict):
        raw = [{"id": k, **v} for k, v in raw.items() if isinstance(v, dict)]
    entries = []
    for e in raw or []:
        if not isinstance(e, dict):
            continue
        tax = e.get("refund_tax") or []
        if isinstance(tax, dict):
            tax = [{"id": k, "refund_total": v} for k, v in tax.items()]
        entries.append({**e, "refund_tax": [t for t in tax if isinstance(t, dict)]})
    return entries
