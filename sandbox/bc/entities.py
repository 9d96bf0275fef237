"""Entity sets and their write rules (master data here; sales documents in documents.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.bc.errors import ApiError, bad_request, dialog, method_not_allowed, string_too_long
from sandbox.bc.odata import coerce
from sandbox.bc.schema import EntityType
from sandbox.bc.store import ZERO_GUID, Company, Record, Store
from sandbox.bc.write_rules import code_value, refuse_read_only

SYSTEM_FIELDS = frozenset(
    {"id", "lastModifiedDateTime", "systemCreatedAt", "systemCreatedBy", "systemModifiedAt", "systemModifiedBy"}
)


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class Handler:
    """Generic create/update/delete for one entity set. Subclasses add BC's business rules."""

    set_name = ""
    type_name = ""
    read_only = False
    readonly_fields: frozenset[str] = SYSTEM_FIELDS
    refused_fields: frozenset[str] = frozenset()  # computed properties a client may not send (write_rules.py)
    # navigation property -> (child entity set, foreign key on the child)
    children: dict[str, tuple[str, str]] = {}  # noqa: RUF012

    def __init__(self, store: Store, registry: dict[str, Handler]) -> None:
        self.store = store
        self.registry = registry

    @property
    def etype(self) -> EntityType:
        return self.store.etype(self.type_name)

    def table(self, company: Company) -> dict[str, Record]:
        return self.store.table(company, self.set_name)

    def guard_writable(self, method: str) -> None:
        """405 for a write the set does not take: a read-only handler, or what `$metadata` restricts."""
        if self.read_only or not self.store.schema.allows(self.set_name, method):
            raise method_not_allowed(method, self.set_name)

    def apply(self, record: Record, body: dict[str, Any], skip: frozenset[str] = frozenset()) -> set[str]:
        """Validate and copy body properties onto the record; returns the names that changed."""
        etype = self.etype
        refuse_read_only(self.type_name, {k: v for k, v in body.items() if k in etype.props}, self.refused_fields)
        changed: set[str] = set()
        for name, value in body.items():
            if name.startswith("@") or name in skip:
                continue
            if name in etype.navs:
                raise bad_request(f"Deep update of the navigation property '{name}' is not supported.")
            prop = etype.props.get(name)
            if prop is None:
                raise bad_request(
                    f"The property '{name}' does not exist on type '{etype.qualified}'. Make sure to only "
                    "use property names that are defined by the type."
                )
            if name in self.readonly_fields:
                continue
            new = code_value(self.type_name, name, coerce(value, prop.type, self.store.schema, name))
            if isinstance(new, str) and prop.max_length is not None and len(new) > prop.max_length:
                raise string_too_long(new, prop.max_length)
            if new is None:
                continue
            if record.get(name) != new:
                record[name] = new
                changed.add(name)
        return changed

    # ---- hooks --------------------------------------------------------------------------------
    def create(self, company: Company, body: dict[str, Any], parent: Record | None = None) -> Record:
        self.guard_writable("POST")
        record = self.store.blank(self.type_name)
        if "id" in body:
            record["id"] = coerce(body["id"], "Edm.Guid", self.store.schema, "id")
            if record["id"] in self.table(company):
                raise ApiError(400, "Internal_EntityWithSameKeyExists", "The record already exists.")
        self.apply(record, body)
        self.before_insert(company, record, body, parent)
        return self.store.insert(company, self.set_name, record)

    def before_insert(self, company: Company, record: Record, body: dict[str, Any], parent: Record | None) -> None:
        return None

    def update(self, company: Company, record: Record, body: dict[str, Any]) -> None:
        self.guard_writable("PATCH")
        if "id" in body and str(body["id"]).lower() != record["id"]:
            raise dialog('The "id" cannot be changed.')
        before = dict(record)
        changed = self.apply(record, body)
        try:
            touched = self.after_update(company, record, body, changed)
        except ApiError:
            record.clear()
            record.update(before)
            raise
        if touched:
            self.store.touch(company, self.set_name, record)

    def after_update(self, company: Company, record: Record, body: dict[str, Any], changed: set[str]) -> bool:
        """Return whether the record itself was modified (new ETag / lastModifiedDateTime / webhook)."""
        return bool(changed)

    def delete(self, company: Company, record: Record) -> None:
        self.guard_writable("DELETE")
        self.store.delete(company, self.set_name, record["id"])

    def action(self, company: Company, record: Record, name: str) -> None:
        raise bad_request(f"The bound action '{name}' is not supported on '{self.set_name}'.", "BadRequest_NotFound")

    def records(self, company: Company) -> list[Record]:
        return list(self.table(company).values())

    def expand(self, company: Company, record: Record, nav: str) -> tuple[str, list[Record] | Record | None]:
        """Return (entity set of the target, target records) for a navigation property."""
        if nav in self.children:
            child_set, fk = self.children[nav]
            child = self.registry[child_set]
            return child_set, [r for r in child.records(company) if r.get(fk) == record["id"]]
        raise bad_request(f"Could not find a property named '{nav}' on type '{self.etype.qualified}'.")


