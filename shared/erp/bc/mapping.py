"""Canonical model ⇄ Business Central API v2.0 JSON. Pure, no I/O.

Model → BC: :func:`customer_payload` (``customers`` POST body) and :func:`sales_document_payload`
(a deep-insert body for ``salesOrders`` with ``salesOrderLines`` or ``salesInvoices`` with
``salesInvoiceLines``). Every property emitted exists on the entity type in the BC API v2.0
``$metadata`` (checked by ``tests/unit/test_bc_mapping.py``); strings are cut to the lengths declared
there (:data:`MAX_LENGTH`).

BC → model: :func:`bc_customer_from_json`, :func:`bc_item_from_json`, :func:`bc_document_from_json`,
:func:`bc_shipment_from_json`.

Payloads hold :class:`~decimal.Decimal` numbers; serialise them with :func:`to_json_bytes` (exact JSON
numbers), not with ``json.dumps``/``httpx(json=…)``.

Amounts on lines
    Woo line amounts exclude tax, and every document is created with net amounts: ``pricesIncludeTax``
    is read-only on ``salesInvoices`` and ``salesCreditMemos`` (``Editable = false`` on the APIV2
    pages, see ``sandbox/bc/write_rules.py``) and BC refuses ``true`` on a sales order in a company
    that calculates US sales tax. So a sales order says ``pricesIncludeTax: false`` (the one value
    every company accepts) and invoices and credit memos do not send it; BC computes the tax itself
    from its tax setup. ``unitPrice`` is the pre-coupon amount per unit rounded *up* to BC's
    unit-amount precision (0.00001), and ``discountAmount`` (BC "Line Discount Amount") is
    ``round(quantity × unitPrice) − line total``, rounded to the currency's minor unit
    (:func:`~shared.model.currency_places`: 0 for JPY, 3 for KWD/BHD). So BC's line amount equals
    Woo's line total and the coupon discount shows as a line discount. Negative fees (discounts)
    become lines with a negative ``unitPrice``.

Item numbers
    BC item numbers are Code20 fields, stored upper-case: a Woo SKU ``blue-mug`` is item ``BLUE-MUG``
    (:func:`erp_item_key`). A SKU longer than 20 characters cannot be an item number; it is held
    with :meth:`~shared.model.HoldReason.sku_too_long` (map it) and never looked up.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.erp import rules
from shared.erp.bc.schema import bc_target_schema
from shared.erp.port import DocumentKind, ErpCustomer, ErpDocument, ErpItem
from shared.erp.rules import expected_amount_excluding_tax, expected_total
from shared.mapping.apply import comment_texts, customer_fields, document_fields, line_fields
from shared.mapping.spec import MappingSpec, load_mapping
from shared.model import (
    Address,
    Customer,
    HoldReason,
    Order,
    OrderLine,
    Refund,
    Shipment,
    ShipmentLine,
    credit_memo_number,
    currency_places,
    round_money,
    to_money,
)

__all__ = [
    "DEFAULT_MAPPING_FILE",
    "EXTERNAL_DOCUMENT_NUMBER_MAX",
    "MAX_LENGTH",
    "BcCustomerOptions",
    "BcDocumentOptions",
    "BcItemRef",
    "BcLineType",
    "BcMappingError",
    "DocumentPlan",
    "ExternalDocumentNumberTooLong",
    "ItemNumberTooLong",
    "bc_credit_memo_number",
    "bc_customer_from_json",
    "bc_document_from_json",
    "bc_item_from_json",
    "bc_shipment_from_json",
    "can_be_item_number",
    "credit_memo_payload",
    "customer_payload",
    "default_mapping",
    "erp_item_key",
    "expected_amount_excluding_tax",
    "expected_line_amount_total",
    "expected_total",
    "json_ready",
    "normalise_text",
    "payload_line_amount_total",
    "refund_net_amount",
    "required_item_keys",
    "sales_document_payload",
    "split_comment",
    "to_json_bytes",
]

EXTERNAL_DOCUMENT_NUMBER_MAX = 35

MAX_LENGTH: Mapping[str, int] = {
    # customer (bc-api-v2.0-metadata.xml, EntityType customer)
    "displayName": 100,
    "addressLine1": 100,
    "addressLine2": 50,
    "city": 30,
    "state": 30,
    "country": 10,
    "postalCode": 20,
    "phoneNumber": 30,
    "email": 80,
    # salesOrder / salesInvoice headers
    "externalDocumentNumber": EXTERNAL_DOCUMENT_NUMBER_MAX,
    "shipToName": 100,
    "shipToContact": 100,
    "shipToAddressLine1": 100,
    "shipToAddressLine2": 50,
    "shipToCity": 30,
    "shipToState": 30,
    "shipToCountry": 10,
    "shipToPostCode": 20,
    "sellToAddressLine1": 100,
    "sellToAddressLine2": 50,
    "sellToCity": 30,
    "sellToState": 30,
    "sellToCountry": 10,
    "sellToPostCode": 20,
    # lines
    "lineObjectNumber": 20,
    "description": 100,
    "taxCode": 50,
}
"""BC string lengths (``MaxLength`` in ``$metadata``) for the properties this module writes."""

_BLANK_ENUM = frozenset({"", " ", "_x0020_"})
_ISO_COUNTRY = re.compile(r"^[A-Z]{2}$")
_NULL_DATE_PREFIX = "0001-01-01"


class BcMappingError(ValueError):
    """The order or BC JSON cannot be mapped (a configuration or contract problem, not a hold)."""


class ExternalDocumentNumberTooLong(BcMappingError):
    """The Woo order number does not fit BC's ``externalDocumentNumber`` (35 characters)."""


