"""In-memory records of the emulated store (what WordPress keeps in its tables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

D0 = Decimal(0)


@dataclass
class Meta:
    id: int
    key: str
    value: Any


@dataclass
class TaxRate:
    id: int
    rate: Decimal  # percent, e.g. Decimal("7.5")
    label: str = "Tax"
    country: str = ""  # "" = any country
    state: str = ""
    priority: int = 1
    compound: bool = False
    shipping: bool = True
    tax_class: str = ""

    @property
    def rate_code(self) -> str:
        parts = [self.country.upper(), self.state.upper(), (self.label or "TAX").upper(), str(self.priority)]
        return "-".join(p for p in parts if p)


@dataclass
class Coupon:
    code: str
    discount_type: str = "percent"  # percent | fixed_cart
    amount: Decimal = D0


@dataclass
class Customer:
    id: int
    email: str
    first_name: str = ""
    last_name: str = ""
    username: str = ""
    billing: dict[str, str] = field(default_factory=dict)
    shipping: dict[str, str] = field(default_factory=dict)
    date_created: datetime | None = None
    date_modified: datetime | None = None


@dataclass
class Product:
    id: int
    name: str
    type: str = "simple"  # simple | variable | variation | grouped | external
    status: str = "publish"
    sku: str = ""
    regular_price: str = ""
    sale_price: str = ""
    manage_stock: bool = False
    stock_quantity: int | float | None = None
    stock_status: str = "instock"  # used when stock is not managed
    backorders: str = "no"
    low_stock_amount: int | None = None
    parent_id: int = 0
    slug: str = ""
    description: str = ""
    short_description: str = ""
    tax_status: str = "taxable"
    tax_class: str = ""
    weight: str = ""
    virtual: bool = False
    total_sales: int = 0
    attributes: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    variations: list[int] = field(default_factory=list)
    meta_data: list[Meta] = field(default_factory=list)
    menu_order: int = 0
    date_created: datetime | None = None
    date_modified: datetime | None = None


@dataclass
class OrderItem:
    """One order item row: a product line, shipping line, fee line, coupon line or tax line."""

    id: int
    kind: str  # line_item | shipping | fee | coupon | tax
    name: str = ""
    product_id: int = 0
    variation_id: int = 0
    quantity: int = 0
    tax_class: str = ""
    subtotal: Decimal = D0
    subtotal_tax: Decimal = D0
    total: Decimal = D0
    total_tax: Decimal = D0
    taxes_total: dict[int, Decimal] = field(default_factory=dict)
    taxes_subtotal: dict[int, Decimal] = field(default_factory=dict)
    sku: str | None = ""
    meta_data: list[Meta] = field(default_factory=list)
    parent_name: str | None = None
    # shipping
    method_id: str = ""
    instance_id: str = ""
    # fee
    tax_status: str = "taxable"
    # coupon
    code: str = ""
    discount: Decimal = D0
    discount_tax: Decimal = D0
    # tax
    rate_id: int = 0
    rate_code: str = ""
    label: str = ""
    compound: bool = False
    rate_percent: Decimal = D0
    tax_total: Decimal = D0
    shipping_tax_total: Decimal = D0


@dataclass
class Note:
    id: int
    order_id: int
    note: str
    author: str
    customer_note: bool
    date_created: datetime


@dataclass
class Refund:
    id: int
    order_id: int
    amount: Decimal
    reason: str
    refunded_by: int
    refunded_payment: bool
    date_created: datetime
    items: list[OrderItem] = field(default_factory=list)
    meta_data: list[Meta] = field(default_factory=list)


@dataclass
class Order:
    id: int
    number: str
    order_key: str
    status: str = "pending"
    currency: str = "USD"
    parent_id: int = 0
    created_via: str = "checkout"
    version: str = ""
    prices_include_tax: bool = False
    customer_id: int = 0
    customer_ip_address: str = ""
    customer_user_agent: str = ""
    customer_note: str = ""
    billing: dict[str, str] = field(default_factory=dict)
    shipping: dict[str, str] = field(default_factory=dict)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    cart_hash: str = ""
    date_created: datetime | None = None
    date_modified: datetime | None = None
    date_paid: datetime | None = None
    date_completed: datetime | None = None
    meta_data: list[Meta] = field(default_factory=list)
    items: list[OrderItem] = field(default_factory=list)
    refund_ids: list[int] = field(default_factory=list)
    discount_total: Decimal = D0
    discount_tax: Decimal = D0
    shipping_total: Decimal = D0
    shipping_tax: Decimal = D0
    cart_tax: Decimal = D0
    total: Decimal = D0
    total_tax: Decimal = D0
    stock_reduced: bool = False
    status_before_trash: str = ""

    def lines(self, kind: str) -> list[OrderItem]:
        return [i for i in self.items if i.kind == kind]

    def item(self, item_id: int) -> OrderItem | None:
        return next((i for i in self.items if i.id == item_id), None)


@dataclass
class Webhook:
    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    user_id: int = 1
    api_version: int = 3
    failure_count: int = 0
    pending_delivery: bool = True
    date_created: datetime | None = None
    date_modified: datetime | None = None

    @property
    def resource(self) -> str:
        return self.topic.split(".", 1)[0]

    @property
    def event(self) -> str:
        return self.topic.split(".", 1)[1] if "." in self.topic else ""


@dataclass
class ApiKey:
    consumer_key: str
    consumer_secret: str
    permissions: str = "read_write"  # read | write | read_write
    user_id: int = 1