class ReadOnlyHandler(Handler):
    read_only = True


# ---- lookups shared by several handlers -------------------------------------------------------


def find_by(store: Store, company: Company, entity_set: str, field: str, value: str) -> Record | None:
    for record in store.table(company, entity_set).values():
        if record.get(field) == value:
            return record
    return None


def resolve_customer(store: Store, company: Company, customer_id: str | None, number: str | None) -> Record | None:
    table = store.table(company, "customers")
    number = number.upper() if isinstance(number, str) else number  # a Code field (write_rules.py)
    by_id = table.get(customer_id.lower()) if customer_id and customer_id != ZERO_GUID else None
    by_no = find_by(store, company, "customers", "number", number) if number else None
    if customer_id and customer_id != ZERO_GUID and by_id is None:
        return None
    if by_id and by_no and by_id is not by_no:
        raise dialog("The sell-to customer values do not match to a specific Customer.")
    return by_id or by_no


def resolve_currency(store: Store, company: Company, code: str | None, currency_id: str | None) -> tuple[str, str]:
    """Returns (currencyId, currencyCode); the local currency is the zero GUID plus the LCY code."""
    if currency_id and currency_id != ZERO_GUID:
        record = store.table(company, "currencies").get(currency_id.lower())
        if record is None:
            raise dialog('The "currencyId" does not match to a Currency.')
        return record["id"], record["code"]
    code = code.upper() if isinstance(code, str) else code  # a Code field (write_rules.py)
    if not code or code == company.lcy_code:
        return ZERO_GUID, company.lcy_code
    record = find_by(store, company, "currencies", "code", code)
    if record is None:
        raise dialog('The "currencyCode" does not match to a Currency.')
    return record["id"], record["code"]


def post_item_ledger(
    store: Store,
    company: Company,
    item: Record,
    quantity: Decimal,
    entry_type: str,
    document_type: str = "_x0020_",
    document_number: str = "",
    source_number: str = "",
    sales_amount: Decimal = Decimal(0),
) -> Record:
    """Item ledger entry + the item's `inventory` flowfield. The Item record itself is not modified,
    so its lastModifiedDateTime and ETag stay and no item webhook fires (facts §1.8)."""
    entry = store.blank("itemLedgerEntry")
    number = int(store.next_number(company, "itemLedgerEntry", 1))
    entry.update(
        entryNumber=number,
        itemNumber=item["number"],
        postingDate=store.clock.today(),
        entryType=entry_type,
        sourceNumber=source_number,
        sourceType="Customer" if source_number else "_x0020_",
        documentNumber=document_number or f"ADJ{number:06d}",
        documentType=document_type,
        description=item["displayName"],
        quantity=quantity,
        salesAmountActual=sales_amount,
        costAmountActual=-(quantity * d(item["unitCost"])) if quantity < 0 else quantity * d(item["unitCost"]),
    )
    store.insert(company, "itemLedgerEntries", entry)
    item["inventory"] = d(item["inventory"]) + quantity
    return entry


# ---- master data ------------------------------------------------------------------------------


class CustomerHandler(Handler):
    set_name, type_name = "customers", "customer"
    readonly_fields = SYSTEM_FIELDS | {"balanceDue", "taxAreaDisplayName"}
    refused_fields = frozenset({"balanceDue", "taxAreaDisplayName"})  # Editable = false (APIV2 customers page)

    def before_insert(self, company: Company, record: Record, body: dict[str, Any], parent: Record | None) -> None:
        if not record["number"]:
            while True:
                record["number"] = f"C{int(self.store.next_number(company, 'customer', 10, step=10)):05d}"
                if not find_by(self.store, company, "customers", "number", record["number"]):
                    break
        elif find_by(self.store, company, "customers", "number", record["number"]):
            raise ApiError(
                400,
                "Internal_EntityWithSameKeyExists",
                f"The record in table Customer already exists. Identification fields and values: "
                f"No.='{record['number']}'",
            )
        record["currencyId"], record["currencyCode"] = resolve_currency(
            self.store, company, body.get("currencyCode"), body.get("currencyId")
        )

    def after_update(self, company: Company, record: Record, body: dict[str, Any], changed: set[str]) -> bool:
        if {"currencyCode", "currencyId"} & changed:
            record["currencyId"], record["currencyCode"] = resolve_currency(
                self.store, company, body.get("currencyCode"), body.get("currencyId")
            )
        return bool(changed)