class ItemNumberTooLong(BcMappingError):
    """A refunded SKU cannot be an item number (more than 20 characters) and has no mapping."""

    def __init__(self, hold: HoldReason) -> None:
        super().__init__(hold.message)
        self.hold = hold


ITEM_NUMBER_MAX = 20
"""BC item numbers are Code20 (``lineObjectNumber`` MaxLength 20 in ``$metadata``)."""

DEFAULT_MAPPING_FILE = Path(__file__).with_name("default_mapping.yaml")
"""The mapping a BC connection uses when it names none: today's behaviour (README "Mapping your own fields")."""


@lru_cache(maxsize=1)
def default_mapping() -> MappingSpec:
    """The packaged default mapping (:data:`DEFAULT_MAPPING_FILE`), read once."""
    return load_mapping(DEFAULT_MAPPING_FILE)


class BcLineType(StrEnum):
    """``lineType`` values of salesOrderLine / salesInvoiceLine (enum ``invoiceLineAggLineType``)."""

    COMMENT = "Comment"
    ACCOUNT = "Account"
    ITEM = "Item"
    CHARGE = "Charge"


ChargeLineType = Literal["Account", "Charge", "Item"]
"""Line types a shipping or fee line can take (values of :class:`BcLineType`)."""


@dataclass(frozen=True, slots=True)
class BcItemRef:
    """The BC item (and variant) an order line resolves to."""

    number: str
    id: str | None = None
    variant_id: str | None = None

    @classmethod
    def from_item(cls, item: ErpItem, variant_id: str | None = None) -> BcItemRef:
        return cls(number=item.number, id=item.id or None, variant_id=variant_id)


_OPTIONS_CONFIG = ConfigDict(frozen=True, extra="forbid")


class BcDocumentOptions(BaseModel):
    """How Woo orders become BC sales documents (from configuration).

    ``sku_map`` maps a Woo SKU to the key of ``items_by_sku`` (normally the BC item number) when
    they differ; unmapped SKUs are used as they are. ``tax_code_map`` maps a Woo tax class
    (``""`` = standard) to a BC ``taxCode`` (US: tax group code; VAT: VAT product posting group).
    """

    model_config = _OPTIONS_CONFIG

    document_kind: DocumentKind = DocumentKind.SALES_ORDER
    """``salesOrder`` or ``salesInvoice``."""
    post_invoice: bool = False
    """Post a created sales invoice right away (``Microsoft.NAV.post``); ignored for orders."""
    local_currency: str = Field(min_length=3, max_length=3)
    shipping_line_type: ChargeLineType = "Account"
    shipping_number: str | None = Field(default=None, max_length=20)
    """G/L account number (Account), item charge number (Charge) or item number (Item) for shipping."""
    fee_line_type: ChargeLineType = "Account"
    fee_number: str | None = Field(default=None, max_length=20)
    discount_fee_number: str | None = Field(default=None, max_length=20)
    """Where negative fees (discounts) go; defaults to ``fee_number``."""
    sku_map: Mapping[str, str] = Field(default_factory=dict)
    tax_code_map: Mapping[str, str] = Field(default_factory=dict)
    shipping_tax_code: str | None = None
    include_contact: bool = True
    """Send the buyer's e-mail and phone on the document header."""
    sell_to_from_billing: bool = False
    """Copy the billing address to the sell-to fields (for one shared guest customer). Not the name:
    ``customerName`` is read-only (``Editable = false`` on the APIV2 sales document pages)."""
    coupon_comment: bool = True
    """Keep the mapping's comments that list the coupon codes (False drops them)."""
    mapping: MappingSpec | None = None
    """The connection's mapping (checked against :func:`~shared.erp.bc.schema.bc_target_schema` at
    start-up); None: :func:`default_mapping`."""
    skip_zero_shipping: bool = True
    """Leave out shipping lines that cost nothing (free shipping)."""

    @field_validator("document_kind")
    @classmethod
    def _sales_document_only(cls, value: DocumentKind) -> DocumentKind:
        if value not in (DocumentKind.SALES_ORDER, DocumentKind.SALES_INVOICE):
            raise ValueError("document_kind must be salesOrder or salesInvoice")
        return value


