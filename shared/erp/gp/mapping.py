"""Woo orders, buyers and refunds as GP Web Services objects, and GP objects as the port's types. No I/O.

Objects are plain dicts in the shape of the WSDL types (facts: dynamics-gp.md §2, §2.1); the transports send
them as they are (SOAP) or translate them (SBA, :mod:`shared.erp.gp.sba_shapes`). The connection's mapping
(:class:`GpMapping`, checked against :func:`~shared.erp.gp.schema.gp_target_schema`) adds its fields last, over
the connector's, on the order's document, its item lines and a new customer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.erp import rules
from shared.erp.port import DocumentKind, ErpCustomer, ErpDocument, ErpItem, ErpPayment
from shared.mapping.apply import mapped_fields
from shared.mapping.schema import FieldType, Section, TargetSchema
from shared.mapping.spec import MappingSpec
from shared.model import Customer, Order, OrderLine, Refund, Shipment, ShipmentLine, currency_places, round_money

CUSTOMER_ID_LENGTH = 15  # CUSTNMBR char(15)
ITEM_NUMBER_LENGTH = 30  # ITEMNMBR char(31)
DOCUMENT_NUMBER_LENGTH = 20  # SOPNUMBE / DOCNUMBR char(21)
CUSTOMER_PO_LENGTH = 20  # CSTPONBR char(20) (facts §5)
PRIMARY_ADDRESS = "PRIMARY"
SHIP_ADDRESS = "SHIP TO"
# RM distribution types (RMDTYPAL): GP's numbering, UNCONFIRMED against a server (not in the facts).
RECEIVABLES, SALES, FREIGHT, MISC, TAXES = 3, 9, 11, 12, 13
GL_ROLES = ("receivables", "sales", "freight", "misc", "discount", "tax")

SOP_INVOICE, SOP_ORDER, SOP_RETURN = "SalesInvoice", "SalesOrder", "SalesReturn"
SOP_TYPES = {SOP_INVOICE: "Invoice", SOP_ORDER: "Order"}
RM_INVOICE, RM_CREDIT_MEMO = "ReceivablesInvoice", "ReceivablesCreditMemo"


def gp_id(value: Any) -> str:
    return str(value.get("Id") or "").strip() if isinstance(value, Mapping) else ""


def gp_money(value: Any) -> Decimal:
    if isinstance(value, Mapping) and value.get("Value") is not None:
        return Decimal(str(value["Value"]))
    return Decimal(0)


def money(amount: Decimal, currency: str = "") -> dict[str, Any]:
    places = currency_places(currency) if currency else 2
    value: dict[str, Any] = {"Value": round_money(amount, places), "DecimalDigits": places}
    if currency:
        value["Currency"] = currency
    return value


def unit_price(value: Decimal, currency: str = "") -> dict[str, Any]:
    """A unit price keeps its own decimals (up to GP's five); amounts are rounded to the currency."""
    places = min(5, max(0, -int(value.normalize().as_tuple().exponent)))
    price: dict[str, Any] = {"Value": value, "DecimalDigits": places}
    if currency:
        price["Currency"] = currency
    return price


def quantity(value: Decimal) -> dict[str, Any]:
    places = max(0, -int(value.normalize().as_tuple().exponent))
    return {"Value": value, "DecimalDigits": min(places, 5)}


def array(value: Any, member: str) -> list[dict[str, Any]]:
    """The items of a WSDL ``ArrayOf<member>`` as zeep hands them back (or None)."""
    if isinstance(value, Mapping):
        items = value.get(member)
        return [item for item in (items or []) if isinstance(item, dict)]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


class NumberTooLong(ValueError):
    """A GP document number would exceed GP's 20 characters (never truncated: two would collide)."""


def document_number(prefix: str, external_number: str) -> str:
    """The GP document number of a Woo order (or refund): the connection's prefix and the external number."""
    number = f"{prefix}{external_number}".upper()
    if len(number) > DOCUMENT_NUMBER_LENGTH:
        raise NumberTooLong(
            f"GP document number {number} is longer than {DOCUMENT_NUMBER_LENGTH} characters: shorten the "
            "connection's DOCUMENT_NUMBER_PREFIX or the store's DOCUMENT_PREFIX"
        )
    return number


def gp_date(moment: dt.datetime | dt.date) -> dt.datetime:
    """GP stores document dates without a time or zone."""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return dt.datetime(day.year, day.month, day.day)


# ------------------------------------------------------------------------------------------- mapping
@dataclass(frozen=True)
class GpMapping:
    """A connection's checked mapping and the schema it was checked against (its document type, its transport)."""

    spec: MappingSpec
    schema: TargetSchema


def put_mapped(
    obj: dict[str, Any],
    mapping: GpMapping | None,
    section: Section,
    source: Order | Customer,
    line: OrderLine | None = None,
) -> dict[str, Any]:
    """``obj`` with the mapping's fields for ``section`` written in: ``ShippingMethodKey.Id`` as a key
    ``{"Id": …}``, ``UserDefined.Text01`` one level down, dates as GP's date-only ``datetime``."""
    if mapping is None:
        return obj
    entity = mapping.schema.entity(section)
    for name, value in mapped_fields(mapping.spec, mapping.schema, section, source, line).items():
        written: Any = value
        if entity.fields[name].type == FieldType.DATE:
            written = gp_date(dt.date.fromisoformat(value))  # the check holds date targets to YYYY-MM-DD
        *parents, leaf = name.split(".")
        node = obj
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = written
    return obj


# ------------------------------------------------------------------------------------------ customers
def customer_id_for(email: str) -> str:
    """A customer number for a Woo buyer, the same for the same e-mail (a retry finds what it created)."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest().upper()
    return ("W" + digest)[:12]


def customer_object(
    customer: Customer, customer_id: str, class_id: str, currency: str | None, mapping: GpMapping | None = None
) -> dict[str, Any]:
    name = (customer.billing.company or customer.full_name or customer.email)[:64]
    obj: dict[str, Any] = {
        "Key": {"Id": customer_id},
        "Name": name,
        "IsActive": True,
        "IsOnHold": False,
        "DefaultAddressKey": {"CustomerKey": {"Id": customer_id}, "Id": PRIMARY_ADDRESS},
        "BillToAddressKey": {"CustomerKey": {"Id": customer_id}, "Id": PRIMARY_ADDRESS},
    }
    if class_id:
        obj["ClassKey"] = {"Id": class_id}
    if currency:
        obj["CurrencyKey"] = {"ISOCode": currency}
    return put_mapped(obj, mapping, "customer", customer)


def address_object(customer: Customer, customer_id: str, address_id: str = PRIMARY_ADDRESS) -> dict[str, Any]:
    billing = customer.billing
    phone = customer.phone or billing.phone
    return {
        "Key": {"CustomerKey": {"Id": customer_id}, "Id": address_id},
        "Name": (billing.full_name or customer.full_name)[:64] or None,
        "ContactPerson": customer.full_name[:60] or None,
        "Line1": billing.address_1[:60] or None,
        "Line2": billing.address_2[:60] or None,
        "City": billing.city[:34] or None,
        "State": billing.state[:28] or None,
        "PostalCode": billing.postcode[:10] or None,
        "CountryRegion": billing.country[:60] or None,
        "Phone1": {"Value": phone[:20]} if phone else None,
        "InternetAddresses": {"EmailToAddress": customer.email} if customer.email else None,
    }


def addresses_of(customer: Mapping[str, Any]) -> list[dict[str, Any]]:
    return array(customer.get("Addresses"), "CustomerAddress")


def email_of(address: Mapping[str, Any]) -> str:
    internet = address.get("InternetAddresses") or {}
    return str(internet.get("EmailToAddress") or "").strip()


def phone_of(address: Mapping[str, Any]) -> str:
    return str((address.get("Phone1") or {}).get("Value") or "").strip()


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def erp_customer(obj: Mapping[str, Any]) -> ErpCustomer:
    addresses = addresses_of(obj)
    default = gp_id(obj.get("DefaultAddressKey")) or PRIMARY_ADDRESS
    primary = next((a for a in addresses if gp_id(a.get("Key")) == default), addresses[0] if addresses else {})
    on_hold = bool(obj.get("IsOnHold"))
    inactive = obj.get("IsActive") is False
    return ErpCustomer(
        number=gp_id(obj.get("Key")),
        id=gp_id(obj.get("Key")),
        display_name=str(obj.get("Name") or ""),
        email=email_of(primary),
        phone=phone_of(primary),
        blocked=on_hold or inactive,
        blocked_reason="On hold" if on_hold else "Inactive" if inactive else "",
        currency_code=str((obj.get("CurrencyKey") or {}).get("ISOCode") or ""),
    )


# ----------------------------------------------------------------------------------------- GL accounts
def gl_accounts(
    class_accounts: Mapping[str, Mapping[str, str]],
    customer_accounts: Mapping[str, Mapping[str, str]],
    class_id: str,
    customer_id: str,
) -> dict[str, str]:
    """GL account per role for a customer: the default (class ""), its class's, then its own overrides."""
    accounts: dict[str, str] = {}
    for source in (class_accounts.get(""), class_accounts.get(class_id), customer_accounts.get(customer_id)):
        accounts.update({role.lower(): number for role, number in (source or {}).items() if number})
    return accounts


# ------------------------------------------------------------------------------------------ documents
@dataclass(frozen=True)
class Amounts:
    """A document's amounts as GP splits them: item lines (net), freight, misc (fees), tax, discounts."""

    sales: Decimal
    freight: Decimal
    misc: Decimal
    tax: Decimal
    discount: Decimal

    @property
    def total(self) -> Decimal:
        return self.sales + self.freight + self.misc + self.tax - self.discount


def order_amounts(
    order: Order, lines: Sequence[tuple[OrderLine, Any]]
) -> tuple[Amounts, list[tuple[Decimal, Decimal]]]:
    """The order's amounts and each resolved line's (unit price, discount), to the currency's minor unit."""
    places = currency_places(order.currency)
    priced = [rules.line_amounts(line, places) for line, _ in lines]
    sales = sum(
        (round_money(line.quantity * unit, places) - off for (line, _), (unit, off) in zip(lines, priced, strict=True)),
        Decimal(0),
    )
    freight = sum((rules.charge_amount(line, places) for line in order.shipping_lines), Decimal(0))
    fees = [rules.charge_amount(line, places) for line in order.fee_lines]
    misc = sum((fee for fee in fees if fee > 0), Decimal(0))
    negative_fees = -sum((fee for fee in fees if fee < 0), Decimal(0))
    tax = round_money(order.total_tax, places)
    amounts = Amounts(sales=sales, freight=freight, misc=misc, tax=tax, discount=negative_fees)
    return amounts, priced


def sop_document(
    kind: str,
    order: Order,
    customer_id: str,
    lines: Sequence[tuple[OrderLine, str]],
    *,
    number: str,
    document_type_id: str,
    batch_id: str,
    currency: str | None,
    accounts: Mapping[str, str],
    mapping: GpMapping | None = None,
) -> dict[str, Any]:
    amounts, priced = order_amounts(order, lines)
    code = currency or ""
    gp_lines = []
    for (line, item_id), (unit, discount) in zip(lines, priced, strict=True):
        gp_line: dict[str, Any] = {
            "ItemKey": {"Id": item_id},
            "ItemDescription": line.name[:100] or None,
            "Quantity": quantity(line.quantity),
            "UnitPrice": unit_price(unit, code),
        }
        if discount:
            gp_line["Discount"] = {"Amount": money(discount, code)}
        if accounts.get("sales"):
            gp_line["SalesGLAccountKey"] = {"Id": accounts["sales"]}
        if accounts.get("discount"):
            gp_line["DiscountGLAccountKey"] = {"Id": accounts["discount"]}
        gp_lines.append(put_mapped(gp_line, mapping, "line", order, line))
    obj: dict[str, Any] = {
        "Key": {"Id": number},
        "DocumentTypeKey": {"Type": SOP_TYPES[kind], "Id": document_type_id},
        "CustomerKey": {"Id": customer_id},
        "BatchKey": {"Id": batch_id},
        "CustomerPONumber": order.external_number[:CUSTOMER_PO_LENGTH],
        "Date": gp_date(order.created_at),
        "Comment": f"WooCommerce order {order.number}"[:30],
        "Note": order.customer_note or None,
        "FreightAmount": money(amounts.freight, code),
        "MiscellaneousAmount": money(amounts.misc, code),
        "TaxAmount": money(amounts.tax, code),
        "DiscountAmount": money(amounts.discount, code) if amounts.discount else None,
        "Lines": {f"{kind}Line": gp_lines},
    }
    if currency:
        obj["CurrencyKey"] = {"ISOCode": currency}
    return put_mapped(obj, mapping, "document", order)


def distributions(
    amounts: Amounts, accounts: Mapping[str, str], code: str, *, credit_memo: bool = False
) -> list[dict[str, Any]]:
    """A balanced RM distribution: receivables against sales (less discounts), freight, misc and tax.

    Empty when the receivables or sales account is not configured: GP then distributes from the customer's
    posting accounts (facts §5)."""
    if not (accounts.get("receivables") and accounts.get("sales")):
        return []
    # A discount (a negative Woo fee) is netted into sales, so the lines sum to the document amount.
    parts = [
        (SALES, accounts.get("sales"), amounts.sales - amounts.discount),
        (FREIGHT, accounts.get("freight") or accounts.get("sales"), amounts.freight),
        (MISC, accounts.get("misc") or accounts.get("sales"), amounts.misc),
        (TAXES, accounts.get("tax") or accounts.get("sales"), amounts.tax),
    ]
    rows: list[dict[str, Any]] = []

    def row(type_id: int, account: str | None, debit: Decimal, credit: Decimal) -> dict[str, Any]:
        return {
            "DistributionTypeKey": {"Id": type_id},
            "GLAccountKey": {"Id": account},
            "DebitAmount": money(debit, code),
            "CreditAmount": money(credit, code),
        }

    total = amounts.total
    rows.append(
        row(
            RECEIVABLES,
            accounts["receivables"],
            Decimal(0) if credit_memo else total,
            total if credit_memo else Decimal(0),
        )
    )
    for type_id, account, amount in parts:
        if not amount:
            continue
        credit = amount if amount > 0 else Decimal(0)
        debit = -amount if amount < 0 else Decimal(0)
        if credit_memo:
            credit, debit = debit, credit
        rows.append(row(type_id, account, debit, credit))
    return rows


def rm_document(
    *,
    number: str,
    customer_id: str,
    batch_id: str,
    external_number: str,
    description: str,
    day: dt.datetime,
    amounts: Amounts,
    currency: str | None,
    accounts: Mapping[str, str],
    credit_memo: bool = False,
    order: Order | None = None,
    mapping: GpMapping | None = None,
) -> dict[str, Any]:
    """A receivables invoice (or credit memo); with ``order`` and ``mapping``, the mapping's document fields."""
    code = currency or ""
    rows = distributions(amounts, accounts, code, credit_memo=credit_memo)
    obj: dict[str, Any] = {
        "Key": {"Id": number},
        "CustomerKey": {"Id": customer_id},
        "BatchKey": {"Id": batch_id},
        "CustomerPONumber": external_number[:CUSTOMER_PO_LENGTH],
        "Description": description[:30],
        "Date": day,
        "SalesAmount": money(amounts.sales, code),
        "FreightAmount": money(amounts.freight, code),
        "MiscellaneousAmount": money(amounts.misc, code),
        "TaxAmount": money(amounts.tax, code),
        "TradeDiscountAmount": money(amounts.discount, code),
        "Distributions": {"ReceivablesDistribution": rows} if rows else None,
    }
    if currency:
        obj["CurrencyKey"] = {"ISOCode": currency}
    return put_mapped(obj, mapping, "document", order) if order is not None else obj


def sop_return(
    refund: Refund,
    order: Order,
    *,
    number: str,
    external_number: str,
    customer_id: str,
    items: Mapping[str, str],
    sku_map: Mapping[str, str],
    document_type_id: str,
    batch_id: str,
    currency: str | None,
    accounts: Mapping[str, str],
) -> dict[str, Any] | None:
    """The refund as an SOP return of its item lines, or None when it is not one (an amount-only refund, an item
    GP does not have, or lines that do not add up to the refunded amount): then it is an RM credit memo."""
    places = currency_places(order.currency)
    code = currency or ""
    lines: list[dict[str, Any]] = []
    line_total = Decimal(0)
    for line in refund.lines:
        key = rules.item_key(line.sku, sku_map) if line.sku else ""
        if not key or key not in items or line.quantity <= 0:
            return None
        amount = round_money(abs(line.total), places)
        unit = (amount / abs(line.quantity)).quantize(Decimal("0.00001"))
        if round_money(unit * abs(line.quantity), places) != amount:
            return None
        line_total += amount
        gp_line: dict[str, Any] = {
            "ItemKey": {"Id": items[key]},
            "ItemDescription": line.name[:100] or None,
            "Quantity": quantity(abs(line.quantity)),
            "UnitPrice": unit_price(unit, code),
        }
        if accounts.get("sales"):
            gp_line["ReturnsGLAccountKey"] = {"Id": accounts["sales"]}
        lines.append(gp_line)
    amounts = refund_amounts(refund, order)
    if not lines or line_total != amounts.sales:
        return None
    obj: dict[str, Any] = {
        "Key": {"Id": number},
        "DocumentTypeKey": {"Type": "Return", "Id": document_type_id},
        "CustomerKey": {"Id": customer_id},
        "BatchKey": {"Id": batch_id},
        "CustomerPONumber": external_number[:CUSTOMER_PO_LENGTH],
        "Date": gp_date(refund.created_at),
        "Comment": (refund.reason or f"Woo refund {refund.woo_refund_id}")[:30],
        "FreightAmount": money(amounts.freight, code),
        "MiscellaneousAmount": money(amounts.misc, code),
        "TaxAmount": money(amounts.tax, code),
        "Lines": {"SalesReturnLine": lines},
    }
    if currency:
        obj["CurrencyKey"] = {"ISOCode": currency}
    return obj


def refund_amounts(refund: Refund, order: Order) -> Amounts:
    places = currency_places(order.currency)
    tax = round_money(refund.tax_amount, places)
    freight = round_money(refund.shipping_amount, places)
    misc = round_money(refund.fee_amount, places)
    sales = round_money(refund.amount, places) - tax - freight - misc
    return Amounts(sales=sales, freight=freight, misc=misc, tax=tax, discount=Decimal(0))


def is_posted(obj: Mapping[str, Any]) -> bool:
    state = obj.get("TransactionState")
    return state not in (None, "", "Work") or bool(obj.get("PostedDate"))


def fulfilled(obj: Mapping[str, Any], line_member: str) -> tuple[Decimal, Decimal]:
    """(quantity ordered, quantity fulfilled) over the document's lines."""
    lines = array(obj.get("Lines"), line_member)
    ordered = sum((gp_money(line.get("Quantity")) for line in lines), Decimal(0))
    done = sum((gp_money(line.get("QuantityFulfilled")) for line in lines), Decimal(0))
    return ordered, done


def erp_document(kind: str, obj: Mapping[str, Any]) -> ErpDocument:
    number = gp_id(obj.get("Key"))
    posted = is_posted(obj)
    if kind in SOP_TYPES:
        ordered, done = fulfilled(obj, f"{kind}Line")
        total = gp_money(obj.get("TotalAmount"))
        shipped = posted or (ordered > 0 and done >= ordered)
        document_kind = DocumentKind.SALES_ORDER if kind == SOP_ORDER else DocumentKind.SALES_INVOICE
    elif kind == SOP_RETURN:
        total, shipped, document_kind = gp_money(obj.get("TotalAmount")), posted, DocumentKind.CREDIT_MEMO
    else:
        total, shipped = gp_money(obj.get("DocumentAmount")), posted
        document_kind = DocumentKind.CREDIT_MEMO if kind == RM_CREDIT_MEMO else DocumentKind.SALES_INVOICE
    modified = obj.get("ModifiedDate")
    return ErpDocument(
        id=f"{kind}:{number}",
        number=number,
        external_document_number=str(obj.get("CustomerPONumber") or "").strip(),
        kind=document_kind,
        total_including_tax=total,
        shipped=shipped,
        status=str(obj.get("TransactionState") or ""),
        customer_number=gp_id(obj.get("CustomerKey")),
        currency_code=str((obj.get("CurrencyKey") or {}).get("ISOCode") or ""),
        modified_at=modified.replace(tzinfo=dt.UTC)
        if isinstance(modified, dt.datetime) and modified.tzinfo is None
        else modified,
    )


def split_key(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {"Id": gp_id(obj.get("Key"))}


def _aware(moment: Any) -> dt.datetime | None:
    if not isinstance(moment, dt.datetime):
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def shipments_of(obj: Mapping[str, Any]) -> list[Shipment]:
    """What has shipped of an SOP document, as GP records it: fulfilled quantities on the lines and the tracking
    numbers on the document (GP keeps no separate shipment record reachable over Web Services). Each new
    tracking number is a new shipment; without tracking numbers the document's fulfilment is one."""
    lines = array(obj.get("Lines"), "SalesInvoiceLine")
    done = [(gp_id(line.get("ItemKey")), gp_money(line.get("QuantityFulfilled"))) for line in lines]
    shipped = [ShipmentLine(sku=item, quantity=qty) for item, qty in done if qty > 0]
    if not shipped:
        return []
    ordered, fulfilled_qty = fulfilled(obj, "SalesInvoiceLine")
    number = gp_id(obj.get("Key"))
    tracking = [gp_id(t.get("Key")) for t in array(obj.get("TrackingNumbers"), "SalesTrackingNumber")]
    sequence = max(1, len(tracking))
    shipped_at = _aware(obj.get("ActualShipDate")) or _aware(obj.get("ModifiedDate"))
    return [
        Shipment(
            erp_shipment_number=f"{number}/{sequence}",
            order_number=str(obj.get("CustomerPONumber") or "").strip(),
            erp_order_number=number,
            lines=tuple(shipped),
            posting_date=shipped_at.date() if shipped_at else None,
            carrier=gp_id(obj.get("ShippingMethodKey")),
            tracking_number=tracking[-1] if tracking else "",
            partial=fulfilled_qty < ordered,
            modified_at=_aware(obj.get("ModifiedDate")),
        )
    ]


def transfer_shipments(order: Mapping[str, Any], invoices: Sequence[Mapping[str, Any]]) -> list[Shipment]:
    """The shipments of an SOP order: the invoices GP's "Transfer to invoice" made of it, one per shipment, in
    number order; a shipment is partial while the order's quantity is not all shipped by it."""
    ordered = fulfilled(order, f"{SOP_ORDER}Line")[0]
    shipments: list[Shipment] = []
    so_far = Decimal(0)
    for invoice in sorted(invoices, key=lambda i: gp_id(i.get("Key"))):
        lines = array(invoice.get("Lines"), "SalesInvoiceLine")
        shipped = [
            ShipmentLine(sku=gp_id(line.get("ItemKey")), quantity=gp_money(line.get("Quantity"))) for line in lines
        ]
        so_far += sum((line.quantity for line in shipped), Decimal(0))
        tracking = [gp_id(t.get("Key")) for t in array(invoice.get("TrackingNumbers"), "SalesTrackingNumber")]
        shipped_at = _aware(invoice.get("ActualShipDate")) or _aware(invoice.get("Date"))
        shipments.append(
            Shipment(
                erp_shipment_number=gp_id(invoice.get("Key")),
                order_number=str(order.get("CustomerPONumber") or "").strip(),
                erp_order_number=gp_id(order.get("Key")),
                lines=tuple(shipped),
                posting_date=shipped_at.date() if shipped_at else None,
                carrier=gp_id(invoice.get("ShippingMethodKey")),
                tracking_number=tracking[-1] if tracking else "",
                partial=so_far < ordered,
                modified_at=_aware(invoice.get("ModifiedDate")),
            )
        )
    return shipments


def is_transfer(invoice: Mapping[str, Any]) -> bool:
    return str(invoice.get("OriginalSalesDocumentType") or "") == "Order" and bool(
        gp_id(invoice.get("OriginalSalesDocumentKey"))
    )


def split_id(document_id: str) -> tuple[str, str]:
    """(GP object kind, document number) from an :class:`ErpDocument` id."""
    kind, _, number = document_id.partition(":")
    return kind, number


# ---------------------------------------------------------------------------------------------- items
def on_hand(item: Mapping[str, Any], sites: Iterable[str]) -> Decimal:
    """Available quantity: on hand minus allocated, over the configured sites (all when none)."""
    wanted = {site.upper() for site in sites}
    total = Decimal(0)
    for site in array(item.get("Quantities"), "SalesItemWarehouse"):
        site_id = gp_id((site.get("Key") or {}).get("WarehouseKey")).upper()
        if wanted and site_id not in wanted:
            continue
        total += gp_money(site.get("OnHandQuantity")) - gp_money(site.get("AllocatedQuantity"))
    return total


def price_of(pricing: Mapping[str, Any] | None) -> Decimal | None:
    if not pricing:
        return None
    for detail in array(pricing.get("Details"), "PricingDetail"):
        amount = (detail.get("UofMPrice") or {}).get("Amount")
        if amount is not None:
            return gp_money(amount)
    return None


def erp_item(item: Mapping[str, Any], price: Decimal | None, sites: Iterable[str]) -> ErpItem:
    modified = item.get("ModifiedDate") or item.get("LastModifiedDate")
    item_type = str(item.get("Type") or "")
    return ErpItem(
        number=gp_id(item.get("Key")),
        id=gp_id(item.get("Key")),
        display_name=str(item.get("Description") or ""),
        inventory=on_hand(item, sites),
        unit_price=price,
        blocked=bool(item.get("IsDiscontinued")),
        modified_at=modified.replace(tzinfo=dt.UTC)
        if isinstance(modified, dt.datetime) and modified.tzinfo is None
        else modified,
        stock_tracked=item_type not in ("Service", "Flat Fee", "Misc Charges"),
    )


def erp_payment(obj: Mapping[str, Any], external_number: str) -> ErpPayment:
    return ErpPayment(
        id=gp_id(obj.get("Key")),
        document_number=gp_id(obj.get("Key")),
        amount=gp_money(obj.get("Amount")),
        external_document_number=external_number,
    )
