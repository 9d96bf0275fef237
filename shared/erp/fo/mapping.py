"""Woo model ↔ F&O entity bodies (pure: no I/O). Property names from the CDM export (facts §2).

Decisions shared with the other ERPs (which item a line is, which lines hold the order, how a line's
amounts split) come from :mod:`shared.erp.rules`; this module only writes them in F&O's words. The
connection's mapping (:attr:`FoOptions.mapping`, checked against :func:`~shared.erp.fo.schema.fo_target_schema`)
adds its fields last, over the connector's, on the order header, each item line and a new customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.erp import rules
from shared.erp.fo import guesses
from shared.erp.fo.countries import country_region_id
from shared.erp.fo.schema import fo_target_schema
from shared.erp.port import DocumentKind, ErpCustomer, ErpDocument, ErpItem
from shared.mapping.apply import mapped_fields
from shared.mapping.schema import Section
from shared.mapping.spec import MappingSpec
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
)

ITEM_NUMBER_MAX = 20  # F&O ItemId (AX EDT ItemId: 20) – UNCONFIRMED for F&O (facts §2.3)
SALES_ORDER_NUMBER_MAX = 20  # SalesId (AX: 20) – UNCONFIRMED
REFERENCE_MAX = 60  # CustomersOrderReference (AX CustRef: 60) – UNCONFIRMED (facts §2.2)
NAME_MAX = 100
UNIT_PLACES = Decimal("0.000001")


class FoMappingError(ValueError):
    """The order cannot be written as configured (a missing setting): permanent, not a hold."""


@dataclass(frozen=True)
class FoOptions:
    """What a connection configures about documents (from :class:`shared.config.FoConnection`)."""

    data_area_id: str
    local_currency: str = "USD"
    customer_group: str = ""
    sales_order_numbers: str = "woo"
    sales_order_prefix: str = "WOO-"
    sales_order_origin: str = ""
    sales_tax_group: str = ""
    shipping_item: str = ""
    fee_item: str = ""
    sku_map: Mapping[str, str] = field(default_factory=dict)
    tax_code_map: Mapping[str, str] = field(default_factory=dict)
    dimension_map: Mapping[str, str] = field(default_factory=dict)
    country_map: Mapping[str, str] = field(default_factory=dict)
    return_reason_code: str = ""
    mapping: MappingSpec | None = None
    """The connection's checked mapping (``shared/erp/fo/mapping_file.py``); None: no rules, which is what the
    packaged default mapping (``default_mapping.yaml``) says."""


def _mapped(
    options: FoOptions, section: Section, source: Order | Customer, line: OrderLine | None = None
) -> dict[str, str]:
    if options.mapping is None:
        return {}
    return mapped_fields(options.mapping, fo_target_schema(), section, source, line)


def _text(value: str | None, limit: int = NAME_MAX) -> str:
    return " ".join((value or "").split())[:limit]


def _decimal(data: Mapping[str, Any], key: str) -> Decimal:
    value = data.get(key)
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def fo_date(value: object) -> date | None:
    """An F&O date: ``2026-12-04`` (Edm.Date) or ``2026-12-04T00:00:00Z`` (DateTimeOffset); the empty date
    ``1900-01-01`` is None (facts §1.4, emulator notes: parse both)."""
    if not value:
        return None
    text = str(value)[:10]
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        return None
    return None if parsed.year <= 1900 else parsed


def fo_datetime(value: object) -> datetime | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        day = fo_date(value)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    if moment.year <= 1900:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def json_ready(value: Any) -> Any:
    """Decimals as JSON numbers (ints, or floats that print as the same decimal text)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value


# ---------------------------------------------------------------------------------------- customers