class BcCustomerOptions(BaseModel):
    """Defaults for customers created from Woo buyers. Ids are BC GUIDs."""

    model_config = _OPTIONS_CONFIG

    local_currency: str = Field(min_length=3, max_length=3)
    prefer_company_name: bool = True
    """A buyer with a company becomes a ``Company`` customer named after the company."""
    tax_liable: bool | None = None
    tax_area_id: str | None = None
    payment_terms_id: str | None = None
    payment_method_id: str | None = None
    shipment_method_id: str | None = None
    mapping: MappingSpec | None = None
    """The connection's mapping, for its ``customer`` fields; None: :func:`default_mapping`."""


@dataclass(frozen=True, slots=True)
class DocumentPlan:
    """The result of :func:`sales_document_payload`: a payload to POST, or holds."""

    kind: DocumentKind
    entity_set: str
    """``salesOrders`` or ``salesInvoices``."""
    lines_property: str
    payload: dict[str, Any] | None = None
    holds: tuple[HoldReason, ...] = field(default=())
    post_after_create: bool = False

    @property
    def ok(self) -> bool:
        return self.payload is not None and not self.holds


# ----------------------------------------------------------------------------------------- helpers


def normalise_text(value: str | None, max_length: int | None = None) -> str:
    """Strip, collapse runs of whitespace (incl. newlines) to one space, cut to ``max_length``."""
    if not value:
        return ""
    text = " ".join(value.split())
    if max_length is not None and len(text) > max_length:
        text = text[:max_length].rstrip()
    return text


def _fit(key: str, value: str | None) -> str:
    return normalise_text(value, MAX_LENGTH.get(key))


def _country(value: str) -> str | None:
    code = value.strip().upper()
    return code if _ISO_COUNTRY.match(code) else None


def _put(target: dict[str, Any], key: str, value: str | None) -> None:
    """Set ``key`` to the normalised, length-cut value when it is not empty."""
    text = _fit(key, value)
    if text:
        target[key] = text


def _put_whole(target: dict[str, Any], key: str, value: str | None) -> None:
    """Set ``key`` only if the whole value fits (an e-mail or phone cut short is wrong data)."""
    text = normalise_text(value)
    if text and len(text) <= MAX_LENGTH[key]:
        target[key] = text


def split_comment(text: str, width: int = 100) -> list[str]:
    """Split free text into ≤ ``width``-character pieces at word boundaries (one per comment line)."""
    pieces: list[str] = []
    for paragraph in text.splitlines():
        paragraph = " ".join(paragraph.split())
        if paragraph:
            pieces.extend(textwrap.wrap(paragraph, width=width, break_long_words=True, break_on_hyphens=False))
    return pieces


def _description(name: str) -> str:
    """Woo item names carry HTML entities (``&ndash;``); BC wants plain text ≤ 100 chars."""
    return _fit("description", html.unescape(name))


