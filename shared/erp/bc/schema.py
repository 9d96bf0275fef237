"""What a mapping may write on Business Central: the BC API v2.0 entities the connector writes, as a
:class:`~shared.mapping.schema.TargetSchema`.

The properties, types and lengths are BC's API v2.0 ``$metadata``
(``../shared/reference/business-central/bc-api-v2.0-metadata.xml``; ``tests/unit/test_bc_mapping_schema.py``
compares them property by property). ``$metadata`` says nothing of writability per property, so what a
client may not write follows the APIV2 page definitions (``Editable = false``), as the emulator does
(``sandbox/bc/write_rules.py``, ``sandbox/bc/documents.py``): totals, ``number``, ``status``,
``customerName``…, and ``pricesIncludeTax`` on invoices. What the connector itself sets (the external
number, the customer, amounts, item numbers) is *owned*: a mapping cannot take it over.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.erp.port import DocumentKind
from shared.mapping.schema import FieldType, TargetEntity, TargetField, TargetSchema

__all__ = ["PROPERTIES", "bc_target_schema"]

PROPERTIES: Mapping[str, str] = {
    "salesOrder": """
        id:guid number:text20 externalDocumentNumber:text35 orderDate:date postingDate:date customerId:guid
        customerNumber:text20 customerName:text100 billToName:text100 billToCustomerId:guid
        billToCustomerNumber:text20 shipToName:text100 shipToContact:text100 sellToAddressLine1:text100
        sellToAddressLine2:text50 sellToCity:text30 sellToCountry:text10 sellToState:text30
        sellToPostCode:text20 billToAddressLine1:text100 billToAddressLine2:text50 billToCity:text30
        billToCountry:text10 billToState:text30 billToPostCode:text20 shipToAddressLine1:text100
        shipToAddressLine2:text50 shipToCity:text30 shipToCountry:text10 shipToState:text30
        shipToPostCode:text20 shortcutDimension1Code:text20 shortcutDimension2Code:text20 currencyId:guid
        currencyCode:text pricesIncludeTax:boolean paymentTermsId:guid shipmentMethodId:guid
        salesperson:text20 partialShipping:boolean requestedDeliveryDate:date discountAmount:decimal
        discountAppliedBeforeTax:boolean totalAmountExcludingTax:decimal totalTaxAmount:decimal
        totalAmountIncludingTax:decimal fullyShipped:boolean status:enum:Draft,In_x0020_Review,Open
        lastModifiedDateTime:other phoneNumber:text30 email:text80
    """,
    "salesInvoice": """
        id:guid number:text20 externalDocumentNumber:text35 invoiceDate:date postingDate:date dueDate:date
        promisedPayDate:date customerPurchaseOrderReference:text35 customerId:guid customerNumber:text20
        customerName:text100 billToName:text100 billToCustomerId:guid billToCustomerNumber:text20
        shipToName:text100 shipToContact:text100 sellToAddressLine1:text100 sellToAddressLine2:text50
        sellToCity:text30 sellToCountry:text10 sellToState:text30 sellToPostCode:text20
        billToAddressLine1:text100 billToAddressLine2:text50 billToCity:text30 billToCountry:text10
        billToState:text30 billToPostCode:text20 shipToAddressLine1:text100 shipToAddressLine2:text50
        shipToCity:text30 shipToCountry:text10 shipToState:text30 shipToPostCode:text20 currencyId:guid
        shortcutDimension1Code:text20 shortcutDimension2Code:text20 currencyCode:text orderId:guid
        orderNumber:text20 paymentTermsId:guid shipmentMethodId:guid salesperson:text20 disputeStatusId:guid
        disputeStatus:text10 pricesIncludeTax:boolean remainingAmount:decimal discountAmount:decimal
        discountAppliedBeforeTax:boolean totalAmountExcludingTax:decimal totalTaxAmount:decimal
        totalAmountIncludingTax:decimal status:enum:_x0020_,Draft,In_x0020_Review,Open,Paid,Canceled,Corrective
        lastModifiedDateTime:other phoneNumber:text30 email:text80
    """,
    "salesOrderLine": """
        id:guid documentId:guid sequence:other itemId:guid accountId:guid
        lineType:enum:Comment,Account,Item,Resource,Fixed_x0020_Asset,Charge,Allocation_x0020_Account
        lineObjectNumber:text20 description:text100 description2:text50 unitOfMeasureId:guid
        unitOfMeasureCode:text10 quantity:decimal unitPrice:decimal discountAmount:decimal
        discountPercent:decimal discountAppliedBeforeTax:boolean amountExcludingTax:decimal taxCode:text50
        taxPercent:decimal totalTaxAmount:decimal amountIncludingTax:decimal invoiceDiscountAllocation:decimal
        netAmount:decimal netTaxAmount:decimal netAmountIncludingTax:decimal shipmentDate:date
        shippedQuantity:decimal invoicedQuantity:decimal invoiceQuantity:decimal shipQuantity:decimal
        itemVariantId:guid locationId:guid
    """,
    "salesInvoiceLine": """
        id:guid documentId:guid sequence:other itemId:guid accountId:guid
        lineType:enum:Comment,Account,Item,Resource,Fixed_x0020_Asset,Charge,Allocation_x0020_Account
        lineObjectNumber:text20 description:text100 description2:text50 unitOfMeasureId:guid
        unitOfMeasureCode:text10 quantity:decimal unitPrice:decimal discountAmount:decimal
        discountPercent:decimal discountAppliedBeforeTax:boolean amountExcludingTax:decimal taxCode:text50
        taxPercent:decimal totalTaxAmount:decimal amountIncludingTax:decimal invoiceDiscountAllocation:decimal
        netAmount:decimal netTaxAmount:decimal netAmountIncludingTax:decimal shipmentDate:date
        itemVariantId:guid locationId:guid
    """,
    "customer": """
        id:guid number:text20 displayName:text100 type:enum:Company,Person addressLine1:text100
        addressLine2:text50 city:text30 state:text30 country:text10 postalCode:text20 phoneNumber:text30
        email:text80 website:text80 salespersonCode:text20 balanceDue:decimal creditLimit:decimal
        taxLiable:boolean taxAreaId:guid taxAreaDisplayName:text taxRegistrationNumber:text currencyId:guid
        currencyCode:text paymentTermsId:guid shipmentMethodId:guid paymentMethodId:guid
        blocked:enum:_x0020_,Ship,Invoice,All lastModifiedDateTime:other
    """,
}
"""Every property of the entity types (``name:type[length]``, ``enum:member,…`` as ``$metadata`` encodes them)."""

_SYSTEM = frozenset({"id", "lastModifiedDateTime"})
_HEADER_COMPUTED = _SYSTEM | {
    "number",
    "customerName",
    "billToName",
    "totalAmountExcludingTax",
    "totalTaxAmount",
    "totalAmountIncludingTax",
    "fullyShipped",
    "status",
    "remainingAmount",
    "orderId",
    "orderNumber",
    "discountAppliedBeforeTax",
}
_LINE_COMPUTED = _SYSTEM | {
    "documentId",
    "amountExcludingTax",
    "totalTaxAmount",
    "amountIncludingTax",
    "invoiceDiscountAllocation",
    "netAmount",
    "netTaxAmount",
    "netAmountIncludingTax",
    "shippedQuantity",
    "invoicedQuantity",
    "taxPercent",
    "discountAppliedBeforeTax",
}
READ_ONLY: Mapping[str, frozenset[str]] = {
    "salesOrder": _HEADER_COMPUTED,
    "salesInvoice": _HEADER_COMPUTED | {"pricesIncludeTax"},
    "salesOrderLine": _LINE_COMPUTED,
    "salesInvoiceLine": _LINE_COMPUTED,
    "customer": _SYSTEM | {"balanceDue", "taxAreaDisplayName"},
}
"""What a client may not write (``Editable = false`` on the APIV2 pages; the emulator refuses the same)."""

_HEADER_OWNED = {
    "externalDocumentNumber": "the order's number in the ERP, its exactly-once key",
    "orderDate": "the order's date",
    "invoiceDate": "the order's date",
    "customerId": "the matched or created customer",
    "customerNumber": "the matched or created customer",
    "currencyCode": "the order's currency",
    "currencyId": "the order's currency",
    "pricesIncludeTax": "documents carry net amounts",
    "discountAmount": "the amounts are WooCommerce's",
}
_LINE_OWNED = {
    **dict.fromkeys(("lineType", "lineObjectNumber", "itemId", "accountId", "itemVariantId"), "the line's item"),
    **dict.fromkeys(("quantity", "unitPrice", "discountAmount", "discountPercent"), "the amounts are Woo's"),
    "sequence": "the line order",
}
OWNED: Mapping[str, Mapping[str, str]] = {
    "salesOrder": _HEADER_OWNED,
    "salesInvoice": _HEADER_OWNED,
    "salesOrderLine": _LINE_OWNED,
    "salesInvoiceLine": _LINE_OWNED,
    "customer": {
        "number": "BC numbers new customers",
        "currencyCode": "the order's currency",
        "currencyId": "the order's currency",
    },
}

_TYPES = {
    "text": FieldType.TEXT,
    "guid": FieldType.GUID,
    "date": FieldType.DATE,
    "decimal": FieldType.DECIMAL,
    "boolean": FieldType.BOOLEAN,
    "other": FieldType.OTHER,
}


def _field(entity: str, spec: str) -> TargetField:
    name, _, kind = spec.partition(":")
    writable = name not in READ_ONLY[entity]
    owned = OWNED[entity].get(name, "")
    if kind.startswith("enum:"):
        members = tuple(member.replace("_x0020_", " ") for member in kind.removeprefix("enum:").split(","))
        return TargetField(name, FieldType.ENUM, enum=members, writable=writable, owned=owned)
    if kind.startswith("text"):
        length = kind.removeprefix("text")
        return TargetField(name, FieldType.TEXT, int(length) if length else None, writable=writable, owned=owned)
    return TargetField(name, _TYPES[kind], writable=writable, owned=owned)


def _entity(name: str) -> TargetEntity:
    return TargetEntity.of(name, *(_field(name, spec) for spec in PROPERTIES[name].split()))


def bc_target_schema(document_kind: DocumentKind | str = DocumentKind.SALES_ORDER) -> TargetSchema:
    """The entities a BC connection writes, for its document kind (``salesOrder`` or ``salesInvoice``)."""
    header = "salesInvoice" if DocumentKind(document_kind) == DocumentKind.SALES_INVOICE else "salesOrder"
    return TargetSchema(
        erp="bc",
        document=_entity(header),
        line=_entity(f"{header}Line"),
        customer=_entity("customer"),
        comment_length=100,
    )
