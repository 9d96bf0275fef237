"""Sales orders, invoices and credit memos with their lines: deep insert, totals, posting."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.bc.entities import (
    SYSTEM_FIELDS,
    Handler,
    d,
    find_by,
    post_item_ledger,
    resolve_currency,
    resolve_customer,
)
from sandbox.bc.errors import ApiError, bad_request, dialog
from sandbox.bc.schema import decode_enum
from sandbox.bc.store import ZERO_GUID, Company, Record, Store
from sandbox.bc.write_rules import refuse_gross_prices_with_sales_tax

CENT = Decimal("0.01")


def money(value: Decimal, precision: Decimal = CENT) -> Decimal:
    """Round like BC: to the currency's "Amount Rounding Precision", halves away from zero."""
    return value.quantize(precision, rounding=ROUND_HALF_UP)


def amount_precision(store: Store, company: Company, doc: Record) -> Decimal:
    """The document currency's amountRoundingPrecision (1 for JPY, 0.001 for KWD); 0.01 for LCY."""
    currency = store.table(company, "currencies").get(doc.get("currencyId") or ZERO_GUID)
    precision = d(currency["amountRoundingPrecision"]) if currency else CENT
    return precision if precision > 0 else CENT


@dataclass(frozen=True)
class DocKind:
    header_set: str
    line_set: str
    header_type: str
    line_type: str
    date_field: str
    draft_series: int
    posted_series: int | None  # None: the document is never posted itself (orders)
    doc_name: str  # for "You cannot create this type of document" checks

    def doc_name_lower(self) -> str:
        return self.doc_name.lower()


KINDS = {
    "salesOrders": DocKind(
        "salesOrders", "salesOrderLines", "salesOrder", "salesOrderLine", "orderDate", 101001, None, "Order"
    ),
    "salesInvoices": DocKind(
        "salesInvoices",
        "salesInvoiceLines",
        "salesInvoice",
        "salesInvoiceLine",
        "invoiceDate",
        105001,
        103001,
        "Invoice",
    ),
    "salesCreditMemos": DocKind(
        "salesCreditMemos",
        "salesCreditMemoLines",
        "salesCreditMemo",
        "salesCreditMemoLine",
        "creditMemoDate",
        106001,
        104001,
        "Credit Memo",
    ),
}
SHIPMENT_SERIES = 102001