def json_ready(value: Any) -> Any:
    """Copy of ``value`` with Decimals as ints/floats that print as the same decimal text."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        if Decimal(repr(as_float)) != value:
            raise BcMappingError(f"{value} cannot be written as an exact JSON number")
        return as_float
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value


def to_json_bytes(payload: Any) -> bytes:
    """Serialise a payload of this module (Decimals included) to a UTF-8 JSON request body."""
    return json.dumps(json_ready(payload), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _decimal(data: Mapping[str, Any], key: str, default: Decimal | None = Decimal(0)) -> Decimal | None:
    value = data.get(key)
    if value is None or value == "":
        return default
    try:
        return to_money(value)
    except ValueError:
        raise BcMappingError(f"BC {key}: expected a number, got {value!r}") from None


def _bc_datetime(value: object) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith(_NULL_DATE_PREFIX):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BcMappingError(f"BC timestamp: cannot parse {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _bc_date(value: object) -> date | None:
    if not isinstance(value, str) or not value or value.startswith(_NULL_DATE_PREFIX):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise BcMappingError(f"BC date: cannot parse {value!r}") from None


def _required_str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise BcMappingError(f"BC {what}: missing {key}")
    return value


# ---------------------------------------------------------------------------------------- customers


def customer_payload(customer: Customer, options: BcCustomerOptions, currency: str | None = None) -> dict[str, Any]:
    """The body of ``POST customers`` for a Woo buyer.

    ``displayName`` is the company (type ``Company``) when there is one and
    ``options.prefer_company_name``, else first + last name (type ``Person``), else the company,
    else the e-mail. Address lines, city, state, post code are whitespace-normalised and cut to BC
    lengths; ``country`` is sent only as an ISO 3166 two-letter code; ``email``/``phoneNumber`` only
    when they fit whole. ``currencyCode`` only for a currency other than the local one.
    """
    billing = customer.billing
    person = customer.full_name or billing.full_name
    company = normalise_text(customer.company or billing.company)
    if company and (options.prefer_company_name or not person):
        display_name, kind = company, "Company"
    else:
        display_name, kind = person or company or customer.email.strip(), "Person"
    display_name = _fit("displayName", display_name)
    if not display_name:
        raise BcMappingError("customer has no name, company or e-mail to use as displayName")
    body: dict[str, Any] = {"displayName": display_name, "type": kind}
    _put(body, "addressLine1", billing.address_1)
    _put(body, "addressLine2", billing.address_2)
    _put(body, "city", billing.city)
    _put(body, "state", billing.state)
    country = _country(billing.country)
    if country:
        body["country"] = country
    _put(body, "postalCode", billing.postcode)
    _put_whole(body, "email", customer.email or billing.email)
    _put_whole(body, "phoneNumber", customer.phone or billing.phone)
    if currency and currency.strip().upper() != options.local_currency.upper():
        body["currencyCode"] = currency.strip().upper()
    if options.tax_liable is not None:
        body["taxLiable"] = options.tax_liable
    for key, value in (
        ("taxAreaId", options.tax_area_id),
        ("paymentTermsId", options.payment_terms_id),
        ("paymentMethodId", options.payment_method_id),
        ("shipmentMethodId", options.shipment_method_id),
    ):
        if value:
            body[key] = value
    body.update(customer_fields(options.mapping or default_mapping(), bc_target_schema(), customer))
    return body


# ---------------------------------------------------------------------------------- sales documents


def erp_item_key(sku: str, options: BcDocumentOptions) -> str:
    """The ``items_by_sku`` key of a Woo SKU (:func:`shared.erp.rules.item_key` with the connection's map)."""
    return rules.item_key(sku, options.sku_map)


def can_be_item_number(key: str) -> bool:
    """Whether a BC item could have this number (Code20: at most 20 characters)."""
    return rules.can_be_item_number(key, ITEM_NUMBER_MAX)


def required_item_keys(order: Order, options: BcDocumentOptions) -> list[str]:
    """The ``items_by_sku`` keys the order needs (what to look up in BC), in line order, unique."""
    return rules.required_item_keys(order, options.sku_map, ITEM_NUMBER_MAX)


def _ship_to(order: Order) -> dict[str, Any]:
    address: Address = order.shipping
    if address.is_empty:
        return {}
    body: dict[str, Any] = {}
    person = address.full_name
    company = normalise_text(address.company)
    _put(body, "shipToName", company or person)
    if company and person:
        _put(body, "shipToContact", person)
    _put_address(body, "shipTo", address)
    return body


def _sell_to(order: Order) -> dict[str, Any]:
    address = order.billing
    body: dict[str, Any] = {}
    _put_address(body, "sellTo", address)
    return body


def _put_address(body: dict[str, Any], prefix: str, address: Address) -> None:
    """The postal fields of a sales header's `shipTo…` or `sellTo…` group."""
    _put(body, f"{prefix}AddressLine1", address.address_1)
    _put(body, f"{prefix}AddressLine2", address.address_2)
    _put(body, f"{prefix}City", address.city)
    _put(body, f"{prefix}State", address.state)
    country = _country(address.country)
    if country:
        body[f"{prefix}Country"] = country
    _put(body, f"{prefix}PostCode", address.postcode)


def _charge_line(
    line: OrderLine, line_type: ChargeLineType, number: str | None, tax_code: str | None, places: int, what: str
) -> dict[str, Any]:
    if not number:
        raise BcMappingError(
            f"{what} line '{line.name}' (order item {line.woo_item_id}) needs a BC {line_type} number; "
            f"set the {what} number in the configuration"
        )
    body: dict[str, Any] = {
        "lineType": BcLineType(line_type).value,
        "lineObjectNumber": number,
        "description": _description(line.name) or what.capitalize(),
        "quantity": Decimal(1),
        "unitPrice": rules.charge_amount(line, places),
    }
    if tax_code:
        body["taxCode"] = tax_code
    return body


def sales_document_payload(
    order: Order,
    customer_number: str,
    items_by_sku: Mapping[str, BcItemRef],
    options: BcDocumentOptions,
    *,
    parent_skus: Mapping[int, str] | None = None,
) -> DocumentPlan:
    """Plan the BC sales order/invoice for ``order`` as one deep-insert body.

    ``items_by_sku`` is keyed by :func:`erp_item_key` (see :func:`required_item_keys`).
    ``parent_skus`` (Woo parent product id → its SKU) lets a variation that merely inherits its
    parent's SKU be detected; two different variations with one SKU are detected regardless.
    Data problems (missing/unknown SKU, variation without its own SKU) come back as
    ``DocumentPlan.holds`` with no payload. An order number longer than 35 characters raises
    :class:`ExternalDocumentNumberTooLong`; a missing shipping/fee number raises
    :class:`BcMappingError`.
    """
    kind = options.document_kind
    entity_set, lines_property, date_key = (
        ("salesOrders", "salesOrderLines", "orderDate")
        if kind == DocumentKind.SALES_ORDER
        else ("salesInvoices", "salesInvoiceLines", "invoiceDate")
    )
    plan = DocumentPlan(
        kind=DocumentKind(kind),
        entity_set=entity_set,
        lines_property=lines_property,
        post_after_create=options.post_invoice and kind == DocumentKind.SALES_INVOICE,
    )  # filled in below with dataclasses.replace
    number = order.external_number
    if not order.number.strip():
        raise BcMappingError(f"order {order.woo_order_id} has no number")
    if len(number) > EXTERNAL_DOCUMENT_NUMBER_MAX:
        raise ExternalDocumentNumberTooLong(
            f"order number '{number}' (order {order.woo_order_id}) has {len(number)} characters; "
            f"BC externalDocumentNumber allows {EXTERNAL_DOCUMENT_NUMBER_MAX}"
        )
    if not customer_number:
        raise BcMappingError("customer_number is empty")

    resolved, holds = rules.resolve_lines(order, items_by_sku, options.sku_map, parent_skus or {}, ITEM_NUMBER_MAX)
    if holds:
        return replace(plan, holds=tuple(holds))

    places = currency_places(order.currency)
    header: dict[str, Any] = {
        "externalDocumentNumber": number,
        date_key: order.created_at.astimezone(UTC).date().isoformat(),
        "customerNumber": customer_number,
    }
    currency = order.currency.strip().upper()
    if currency != options.local_currency.upper():
        header["currencyCode"] = currency
    if kind == DocumentKind.SALES_ORDER:  # read-only on salesInvoices (module docstring)
        header["pricesIncludeTax"] = False
    if options.sell_to_from_billing:
        header.update(_sell_to(order))
    header.update(_ship_to(order))
    if options.include_contact:
        _put_whole(header, "email", order.billing.email or order.customer.email)
        _put_whole(header, "phoneNumber", order.billing.phone or order.customer.phone)

    mapping = options.mapping or default_mapping()
    schema = bc_target_schema(kind)
    header.update(document_fields(mapping, schema, order))

    lines: list[dict[str, Any]] = []
    for line, ref in resolved:
        unit_price, discount = rules.line_amounts(line, places)
        body: dict[str, Any] = {"lineType": BcLineType.ITEM.value}
        if ref.id:
            body["itemId"] = ref.id
        body["lineObjectNumber"] = ref.number
        if ref.variant_id:
            body["itemVariantId"] = ref.variant_id
        description = _description(line.name)
        if description:  # else BC fills in the item's own description
            body["description"] = description
        body["quantity"] = line.quantity
        body["unitPrice"] = unit_price
        body["discountAmount"] = discount
        tax_code = options.tax_code_map.get(line.tax_class)
        if tax_code:
            body["taxCode"] = tax_code
        body.update(line_fields(mapping, schema, order, line))
        lines.append(body)

    for line in order.shipping_lines:
        if options.skip_zero_shipping and rules.charge_amount(line, places) == 0:
            continue
        lines.append(
            _charge_line(
                line, options.shipping_line_type, options.shipping_number, options.shipping_tax_code, places, "shipping"
            )
        )

    for line in order.fee_lines:
        number_for_fee = options.fee_number
        if line.total < 0 and options.discount_fee_number:
            number_for_fee = options.discount_fee_number
        lines.append(
            _charge_line(
                line, options.fee_line_type, number_for_fee, options.tax_code_map.get(line.tax_class), places, "fee"
            )
        )

    if not options.coupon_comment:
        kept = tuple(rule for rule in mapping.comments if "coupon_codes" not in rule.sources)
        mapping = mapping.model_copy(update={"comments": kept})
    comments: list[str] = []
    for text in comment_texts(mapping, order):
        comments.extend(split_comment(text, MAX_LENGTH["description"]))
    lines.extend({"lineType": BcLineType.COMMENT.value, "description": text} for text in comments)

    for index, body in enumerate(lines, start=1):
        body["sequence"] = index * 10000
    header[lines_property] = lines
    return replace(plan, payload=header)


# ---------------------------------------------------------------------------------- reconciliation


def expected_line_amount_total(order: Order) -> Decimal:
    """The sum of the document's line amounts: net (documents never carry prices including tax)."""
    return expected_amount_excluding_tax(order)


def payload_line_amount_total(payload: Mapping[str, Any], places: int = 2) -> Decimal:
    """Σ round(quantity × unitPrice) − discountAmount over the lines of a planned document, rounded to
    ``places`` (the document currency's minor unit) as BC rounds line amounts."""
    total = Decimal(0)
    for key in ("salesOrderLines", "salesInvoiceLines", "salesCreditMemoLines"):
        for line in payload.get(key, []):
            if "quantity" not in line:
                continue
            amount = round_money(to_money(line["quantity"]) * to_money(line.get("unitPrice", 0)), places)
            total += amount - to_money(line.get("discountAmount", 0))
    return round_money(total, places)


# ------------------------------------------------------------------------------------ BC → model


def _etag(data: Mapping[str, Any]) -> str | None:
    value = data.get("@odata.etag")
    return value if isinstance(value, str) else None


def bc_customer_from_json(data: Mapping[str, Any]) -> ErpCustomer:
    """A BC ``customers`` entity → :class:`ErpCustomer`. ``blocked`` blank is ``_x0020_`` or ``" "``."""
    blocked = str(data.get("blocked") or "")
    is_blocked = blocked not in _BLANK_ENUM
    return ErpCustomer(
        number=_required_str(data, "number", "customer"),
        id=_required_str(data, "id", "customer"),
        display_name=str(data.get("displayName") or ""),
        email=str(data.get("email") or ""),
        phone=str(data.get("phoneNumber") or ""),
        blocked=is_blocked,
        blocked_reason=blocked if is_blocked else "",
        currency_code=str(data.get("currencyCode") or ""),
        etag=_etag(data),
    )


def bc_item_from_json(data: Mapping[str, Any]) -> ErpItem:
    """A BC ``items`` entity → :class:`ErpItem` (inventory = all locations, unitPrice = item card)."""
    inventory = _decimal(data, "inventory")
    assert inventory is not None
    return ErpItem(
        number=_required_str(data, "number", "item"),
        id=_required_str(data, "id", "item"),
        display_name=str(data.get("displayName") or ""),
        inventory=inventory,
        unit_price=_decimal(data, "unitPrice", None),
        blocked=bool(data.get("blocked") or False),
        modified_at=_bc_datetime(data.get("lastModifiedDateTime")),
    )


def bc_document_from_json(data: Mapping[str, Any], kind: DocumentKind) -> ErpDocument:
    """A BC ``salesOrders``/``salesInvoices``/``salesCreditMemos`` entity → :class:`ErpDocument`.

    ``shipped``: ``fullyShipped`` on orders; an invoice counts as shipped once it is no longer a
    draft (status ``Open``/``Paid``/… means posted).
    """
    status = str(data.get("status") or "")
    if kind == DocumentKind.SALES_ORDER:
        shipped = bool(data.get("fullyShipped") or False)
    else:
        shipped = status not in _BLANK_ENUM and status not in ("Draft", "In_x0020_Review", "In Review")
    total = _decimal(data, "totalAmountIncludingTax")
    assert total is not None
    return ErpDocument(
        id=_required_str(data, "id", kind.value),
        number=str(data.get("number") or ""),
        external_document_number=str(data.get("externalDocumentNumber") or ""),
        kind=kind,
        total_including_tax=total,
        shipped=shipped,
        status=status,
        customer_number=str(data.get("customerNumber") or ""),
        currency_code=str(data.get("currencyCode") or ""),
        etag=_etag(data),
        modified_at=_bc_datetime(data.get("lastModifiedDateTime")),
    )


_TRACKING_NUMBER_KEYS = ("packageTrackingNo", "packageTrackingNumber", "trackingNumber")
_CARRIER_KEYS = ("shippingAgentName", "shippingAgentCode", "shippingAgent", "carrier")
_TRACKING_URL_KEYS = ("trackingUrl", "internetAddress", "shippingAgentInternetAddress")


def _first(row: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def bc_shipment_from_json(
    data: Mapping[str, Any], tracking: Mapping[str, Any] | None = None, *, partial: bool = False
) -> Shipment:
    """A BC ``salesShipments`` entity (lines expanded or not) + optional tracking row → :class:`Shipment`.

    The standard API has no tracking fields, so ``tracking`` is a row of a custom API page over
    Sales Shipment Header/Shipping Agent with ``packageTrackingNo``, ``shippingAgentCode`` (or
    ``shippingAgentName``) and ``trackingUrl`` or BC's ``internetAddress`` template, where ``%1``
    stands for the tracking number. ``partial``: the order is not yet fully shipped (the caller
    knows from ``salesOrders.fullyShipped``).
    """
    tracking = tracking or {}
    tracking_number = _first(tracking, _TRACKING_NUMBER_KEYS)
    url = _first(tracking, _TRACKING_URL_KEYS)
    if "%1" in url:
        url = url.replace("%1", tracking_number) if tracking_number else ""
    lines = []
    for line in data.get("salesShipmentLines") or []:
        if line.get("lineType") not in ("Item", None) or not line.get("lineObjectNumber"):
            continue
        quantity = _decimal(line, "quantity")
        assert quantity is not None
        if quantity == 0:
            continue
        lines.append(
            ShipmentLine(
                sku=str(line["lineObjectNumber"]), quantity=quantity, description=str(line.get("description") or "")
            )
        )
    return Shipment(
        erp_shipment_number=_required_str(data, "number", "salesShipment"),
        order_number=str(data.get("externalDocumentNumber") or ""),
        erp_order_number=str(data.get("orderNumber") or ""),
        lines=tuple(lines),
        posting_date=_bc_date(data.get("postingDate")),
        carrier=_first(tracking, _CARRIER_KEYS),
        tracking_number=tracking_number,
        tracking_url=url,
        partial=partial,
        modified_at=_bc_datetime(data.get("lastModifiedDateTime")),
    )


# ------------------------------------------------------------------------------------ credit memos


def bc_credit_memo_number(order: Order, refund: Refund) -> str:
    """The credit memo's ``externalDocumentNumber`` (:func:`shared.model.credit_memo_number`), if BC can hold it."""
    number = credit_memo_number(order.external_number, refund.woo_refund_id)
    if len(number) > EXTERNAL_DOCUMENT_NUMBER_MAX:
        raise ExternalDocumentNumberTooLong(
            f"credit memo number {number!r} is longer than BC's {EXTERNAL_DOCUMENT_NUMBER_MAX} characters"
        )
    return number


def refund_net_amount(refund: Refund, order: Order) -> Decimal:
    """The net part of an amount-only refund: the order's net share of the money returned,
    ``amount × (total − tax) / total``, to the currency's minor unit (the whole amount when the order
    carried no tax)."""
    places = currency_places(order.currency)
    if order.total <= 0 or order.total_tax == 0:
        return round_money(refund.amount, places)
    return round_money(refund.amount * (order.total - order.total_tax) / order.total, places)


def credit_memo_payload(
    refund: Refund,
    order: Order,
    customer_number: str,
    items_by_sku: Mapping[str, BcItemRef],
    options: BcDocumentOptions,
    refund_account: str | None,
    *,
    invoice_id: str | None = None,
) -> dict[str, Any]:
    """A deep-insert body for ``salesCreditMemos`` crediting one Woo refund, in net amounts.

    Refunded items become item lines (quantity, net unit price), refunded shipping and fees G/L (or
    charge) lines. ``pricesIncludeTax`` is read-only on credit memos, so a refund of an amount without
    lines (money back, tax included) becomes one line on the refund account for its net part
    (:func:`refund_net_amount`): with the tax BC adds, the credit memo's total is the money returned.
    An item BC no longer knows is credited on the refund account, named in the description. A SKU that
    no item number can equal (over 20 characters, not mapped) raises :class:`ItemNumberTooLong`: the
    refund waits for a mapping rather than landing on the refund account unnoticed.
    """
    lines: list[dict[str, Any]] = []

    def account_line(description: str, amount: Decimal) -> dict[str, Any]:
        if not refund_account:
            raise BcMappingError("a refund needs a G/L account for its amount; set BC_REFUND_ACCOUNT")
        return {
            "lineType": BcLineType.ACCOUNT.value,
            "lineObjectNumber": refund_account,
            "description": _description(description),
            "quantity": Decimal(1),
            "unitPrice": amount,
        }

    amount_only = refund.is_amount_only
    for line in refund.lines:
        if line.quantity <= 0 and line.total == 0:
            continue
        sku = (line.sku or "").strip()
        key = erp_item_key(sku, options) if sku else ""
        if key and not can_be_item_number(key):
            raise ItemNumberTooLong(HoldReason.sku_too_long(key, line.name, line.original_item_id, ITEM_NUMBER_MAX))
        ref = items_by_sku.get(key) if key else None
        if ref is None:
            lines.append(account_line(f"Refund: {line.name or sku}", line.total))
            continue
        quantity = line.quantity or Decimal(1)
        body: dict[str, Any] = {
            "lineType": BcLineType.ITEM.value,
            "lineObjectNumber": ref.number,
            "description": _description(line.name),
            "quantity": quantity,
            "unitPrice": (line.total / quantity).quantize(Decimal("0.00001")),
        }
        if ref.variant_id:
            body["itemVariantId"] = ref.variant_id
        lines.append(body)
    for amount, line_type, number, what in (
        (refund.shipping_amount, options.shipping_line_type, options.shipping_number, "Shipping refund"),
        (refund.fee_amount, options.fee_line_type, options.fee_number, "Fee refund"),
    ):
        if amount:
            if not number:
                raise BcMappingError(f"{what} needs a BC number; set the shipping/fee number in the configuration")
            lines.append(
                {
                    "lineType": BcLineType(line_type).value,
                    "lineObjectNumber": number,
                    "description": what,
                    "quantity": Decimal(1),
                    "unitPrice": amount,
                }
            )
    if amount_only:
        lines.append(account_line(f"Refund {refund.reason}".strip(), refund_net_amount(refund, order)))
    if refund.reason:
        lines += [{"lineType": BcLineType.COMMENT.value, "description": part} for part in split_comment(refund.reason)]
    payload: dict[str, Any] = {
        "customerNumber": customer_number,
        "externalDocumentNumber": bc_credit_memo_number(order, refund),
        "creditMemoDate": refund.created_at.astimezone(UTC).date().isoformat(),
        "salesCreditMemoLines": lines,
    }
    if order.currency != options.local_currency:
        payload["currencyCode"] = order.currency
    if invoice_id:
        payload["invoiceId"] = invoice_id
    return payload
