"""WooCommerce REST v3 / webhook JSON → canonical model. Pure, no I/O.

Value formats (facts/woocommerce.md §2.4–2.6): money totals are dp-formatted strings, line
``price`` is a JSON number, ``taxes[]`` and coupon ``discount`` are raw strings, ``number`` is a
string, ``date_*_gmt`` are naive UTC timestamps, refunds carry negative quantities and totals.

Malformed or partial input raises :class:`WooPayloadError` whose message names the offending
field (``order 727: line_items[1].total: …``). Error objects that WooCommerce delivers in place
of a resource (``{"code": …, "message": …}``) are recognised by :func:`is_error_object`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shared.model import (
    Address,
    CouponLine,
    Customer,
    LineKind,
    ManageStock,
    MetaEntry,
    Order,
    OrderLine,
    Product,
    Refund,
    RefundLine,
    RefundSummary,
    to_money,
)

__all__ = [
    "IGNORED_ORDER_STATUSES",
    "WooPayloadError",
    "is_deleted_object",
    "is_error_object",
    "order_from_woo",
    "parse_woo_datetime",
    "product_stock_from_woo",
    "products_stock_from_woo",
    "refund_from_woo",
    "refunds_from_woo",
    "woo_order_fingerprint",
]

IGNORED_ORDER_STATUSES = frozenset({"checkout-draft", "auto-draft"})
"""Statuses of orders that are not real orders yet (block checkout drafts); flows skip them."""

_REFUNDED_ITEM_KEY = "_refunded_item_id"
_ORDER_ID_IN_HREF = re.compile(r"/orders/(\d+)/?$")
_PRODUCT_ID_IN_HREF = re.compile(r"/products/(\d+)/?$")


class WooPayloadError(ValueError):
    """A WooCommerce payload is malformed, partial or an error object (answer 400 / do not retry)."""


def is_error_object(payload: object) -> bool:
    """True for a WP/WC REST error object delivered as a payload: has ``code``, has no ``id``.

    (Coupons have both ``code`` and ``id``, so a ``code`` alone is not enough.)
    """
    return isinstance(payload, Mapping) and "code" in payload and "id" not in payload


def is_deleted_object(payload: object) -> bool:
    """True for the body of a ``*.deleted`` webhook: only ``{"id": <id>}``."""
    return isinstance(payload, Mapping) and set(payload) == {"id"}


def parse_woo_datetime(value: object) -> datetime | None:
    """Parse a Woo timestamp to an aware UTC datetime.

    Naive values are taken as UTC, so pass the ``*_gmt`` fields. None and "" give None;
    anything else unparsable raises ``ValueError``.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class _Reader:
    """Typed, path-aware access to one JSON object; every failure is a WooPayloadError."""

    def __init__(self, data: object, path: str, context: str) -> None:
        if not isinstance(data, Mapping):
            raise WooPayloadError(f"{context}: {path or 'payload'}: expected a JSON object, got {_kind(data)}")
        self.data: Mapping[str, Any] = data
        self.path = path
        self.context = context

    def fail(self, key: str, problem: str) -> WooPayloadError:
        where = f"{self.path}.{key}" if self.path else key
        return WooPayloadError(f"{self.context}: {where}: {problem}")

    def int_(self, key: str, *, required: bool = True, zero_is_none: bool = False) -> int | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(key, "missing")
            return None
        if isinstance(value, bool):
            raise self.fail(key, f"expected an integer, got {value!r}")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            raise self.fail(key, f"expected an integer, got {value!r}")
        if zero_is_none and number == 0:
            return None
        return number

    def req_int(self, key: str) -> int:
        value = self.int_(key, required=True)
        assert value is not None
        return value

    def str_(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(key, f"expected a string, got {_kind(value)}")
        return str(value)

    def opt_str(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        return self.str_(key)

    def money(self, key: str, *, required: bool = False) -> Decimal:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(key, "missing money amount")
            return Decimal(0)
        try:
            return to_money(value)
        except ValueError:
            raise self.fail(key, f"expected a money amount, got {value!r}") from None

    def opt_money(self, key: str) -> Decimal | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        return self.money(key)

    def bool_(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        raise self.fail(key, f"expected true or false, got {value!r}")

    def datetime_(self, key: str, *, required: bool = False) -> datetime | None:
        """Read ``<key>_gmt`` (naive UTC); fall back to ``<key>`` only when it carries an offset."""
        gmt_key = f"{key}_gmt"
        try:
            parsed = parse_woo_datetime(self.data.get(gmt_key))
            if parsed is None:
                local = parse_woo_datetime(self.data.get(key))
                raw_local = self.data.get(key)
                if local is not None and isinstance(raw_local, str) and _has_offset(raw_local):
                    parsed = local
        except ValueError as exc:
            raise self.fail(gmt_key, str(exc)) from None
        if parsed is None and required:
            raise self.fail(gmt_key, "missing timestamp")
        return parsed

    def obj(self, key: str, *, required: bool = False) -> _Reader:
        value = self.data.get(key)
        where = f"{self.path}.{key}" if self.path else key
        if value is None:
            if required:
                raise self.fail(key, "missing")
            value = {}
        return _Reader(value, where, self.context)

    def items(self, key: str, *, required: bool = False) -> list[_Reader]:
        value = self.data.get(key)
        where = f"{self.path}.{key}" if self.path else key
        if value is None:
            if required:
                raise self.fail(key, "missing")
            return []
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {_kind(value)}")
        return [_Reader(item, f"{where}[{index}]", self.context) for index, item in enumerate(value)]

    def meta(self, key: str = "meta_data") -> tuple[MetaEntry, ...]:
        entries = []
        for entry in self.items(key):
            meta_key = entry.data.get("key")
            if not isinstance(meta_key, str):
                continue
            entries.append(
                MetaEntry(
                    key=meta_key,
                    value=entry.data.get("value"),
                    display_key=entry.opt_str("display_key"),
                    display_value=entry.data.get("display_value"),
                )
            )
        return tuple(entries)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"[:80]


def _has_offset(text: str) -> bool:
    return text.endswith(("Z", "z")) or bool(re.search(r"[+-]\d\d:?\d\d$", text))


def _check_resource(payload: object, what: str) -> None:
    if is_error_object(payload):
        assert isinstance(payload, Mapping)
        raise WooPayloadError(
            f"{what}: WooCommerce sent an error object instead of the resource: "
            f"code={payload.get('code')!r} message={payload.get('message')!r}"
        )
    if not isinstance(payload, Mapping):
        raise WooPayloadError(f"{what}: expected a JSON object, got {_kind(payload)}")
    if "id" not in payload:
        if len(payload) == 1 and isinstance(next(iter(payload.values())), Mapping):
            raise WooPayloadError(
                f"{what}: legacy wrapped payload {{{next(iter(payload))!r}: …}} is not supported; "
                "use webhooks with API version wp_api_v3"
            )
        raise WooPayloadError(f"{what}: missing id")
    if is_deleted_object(payload):
        raise WooPayloadError(f"{what} {payload['id']}: only an id (a *.deleted payload), not the resource")


# --------------------------------------------------------------------------------------------- orders


def _address(reader: _Reader) -> Address:
    return Address(
        first_name=reader.str_("first_name"),
        last_name=reader.str_("last_name"),
        company=reader.str_("company"),
        address_1=reader.str_("address_1"),
        address_2=reader.str_("address_2"),
        city=reader.str_("city"),
        state=reader.str_("state"),
        postcode=reader.str_("postcode"),
        country=reader.str_("country"),
        email=reader.str_("email"),
        phone=reader.str_("phone"),
    )


def _item_line(line: _Reader) -> OrderLine:
    quantity = line.money("quantity", required=True)
    return OrderLine(
        kind=LineKind.ITEM,
        woo_item_id=line.req_int("id"),
        name=line.str_("name"),
        sku=line.opt_str("sku"),
        product_id=line.int_("product_id", required=False, zero_is_none=True),
        variation_id=line.int_("variation_id", required=False, zero_is_none=True),
        parent_name=line.opt_str("parent_name") or None,
        quantity=quantity,
        subtotal=line.money("subtotal", required=True),
        subtotal_tax=line.money("subtotal_tax"),
        total=line.money("total", required=True),
        total_tax=line.money("total_tax"),
        tax_class=line.str_("tax_class"),
        meta=line.meta(),
    )


def _shipping_line(line: _Reader) -> OrderLine:
    total = line.money("total", required=True)
    return OrderLine(
        kind=LineKind.SHIPPING,
        woo_item_id=line.req_int("id"),
        name=line.str_("method_title"),
        quantity=Decimal(1),
        subtotal=total,
        total=total,
        subtotal_tax=line.money("total_tax"),
        total_tax=line.money("total_tax"),
        method_id=line.opt_str("method_id"),
        meta=line.meta(),
    )


def _fee_line(line: _Reader) -> OrderLine:
    total = line.money("total", required=True)
    return OrderLine(
        kind=LineKind.FEE,
        woo_item_id=line.req_int("id"),
        name=line.str_("name"),
        quantity=Decimal(1),
        subtotal=total,
        total=total,
        subtotal_tax=line.money("total_tax"),
        total_tax=line.money("total_tax"),
        tax_class=line.str_("tax_class"),
        meta=line.meta(),
    )


def _refund_summary(entry: _Reader) -> RefundSummary:
    # The docs sample misspells "reason" as "refund"; the code uses "reason".
    reason = entry.str_("reason") or entry.str_("refund")
    return RefundSummary(
        woo_refund_id=entry.req_int("id"), amount=abs(entry.money("total", required=True)), reason=reason
    )


def order_from_woo(payload: Mapping[str, Any], store: str) -> Order:
    """Map a Woo order (REST v3 object or webhook body) to :class:`Order`.

    Raises :class:`WooPayloadError` for error objects, ``{"id": N}`` delete bodies and any
    missing or mistyped field the model needs (id, number, status, currency, dates, totals,
    ``line_items``). Extra keys (plugins, ``_links``) are ignored.
    """
    _check_resource(payload, "order")
    root = _Reader(payload, "", f"order {payload.get('id')!r}")
    woo_order_id = root.req_int("id")
    number = root.str_("number") or str(woo_order_id)
    status = root.str_("status")
    if not status:
        raise root.fail("status", "missing")
    currency = root.str_("currency").strip().upper()
    if not currency:
        raise root.fail("currency", "missing")
    created_at = root.datetime_("date_created", required=True)
    assert created_at is not None
    billing = _address(root.obj("billing"))
    shipping = _address(root.obj("shipping"))
    customer = Customer(
        woo_customer_id=root.int_("customer_id", required=False, zero_is_none=True),
        email=billing.email.strip(),
        phone=billing.phone.strip(),
        first_name=billing.first_name,
        last_name=billing.last_name,
        company=billing.company,
        billing=billing,
        meta=root.meta(),
    )
    coupons = tuple(
        CouponLine(
            woo_item_id=coupon.req_int("id"),
            code=coupon.str_("code"),
            discount=coupon.money("discount"),
            discount_tax=coupon.money("discount_tax"),
        )
        for coupon in root.items("coupon_lines")
    )
    return Order(
        store=store,
        woo_order_id=woo_order_id,
        number=number,
        status=status,
        currency=currency,
        prices_include_tax=root.bool_("prices_include_tax"),
        created_at=created_at,
        modified_at=root.datetime_("date_modified"),
        paid_at=root.datetime_("date_paid"),
        completed_at=root.datetime_("date_completed"),
        customer=customer,
        billing=billing,
        shipping=shipping,
        lines=tuple(_item_line(line) for line in root.items("line_items", required=True)),
        shipping_lines=tuple(_shipping_line(line) for line in root.items("shipping_lines")),
        fee_lines=tuple(_fee_line(line) for line in root.items("fee_lines")),
        coupons=coupons,
        refunds=tuple(_refund_summary(entry) for entry in root.items("refunds")),
        discount_total=root.money("discount_total"),
        discount_tax=root.money("discount_tax"),
        shipping_total=root.money("shipping_total"),
        shipping_tax=root.money("shipping_tax"),
        cart_tax=root.money("cart_tax"),
        total_tax=root.money("total_tax"),
        total=root.money("total", required=True),
        customer_note=root.str_("customer_note"),
        payment_method=root.str_("payment_method"),
        payment_method_title=root.str_("payment_method_title"),
        transaction_id=root.str_("transaction_id"),
        meta=root.meta(),
    )


# -------------------------------------------------------------------------------------------- refunds


def _up_link_id(root: _Reader, pattern: re.Pattern[str]) -> int | None:
    """The id in the ``_links.up`` href (``…/orders/723``, ``…/products/22``), if any."""
    links = root.data.get("_links")
    if isinstance(links, Mapping):
        for link in links.get("up") or []:
            href = link.get("href") if isinstance(link, Mapping) else None
            match = pattern.search(href) if isinstance(href, str) else None
            if match:
                return int(match.group(1))
    return None


def _refund_order_id(root: _Reader, order_id: int | None) -> int:
    if order_id is not None:
        return order_id
    parent = root.int_("parent_id", required=False, zero_is_none=True)
    if parent is None:
        parent = _up_link_id(root, _ORDER_ID_IN_HREF)
    if parent is not None:
        return parent
    raise root.fail("parent_id", "cannot tell which order this refund belongs to (no parent_id, no _links.up)")


def _refunded_item_id(line: _Reader) -> int | None:
    for entry in line.meta():
        if entry.key == _REFUNDED_ITEM_KEY:
            try:
                return int(str(entry.value).strip())
            except ValueError:
                raise line.fail("meta_data", f"bad {_REFUNDED_ITEM_KEY} {entry.value!r}") from None
    return None


def refund_from_woo(payload: Mapping[str, Any], order_id: int | None = None) -> Refund:
    """Map a Woo refund object to :class:`Refund` (amounts and quantities made positive).

    ``order_id`` is needed for ``/orders/{id}/refunds`` objects that do not link back to the
    order; otherwise it is taken from ``parent_id`` (``/refunds``) or ``_links.up``.
    """
    _check_resource(payload, "refund")
    root = _Reader(payload, "", f"refund {payload.get('id')!r}")
    created_at = root.datetime_("date_created", required=True)
    assert created_at is not None
    lines = []
    tax = Decimal(0)
    for line in root.items("line_items"):
        tax += line.money("total_tax")
        lines.append(
            RefundLine(
                original_item_id=_refunded_item_id(line),
                name=line.str_("name"),
                sku=line.opt_str("sku"),
                product_id=line.int_("product_id", required=False, zero_is_none=True),
                variation_id=line.int_("variation_id", required=False, zero_is_none=True),
                quantity=abs(line.money("quantity")),
                total=-line.money("total"),
                total_tax=-line.money("total_tax"),
            )
        )
    shipping = Decimal(0)
    for line in root.items("shipping_lines"):
        shipping -= line.money("total")
        tax += line.money("total_tax")
    fees = Decimal(0)
    for line in root.items("fee_lines"):
        fees -= line.money("total")
        tax += line.money("total_tax")
    return Refund(
        woo_refund_id=root.req_int("id"),
        woo_order_id=_refund_order_id(root, order_id),
        amount=abs(root.money("amount", required=True)),
        reason=root.str_("reason"),
        created_at=created_at,
        refunded_payment=root.bool_("refunded_payment"),
        lines=tuple(lines),
        shipping_amount=shipping,
        fee_amount=fees,
        tax_amount=-tax,
    )


def refunds_from_woo(payload: Iterable[Mapping[str, Any]], order_id: int | None = None) -> list[Refund]:
    """Map a refunds list (``/orders/{id}/refunds`` or ``/refunds``)."""
    if not isinstance(payload, list):
        raise WooPayloadError(f"refunds: expected a list, got {_kind(payload)}")
    return [refund_from_woo(item, order_id) for item in payload]


# ------------------------------------------------------------------------------------------- products


def _manage_stock(root: _Reader) -> ManageStock:
    value = root.data.get("manage_stock")
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if value == "parent":
        return "parent"
    raise root.fail("manage_stock", f"expected true, false or 'parent', got {value!r}")


def product_stock_from_woo(payload: Mapping[str, Any], parent_id: int | None = None) -> Product:
    """Map a Woo product or variation object to :class:`Product` (stock and price fields).

    A variation's parent is ``parent_id`` (argument, else the field, else ``_links.up`` of
    ``/products/{parent}/variations/{id}`` objects, which older versions return without it).
    """
    _check_resource(payload, "product")
    root = _Reader(payload, "", f"product {payload.get('id')!r}")
    if parent_id is None:
        parent_id = root.int_("parent_id", required=False, zero_is_none=True)
    if parent_id is None:
        parent_id = _up_link_id(root, _PRODUCT_ID_IN_HREF)
    return Product(
        woo_product_id=root.req_int("id"),
        parent_id=parent_id,
        sku=root.opt_str("sku"),
        name=root.str_("name"),
        type=root.str_("type", "variation" if parent_id is not None else "simple"),
        status=root.str_("status", "publish"),
        manage_stock=_manage_stock(root),
        stock_quantity=root.opt_money("stock_quantity"),
        stock_status=root.str_("stock_status"),
        regular_price=root.opt_money("regular_price"),
        sale_price=root.opt_money("sale_price"),
        modified_at=root.datetime_("date_modified"),
    )


def products_stock_from_woo(payload: Iterable[Mapping[str, Any]]) -> list[Product]:
    """Map a products or variations list."""
    if not isinstance(payload, list):
        raise WooPayloadError(f"products: expected a list, got {_kind(payload)}")
    return [product_stock_from_woo(item) for item in payload]


# ---------------------------------------------------------------------------------------- fingerprint

_ADDRESS_KEYS = (
    "first_name", "last_name", "company", "address_1", "address_2",
    "city", "state", "postcode", "country", "email", "phone",
)  # fmt: skip
_ORDER_MONEY_KEYS = (
    "discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax", "total_tax", "total",
)  # fmt: skip
_LINE_KEYS: dict[str, tuple[str, ...]] = {
    "line_items": (
        "id", "product_id", "variation_id", "sku", "quantity", "subtotal", "subtotal_tax", "total", "total_tax",
        "tax_class",
    ),
    "shipping_lines": ("id", "method_id", "method_title", "total", "total_tax"),
    "fee_lines": ("id", "name", "tax_class", "total", "total_tax"),
    "coupon_lines": ("id", "code", "discount", "discount_tax"),
}  # fmt: skip
_MONEY_LIKE = frozenset(
    {"quantity", "subtotal", "subtotal_tax", "total", "total_tax", "discount", "discount_tax", *_ORDER_MONEY_KEYS}
)


def _canonical(key: str, value: object) -> object:
    if key in _MONEY_LIKE and value is not None and value != "":
        try:
            return format(to_money(value).normalize(), "f")  # type: ignore[arg-type]
        except ValueError:
            return str(value)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


def woo_order_fingerprint(payload: Mapping[str, Any]) -> str:
    """A stable SHA-256 hex digest of the business content of an order payload.

    Covers status (``completed`` counts as ``processing``: fulfilment is not an edit), currency, tax mode,
    customer, billing and shipping addresses, note, payment method, every line (items, shipping, fees,
    coupons) and the totals. It ignores
    ``date_modified``, ``_links``, meta data, refunds and key order, and money formatting
    (``"10"`` and ``"10.00"`` hash the same). Lines are sorted by id. Tolerates partial payloads.
    """
    data: dict[str, Any] = {
        key: _canonical(key, payload.get(key))
        for key in ("status", "currency", "prices_include_tax", "customer_id", "customer_note",
                    "payment_method", *_ORDER_MONEY_KEYS)
    }  # fmt: skip
    # Fulfilment is not an edit: completing a paid order (the shipment flow does) hashes like processing.
    if data["status"] == "completed":
        data["status"] = "processing"
    for address_key in ("billing", "shipping"):
        address = payload.get(address_key)
        address = address if isinstance(address, Mapping) else {}
        data[address_key] = {key: _canonical(key, address.get(key)) for key in _ADDRESS_KEYS}
    for list_key, keys in _LINE_KEYS.items():
        raw = payload.get(list_key)
        rows = [
            {key: _canonical(key, row.get(key)) for key in keys}
            for row in (raw if isinstance(raw, list) else [])
            if isinstance(row, Mapping)
        ]
        rows.sort(key=lambda row: json.dumps(row, sort_keys=True, default=str))
        data[list_key] = rows
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()
