"""What a mapping may write on Finance & Operations: the entities the connector writes (``SalesOrderHeadersV2``,
``SalesOrderLines``, ``CustomersV3``), as a :class:`~shared.mapping.schema.TargetSchema`.

Property names are Microsoft's CDM export (:mod:`shared.erp.fo.properties`; facts: finance-operations.md §2).
F&O publishes no ``$metadata`` anywhere public (facts §0), so the rest is worked out, the same way the F&O
emulator does it (``sandbox/fo/guesses.py``; ``tests/unit/test_fo_mapping_schema.py`` holds the two together):

- types from the property's name (``Is…``/``Are…`` flags are the ``NoYes`` enum, ``…Date`` an ``Edm.Date``,
  amounts and quantities decimals, ``…DateTime`` a timestamp); the enums the facts name have their members;
- read-only: statuses, totals and formatted addresses (facts §2.1, §2.2: "read-only totals", "read-only
  formatted"), and the system keys F&O assigns (``InventoryLotId``, ``LineCreationSequenceNumber``);
- lengths only where the connector already cuts a value to an AX string length (the names, addresses and
  descriptions it writes; F&O's own lengths are UNCONFIRMED, facts §0): a mapped value is cut the same way.

What the connector itself sets (the legal entity, the order and customer numbers, the order's reference
which is its exactly-once key, the customer, currency, item numbers, quantities and prices) is *owned*.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from shared.erp.fo.properties import CDM_PROPERTIES
from shared.mapping.schema import FieldType, TargetEntity, TargetField, TargetSchema

__all__ = ["ENUM_MEMBERS", "LENGTHS", "OWNED", "READ_ONLY", "field_type", "fo_target_schema"]

HEADER, LINE, CUSTOMER = "SalesOrderHeaderV2Entity", "SalesOrderLineV2Entity", "CustCustomerV3Entity"

ENUM_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "NoYes": ("No", "Yes"),  # facts §1.3 (`"IsSalesTaxIncludedInPrice": "No"`)
    "SalesStatus": ("None", "Backorder", "Delivered", "Invoiced", "Canceled"),  # facts §2.2
    "Gender": ("Unknown", "Male", "Female", "NonSpecific"),  # facts §1.3 (member Unknown); the rest AX's
    "DirPartyBaseType": ("None", "Person", "Organization"),  # facts §2.1: Person / Organization
    "CustVendorBlocked": ("No", "Invoice", "All", "Payment", "Requisition", "Never"),  # AX's; UNCONFIRMED
}
ENUM_PROPERTIES: Mapping[str, str] = {
    "SalesOrderStatus": "SalesStatus",
    "SalesOrderLineStatus": "SalesStatus",
    "PersonGender": "Gender",
    "PartyType": "DirPartyBaseType",
    "OnHoldStatus": "CustVendorBlocked",
}
_NOYES = re.compile(r"^(Is|Are|Has)[A-Z]|IsPosted$|^AreTotalsCalculated$|IsMandatory$")
_DECIMAL = re.compile(r"(Quantity|Amount|Price|Percentage|Percent|CreditLimit|ExchangeRate|Weight|Depth|Height|Width)")
_DECIMAL_NAMES = frozenset({"LineNumber", "LineCreationSequenceNumber", "ControlNumber", "Due"})


def field_type(name: str) -> tuple[FieldType, tuple[str, ...]]:
    """A property's type (and enum members) from its name, as the emulator types it (module docstring)."""
    if name in ENUM_PROPERTIES:
        return FieldType.ENUM, ENUM_MEMBERS[ENUM_PROPERTIES[name]]
    if _NOYES.search(name):
        return FieldType.ENUM, ENUM_MEMBERS["NoYes"]
    if name.endswith("DateTime"):
        return FieldType.OTHER, ()
    if name in _DECIMAL_NAMES or (_DECIMAL.search(name) and not name.endswith(("Id", "Code", "Symbol", "Name"))):
        return FieldType.DECIMAL, ()
    if name.endswith(("Date", "Deadline")):
        return FieldType.DATE, ()
    return FieldType.TEXT, ()


