"""Canonical model shared by every adapter and flow.

Pure data: no I/O, no clock, no environment. Every model is a frozen pydantic v2 model.

Money is always :class:`decimal.Decimal`:

* :func:`to_money` converts wire values without binary-float surprises (strings exactly,
  floats through ``str()``, so ``0.1`` becomes ``Decimal("0.1")``).
* :func:`round_money` rounds the ERP's way. Business Central rounds amounts with
  ``ROUND(x, precision, '=')``, i.e. to the nearest with halves away from zero, which is
  Python's ``ROUND_HALF_UP`` (``ROUND_HALF_UP`` in :mod:`decimal` rounds halves away from zero,
  also for negative numbers). The default precision is the BC "Amount Rounding Precision" of
  0.01; unit prices use "Unit-Amount Rounding Precision" 0.00001 (:data:`UNIT_PRICE_PLACES`).

Values keep the sign conventions of the *business* meaning, not of the wire:
refund amounts and refunded quantities are positive here although WooCommerce sends them negative.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, StrictBool

__all__ = [
    "MONEY_PLACES",
    "UNIT_PRICE_PLACES",
    "Address",
    "CouponLine",
    "Customer",
    "HoldCode",
    "HoldReason",
    "LineKind",
    "ManageStock",
    "MetaEntry",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Price",
    "Product",
    "Refund",
    "RefundLine",
    "RefundSummary",
    "Shipment",
    "ShipmentLine",
    "StockLevel",
    "currency_places",
    "round_money",
    "to_money",
]

MONEY_PLACES = 2
"""BC "Amount Rounding Precision" 0.01 (the default for LCY and most currencies)."""

UNIT_PRICE_PLACES = 5
"""BC "Unit-Amount Rounding Precision" 0.00001 (the default)."""

MoneyInput = str | int | float | Decimal

CURRENCY_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW"),
        0,
    ),
    **dict.fromkeys(
        ("PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
"""ISO 4217 minor units other than 2 (BC sets a currency's "Amount Rounding Precision" to match)."""


def currency_places(currency: str) -> int:
    """Decimals of the currency's minor unit: 0 for JPY, 3 for KWD/BHD, else 2 (ISO 4217)."""
    return CURRENCY_MINOR_UNITS.get(currency.strip().upper(), MONEY_PLACES)


def to_money(value: MoneyInput) -> Decimal:
    """Convert a wire value to an exact :class:`Decimal`.

    Strings are parsed exactly (surrounding whitespace ignored), ints exactly, floats through
    ``str()`` so the shortest decimal representation is used (``0.1`` → ``Decimal("0.1")``, not
    ``0.1000000000000000055…``). ``bool``, empty strings, NaN and infinities raise ``ValueError``.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a money amount: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("not a money amount: empty string")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a money amount: {value!r}") from None
    else:
        raise ValueError(f"not a money amount: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a money amount: {value!r}")
    return result


def round_money(value: Decimal, places: int = MONEY_PLACES) -> Decimal:
    """Round like Business Central: to ``places`` decimals, halves away from zero (ROUND_HALF_UP).

    ``round_money(Decimal("2.675")) == Decimal("2.68")``, ``round_money(Decimal("-2.675")) ==
    Decimal("-2.68")``. The result always has exactly ``places`` decimals.
    """
    if places < 0:
        raise ValueError("places must be >= 0")
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


_FROZEN = ConfigDict(frozen=True, extra="forbid")


class OrderStatus(StrEnum):
    """WooCommerce core order statuses. ``Order.status`` is a plain ``str`` because plugins add more."""

    PENDING = "pending"
    PROCESSING = "processing"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FAILED = "failed"
    CHECKOUT_DRAFT = "checkout-draft"
    TRASH = "trash"
    AUTO_DRAFT = "auto-draft"


class LineKind(StrEnum):
    ITEM = "item"
    SHIPPING = "shipping"
    FEE = "fee"


class MetaEntry(BaseModel):
    """One ``meta_data`` entry (order or line)."""

    model_config = _FROZEN

    key: str
    value: Any = None
    display_key: str | None = None
    display_value: Any = None


class Address(BaseModel):
    """A postal address as WooCommerce holds it (billing has email, both may have phone)."""

    model_config = _FROZEN

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name.strip(), self.last_name.strip()) if part)

    @property
    def is_empty(self) -> bool:
        """True when no postal part is filled in (virtual orders have an empty shipping address)."""
        return not any(
            part.strip() for part in (self.address_1, self.address_2, self.city, self.postcode, self.country)
        )


class Customer(BaseModel):
    """The buyer. ``woo_customer_id`` is None for guest checkouts."""

    model_config = _FROZEN

    woo_customer_id: int | None = None
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    billing: Address = Address()
    meta: tuple[MetaEntry, ...] = ()
    """The checkout's ``meta_data`` (custom checkout fields such as a VAT number), for mapped customer fields."""

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name.strip(), self.last_name.strip()) if part)

    @property
    def is_guest(self) -> bool:
        return self.woo_customer_id is None


