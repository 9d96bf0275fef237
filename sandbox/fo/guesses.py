"""Every UNCONFIRMED choice of the F&O emulator, in one place (facts: finance-operations.md §0).

Property NAMES come from Microsoft's CDM export (`../shared/reference/finance-operations/cdm-entity-field-names.json`);
what is here is what no public source confirms: Edm types, enum type names and members, entity-set names and keys
of the entities the facts table marks UNCONFIRMED, error texts of non-write errors, and a few behaviours. When a live
`/data/$metadata` or a real capture settles one, change it here (and the README beside this file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NAMESPACE = "Microsoft.Dynamics.DataEntities"  # evidenced (facts §0)


@dataclass(frozen=True)
class EntitySet:
    name: str  # public collection name (URL, case-sensitive)
    type_name: str  # public entity name (@odata.type)
    aot: str  # AOT / CDM name (key into cdm-entity-field-names.json; used in Infolog texts)
    keys: tuple[str, ...]
    confirmed: bool  # set name + key confirmed by facts §1.1 / dynamics.md §2.2
    label: str = ""  # table label and table name in "Cannot create a record in <label> (<table>)."
    table: str = ""
    writable: bool = True
    extra_props: tuple[str, ...] = field(default_factory=tuple)  # not in the CDM list (from a real capture)


# facts §1.1 table. `confirmed=False` rows are guesses of set name and/or key.
ENTITY_SETS: tuple[EntitySet, ...] = (
    EntitySet(
        "CustomersV3",
        "CustomerV3",
        "CustCustomerV3Entity",
        ("dataAreaId", "CustomerAccount"),
        True,
        "Customers",
        "CustTable",
    ),
    EntitySet(
        "CustomerGroups",
        "CustomerGroup",
        "CustCustomerGroupEntity",
        ("dataAreaId", "CustomerGroupId"),
        True,
        "Customer groups",
        "CustGroup",
        # property names from the real GET capture fo-customergroups-get-response.json (not in the CDM extract)
        extra_props=(
            "CustomerGroupId",
            "ClearingPeriodPaymentTermName",
            "CustomerAccountNumberSequence",
            "DefaultDimensionDisplayValue",
            "Description",
            "IsSalesTaxIncludedInPrice",
            "WriteOffReason",
            "PaymentTermId",
            "TaxGroupId",
        ),
    ),
    EntitySet(
        "SalesOrderHeadersV2",
        "SalesOrderHeaderV2",
        "SalesOrderHeaderV2Entity",
        ("dataAreaId", "SalesOrderNumber"),
        True,
        "Sales orders",
        "SalesTable",
    ),
    # Set name `SalesOrderLines` for the V2 entity and key InventoryLotId: UNCONFIRMED (facts §1.1)
    EntitySet(
        "SalesOrderLines",
        "SalesOrderLine",
        "SalesOrderLineV2Entity",
        ("dataAreaId", "InventoryLotId"),
        False,
        "Order lines",
        "SalesLine",
    ),
    EntitySet(
        "ReleasedProductsV2",
        "ReleasedProductV2",
        "EcoResReleasedProductV2Entity",
        ("dataAreaId", "ItemNumber"),
        True,
        "Items",
        "InventTable",
    ),
    # EntityType name and the key (item + site + warehouse + product dimensions): UNCONFIRMED; read-only here
    EntitySet(
        "WarehousesOnHandV2",
        "WarehouseOnHandV2",
        "InventWarehouseOnHandV2Entity",
        (
            "dataAreaId",
            "ItemNumber",
            "InventorySiteId",
            "InventoryWarehouseId",
            "ProductColorId",
            "ProductConfigurationId",
            "ProductSizeId",
            "ProductStyleId",
            "ProductVersionId",
        ),
        False,
        writable=False,
    ),
    EntitySet(
        "CustomerPaymentJournalHeaders",
        "CustomerPaymentJournalHeader",
        "CustomerPaymentJournalHeaderEntity",
        ("dataAreaId", "JournalBatchNumber"),
        True,
        "Journal names",
        "LedgerJournalTable",
    ),
    EntitySet(
        "CustomerPaymentJournalLines",
        "CustomerPaymentJournalLine",
        "CustomerPaymentJournalLineEntity",
        ("dataAreaId", "JournalBatchNumber", "LineNumber"),
        True,
        "Journal lines",
        "LedgerJournalTrans",
    ),
    # return orders (facts §2.5 option 1): set names and keys UNCONFIRMED; the line's system key is a guess
    EntitySet(
        "ReturnOrderHeaders",
        "ReturnOrderHeader",
        "ReturnOrderHeaderEntity",
        ("dataAreaId", "ReturnOrderNumber"),
        False,
        "Return orders",
        "SalesTable",
    ),
    EntitySet(
        "ReturnOrderLines",
        "ReturnOrderLine",
        "ReturnOrderLineEntity",
        ("dataAreaId", "ReturnInventoryLotId"),
        False,
        "Return order lines",
        "SalesLine",
    ),
    # key InvoiceNumber UNCONFIRMED; posted documents are read-only
    EntitySet(
        "SalesInvoiceHeadersV2",
        "SalesInvoiceHeaderV2",
        "SalesInvoiceHeaderV2Entity",
        ("dataAreaId", "InvoiceNumber"),
        False,
        writable=False,
    ),
    # public set/type name and key UNCONFIRMED (facts §2.7); read-only (the warehouse simulator writes it)
    EntitySet(
        "SalesPackingSlipTrackingInformation",
        "SalesPackingSlipTrackingInformation",
        "SalesPackingSlipTrackingInformationEntity",
        ("dataAreaId", "SalesOrderNumber", "PackingSlipNumber", "TrackingNumber"),
        False,
        writable=False,
    ),
    # Currencies (table Currency, entity CurrencyEntity): shared by all legal entities, so no dataAreaId; set
    # name, key and property names UNCONFIRMED (no CDM extract, not in facts). Read-only here, listed only.
    EntitySet(
        "Currencies",
        "Currency",
        "CurrencyEntity",
        ("CurrencyCode",),
        False,
        writable=False,
        extra_props=("CurrencyCode", "Name", "Symbol"),
    ),
    # Posted packing slip lines (table CustPackingSlipTrans, facts §2.7): no CDM entity was found, so the set
    # name, key and property names are ours; read-only (the warehouse simulator writes them)
    EntitySet(
        "SalesPackingSlipLines",
        "SalesPackingSlipLine",
        "SalesPackingSlipLineEntity",
        ("dataAreaId", "PackingSlipNumber", "LineNumber"),
        False,
        writable=False,
        extra_props=(
            "PackingSlipNumber",
            "LineNumber",
            "SalesOrderNumber",
            "ItemNumber",
            "DeliveredQuantity",
            "SalesUnitSymbol",
            "DeliveryDate",
            "InventoryLotId",
        ),
    ),
)

# Entity sets shared by all legal entities (no dataAreaId; cross-company and a dataAreaId filter mean nothing).
GLOBAL_SETS = frozenset({"Currencies"})

# First-level navigation properties (names UNCONFIRMED except the header's SalesOrderLines, dynamics.md §2.2):
# type -> nav name -> (target set, [(own property, target property)], collection?)
NAVIGATIONS: dict[str, dict[str, tuple[str, tuple[tuple[str, str], ...], bool]]] = {
    "SalesOrderHeaderV2": {
        "SalesOrderLines": (
            "SalesOrderLines",
            (("dataAreaId", "dataAreaId"), ("SalesOrderNumber", "SalesOrderNumber")),
            True,
        )
    },
    "SalesOrderLine": {
        "SalesOrderHeader": (
            "SalesOrderHeadersV2",
            (("dataAreaId", "dataAreaId"), ("SalesOrderNumber", "SalesOrderNumber")),
            False,
        )
    },
    "ReturnOrderHeader": {
        "ReturnOrderLines": (
            "ReturnOrderLines",
            (("dataAreaId", "dataAreaId"), ("ReturnOrderNumber", "ReturnOrderNumber")),
            True,
        )
    },
    "CustomerPaymentJournalHeader": {
        "CustomerPaymentJournalLines": (
            "CustomerPaymentJournalLines",
            (("dataAreaId", "dataAreaId"), ("JournalBatchNumber", "JournalBatchNumber")),
            True,
        )
    },
}

# ---- enums: type names evidenced for SalesStatus, NoYes, Gender, WHSReleaseStatus (facts §1.3, §2.2); members partly
ENUMS: dict[str, tuple[str, ...]] = {
    "NoYes": ("No", "Yes"),
    "SalesStatus": ("None", "Backorder", "Delivered", "Invoiced", "Canceled"),
    "Gender": ("Unknown", "Male", "Female", "NonSpecific"),
    "WHSReleaseStatus": ("Open", "Released", "PartialReleased"),
    "DirPartyBaseType": (
        "None",
        "Person",
        "Organization",
    ),  # type name UNCONFIRMED; Person/Organization used by clients
    "CustVendorBlocked": ("No", "Invoice", "All", "Payment", "Requisition", "Never"),  # OnHoldStatus: UNCONFIRMED
    "ReturnStatusHeader": ("None", "Created", "Open", "Closed", "Canceled"),  # AX enum; OData name UNCONFIRMED
    "ReturnStatusLine": ("None", "Awaiting", "Registered", "Quarantine", "Received", "Invoiced", "Canceled"),
    "LedgerJournalACType": ("Ledger", "Cust", "Vend", "Project", "FixedAssets", "Bank"),  # member Cust evidenced
}
ENUM_PROPERTIES: dict[str, str] = {
    "SalesOrderStatus": "SalesStatus",
    "SalesOrderLineStatus": "SalesStatus",
    "PersonGender": "Gender",
    "ReleaseStatus": "WHSReleaseStatus",
    "PartyType": "DirPartyBaseType",
    "OnHoldStatus": "CustVendorBlocked",
    "AccountType": "LedgerJournalACType",
    "OffsetAccountType": "LedgerJournalACType",
    "ReturnOrderStatus": "ReturnStatusHeader",
    "ReturnStatus": "ReturnStatusLine",
}
_NOYES = re.compile(r"^(Is|Are|Has)[A-Z]|IsPosted$|^AreTotalsCalculated$|IsMandatory$")
_DECIMAL = re.compile(r"(Quantity|Amount|Price|Percentage|Percent|CreditLimit|ExchangeRate|Weight|Depth|Height|Width)")
_DATETIME = re.compile(r"DateTime$")
_DATE = re.compile(r"Date$|Deadline$")
DECIMAL_NAMES = frozenset({"LineNumber", "LineCreationSequenceNumber", "ControlNumber", "Due"})


def property_type(name: str) -> str:
    """Our Edm type (or qualified enum type) of a property: from its name, since CDM types are all strings."""
    if name == "dataAreaId":
        return "Edm.String"
    if name in ENUM_PROPERTIES:
        return f"{NAMESPACE}.{ENUM_PROPERTIES[name]}"
    if _NOYES.search(name):
        return f"{NAMESPACE}.NoYes"
    if _DATETIME.search(name):
        return "Edm.DateTimeOffset"
    if name in DECIMAL_NAMES or (_DECIMAL.search(name) and not name.endswith(("Id", "Code", "Symbol", "Name"))):
        return "Edm.Decimal"
    if _DATE.search(name):
        return "Edm.Date"
    return "Edm.String"


# Computed / system-maintained properties a client may not set (F&O's answer to setting one: UNCONFIRMED; refused
# here with 400, the strict side). Statuses change through F&O's processes (the warehouse simulator), not PATCH.
READ_ONLY_PROPERTIES = frozenset(
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
        "FormattedInvoiceAddress",  # formatted like FormattedDelveryAddress (facts §2.2: read-only)
        "IsPosted",
        "CustomerName",
        "LineCreationSequenceNumber",
        "ReturnOrderStatus",
        "ReturnStatus",
        "ReturnInventoryLotId",
        "FormattedReturnAddress",
    }
)

# ---- behaviour guesses -------------------------------------------------------------------------------------------
DEFAULT_MAX_PAGE_SIZE = 10_000  # confirmed ceiling (facts §1.3); whether it is lower per entity: UNCONFIRMED
WRITE_FAILURE_STATUS = 500  # non-batch POST/PATCH failure (facts §1.6: 500 in the batch capture; some sources show 400)
STALE_ETAG_STATUS = 412  # facts §1.4: OData default, UNCONFIRMED
# A key-addressed read of another company's record without cross-company=true: UNCONFIRMED; answered 404 here.
KEY_READ_NEEDS_CROSS_COMPANY = True
# A failed changeset answers one part carrying the FIRST request's Content-ID (the capture: Content-ID 1 for a
# failure of request 2). Whether that is always the first: UNCONFIRMED.
FAILED_CHANGESET_CONTENT_ID = "first"
NULL_DATE = "1900-01-01"  # F&O's empty date (the business-event schema sample's /Date(-2208988800000)/)

# Error texts no capture shows (the write-failure shape is real: fo-error-customerv3-write-failed.json)
NOT_FOUND_MESSAGE = "No HTTP resource was found that matches the request URI '{url}'."
BAD_QUERY_MESSAGE = "The query specified in the URI is not valid. {detail}"
BARE_ENUM_MESSAGE = (
    "A binary operator with incompatible types was detected. Found operand types '{enum}' and 'Edm.String' for "
    "operator kind 'Equal'."
)
THROTTLE_MESSAGE = (  # dynamics.md §2.3 (real text)
    "This request could not be processed at this time due to system experiencing high resource utilization."
)