class ItemHandler(Handler):
    set_name, type_name = "items", "item"
    readonly_fields = SYSTEM_FIELDS | {"itemCategoryId", "taxGroupId", "baseUnitOfMeasureId"}
    children = {"itemVariants": ("itemVariants", "itemId")}  # noqa: RUF012

    def create(self, company: Company, body: dict[str, Any], parent: Record | None = None) -> Record:
        if body.get("inventory") not in (None, 0):
            raise dialog("Inventory cannot be changed during on insert.")
        return super().create(company, {k: v for k, v in body.items() if k != "inventory"}, parent)

    def before_insert(self, company: Company, record: Record, body: dict[str, Any], parent: Record | None) -> None:
        if not record["number"]:
            while True:
                record["number"] = self.store.next_number(company, "item", 1000)
                if not find_by(self.store, company, "items", "number", record["number"]):
                    break
        elif find_by(self.store, company, "items", "number", record["number"]):
            raise ApiError(
                400,
                "Internal_EntityWithSameKeyExists",
                f"The record in table Item already exists. Identification fields and values: No.='{record['number']}'",
            )
        self._derive(company, record)

    def _derive(self, company: Company, record: Record) -> None:
        if not record["taxGroupCode"]:
            record["taxGroupCode"] = "STANDARD"
        if record["taxGroupCode"] not in company.tax_rates:
            raise dialog('The "taxGroupCode" does not match to a Tax Group.')
        record["taxGroupId"] = stable_id(company.id, "taxGroup", record["taxGroupCode"])
        record["baseUnitOfMeasureCode"] = record["baseUnitOfMeasureCode"] or "PCS"
        record["baseUnitOfMeasureId"] = stable_id(company.id, "uom", record["baseUnitOfMeasureCode"])
        if record["itemCategoryCode"]:
            record["itemCategoryId"] = stable_id(company.id, "itemCategory", record["itemCategoryCode"])

    def update(self, company: Company, record: Record, body: dict[str, Any]) -> None:
        if "inventory" in body:
            target = coerce(body["inventory"], "Edm.Decimal", self.store.schema, "inventory")
            body = {k: v for k, v in body.items() if k != "inventory"}
            delta = target - d(record["inventory"])
            if delta:
                entry_type = "Positive_x0020_Adjmt_x002E_" if delta > 0 else "Negative_x0020_Adjmt_x002E_"
                post_item_ledger(self.store, company, record, delta, entry_type)
        super().update(company, record, body)

    def after_update(self, company: Company, record: Record, body: dict[str, Any], changed: set[str]) -> bool:
        self._derive(company, record)
        return bool(changed)


class ItemVariantHandler(Handler):
    set_name, type_name = "itemVariants", "itemVariant"

    def before_insert(self, company: Company, record: Record, body: dict[str, Any], parent: Record | None) -> None:
        items = self.store.table(company, "items")
        item = parent or (items.get(record["itemId"]) if record["itemId"] != ZERO_GUID else None)
        if item is None and record["itemNumber"]:
            item = find_by(self.store, company, "items", "number", record["itemNumber"])
        if item is None:
            raise dialog("Item does not exist.")
        if not record["code"]:
            raise dialog("Code must have a value in Item Variant: Item No.=" + item["number"] + ", Code=.")
        for other in self.table(company).values():
            if other["itemId"] == item["id"] and other["code"] == record["code"]:
                raise ApiError(
                    400,
                    "Internal_EntityWithSameKeyExists",
                    "The record in table Item Variant already exists. Identification fields and values: "
                    f"Item No.='{item['number']}',Code='{record['code']}'",
                )
        record["itemId"], record["itemNumber"] = item["id"], item["number"]


class CurrencyHandler(Handler):
    set_name, type_name = "currencies", "currency"

    def before_insert(self, company: Company, record: Record, body: dict[str, Any], parent: Record | None) -> None:
        if not record["code"] or find_by(self.store, company, "currencies", "code", record["code"]):
            raise ApiError(
                400,
                "Internal_EntityWithSameKeyExists",
                f"The record in table Currency already exists. Identification fields and values: "
                f"Code='{record['code']}'",
            )
        record["amountDecimalPlaces"] = record["amountDecimalPlaces"] or "2:2"
        record["amountRoundingPrecision"] = record["amountRoundingPrecision"] or Decimal("0.01")