class OrderLine(BaseModel):
    """One order line: a product line, a shipping line or a fee line.

    Amounts are as WooCommerce stores them: ``subtotal``/``total`` **exclude tax** even when
    the store enters prices including tax (``Order.prices_include_tax``); the tax is in
    ``subtotal_tax``/``total_tax``. ``subtotal`` is before coupons, ``total`` after coupons.
    A negative fee is a discount. Shipping and fee lines have quantity 1 and no product.
    """

    model_config = _FROZEN

    kind: LineKind
    woo_item_id: int
    name: str = ""
    sku: str | None = None
    product_id: int | None = None
    variation_id: int | None = None
    parent_name: str | None = None
    quantity: Decimal = Decimal(1)
    subtotal: Decimal = Decimal(0)
    subtotal_tax: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    total_tax: Decimal = Decimal(0)
    tax_class: str = ""
    method_id: str | None = None
    meta: tuple[MetaEntry, ...] = ()

    @property
    def unit_price(self) -> Decimal:
        """Price per unit before coupons, excluding tax (not rounded)."""
        if self.quantity == 0:
            return self.subtotal
        return self.subtotal / self.quantity

    @property
    def discount_amount(self) -> Decimal:
        """Coupon discount on this line, excluding tax (``subtotal - total``)."""
        return self.subtotal - self.total

    @property
    def is_variation(self) -> bool:
        return self.variation_id is not None

    @property
    def sku_or_none(self) -> str | None:
        """The SKU stripped, or None when missing or blank (deleted product, no SKU set)."""
        if self.sku is None:
            return None
        stripped = self.sku.strip()
        return stripped or None


class CouponLine(BaseModel):
    model_config = _FROZEN

    woo_item_id: int
    code: str
    discount: Decimal = Decimal(0)
    discount_tax: Decimal = Decimal(0)


class RefundSummary(BaseModel):
    """An entry of ``order.refunds[]``; ``amount`` is positive (Woo sends ``"-10.00"``)."""

    model_config = _FROZEN

    woo_refund_id: int
    amount: Decimal
    reason: str = ""


class Order(BaseModel):
    """A WooCommerce order in canonical form. Totals are Woo's, not recomputed."""

    model_config = _FROZEN

    store: str
    woo_order_id: int
    number: str
    status: str
    currency: str
    prices_include_tax: bool = False
    created_at: AwareDatetime
    modified_at: AwareDatetime | None = None
    paid_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    customer: Customer
    billing: Address
    shipping: Address
    lines: tuple[OrderLine, ...]
    shipping_lines: tuple[OrderLine, ...] = ()
    fee_lines: tuple[OrderLine, ...] = ()
    coupons: tuple[CouponLine, ...] = ()
    refunds: tuple[RefundSummary, ...] = ()
    discount_total: Decimal = Decimal(0)
    discount_tax: Decimal = Decimal(0)
    shipping_total: Decimal = Decimal(0)
    shipping_tax: Decimal = Decimal(0)
    cart_tax: Decimal = Decimal(0)
    total_tax: Decimal = Decimal(0)
    total: Decimal
    customer_note: str = ""
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    meta: tuple[MetaEntry, ...] = ()
    document_prefix: str = ""
    """The store's prefix before the order number in the ERP (stores sharing an ERP connection differ)."""

    @property
    def external_number(self) -> str:
        """What the ERP document carries as its external number: the idempotency key of the order."""
        return external_document_number(self.number, self.document_prefix)

    @property
    def coupon_codes(self) -> tuple[str, ...]:
        return tuple(coupon.code for coupon in self.coupons)

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None or self.status in (OrderStatus.PROCESSING, OrderStatus.COMPLETED)

    @property
    def refunded_total(self) -> Decimal:
        return sum((refund.amount for refund in self.refunds), Decimal(0))

    @property
    def all_lines(self) -> tuple[OrderLine, ...]:
        return self.lines + self.shipping_lines + self.fee_lines

    def meta_value(self, key: str, default: Any = None) -> Any:
        """The value of the first order meta entry with ``key``."""
        for entry in self.meta:
            if entry.key == key:
                return entry.value
        return default

    def line_by_item_id(self, woo_item_id: int) -> OrderLine | None:
        for line in self.all_lines:
            if line.woo_item_id == woo_item_id:
                return line
        return None


