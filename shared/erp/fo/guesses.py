"""Every UNCONFIRMED choice of the F&O adapter, in one place (facts: finance-operations.md §0, §1.1).

Property names come from Microsoft's CDM export and are not guesses. What is here no public source
confirms: entity-set names and keys the facts table marks UNCONFIRMED, enum type names and members,
and the texts of F&O errors the adapter recognises beyond the captured ones. When a live
``/data/$metadata`` or a capture settles one, change it here (and the README's F&O section).
"""

from __future__ import annotations

NAMESPACE = "Microsoft.Dynamics.DataEntities"  # evidenced (facts §0)

# ---- entity sets (facts §1.1 rows marked UNCONFIRMED)
SALES_ORDER_LINES = "SalesOrderLines"  # V2 entity's set name; key InventoryLotId (facts §1.1)
RETURN_ORDER_HEADERS = "ReturnOrderHeaders"
RETURN_ORDER_LINES = "ReturnOrderLines"
SALES_INVOICE_HEADERS = "SalesInvoiceHeadersV2"  # key InvoiceNumber
PACKING_SLIP_TRACKING = "SalesPackingSlipTrackingInformation"  # facts §2.7: public name UNCONFIRMED
CURRENCIES = "Currencies"  # CurrencyEntity, key CurrencyCode, shared by all legal entities (no dataAreaId)
PACKING_SLIP_LINES = "SalesPackingSlipLines"  # no CDM entity for packing slip lines: name and fields ours

# ---- enum types and members (facts §1.3: literals must be type-qualified)
SALES_STATUS = "SalesStatus"  # evidenced type name; members Backorder/Delivered/Invoiced/Canceled evidenced
OPEN_SALES_STATUS = "Backorder"
PARTY_TYPE_PERSON = "Person"  # member names used by public clients; enum type name UNCONFIRMED
PARTY_TYPE_ORGANIZATION = "Organization"
ON_HOLD_BLOCKING = frozenset({"All", "Invoice"})  # OnHoldStatus members that stop a sales order: UNCONFIRMED
ACCOUNT_TYPE_CUSTOMER = "Cust"  # LedgerJournalACType member, evidenced (facts §2.4)

# ---- Infolog texts the adapter reads as data problems (the customer-group text is real, facts §1.6)
ON_HOLD_MARKERS = ("on hold",)  # "Customer X is on hold for all transactions." – wording UNCONFIRMED
CURRENCY_MARKERS = ("field 'currency'", "field 'sales currency'")  # validateField text for a missing currency
ALREADY_EXISTS_MARKER = "the record already exists"  # real (fo-batch-response-changeset-500.txt)
ITEM_NOT_FOUND_MARKER = "in field 'item number' is not found"  # validateField text (built like the real one)

# ---- documents
RETURN_QUANTITY_SIGN = -1  # return order lines carry negative quantities (AX convention; facts §2.5: UNCONFIRMED)
SERVICE_PRODUCT_TYPE = "Service"  # ProductType member of items without stock: UNCONFIRMED
PACKING_SLIP_QUANTITY = "DeliveredQuantity"  # quantity field of PACKING_SLIP_LINES: ours

# ---- business events (facts §3)
INVOICE_POSTED_EVENT = "SalesInvoicePostedBusinessEvent"  # evidenced (facts §3)
PACKING_SLIP_POSTED_EVENT = "SalesPackingSlipPostedBusinessEvent"  # name UNCONFIRMED (facts §2.7)
PACKING_SLIP_ID_MEMBER = "PackingSlipId"  # the packing slip event's DataMember names: UNCONFIRMED