class PaymentJournalHandler(Handler):
    set_name, type_name = "customerPaymentJournals", "customerPaymentJournal"
    children = {"customerPayments": ("customerPayments", "journalId")}  # noqa: RUF012


class PaymentHandler(Handler):
    set_name, type_name = "customerPayments", "customerPayment"
    readonly_fields = SYSTEM_FIELDS | {"journalDisplayName", "lineNumber"}

    def before_insert(self, company: Company, record: Record, body: dict[str, Any], parent: Record | None) -> None:
        journals = self.store.table(company, "customerPaymentJournals")
        journal = parent or journals.get(record["journalId"])
        if journal is None:
            raise dialog("The journal does not exist.")
        record["journalId"], record["journalDisplayName"] = journal["id"], journal["code"]
        siblings = [r["lineNumber"] for r in self.table(company).values() if r["journalId"] == journal["id"]]
        record["lineNumber"] = max(siblings, default=0) + 10000
        if record["customerId"] != ZERO_GUID or record["customerNumber"]:
            customer = resolve_customer(self.store, company, record["customerId"], record["customerNumber"] or None)
            if customer is None:
                raise dialog("The customer does not exist.")
            record["customerId"], record["customerNumber"] = customer["id"], customer["number"]
        if record["postingDate"] == "0001-01-01":
            record["postingDate"] = self.store.clock.today()
        invoices = self.store.table(company, "salesInvoices")
        invoice = invoices.get(record["appliesToInvoiceId"]) or (
            find_by(self.store, company, "salesInvoices", "number", record["appliesToInvoiceNumber"])
            if record["appliesToInvoiceNumber"]
            else None
        )
        if (record["appliesToInvoiceId"] != ZERO_GUID or record["appliesToInvoiceNumber"]) and invoice is None:
            raise dialog("The invoice does not exist.")
        if invoice:
            record["appliesToInvoiceId"], record["appliesToInvoiceNumber"] = invoice["id"], invoice["number"]


class CompanyHandler(ReadOnlyHandler):
    set_name, type_name = "companies", "company"


class LedgerHandler(ReadOnlyHandler):
    set_name, type_name = "itemLedgerEntries", "itemLedgerEntry"


class ShipmentHandler(ReadOnlyHandler):
    set_name, type_name = "salesShipments", "salesShipment"
    children = {"salesShipmentLines": ("salesShipmentLines", "documentId")}  # noqa: RUF012

    def expand(self, company: Company, record: Record, nav: str) -> tuple[str, list[Record] | Record | None]:
        if nav == "customer":
            return "customers", self.store.table(company, "customers").get(record["customerId"])
        return super().expand(company, record, nav)


class ShipmentLineHandler(ReadOnlyHandler):
    set_name, type_name = "salesShipmentLines", "salesShipmentLine"


class TrackingHandler(ReadOnlyHandler):
    set_name, type_name = "shipmentTrackings", "shipmentTracking"

    def records(self, company: Company) -> list[Record]:
        return list(company.tracking.values())


# Entity sets that the standard API v2.0 lets you subscribe to (the subset this emulator has).
WEBHOOK_SETS = frozenset(
    {"customers", "items", "salesOrders", "salesInvoices", "salesCreditMemos", "currencies", "customerPaymentJournals"}
)


@dataclass
class Registry:
    standard: dict[str, Handler]
    custom: dict[str, Handler]


def build_registry(store: Store) -> Registry:
    from sandbox.bc.documents import document_handlers

    standard: dict[str, Handler] = {}
    classes: tuple[type[Handler], ...] = (
        CompanyHandler,
        CustomerHandler,
        ItemHandler,
        ItemVariantHandler,
        CurrencyHandler,
        PaymentJournalHandler,
        PaymentHandler,
        LedgerHandler,
        ShipmentHandler,
        ShipmentLineHandler,
    )
    handlers = [cls(store, standard) for cls in classes] + document_handlers(store, standard)
    for handler in handlers:
        standard[handler.set_name] = handler
    custom: dict[str, Handler] = {}
    tracking = TrackingHandler(store, custom)
    custom[tracking.set_name] = tracking
    custom["companies"] = standard["companies"]
    return Registry(standard, custom)