def customer_payload(customer: Customer, options: FoOptions, currency: str | None = None) -> dict[str, Any]:
    """A ``CustomersV3`` create body: party type Organization when the billing company is set, else Person."""
    billing = customer.billing
    company = _text(billing.company or customer.company)
    first = _text(customer.first_name or billing.first_name, 25)
    last = _text(customer.last_name or billing.last_name, 25)
    body: dict[str, Any] = {
        "dataAreaId": options.data_area_id,
        "CustomerGroupId": options.customer_group,
        "SalesCurrencyCode": (currency or options.local_currency).upper(),
        "PrimaryContactEmail": (customer.email or billing.email).strip(),
    }
    if company:
        body.update(PartyType=guesses.PARTY_TYPE_ORGANIZATION, OrganizationName=company)
    else:
        body.update(PartyType=guesses.PARTY_TYPE_PERSON, PersonFirstName=first, PersonLastName=last)
    body["NameAlias"] = _text(company or f"{first} {last}".strip() or customer.email, 20)
    phone = (customer.phone or billing.phone).strip()
    if phone:
        body["PrimaryContactPhone"] = phone
    body.update(_address("Address", billing, options, state_key="AddressState"))
    body.update(_mapped(options, "customer", customer))
    return body


def _address(prefix: str, address: Address, options: FoOptions, *, state_key: str) -> dict[str, Any]:
    street = ", ".join(part for part in (address.address_1.strip(), address.address_2.strip()) if part)
    fields: dict[str, Any] = {}
    if street:
        fields[f"{prefix}Street"] = _text(street, 250)
    if address.city:
        fields[f"{prefix}City"] = _text(address.city, 60)
    if address.postcode:
        fields[f"{prefix}ZipCode"] = address.postcode.strip()[:10]
    if address.state:
        fields[state_key] = address.state.strip()[:10]
    region = country_region_id(address.country, options.country_map)
    if region:
        fields[f"{prefix}CountryRegionId"] = region
    return fields


def customer_from_json(data: Mapping[str, Any]) -> ErpCustomer:
    on_hold = str(data.get("OnHoldStatus") or "No")
    name = data.get("OrganizationName") or " ".join(
        str(part) for part in (data.get("PersonFirstName"), data.get("PersonLastName")) if part
    )
    account = str(data["CustomerAccount"])
    return ErpCustomer(
        number=account,
        id=account,
        display_name=str(name or data.get("NameAlias") or ""),
        email=str(data.get("PrimaryContactEmail") or ""),
        phone=str(data.get("PrimaryContactPhone") or ""),
        blocked=on_hold in guesses.ON_HOLD_BLOCKING,
        blocked_reason=on_hold if on_hold in guesses.ON_HOLD_BLOCKING else "",
        currency_code=str(data.get("SalesCurrencyCode") or ""),
        etag=data.get("@odata.etag"),
    )


# --------------------------------------------------------------------------------------- sales orders


def item_key(sku: str, options: FoOptions) -> str:
    return rules.item_key(sku, options.sku_map)


def required_item_keys(order: Order, options: FoOptions) -> list[str]:
    return rules.required_item_keys(order, options.sku_map, ITEM_NUMBER_MAX)


def sales_order_number(order: Order, options: FoOptions) -> str | None:
    """The number the connector gives the order (one changeset for header and lines), or None when F&O's
    number sequence numbers it (``sales_order_numbers=sequence``, or the number would be too long)."""
    if options.sales_order_numbers != "woo":
        return None
    number = f"{options.sales_order_prefix}{order.external_number}".upper()
    return number if len(number) <= SALES_ORDER_NUMBER_MAX else None


@dataclass
class OrderPlan:
    header: dict[str, Any] | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    holds: list[HoldReason] = field(default_factory=list)