HEADER_COMPUTED = SYSTEM_FIELDS | {
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
LINE_COMPUTED = SYSTEM_FIELDS | {
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
CUSTOMER_TO_HEADER = {
    "addressLine1": ("sellToAddressLine1", "billToAddressLine1", "shipToAddressLine1"),
    "addressLine2": ("sellToAddressLine2", "billToAddressLine2", "shipToAddressLine2"),
    "city": ("sellToCity", "billToCity", "shipToCity"),
    "state": ("sellToState", "billToState", "shipToState"),
    "country": ("sellToCountry", "billToCountry", "shipToCountry"),
    "postalCode": ("sellToPostCode", "billToPostCode", "shipToPostCode"),
}


def is_posted(doc: Record) -> bool:
    return doc.get("status") in ("Open", "Paid", "Canceled", "Corrective")


def check_blocked(customer: Record, doc_name: str, action: str = "create") -> None:
    """Mirrors Customer.CheckBlockedCustOnDocs: which Blocked values stop which documents."""
    blocked = customer["blocked"]
    stops = (
        blocked == "All"
        or (blocked == "Invoice" and doc_name in ("Order", "Invoice"))
        or (blocked == "Ship" and doc_name == "Order")
    )
    if stops:
        raise dialog(
            f"You cannot {action} this type of document when Customer {customer['number']} is blocked with "
            f"type {decode_enum(blocked)}."
        )


class DocumentHandler(Handler):
    def __init__(self, store: Store, registry: dict[str, Handler], kind: DocKind) -> None:
        super().__init__(store, registry)
        self.kind = kind
        self.set_name, self.type_name = kind.header_set, kind.header_type
        self.readonly_fields = HEADER_COMPUTED
        self.refused_fields = HEADER_COMPUTED - SYSTEM_FIELDS
        self.children = {kind.line_set: (kind.line_set, "documentId")}

    @property
    def lines(self) -> LineHandler:
        handler = self.registry[self.kind.line_set]
        assert isinstance(handler, LineHandler)
        return handler

    def doc_lines(self, company: Company, doc: Record) -> list[Record]:
        rows = [r for r in self.store.table(company, self.kind.line_set).values() if r["documentId"] == doc["id"]]
        return sorted(rows, key=lambda r: r["sequence"])

    def expand(self, company: Company, record: Record, nav: str) -> tuple[str, list[Record] | Record | None]:
        if nav == "customer":
            return "customers", self.store.table(company, "customers").get(record["customerId"])
        if nav == self.kind.line_set:
            return nav, self.doc_lines(company, record)
        return super().expand(company, record, nav)

    # ---- create / update / delete ---------------------------------------------------------------
    def create(self, company: Company, body: dict[str, Any], parent: Record | None = None) -> Record:
        body = dict(body)
        line_bodies = body.pop(self.kind.line_set, None)
        if line_bodies is not None and not isinstance(line_bodies, list):
            raise bad_request(f"The value of '{self.kind.line_set}' must be an array.")
        refuse_gross_prices_with_sales_tax(company.sales_tax, self.type_name, body)
        with self.store.transaction():
            doc = self.store.blank(self.type_name)
            self._set_customer(company, doc, body, creating=True)
            self.apply(doc, body, skip=frozenset({"customerId", "customerNumber", "currencyCode", "currencyId"}))
            doc["currencyId"], doc["currencyCode"] = (
                resolve_currency(self.store, company, body.get("currencyCode"), body.get("currencyId"))
                if ("currencyCode" in body or "currencyId" in body)
                else (doc["currencyId"], doc["currencyCode"])
            )
            doc["number"] = self.store.next_number(company, self.set_name, self.kind.draft_series)
            today = self.store.clock.today()
            for date_field in (self.kind.date_field, "postingDate"):
                if doc[date_field] == "0001-01-01":
                    doc[date_field] = today
            doc["status"] = "Draft"
            if "partialShipping" in doc and "partialShipping" not in body:
                doc["partialShipping"] = True
            self.store.insert(company, self.set_name, doc)
            for line_body in line_bodies or []:
                if not isinstance(line_body, dict):
                    raise bad_request("Each line must be a JSON object.")
                self.lines.add_line(company, doc, line_body, notify_header=False)
            self.recalc(company, doc)
        return doc

    def _set_customer(self, company: Company, doc: Record, body: dict[str, Any], creating: bool) -> None:
        customer_id, number = body.get("customerId"), body.get("customerNumber")
        if not creating and customer_id is None and number is None:
            return
        if not customer_id and not number:
            raise dialog('A "customerNumber" or a "customerId" must be provided.')
        customer = resolve_customer(self.store, company, customer_id, number)
        if customer is None:
            raise dialog("The sell-to customer cannot be found.")
        check_blocked(customer, self.kind.doc_name)
        doc["customerId"], doc["customerNumber"] = customer["id"], customer["number"]
        doc["billToCustomerId"], doc["billToCustomerNumber"] = customer["id"], customer["number"]
        doc["customerName"] = doc["billToName"] = customer["displayName"]
        if "shipToName" in doc:
            doc["shipToName"] = customer["displayName"]
        for source, targets in CUSTOMER_TO_HEADER.items():
            for target in targets:
                if target in doc:
                    doc[target] = customer[source]
        doc["phoneNumber"], doc["email"] = customer["phoneNumber"], customer["email"]
        doc["currencyId"], doc["currencyCode"] = resolve_currency(self.store, company, customer["currencyCode"], None)

    def update(self, company: Company, record: Record, body: dict[str, Any]) -> None:
        if is_posted(record):
            raise dialog(f"You cannot change a posted {self.kind.doc_name.lower()}.")
        if self.kind.line_set in body:
            raise bad_request(f"Deep update of the navigation property '{self.kind.line_set}' is not supported.")
        refuse_gross_prices_with_sales_tax(company.sales_tax, self.type_name, body)
        before = dict(record)
        try:
            self._set_customer(company, record, body, creating=False)
            changed = self.apply(record, body, skip=frozenset({"customerId", "customerNumber"}))
            if {"currencyCode", "currencyId"} & changed:
                record["currencyId"], record["currencyCode"] = resolve_currency(
                    self.store, company, body.get("currencyCode"), body.get("currencyId")
                )
            self.recalc(company, record)
        except ApiError:
            record.clear()
            record.update(before)
            raise
        self.store.touch(company, self.set_name, record)

    def delete(self, company: Company, record: Record) -> None:
        if is_posted(record):
            raise dialog(f"You cannot delete a posted {self.kind.doc_name.lower()}.")
        lines = self.doc_lines(company, record)
        if any(d(line.get("shippedQuantity", 0)) > d(line.get("invoicedQuantity", 0)) for line in lines):
            raise dialog(
                f"You cannot delete the order {record['number']} because one or more lines have been shipped "
                "but not invoiced."
            )
        for line in lines:
            self.store.delete(company, self.kind.line_set, line["id"], notify=False)
        self.store.delete(company, self.set_name, record["id"])

    # ---- totals ------------------------------------------------------------------------------------
    def recalc(self, company: Company, doc: Record) -> None:
        lines = self.doc_lines(company, doc)
        incl_tax = bool(doc["pricesIncludeTax"])
        precision = amount_precision(self.store, company, doc)
        amounts = []
        for line in lines:
            if line["lineType"] == "Comment":
                amounts.append(Decimal(0))
                continue
            gross = money(d(line["quantity"]) * d(line["unitPrice"]), precision)
            amounts.append(gross - d(line["discountAmount"]))
        base_total = sum(amounts, Decimal(0))
        invoice_discount = min(d(doc["discountAmount"]), base_total) if base_total > 0 else Decimal(0)
        allocated = Decimal(0)
        totals = [Decimal(0), Decimal(0), Decimal(0)]
        priced = [i for i, line in enumerate(lines) if line["lineType"] != "Comment" and amounts[i]]
        for index, line in enumerate(lines):
            rate = d(line["taxPercent"]) / 100
            amount = amounts[index]
            if index in priced and index == priced[-1]:
                share = invoice_discount - allocated
            else:
                share = (
                    money(invoice_discount * amount / base_total, precision)
                    if base_total and index in priced
                    else Decimal(0)
                )
            allocated += share
            excl, tax, incl = self._split(amount, rate, incl_tax, precision)
            n_excl, n_tax, n_incl = self._split(amount - share, rate, incl_tax, precision)
            line.update(
                amountExcludingTax=excl,
                totalTaxAmount=tax,
                amountIncludingTax=incl,
                invoiceDiscountAllocation=share,
                netAmount=n_excl,
                netTaxAmount=n_tax,
                netAmountIncludingTax=n_incl,
            )
            if "shipQuantity" in line:
                line["shipQuantity"] = d(line["quantity"]) - d(line["shippedQuantity"])
                line["invoiceQuantity"] = d(line["quantity"]) - d(line["invoicedQuantity"])
            totals[0] += n_excl
            totals[1] += n_tax
            totals[2] += n_incl
        doc["discountAmount"] = invoice_discount
        doc["totalAmountExcludingTax"], doc["totalTaxAmount"], doc["totalAmountIncludingTax"] = totals
        if "fullyShipped" in doc:
            shippable = [line for line in lines if line["lineType"] != "Comment"]
            doc["fullyShipped"] = bool(shippable) and all(
                d(line["shippedQuantity"]) >= d(line["quantity"]) for line in shippable
            )
        if "remainingAmount" in doc:
            doc["remainingAmount"] = totals[2] if is_posted(doc) else Decimal(0)

    @staticmethod
    def _split(
        amount: Decimal, rate: Decimal, includes_tax: bool, precision: Decimal = CENT
    ) -> tuple[Decimal, Decimal, Decimal]:
        if includes_tax:
            excl = money(amount / (1 + rate), precision)
            return excl, amount - excl, amount
        tax = money(amount * rate, precision)
        return amount, tax, amount + tax

    # ---- bound actions -----------------------------------------------------------------------------
    def action(self, company: Company, record: Record, name: str) -> None:
        if name == "post" and self.kind.posted_series:
            self.post(company, record)
            return
        if name == "shipAndInvoice" and self.set_name == "salesOrders":
            from sandbox.bc.warehouse import invoice_order, ship_order

            ship_order(self.store, self.registry, company, record)
            invoice_order(self.store, self.registry, company, record)
            return
        super().action(company, record, name)

    def post(self, company: Company, doc: Record) -> None:
        """Post a draft invoice / credit memo in place (the API keeps the id; the number changes)."""
        if is_posted(doc):
            raise dialog("The document has already been posted.")
        lines = [line for line in self.doc_lines(company, doc) if line["lineType"] != "Comment"]
        if not any(d(line["quantity"]) for line in lines):
            raise dialog("There is nothing to post.")
        customer = self.store.table(company, "customers").get(doc["customerId"])
        if customer:
            check_blocked(customer, self.kind.doc_name, action="post")
        doc["number"] = self.store.next_number(company, f"posted-{self.set_name}", self.kind.posted_series or 0)
        doc["status"] = "Open"
        sign = Decimal(-1) if self.set_name == "salesInvoices" else Decimal(1)
        doc_type = "Sales_x0020_Invoice" if sign < 0 else "Sales_x0020_Credit_x0020_Memo"
        items = self.store.table(company, "items")
        for line in lines:
            item = items.get(line["itemId"])
            if line["lineType"] == "Item" and item and item["type"] == "Inventory":
                post_item_ledger(
                    self.store,
                    company,
                    item,
                    sign * d(line["quantity"]),
                    "Sale",
                    doc_type,
                    doc["number"],
                    doc["customerNumber"],
                    -sign * d(line["netAmount"]),
                )
        self.recalc(company, doc)
        self.store.touch(company, self.set_name, doc)


class LineHandler(Handler):
    def __init__(self, store: Store, registry: dict[str, Handler], kind: DocKind) -> None:
        super().__init__(store, registry)
        self.kind = kind
        self.set_name, self.type_name = kind.line_set, kind.line_type
        self.readonly_fields = LINE_COMPUTED
        self.refused_fields = LINE_COMPUTED - SYSTEM_FIELDS - {"documentId"}  # documentId: set on insert

    @property
    def header(self) -> DocumentHandler:
        handler = self.registry[self.kind.header_set]
        assert isinstance(handler, DocumentHandler)
        return handler

    def create(self, company: Company, body: dict[str, Any], parent: Record | None = None) -> Record:
        doc = parent
        if doc is None:
            doc_id = str(body.get("documentId", "")).lower()
            doc = self.store.table(company, self.kind.header_set).get(doc_id)
            if doc is None:
                raise dialog("You must specify a document id to create a line.")
        return self.add_line(company, doc, body, notify_header=True)

    def add_line(self, company: Company, doc: Record, body: dict[str, Any], notify_header: bool) -> Record:
        if is_posted(doc):
            raise dialog(f"You cannot change a posted {self.kind.doc_name_lower()}.")
        line = self.store.blank(self.type_name)
        line["lineType"] = ""
        self.apply(line, body)
        line["documentId"] = doc["id"]
        siblings = self.header.doc_lines(company, doc)
        if not line["sequence"]:
            line["sequence"] = max((s["sequence"] for s in siblings), default=0) + 10000
        elif any(s["sequence"] == line["sequence"] for s in siblings):
            raise ApiError(400, "Internal_EntityWithSameKeyExists", "The record in table Sales Line already exists.")
        self._resolve_object(company, doc, line, body)
        self.store.insert(company, self.set_name, line, notify=False)
        self.header.recalc(company, doc)
        if notify_header:
            self.store.touch(company, self.kind.header_set, doc)
        return line

    def _resolve_object(self, company: Company, doc: Record, line: Record, body: dict[str, Any]) -> None:
        has_item = line["itemId"] != ZERO_GUID
        has_account = line["accountId"] != ZERO_GUID
        if has_item and has_account:
            raise dialog('Both "itemId" and "accountId" are specified. Specify only one of them.')
        if not line["lineType"]:
            line["lineType"] = (
                "Item"
                if has_item or (line["lineObjectNumber"] and not has_account)
                else "Account"
                if has_account
                else "Comment"
            )
        if line["lineType"] == "Item":
            self._fill_item(company, line, body)
        elif line["lineType"] == "Account":
            account = company.accounts.get(line["lineObjectNumber"]) or next(
                (a for a in company.accounts.values() if a["id"] == line["accountId"]), None
            )
            if account is None:
                raise dialog("Account does not exist.")
            line["accountId"], line["lineObjectNumber"] = account["id"], account["number"]
            line["description"] = line["description"] or account["name"]
            line["taxCode"] = line["taxCode"] or "STANDARD"
        elif line["lineType"] != "Comment":
            raise dialog(f"The line type {decode_enum(line['lineType'])} is not supported by the sandbox emulator.")
        if line["lineType"] != "Comment":
            line["taxPercent"] = company.tax_rates.get(line["taxCode"], Decimal(0))
        if "shipmentDate" in line and line["shipmentDate"] == "0001-01-01":
            line["shipmentDate"] = (
                doc.get("requestedDeliveryDate")
                if doc.get("requestedDeliveryDate", "0001-01-01") != "0001-01-01"
                else self.store.clock.today()
            )
        set_discount(line, body)

    def _fill_item(self, company: Company, line: Record, body: dict[str, Any]) -> None:
        items = self.store.table(company, "items")
        item = (
            items.get(line["itemId"])
            if line["itemId"] != ZERO_GUID
            else find_by(self.store, company, "items", "number", line["lineObjectNumber"])
        )
        if item is None:
            raise dialog("Item does not exist.")
        if item["blocked"]:
            raise dialog(f"Blocked must be equal to 'No'  in Item: No.={item['number']}. Current value is 'Yes'.")
        line["itemId"], line["lineObjectNumber"] = item["id"], item["number"]
        line["description"] = line["description"] or item["displayName"]
        if "unitPrice" not in body:
            line["unitPrice"] = d(item["unitPrice"])
        line["unitOfMeasureCode"] = line["unitOfMeasureCode"] or item["baseUnitOfMeasureCode"]
        line["unitOfMeasureId"] = item["baseUnitOfMeasureId"]
        line["taxCode"] = line["taxCode"] or item["taxGroupCode"]
        if line["itemVariantId"] != ZERO_GUID:
            variant = self.store.table(company, "itemVariants").get(line["itemVariantId"])
            if variant is None or variant["itemId"] != item["id"]:
                raise dialog("The item variant does not exist.")

    def update(self, company: Company, record: Record, body: dict[str, Any]) -> None:
        doc = self.store.table(company, self.kind.header_set)[record["documentId"]]
        if is_posted(doc):
            raise dialog(f"You cannot change a posted {self.kind.doc_name_lower()}.")
        if "sequence" in body and body["sequence"] != record["sequence"]:
            raise dialog("The value for sequence cannot be modified. Delete and insert the line again.")
        if "lineObjectNumber" in body and body["lineObjectNumber"] != record["lineObjectNumber"]:
            raise dialog('The value for "lineObjectNumber" cannot be modified.')
        before = dict(record)
        try:
            self.apply(record, body)
            if d(record["quantity"]) < d(record.get("shippedQuantity", 0)):
                raise dialog(f"Quantity must not be less than {record['shippedQuantity']} units (already shipped).")
            set_discount(record, body)
        except ApiError:
            record.clear()
            record.update(before)
            raise
        self.store.touch(company, self.set_name, record, notify=False)
        self.header.recalc(company, doc)
        self.store.touch(company, self.kind.header_set, doc)

    def delete(self, company: Company, record: Record) -> None:
        doc = self.store.table(company, self.kind.header_set)[record["documentId"]]
        if is_posted(doc):
            raise dialog(f"You cannot change a posted {self.kind.doc_name_lower()}.")
        if d(record.get("shippedQuantity", 0)):
            raise dialog("You cannot delete a line that has been shipped.")
        self.store.delete(company, self.set_name, record["id"], notify=False)
        self.header.recalc(company, doc)
        self.store.touch(company, self.kind.header_set, doc)


def set_discount(line: Record, body: dict[str, Any]) -> None:
    """Line discount: an explicit amount wins; otherwise the percentage drives the amount."""
    gross = money(d(line["quantity"]) * d(line["unitPrice"]))
    if "discountAmount" in body and "discountPercent" not in body:
        amount = d(line["discountAmount"])
        if amount > gross:
            raise dialog(f"Line Discount Amount must not be greater than {gross}.")
        line["discountPercent"] = (amount * 100 / gross).quantize(Decimal("0.00001")) if gross else Decimal(0)
    else:
        line["discountAmount"] = money(gross * d(line["discountPercent"]) / 100)


def document_handlers(store: Store, registry: dict[str, Handler]) -> list[Handler]:
    handlers: list[Handler] = []
    for kind in KINDS.values():
        handlers.append(DocumentHandler(store, registry, kind))
        handlers.append(LineHandler(store, registry, kind))
    return handlers