def external_document_number(order_number: str, prefix: str = "") -> str:
    """The order's number in the ERP: the store's prefix and the Woo order number."""
    return f"{prefix}{order_number.strip()}"


def credit_memo_number(external_number: str, refund_id: int | str) -> str:
    """The credit memo's external number: the order's, and the Woo refund id (the refund's idempotency key)."""
    return f"{external_number}-R{refund_id}"


class RefundLine(BaseModel):
    """A refunded product line. Quantity and amounts are positive (Woo sends them negative)."""

    model_config = _FROZEN

    original_item_id: int | None
    name: str = ""
    sku: str | None = None
    product_id: int | None = None
    variation_id: int | None = None
    quantity: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    total_tax: Decimal = Decimal(0)


class Refund(BaseModel):
    model_config = _FROZEN

    woo_refund_id: int
    woo_order_id: int
    amount: Decimal
    reason: str = ""
    created_at: AwareDatetime
    refunded_payment: bool = False
    lines: tuple[RefundLine, ...] = ()
    shipping_amount: Decimal = Decimal(0)
    """Refunded shipping, positive, excluding tax."""
    fee_amount: Decimal = Decimal(0)
    """Refunded fees, positive, excluding tax (a refunded negative fee is negative)."""
    tax_amount: Decimal = Decimal(0)
    """Refunded tax over all refunded lines, positive."""

    @property
    def is_amount_only(self) -> bool:
        """True for a manual refund with no lines (money back without returned goods)."""
        return not self.lines and self.shipping_amount == 0 and self.fee_amount == 0


ManageStock = StrictBool | Literal["parent"]


class Product(BaseModel):
    """A Woo product or variation as far as stock and price sync need it.

    ``manage_stock == "parent"``: a variation whose stock lives on its parent; its
    ``stock_quantity`` shows the parent's stock and writes must go to the parent
    (:attr:`stock_owner_id`).
    """

    model_config = _FROZEN

    woo_product_id: int
    parent_id: int | None = None
    sku: str | None = None
    name: str = ""
    type: str = "simple"
    status: str = "publish"
    manage_stock: ManageStock = False
    stock_quantity: Decimal | None = None
    stock_status: str = ""
    regular_price: Decimal | None = None
    sale_price: Decimal | None = None
    modified_at: AwareDatetime | None = None

    @property
    def is_variation(self) -> bool:
        return self.parent_id is not None

    @property
    def stock_owner_id(self) -> int:
        """The product whose stock a write must change (the parent when managed there)."""
        if self.manage_stock == "parent" and self.parent_id is not None:
            return self.parent_id
        return self.woo_product_id


class StockLevel(BaseModel):
    """Available-to-sell quantity of one SKU (ERP side, before any buffer)."""

    model_config = _FROZEN

    sku: str
    quantity: Decimal
    as_of: AwareDatetime | None = None


class Price(BaseModel):
    """ERP master price of one SKU. ``sale_price`` None means no sale price."""

    model_config = _FROZEN

    sku: str
    regular_price: Decimal
    sale_price: Decimal | None = None


class ShipmentLine(BaseModel):
    model_config = _FROZEN

    sku: str
    """The ERP item number (map back to a Woo SKU through the SKU map where they differ)."""
    quantity: Decimal
    description: str = ""


class Shipment(BaseModel):
    """A posted ERP shipment, to be written back to Woo (order completed + tracking note)."""

    model_config = _FROZEN

    erp_shipment_number: str
    order_number: str
    """The Woo order number, i.e. the ERP document's external document number."""
    erp_order_number: str = ""
    lines: tuple[ShipmentLine, ...] = ()
    posting_date: date | None = None
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    partial: bool = False
    modified_at: datetime | None = None