def order_plan(
    order: Order,
    customer_account: str,
    items: Mapping[str, ErpItem],
    options: FoOptions,
    *,
    parent_skus: Mapping[int, str] | None = None,
) -> OrderPlan:
    """``SalesOrderHeadersV2`` body and ``SalesOrderLines`` bodies (without ``SalesOrderNumber`` when F&O numbers
    the order), or the holds. The Woo order number is ``CustomersOrderReference`` (the idempotency key, facts
    §2.2) and the Woo order id ``CustomerRequisitionNumber``."""
    resolved, holds = rules.resolve_lines(order, items, options.sku_map, parent_skus or {}, ITEM_NUMBER_MAX)
    if holds:
        return OrderPlan(holds=holds)
    places = currency_places(order.currency)
    header: dict[str, Any] = {
        "dataAreaId": options.data_area_id,
        "OrderingCustomerAccountNumber": customer_account,
        "InvoiceCustomerAccountNumber": customer_account,
        "CurrencyCode": order.currency.upper(),
        "CustomersOrderReference": order.external_number[:REFERENCE_MAX],
        "CustomerRequisitionNumber": str(order.woo_order_id),
    }
    number = sales_order_number(order, options)
    if number:
        header["SalesOrderNumber"] = number
    if options.sales_order_origin:
        header["SalesOrderOriginCode"] = options.sales_order_origin
    if options.sales_tax_group:
        header["SalesTaxGroupCode"] = options.sales_tax_group
    shipping = order.billing if order.shipping.is_empty else order.shipping
    delivery = _address("DeliveryAddress", shipping, options, state_key="DeliveryAddressStateId")
    if delivery:
        name = _text(shipping.full_name or shipping.company, 60)
        header.update(delivery, IsDeliveryAddressOrderSpecific="Yes")
        if name:
            header["DeliveryAddressName"] = name
    header.update(_mapped(options, "document", order))
    lines: list[dict[str, Any]] = []
    for line, item in resolved:
        unit, discount = rules.line_amounts(line, places)
        body = _line(item.number, line.quantity, unit, line.name, options, line)
        if discount:
            body["LineDiscountAmount"] = (discount / line.quantity).quantize(UNIT_PLACES)
        body.update(_mapped(options, "line", order, line))
        lines.append(body)
    for charge, item_number, what in (
        *((line, options.shipping_item, "shipping") for line in order.shipping_lines),
        *((line, options.fee_item, "fee") for line in order.fee_lines),
    ):
        amount = rules.charge_amount(charge, places)
        if amount == 0:
            continue
        if not item_number:
            raise FoMappingError(f"a Woo {what} line needs a non-stock item: set ERPS__<id>__{what.upper()}_ITEM")
        lines.append(_line(item_number, Decimal(1), amount, charge.name or what.title(), options, charge))
    return OrderPlan(header=header, lines=lines)


def _line(
    item_number: str, quantity: Decimal, unit: Decimal, name: str, options: FoOptions, line: OrderLine
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dataAreaId": options.data_area_id,
        "ItemNumber": item_number,
        "OrderedSalesQuantity": quantity,
        "SalesPrice": unit,
        "LineDescription": _text(name, 60) or item_number,
    }
    tax_class = line.tax_class or "standard"
    tax_group = options.tax_code_map.get(tax_class)
    if tax_group:
        body["SalesTaxItemGroupCode"] = tax_group
    dimension = options.dimension_map.get(tax_class)
    if dimension:  # seed: Woo tax classes map to Dynamics financial dimensions
        body["DefaultLedgerDimensionDisplayValue"] = dimension
    return body


def document_from_json(data: Mapping[str, Any], *, shipped_anything: bool | None = None) -> ErpDocument:
    """A ``SalesOrderHeadersV2`` row as the port's document (id: ``SalesOrderNumber``, unique in its legal entity)."""
    status = str(data.get("SalesOrderStatus") or "")
    return ErpDocument(
        id=str(data["SalesOrderNumber"]),
        number=str(data["SalesOrderNumber"]),
        external_document_number=str(data.get("CustomersOrderReference") or ""),
        kind=DocumentKind.SALES_ORDER,
        total_including_tax=_decimal(data, "OrderTotalAmount"),
        shipped=status in ("Delivered", "Invoiced"),
        status=status,
        customer_number=str(
            data.get("OrderingCustomerAccountNumber") or data.get("InvoiceCustomerAccountNumber") or ""
        ),
        currency_code=str(data.get("CurrencyCode") or ""),
        etag=data.get("@odata.etag"),
        modified_at=fo_datetime(data.get("OrderCreationDateTime")),
    )


# ------------------------------------------------------------------------------------------- refunds


