"""What F&O does on a write, per entity (facts §1.4, §2): number sequences, defaults a minimal create gets,
the validations whose Infolog texts are known, and duplicate keys. Raises `write_failed` (AxODataWriteException)."""

from __future__ import annotations

from decimal import Decimal

from sandbox.fo.errors import write_failed
from sandbox.fo.schema import SETS
from sandbox.fo.store import FoStore, LegalEntity
from sandbox.odata.store import Record

ENUM_NO = "No"


def before_create(store: FoStore, company: LegalEntity, entity_set: str, record: Record) -> None:
    """Fill system/numbered keys and defaults, validate references. `record` is the full row about to be stored."""
    aot = SETS[entity_set].aot
    if entity_set == "CustomersV3":
        if not record["CustomerAccount"]:
            record["CustomerAccount"] = store.next_number(company, entity_set)
        group = record["CustomerGroupId"]
        if not store.find(company, "CustomerGroups", CustomerGroupId=group):
            # the real text (fo-error-customerv3-write-failed.json)
            raise write_failed(
                aot,
                f"Warning: The value '{group}' in field 'Customer group' is not found in the related table "
                "'Customer groups'.; Warning: validateField failed on field 'CustCustomerV3Entity.CustomerGroupId'.",
            )
        if not record["SalesCurrencyCode"]:
            record["SalesCurrencyCode"] = company.currency
        currency = record["SalesCurrencyCode"]
        if currency != company.currency and currency not in company.currencies:
            raise write_failed(  # UNCONFIRMED wording (built like the customer-group text)
                aot,
                f"Warning: The value '{currency}' in field 'Currency' is not found in the related table "
                "'Currency'.; Warning: validateField failed on field 'CustCustomerV3Entity.SalesCurrencyCode'.",
            )
        if not record["PartyNumber"]:
            record["PartyNumber"] = store.next_number(company, "party")
    elif entity_set == "SalesOrderHeadersV2":
        if not record["SalesOrderNumber"]:
            record["SalesOrderNumber"] = store.next_number(company, entity_set)
        account = record["OrderingCustomerAccountNumber"] or record["InvoiceCustomerAccountNumber"]
        customers = store.find(company, "CustomersV3", CustomerAccount=account)
        if not customers:
            raise write_failed(  # UNCONFIRMED wording (built like the customer-group text)
                aot,
                f"Warning: The value '{account}' in field 'Customer account' is not found in the related table "
                "'Customers'.; Warning: validateField failed on field "
                "'SalesOrderHeaderV2Entity.OrderingCustomerAccountNumber'.",
            )
        customer = customers[0]
        if customer["OnHoldStatus"] in ("All", "Invoice"):
            raise write_failed(aot, f"Error: Customer {account} is on hold for all transactions.")  # UNCONFIRMED text
        record["OrderingCustomerAccountNumber"] = record["OrderingCustomerAccountNumber"] or account
        record["InvoiceCustomerAccountNumber"] = record["InvoiceCustomerAccountNumber"] or account
        record["CurrencyCode"] = record["CurrencyCode"] or customer["SalesCurrencyCode"] or company.currency
        if record["CurrencyCode"] != company.currency and record["CurrencyCode"] not in company.currencies:
            raise write_failed(  # UNCONFIRMED wording
                aot,
                f"Warning: The value '{record['CurrencyCode']}' in field 'Currency' is not found in the related table "
                "'Currency'.; Warning: validateField failed on field 'SalesOrderHeaderV2Entity.CurrencyCode'.",
            )
        record["SalesOrderStatus"] = "Backorder"
        record["OrderCreationDateTime"] = store.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    elif entity_set == "SalesOrderLines":
        record["InventoryLotId"] = store.next_number(company, entity_set)
        headers = store.find(company, "SalesOrderHeadersV2", SalesOrderNumber=record["SalesOrderNumber"])
        if not headers:
            raise write_failed(
                aot,
                f"Warning: The value '{record['SalesOrderNumber']}' in field 'Sales order' is not found in the related "
                "table 'Sales orders'.",
            )
        items = store.find(company, "ReleasedProductsV2", ItemNumber=record["ItemNumber"])
        if not items:
            raise write_failed(
                aot,
                f"Warning: The value '{record['ItemNumber']}' in field 'Item number' is not found in the related "
                "table 'Items'.; Warning: validateField failed on field 'SalesOrderLineV2Entity.ItemNumber'.",
            )
        item, header = items[0], headers[0]
        if record["OrderedSalesQuantity"] == 0:
            record["OrderedSalesQuantity"] = Decimal(1)
        if record["SalesPrice"] == 0 and "SalesPrice" not in record.get("_sent", ()):
            record["SalesPrice"] = item["SalesPrice"]
        record["SalesUnitSymbol"] = record["SalesUnitSymbol"] or item["SalesUnitSymbol"] or "ea"
        record["CurrencyCode"] = header["CurrencyCode"]
        record["LineDescription"] = record["LineDescription"] or item["SearchName"]
        record["SalesOrderLineStatus"] = "Backorder"
        line_amount(record)
        existing = store.find(company, entity_set, SalesOrderNumber=record["SalesOrderNumber"])
        record["LineCreationSequenceNumber"] = Decimal(len(existing) + 1)
    elif entity_set == "ReturnOrderHeaders":
        if not record["ReturnOrderNumber"]:
            record["ReturnOrderNumber"] = store.next_number(company, entity_set)
        account = record["CustomerAccountNumber"]
        customers = store.find(company, "CustomersV3", CustomerAccount=account)
        if not customers:
            raise write_failed(
                aot,
                f"Warning: The value '{account}' in field 'Customer account' is not found in the related table "
                "'Customers'.",
            )
        record["RMANumber"] = record["RMANumber"] or record["ReturnOrderNumber"]
        record["CurrencyCode"] = record["CurrencyCode"] or customers[0]["SalesCurrencyCode"] or company.currency
        record["ReturnOrderStatus"] = "Created"
    elif entity_set == "ReturnOrderLines":
        record["ReturnInventoryLotId"] = store.next_number(company, entity_set)
        headers = store.find(company, "ReturnOrderHeaders", ReturnOrderNumber=record["ReturnOrderNumber"])
        if not headers:
            raise write_failed(
                aot,
                f"Warning: The value '{record['ReturnOrderNumber']}' in field 'Return order' is not found in the "
                "related table 'Return orders'.",
            )
        items = store.find(company, "ReleasedProductsV2", ItemNumber=record["ItemNumber"])
        if not items:
            raise write_failed(
                aot,
                f"Warning: The value '{record['ItemNumber']}' in field 'Item number' is not found in the related "
                "table 'Items'.; Warning: validateField failed on field 'ReturnOrderLineEntity.ItemNumber'.",
            )
        if record["ReturnSalesQuantity"] == 0:
            raise write_failed(aot, "Error: The return quantity must not be 0.")  # UNCONFIRMED text; sign UNCONFIRMED
        if record["SalesPrice"] == 0 and "SalesPrice" not in record.get("_sent", ()):
            record["SalesPrice"] = items[0]["SalesPrice"]
        record["RMANumber"] = headers[0]["RMANumber"]
        record["CustomerAccountNumber"] = headers[0]["CustomerAccountNumber"]
        record["SalesUnitSymbol"] = record["SalesUnitSymbol"] or items[0]["SalesUnitSymbol"]
        record["LineAmount"] = (Decimal(record["ReturnSalesQuantity"]) * Decimal(record["SalesPrice"])).quantize(
            Decimal("0.01")
        )
        record["ReturnStatus"] = "Awaiting"
    elif entity_set == "CustomerPaymentJournalHeaders":
        record["JournalBatchNumber"] = store.next_number(company, entity_set)
        record["IsPosted"] = ENUM_NO
    elif entity_set == "CustomerPaymentJournalLines":
        if not store.find(company, "CustomerPaymentJournalHeaders", JournalBatchNumber=record["JournalBatchNumber"]):
            raise write_failed(aot, f"Error: Journal {record['JournalBatchNumber']} does not exist.")  # UNCONFIRMED
        if record["LineNumber"] == 0:
            lines = store.find(company, entity_set, JournalBatchNumber=record["JournalBatchNumber"])
            record["LineNumber"] = Decimal(len(lines) + 1)
        record["CurrencyCode"] = record["CurrencyCode"] or company.currency


def line_amount(record: Record) -> None:
    qty, price = Decimal(record["OrderedSalesQuantity"]), Decimal(record["SalesPrice"])
    gross = qty * price
    percent = Decimal(record["LineDiscountPercentage"] or 0)
    amount = gross - Decimal(record["LineDiscountAmount"] or 0) * qty - gross * percent / 100
    record["LineAmount"] = amount.quantize(Decimal("0.01"))


def duplicate(entity_set: str, record: Record) -> Exception:
    """The real duplicate-key text (fo-batch-response-changeset-500.txt): "Cannot create a record in <label>
    (<table>). <key label>: <key>, <description>.\\nThe record already exists.." Only CustomerGroups' key label and
    description field are captured; other sets name their last key field."""
    meta = SETS[entity_set]
    key = meta.keys[-1]
    if entity_set == "CustomerGroups":
        detail = f"Customer group: {record['CustomerGroupId']}, {record['Description']}"
    else:
        detail = f"{key}: {record.get(key, '')}"
    return write_failed(
        meta.aot, f"Info: Cannot create a record in {meta.label} ({meta.table}). {detail}.\nThe record already exists.."
    )
