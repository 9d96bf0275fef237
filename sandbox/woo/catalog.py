"""Products, variations, stock and customers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.woo.errors import WooError, invalid_param
from sandbox.woo.models import Customer, Meta, Product
from sandbox.woo.state import StoreState

PRODUCT_STATUSES = ("draft", "pending", "private", "publish", "future")
PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "product"


def price_string(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        Decimal(str(value))
    except InvalidOperation:
        return ""
    return str(value)


def upsert_meta(store: StoreState, meta: list[Meta], entries: Any) -> None:
    """meta_data writes: match by id, else by key (update_meta_data replaces the first entry of a key)."""
    for entry in entries or []:
        if not isinstance(entry, dict) or ("key" not in entry and "id" not in entry):
            continue
        found = None
        if entry.get("id"):
            found = next((m for m in meta if m.id == int(entry["id"])), None)
        if found is None and "key" in entry:
            found = next((m for m in meta if m.key == entry["key"]), None)
        if entry.get("value") is None and found is not None and "value" in entry:
            meta.remove(found)
            continue
        if found is not None:
            found.value = entry.get("value")
            if "key" in entry:
                found.key = entry["key"]
        elif "key" in entry:
            meta.append(Meta(store.next_meta_id(), entry["key"], entry.get("value")))


class CatalogOps(StoreState):
    # lookups
    def product(self, product_id: int) -> Product | None:
        p = self.products.get(product_id)
        return p if p is not None and p.status != "trash" else None

    def get_product(self, product_id: int, *, variation_parent: int | None = None) -> Product:
        p = self.products.get(product_id)
        if variation_parent is not None:
            if p is None or p.type != "variation" or p.parent_id != variation_parent:
                raise WooError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
            return p
        if p is None:
            raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return p

    def find_by_sku(self, sku: str) -> Product | None:
        return next((p for p in self.products.values() if sku and p.sku == sku), None)

    def parent_of(self, p: Product) -> Product | None:
        return self.products.get(p.parent_id) if p.parent_id else None

    # stock semantics
    def manage_stock_view(self, p: Product) -> bool | str:
        if p.type == "variation" and not p.manage_stock:
            parent = self.parent_of(p)
            if parent is not None and parent.manage_stock:
                return "parent"
        return p.manage_stock

    def stock_owner(self, p: Product) -> Product | None:
        """The product whose stock_quantity an order line of `p` changes (None: stock not managed)."""
        if not self.options.manage_stock:
            return None
        if p.manage_stock:
            return p
        parent = self.parent_of(p) if p.type == "variation" else None
        return parent if parent is not None and parent.manage_stock else None

    def stock_quantity_view(self, p: Product) -> int | float | None:
        if p.manage_stock:
            return p.stock_quantity
        if self.manage_stock_view(p) == "parent":
            parent = self.parent_of(p)
            return parent.stock_quantity if parent else None
        return None

    def stock_status(self, p: Product) -> str:
        owner = p if p.manage_stock else None
        if owner is None and self.manage_stock_view(p) == "parent":
            owner = self.parent_of(p)
        if owner is not None and self.options.manage_stock:
            qty = owner.stock_quantity or 0
            if qty > 0:
                return "instock"
            return "outofstock" if owner.backorders == "no" else "onbackorder"
        if p.type == "variable" and p.variations:
            children = [self.stock_status(self.products[v]) for v in p.variations if v in self.products]
            for status in STOCK_STATUSES:
                if status in children:
                    return status
        return p.stock_status

    def price(self, p: Product) -> str:
        if p.type == "variable":
            prices = [Decimal(self.price(self.products[v])) for v in p.variations if self.price(self.products[v])]
            return str(min(prices)) if prices else ""
        return p.sale_price if p.sale_price != "" else p.regular_price

    def change_stock(self, p: Product, delta: int | float) -> tuple[Product, Any, Any] | None:
        """wc_update_product_stock(): adjust the owning product's stock and fire product.updated."""
        owner = self.stock_owner(p)
        if owner is None:
            return None
        old = owner.stock_quantity or 0
        owner.stock_quantity = old + delta
        owner.date_modified = self.now()
        self.emit("product", "updated", owner.id)
        return owner, old, owner.stock_quantity

    # writes
    def _check_sku(self, p: Product, sku: str) -> None:
        if not sku:
            return
        other = next((o for o in self.products.values() if o.sku == sku and o.id != p.id), None)
        if other is not None:
            raise WooError(
                400, "product_invalid_sku", "Invalid or duplicated SKU.", resource_id=other.id, unique_sku=f"{sku}-1"
            )

    def apply_product_fields(self, p: Product, data: dict[str, Any]) -> None:
        if "status" in data and data["status"] not in PRODUCT_STATUSES:
            raise invalid_param(
                "status", f"status is not one of {', '.join(PRODUCT_STATUSES)}.", detail="rest_not_in_enum"
            )
        if "sku" in data:
            sku = str(data["sku"] or "").strip()
            self._check_sku(p, sku)
            p.sku = sku
        for key in (
            "name",
            "slug",
            "description",
            "short_description",
            "tax_status",
            "tax_class",
            "weight",
            "status",
            "backorders",
        ):
            if key in data and data[key] is not None:
                setattr(p, key, str(data[key]))
        if "name" in data and not p.slug:
            p.slug = slugify(p.name)
        for key in ("regular_price", "sale_price"):
            if key in data:
                setattr(p, key, price_string(data[key]))
        for key in ("virtual",):
            if key in data:
                p.virtual = bool(data[key])
        if "menu_order" in data:
            p.menu_order = int(data["menu_order"] or 0)
        if "low_stock_amount" in data:
            p.low_stock_amount = None if data["low_stock_amount"] in (None, "") else int(data["low_stock_amount"])
        if "categories" in data and isinstance(data["categories"], list):
            p.categories = [
                {"id": int(c.get("id", 0)), "name": c.get("name", ""), "slug": c.get("slug", "")}
                for c in data["categories"]
                if isinstance(c, dict)
            ]
        if "attributes" in data and isinstance(data["attributes"], list):
            p.attributes = [dict(a) for a in data["attributes"] if isinstance(a, dict)]
        if "manage_stock" in data and data["manage_stock"] != "parent":
            p.manage_stock = bool(data["manage_stock"])
        # stock writes are silently ignored unless both the store and the product manage stock
        if self.options.manage_stock and p.manage_stock:
            if data.get("stock_quantity") is not None:
                p.stock_quantity = _number(data["stock_quantity"])
            if data.get("inventory_delta") is not None:
                p.stock_quantity = (p.stock_quantity or 0) + _number(data["inventory_delta"])
        if "stock_status" in data and data["stock_status"] in STOCK_STATUSES:
            p.stock_status = data["stock_status"]
        if "meta_data" in data:
            upsert_meta(self, p.meta_data, data["meta_data"])

    def create_product(self, data: dict[str, Any]) -> Product:
        with self.lock:
            ptype = data.get("type", "simple")
            if ptype not in PRODUCT_TYPES:
                raise invalid_param(
                    "type", f"type is not one of {', '.join(PRODUCT_TYPES)}.", detail="rest_not_in_enum"
                )
            now = self.now()
            p = Product(id=0, name=str(data.get("name") or "Product"), type=ptype, date_created=now, date_modified=now)
            self.apply_product_fields(p, data)
            p.id = self.next_post_id()
            p.slug = p.slug or slugify(p.name)
            self.products[p.id] = p
            if p.status not in ("auto-draft", "new"):
                self.emit("product", "created", p.id)
            return p

    def create_variation(self, parent_id: int, data: dict[str, Any]) -> Product:
        with self.lock:
            parent = self.products.get(parent_id)
            if parent is None:
                raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            now = self.now()
            v = Product(
                id=0, name=parent.name, type="variation", parent_id=parent_id, date_created=now, date_modified=now
            )
            attrs = data.get("attributes") or []
            self.apply_product_fields(v, {k: val for k, val in data.items() if k != "attributes"})
            v.attributes = [
                {"id": int(a.get("id", 0)), "name": a.get("name", ""), "option": a.get("option", "")}
                for a in attrs
                if isinstance(a, dict)
            ]
            v.id = self.next_post_id()
            self.products[v.id] = v
            parent.variations.append(v.id)
            self.emit("product", "created", v.id)
            return v

    def update_product(self, p: Product, data: dict[str, Any]) -> Product:
        with self.lock:
            self.apply_product_fields(p, data)
            p.date_modified = self.now()
            self.emit("product", "updated", p.id)
            return p

    def delete_product(self, p: Product, force: bool) -> None:
        with self.lock:
            if force:
                self.products.pop(p.id, None)
                for vid in p.variations:
                    self.products.pop(vid, None)
                parent = self.parent_of(p)
                if parent is not None and p.id in parent.variations:
                    parent.variations.remove(p.id)
                return
            if p.status == "trash":
                raise WooError(410, "woocommerce_rest_already_trashed", "The product has already been deleted.")
            p.status = "trash"
            p.date_modified = self.now()
            self.emit("product", "deleted", p.id)

    # customers
    def add_customer(self, email: str, first_name: str = "", last_name: str = "", **fields: Any) -> Customer:
        with self.lock:
            now = self.now()
            billing = {"first_name": first_name, "last_name": last_name, "email": email, **fields.get("billing", {})}
            c = Customer(
                id=self.next_user_id(),
                email=email,
                first_name=first_name,
                last_name=last_name,
                username=fields.get("username") or email.split("@")[0],
                billing=billing,
                shipping=dict(fields.get("shipping", {})),
                date_created=now,
                date_modified=now,
            )
            self.customers[c.id] = c
            self.emit("customer", "created", c.id)
            return c

    def customer_by_email(self, email: str) -> Customer | None:
        return next((c for c in self.customers.values() if c.email.lower() == email.lower()), None)


def _number(value: Any) -> int | float:
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)