def refund_reference(order: Order, refund: Refund) -> str:
    """The refund's reference in F&O (its idempotency key): :func:`shared.model.credit_memo_number`."""
    return credit_memo_number(order.external_number, refund.woo_refund_id)[:REFERENCE_MAX]


def return_number(reference: str, options: FoOptions) -> str | None:
    if options.sales_order_numbers != "woo":
        return None
    number = f"{options.sales_order_prefix}{reference}".upper()
    return number if len(number) <= SALES_ORDER_NUMBER_MAX else None


def refund_item_lines(refund: Refund, options: FoOptions) -> list[tuple[str, Decimal, Decimal, str]]:
    """(item key, quantity, unit price, name) of the refunded items (lines with a SKU and a quantity)."""
    found = []
    for line in refund.lines:
        sku = (line.sku or "").strip()
        if not sku or line.quantity <= 0:
            continue
        unit = (line.total / line.quantity).quantize(UNIT_PLACES)
        found.append((item_key(sku, options), line.quantity, unit, line.name))
    return found


def return_order_plan(
    refund: Refund,
    order: Order,
    customer_account: str,
    items: Sequence[tuple[str, Decimal, Decimal, str]],
    options: FoOptions,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``ReturnOrderHeaders`` + ``ReturnOrderLines`` bodies (facts §2.5 option 1). Quantities are negative
    (AX return quantities; the sign is UNCONFIRMED, :data:`guesses.RETURN_QUANTITY_SIGN`)."""
    reference = refund_reference(order, refund)
    header: dict[str, Any] = {
        "dataAreaId": options.data_area_id,
        "CustomerAccountNumber": customer_account,
        "CurrencyCode": order.currency.upper(),
        "CustomersOrderReference": reference,
        "CustomerRequisitionNumber": str(refund.woo_refund_id),
    }
    number = return_number(reference, options)
    if number:
        header["ReturnOrderNumber"] = number
    if options.return_reason_code:
        header["CustomerReturnReasonCode"] = options.return_reason_code
    lines = [
        {
            "dataAreaId": options.data_area_id,
            "ItemNumber": item_number,
            "ReturnSalesQuantity": quantity * guesses.RETURN_QUANTITY_SIGN,
            "SalesPrice": unit,
        }
        for item_number, quantity, unit, _ in items
    ]
    return header, lines


def credit_order_lines(items: Sequence[tuple[str, Decimal, Decimal, str]], options: FoOptions) -> list[dict[str, Any]]:
    """Negative-quantity ``SalesOrderLines`` (facts §2.5 option 2)."""
    return [
        {
            "dataAreaId": options.data_area_id,
            "ItemNumber": item_number,
            "OrderedSalesQuantity": -quantity,
            "SalesPrice": unit,
            "LineDescription": _text(name, 60) or item_number,
        }
        for item_number, quantity, unit, name in items
    ]


def return_from_json(data: Mapping[str, Any], total: Decimal) -> ErpDocument:
    return ErpDocument(
        id=str(data["ReturnOrderNumber"]),
        number=str(data["ReturnOrderNumber"]),
        external_document_number=str(data.get("CustomersOrderReference") or ""),
        kind=DocumentKind.CREDIT_MEMO,
        total_including_tax=total,
        status=str(data.get("ReturnOrderStatus") or ""),
        customer_number=str(data.get("CustomerAccountNumber") or ""),
        currency_code=str(data.get("CurrencyCode") or ""),
        etag=data.get("@odata.etag"),
    )


def credit_order_from_json(data: Mapping[str, Any]) -> ErpDocument:
    document = document_from_json(data)
    return ErpDocument(
        id=document.id,
        number=document.number,
        external_document_number=document.external_document_number,
        kind=DocumentKind.CREDIT_MEMO,
        total_including_tax=-document.total_including_tax,
        status=document.status,
        customer_number=document.customer_number,
        currency_code=document.currency_code,
        etag=document.etag,
    )


def journal_refund_from_json(data: Mapping[str, Any]) -> ErpDocument:
    """A money-only refund: a payment-journal debit line (seed 002), as a credit memo of the port."""
    return ErpDocument(
        id=journal_line_id(data),
        number=str(data.get("JournalBatchNumber") or ""),
        external_document_number=str(data.get("PaymentReference") or ""),
        kind=DocumentKind.CREDIT_MEMO,
        total_including_tax=_decimal(data, "DebitAmount"),
        customer_number=str(data.get("AccountDisplayValue") or ""),
        currency_code=str(data.get("CurrencyCode") or ""),
        etag=data.get("@odata.etag"),
    )


def journal_line_id(data: Mapping[str, Any]) -> str:
    line = _decimal(data, "LineNumber").normalize()
    return f"{data.get('JournalBatchNumber')}/{format(line, 'f')}"


# ----------------------------------------------------------------------------------------- payments


def payment_line(
    *,
    batch: str,
    customer_account: str,
    reference: str,
    day: date,
    currency: str,
    credit: Decimal = Decimal(0),
    debit: Decimal = Decimal(0),
    text: str,
    options: FoOptions,
    offset_type: str,
    offset_account: str,
    payment_method: str,
) -> dict[str, Any]:
    """A ``CustomerPaymentJournalLines`` body: a payment credits the customer, a refund paid out debits it
    (facts §2.4). ``PaymentReference`` carries the Woo order (or refund) reference: the idempotency key."""
    body: dict[str, Any] = {
        "dataAreaId": options.data_area_id,
        "JournalBatchNumber": batch,
        "TransactionDate": day.isoformat(),
        "AccountType": guesses.ACCOUNT_TYPE_CUSTOMER,
        "AccountDisplayValue": customer_account,
        "CurrencyCode": currency.upper(),
        "CreditAmount": credit,
        "DebitAmount": debit,
        "PaymentReference": reference,
        "TransactionText": _text(text, 60),
        "OffsetAccountType": offset_type,
    }
    if offset_account:
        body["OffsetAccountDisplayValue"] = offset_account
    if payment_method:
        body["PaymentMethodName"] = payment_method
    return body


# ------------------------------------------------------------------------------------ catalogue, stock


def item_from_json(product: Mapping[str, Any], on_hand: Decimal | None) -> ErpItem:
    """A ``ReleasedProductsV2`` row and its summed ``AvailableOnHandQuantity`` as the port's item. F&O has no
    change date on either (facts §2.6): ``modified_at`` stays None and the stock push compares with what it
    last pushed."""
    number = str(product["ItemNumber"])
    product_type = str(product.get("ProductType") or "")
    return ErpItem(
        number=number,
        id=number,
        display_name=str(product.get("SearchName") or product.get("ProductSearchName") or number),
        inventory=on_hand if on_hand is not None else Decimal(0),
        unit_price=_decimal(product, "SalesPrice"),
        stock_tracked=product_type != guesses.SERVICE_PRODUCT_TYPE,
    )


# ----------------------------------------------------------------------------------------- shipments


def shipment_from_rows(
    tracking: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    order: Mapping[str, Any] | None,
    *,
    partial: bool,
) -> Shipment:
    """A packing slip (its tracking row, its lines, its order's header) as the port's shipment."""
    delivered = fo_date(tracking.get("DeliveryDate"))
    return Shipment(
        erp_shipment_number=str(tracking["PackingSlipNumber"]),
        order_number=str((order or {}).get("CustomersOrderReference") or ""),
        erp_order_number=str(tracking.get("SalesOrderNumber") or ""),
        lines=tuple(
            ShipmentLine(sku=str(row.get("ItemNumber") or ""), quantity=_decimal(row, guesses.PACKING_SLIP_QUANTITY))
            for row in lines
        ),
        posting_date=delivered,
        carrier=str((order or {}).get("ShippingCarrierId") or ""),
        tracking_number=str(tracking.get("TrackingNumber") or ""),
        tracking_url=str(tracking.get("TrackingURL") or ""),
        partial=partial,
        modified_at=datetime(delivered.year, delivered.month, delivered.day, tzinfo=UTC) if delivered else None,
    )


def round_total(amount: Decimal, currency: str) -> Decimal:
    return round_money(amount, currency_places(currency))