class HoldCode(StrEnum):
    """Data-fixable problems: the order is held (not poisoned) until someone fixes the data."""

    MISSING_SKU = "missing_sku"
    UNKNOWN_SKU = "unknown_sku"
    VARIATION_WITHOUT_SKU = "variation_without_sku"
    SHARED_VARIATION_SKU = "shared_variation_sku"
    BLOCKED_CUSTOMER = "blocked_customer"
    CURRENCY_NOT_SET_UP = "currency_not_set_up"
    SKU_TOO_LONG = "sku_too_long"
    OTHER = "other"


class HoldReason(BaseModel):
    """Why an order is held, with a message an operator can act on.

    ``subject`` names the offending thing (a SKU, a customer number, a currency code);
    ``woo_item_id`` the order line when there is one.
    """

    model_config = _FROZEN

    code: HoldCode
    message: str
    subject: str = ""
    woo_item_id: int | None = None

    def __str__(self) -> str:
        return self.message

    @classmethod
    def missing_sku(cls, line: OrderLine) -> HoldReason:
        return cls(
            code=HoldCode.MISSING_SKU,
            message=(
                f"Line '{line.name}' (order item {line.woo_item_id}, product {line.product_id}) has no SKU; "
                "set a SKU on the product in WooCommerce (or the product was deleted)."
            ),
            subject=f"product {line.product_id}",
            woo_item_id=line.woo_item_id,
        )

    @classmethod
    def unknown_sku(cls, sku: str, line: OrderLine, erp_key: str | None = None) -> HoldReason:
        mapped = f" (mapped to '{erp_key}')" if erp_key and erp_key.upper() != sku.strip().upper() else ""
        return cls(
            code=HoldCode.UNKNOWN_SKU,
            message=(
                f"Unknown SKU '{sku}'{mapped} on line '{line.name}' (order item {line.woo_item_id}): "
                "no ERP item with that number; create the item or add a SKU mapping."
            ),
            subject=sku,
            woo_item_id=line.woo_item_id,
        )

    @classmethod
    def sku_too_long(cls, sku: str, line_name: str, woo_item_id: int | None, max_length: int) -> HoldReason:
        """A SKU no ERP item number can equal (BC item numbers are Code20): only a mapping helps."""
        where = f" on line '{line_name}' (order item {woo_item_id})" if woo_item_id is not None else ""
        return cls(
            code=HoldCode.SKU_TOO_LONG,
            message=(
                f"SKU '{sku}'{where} has {len(sku)} characters; an ERP item number has at most {max_length}, "
                "so no item can have it: map the SKU to an ERP item number (SKU mapping)."
            ),
            subject=sku,
            woo_item_id=woo_item_id,
        )

    @classmethod
    def variation_without_sku(cls, line: OrderLine) -> HoldReason:
        return cls(
            code=HoldCode.VARIATION_WITHOUT_SKU,
            message=(
                f"Variation {line.variation_id} of product {line.product_id} on line '{line.name}' "
                f"(order item {line.woo_item_id}) has no SKU of its own; give the variation its own SKU."
            ),
            subject=f"variation {line.variation_id}",
            woo_item_id=line.woo_item_id,
        )

    @classmethod
    def shared_variation_sku(cls, sku: str, line: OrderLine) -> HoldReason:
        return cls(
            code=HoldCode.SHARED_VARIATION_SKU,
            message=(
                f"Variation {line.variation_id} on line '{line.name}' (order item {line.woo_item_id}) "
                f"shares SKU '{sku}' with its parent product or another variation; "
                "give each variation its own SKU."
            ),
            subject=sku,
            woo_item_id=line.woo_item_id,
        )

    @classmethod
    def blocked_customer(cls, customer_number: str, blocked: str = "") -> HoldReason:
        how = f" ({blocked})" if blocked else ""
        return cls(
            code=HoldCode.BLOCKED_CUSTOMER,
            message=(f"ERP customer '{customer_number}' is blocked{how}; unblock it or assign another customer."),
            subject=customer_number,
        )

    @classmethod
    def currency_not_set_up(cls, currency: str) -> HoldReason:
        return cls(
            code=HoldCode.CURRENCY_NOT_SET_UP,
            message=f"Currency '{currency}' is not set up in the ERP; add it (with exchange rates).",
            subject=currency,
        )