_COMPUTED = frozenset(
    {
        "SalesOrderStatus",
        "SalesOrderLineStatus",
        "OrderTotalAmount",
        "OrderTotalChargesAmount",
        "OrderTotalDiscountAmount",
        "OrderTotalTaxAmount",
        "AreTotalsCalculated",
        "OrderCreationDateTime",
        "FullPrimaryAddress",
        "FormattedDelveryAddress",
        "FormattedInvoiceAddress",
        "CustomerName",
        "LineCreationSequenceNumber",
        "InventoryLotId",
    }
)
READ_ONLY: Mapping[str, frozenset[str]] = {HEADER: _COMPUTED, LINE: _COMPUTED, CUSTOMER: _COMPUTED}
"""What a client may not write: what the F&O emulator refuses (``sandbox/fo/guesses.py`` READ_ONLY_PROPERTIES,
the strict side, as F&O's answer is UNCONFIRMED) plus the keys F&O assigns itself."""

_CONNECTION = "the connection's legal entity"
OWNED: Mapping[str, Mapping[str, str]] = {
    HEADER: {
        "dataAreaId": _CONNECTION,
        "SalesOrderNumber": "the connector numbers the order (SALES_ORDER_NUMBERS / SALES_ORDER_PREFIX)",
        "CustomersOrderReference": "the order's number in the ERP, its exactly-once key",
        "CustomerRequisitionNumber": "the Woo order id",
        "OrderingCustomerAccountNumber": "the matched or created customer",
        "InvoiceCustomerAccountNumber": "the matched or created customer",
        "CurrencyCode": "the order's currency",
        "ArePricesIncludingSalesTax": "line prices are sent net of tax",
    },
    LINE: {
        "dataAreaId": _CONNECTION,
        "SalesOrderNumber": "the line's order",
        "ItemNumber": "the line's item",
        "OrderedSalesQuantity": "the amounts are WooCommerce's",
        "SalesPrice": "the amounts are WooCommerce's",
        "LineDiscountAmount": "the amounts are WooCommerce's",
        "CurrencyCode": "the order's currency",
    },
    CUSTOMER: {
        "dataAreaId": _CONNECTION,
        "CustomerAccount": "F&O numbers new customers",
        "PartyNumber": "F&O numbers new customers' parties",
        "PartyType": "Organization for a buyer with a company, else Person",
        "SalesCurrencyCode": "the order's currency",
        "PrimaryContactEmail": "customers are matched by their e-mail",
    },
}

LENGTHS: Mapping[str, Mapping[str, int]] = {
    HEADER: {
        "dataAreaId": 4,
        "DeliveryAddressName": 60,
        "DeliveryAddressStreet": 250,
        "DeliveryAddressCity": 60,
        "DeliveryAddressZipCode": 10,
        "DeliveryAddressStateId": 10,
    },
    LINE: {"dataAreaId": 4, "LineDescription": 60},
    CUSTOMER: {
        "dataAreaId": 4,
        "OrganizationName": 100,
        "NameAlias": 20,
        "PersonFirstName": 25,
        "PersonLastName": 25,
        "AddressStreet": 250,
        "AddressCity": 60,
        "AddressZipCode": 10,
        "AddressState": 10,
    },
}
"""The lengths the connector cuts its own values to (``shared/erp/fo/mapping.py``); a mapped value is cut alike."""

_PUBLIC = {HEADER: "SalesOrderHeaderV2", LINE: "SalesOrderLine", CUSTOMER: "CustomerV3"}


def _entity(aot: str) -> TargetEntity:
    fields = []
    for name in ("dataAreaId", *CDM_PROPERTIES[aot]):
        kind, members = field_type(name)
        fields.append(
            TargetField(
                name,
                kind,
                LENGTHS[aot].get(name),
                members,
                writable=name not in READ_ONLY[aot],
                owned=OWNED[aot].get(name, ""),
            )
        )
    return TargetEntity.of(_PUBLIC[aot], *fields)


@cache
def fo_target_schema() -> TargetSchema:
    """The entities an F&O connection writes: the sales order header, its lines, and new customers."""
    return TargetSchema(
        erp="fo",
        document=_entity(HEADER),
        line=_entity(LINE),
        customer=_entity(CUSTOMER),
        no_comments=(
            "F&O sales orders have no comment lines (notes are document attachments, which the connector does "
            "not write); map the text to a header field instead, e.g. SalesOrderName"
        ),
    )
