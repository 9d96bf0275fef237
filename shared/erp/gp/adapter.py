"""The Dynamics GP adapter: the ERP port over GP Web Services (SOAP) or the Service Based Architecture (REST).

GP has no idempotency key, no webhooks and no ERP events (facts: dynamics-gp.md §4, §5), so:
* each Woo order's document carries the Woo order number as its customer PO number and as its document number
  (with the connection's prefix); a create that finds the number taken reads the existing document back, and
  :meth:`find_sales_document` looks SOP documents up by ``CustomerPONumber`` and RM documents by number (the RM
  criteria have no PO number, §2.1 (6));
* creates return nothing (§2.1 (3)): the document is read back to learn what GP computed;
* stock, prices and shipments are polled by the timers (the port's optional ``ErpEvents`` is absent).

Customers are matched by e-mail then phone: first under the number the connector gives a buyer (one list call),
then through an index of every customer's addresses, read once and refreshed from ``ModifiedDate`` (GP has no
e-mail criterion, §2.1).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from shared.config import GpConnection, Settings
from shared.erp import rules
from shared.erp.gp import mapping as gp
from shared.erp.gp.errors import GpRefused
from shared.erp.gp.mapping_file import gp_mapping
from shared.erp.gp.ntlm import NtlmAuth
from shared.erp.gp.transport import GpObject, GpTransport
from shared.erp.port import (
    DocumentKind,
    ErpConflict,
    ErpCustomer,
    ErpDataProblem,
    ErpDocument,
    ErpItem,
    ErpPayment,
    PermanentErpError,
)
from shared.http import ApiClient, RetryPolicy
from shared.model import Customer, HoldReason, Order, Refund, Shipment, credit_memo_number

SOP_BATCH_SOURCE, RM_BATCH_SOURCE, CASH_BATCH_SOURCE = "Sales Entry", "RM_Sales", "RM_Cash"
# ITEMDESC char(101) in GP's item master (IV00101): GP's table definition, not in the facts file (check on a real GP).
ITEM_DESCRIPTION_LENGTH = 100


def build_transport(settings: Settings, connection: GpConnection) -> GpTransport:
    """The connection's transport, with NTLM auth, the connector's timeouts and retry policy."""

    def client(base_url: str) -> ApiClient:
        return ApiClient(
            "gp",
            base_url,
            timeout=settings.http_timeout_seconds,
            policy=RetryPolicy(max_attempts=settings.http_max_attempts),
            auth=NtlmAuth(connection.username, connection.password.get_secret_value()),
            verify=[bundle for bundle in (settings.sandbox_ca_bundle, connection.ca_bundle) if bundle],
            connection_per_thread=True,  # NTLM authenticates a connection: one handshake, one connection
        )

    from shared.erp.gp.sba import SbaTransport, company_url

    posting = client(company_url(connection)) if connection.company_name else None
    if connection.transport == "sba":
        assert posting is not None, "an SBA connection names its company (COMPANY_NAME)"
        return SbaTransport(connection, posting)
    from shared.erp.gp.soap import SoapTransport

    return SoapTransport(connection, client(connection.url), posting)


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


class GpAdapter:
    """:class:`shared.erp.port.ErpPort` for one GP company."""

    def __init__(self, settings: Settings, connection: GpConnection, *, transport: GpTransport | None = None) -> None:
        self.settings = settings
        self.connection = connection
        self.transport = transport or build_transport(settings, connection)
        self.mapping = gp_mapping(connection)  # checked at start-up too (services.check_mappings)
        self._emails: dict[str, str] = {}
        self._phones: dict[str, str] = {}
        self._seen: dict[str, object] = {}  # customer number -> the ModifiedDate its addresses were indexed at
        self._indexed_to: dt.datetime | None = None

    def close(self) -> None:
        self.transport.close()

    @property
    def calls(self) -> int:
        return self.transport.calls

    @property
    def _rm(self) -> bool:
        return self.connection.document_type == "rm"

    @property
    def _invoice_kind(self) -> str:
        """The GP object each Woo order becomes."""
        return {"rm": gp.RM_INVOICE, "sop_order": gp.SOP_ORDER}.get(self.connection.document_type, gp.SOP_INVOICE)

    def _number(self, external_number: str) -> str:
        try:
            return gp.document_number(self.connection.document_number_prefix, external_number)
        except gp.NumberTooLong as exc:
            raise PermanentErpError(str(exc), code="number_too_long") from exc

    # ------------------------------------------------------------------------------------- customers
    def find_customer(self, email: str, phone: str | None = None) -> ErpCustomer | None:
        email = email.strip()
        if email:
            own = gp.customer_id_for(email)
            if self.transport.list("Customer", {"Id": {"EqualValue": own}}):
                found = self.get_customer(own)
                if found is not None and found.email.lower() == email.lower():
                    return found
        number = self._indexed(email.lower(), phone)
        if number is None:
            self._refresh_index()
            number = self._indexed(email.lower(), phone)
        return self.get_customer(number) if number is not None else None

    def _indexed(self, email: str, phone: str | None) -> str | None:
        if email and email in self._emails:
            return self._emails[email]
        digits = gp.phone_digits(phone or "")
        return self._phones.get(digits) if digits else None

    def _refresh_index(self) -> None:
        """Read the customers changed since the last refresh (all of them the first time) into the index."""
        criteria: dict[str, Any] = {}
        if self._indexed_to is not None:
            criteria["ModifiedDate"] = {"From": self._indexed_to}
        for summary in self.transport.list("Customer", criteria):
            number = gp.gp_id(summary.get("Key"))
            modified = summary.get("ModifiedDate")
            if isinstance(modified, dt.datetime) and (self._indexed_to is None or modified > self._indexed_to):
                self._indexed_to = modified
            if not number or (modified is not None and self._seen.get(number) == modified):
                continue  # indexed as it is now (one this adapter created, or unchanged at the boundary)
            customer = self.transport.get("Customer", {"Id": number})
            if customer is not None:
                self._index(customer)
        if self._indexed_to is None:
            self._indexed_to = dt.datetime(1900, 1, 1)

    def _index(self, customer: GpObject) -> None:
        number = gp.gp_id(customer.get("Key"))
        for address in gp.addresses_of(customer):
            if email := gp.email_of(address).lower():
                self._emails.setdefault(email, number)
            if digits := gp.phone_digits(gp.phone_of(address)):
                self._phones.setdefault(digits, number)
        self._seen[number] = customer.get("ModifiedDate")

    def get_customer(self, number: str) -> ErpCustomer | None:
        found = self.transport.get("Customer", {"Id": number})
        return gp.erp_customer(found) if found is not None else None

    def create_customer(self, customer: Customer, currency: str | None = None) -> ErpCustomer:
        number = gp.customer_id_for(customer.email)
        obj = gp.customer_object(customer, number, self.connection.customer_class, currency, self.mapping)
        try:
            self.transport.create("Customer", obj)
        except GpRefused as refused:
            if currency and refused.says("currency"):
                raise ErpDataProblem([HoldReason.currency_not_set_up(currency)]) from refused
            if not refused.says("already exists"):
                raise
        address = gp.address_object(customer, number)
        try:
            self.transport.create("CustomerAddress", address)
        except GpRefused as refused:
            if not refused.says("already exists"):
                raise
        found = self.transport.get("Customer", {"Id": number})
        if found is None:
            raise PermanentErpError(f"GP did not keep the customer {number}")
        self._index(found)
        return gp.erp_customer(found)

    # -------------------------------------------------------------------------------- sales documents
    def find_sales_document(self, external_document_number: str) -> ErpDocument | None:
        kind = self._invoice_kind
        if self._rm:
            rows = self.transport.list(kind, {"DocumentId": {"EqualValue": self._number(external_document_number)}})
        else:
            rows = self.transport.list(kind, {"CustomerPONumber": {"EqualValue": external_document_number}})
        for row in rows:
            found = self.transport.get(kind, {"Id": gp.gp_id(row.get("Key"))})
            if found is not None and not found.get("IsVoided"):
                return gp.erp_document(kind, found)
        return None

    def create_sales_document(
        self, order: Order, customer: ErpCustomer, *, parent_skus: Mapping[int, str] | None = None
    ) -> ErpDocument:
        if customer.blocked:
            raise ErpDataProblem([HoldReason.blocked_customer(customer.number, customer.blocked_reason)])
        sku_map = self.connection.sku_map
        keys = rules.required_item_keys(order, sku_map, gp.ITEM_NUMBER_LENGTH)
        known = self._existing_items(keys)
        resolved, holds = rules.resolve_lines(order, known, sku_map, parent_skus or {}, gp.ITEM_NUMBER_LENGTH)
        if holds:
            raise ErpDataProblem(holds)
        currency = order.currency if order.currency != self.connection.local_currency else None
        accounts = self._accounts(customer.number)
        number = self._number(order.external_number)
        kind = self._invoice_kind
        if self._rm:
            amounts, _ = gp.order_amounts(order, resolved)
            obj = gp.rm_document(
                number=number,
                customer_id=customer.number,
                batch_id=self.connection.batch_id,
                external_number=order.external_number,
                description=f"WooCommerce order {order.number}",
                day=gp.gp_date(order.created_at),
                amounts=amounts,
                currency=currency,
                accounts=accounts,
                order=order,
                mapping=self.mapping,
            )
        else:
            obj = gp.sop_document(
                kind,
                order,
                customer.number,
                resolved,
                number=number,
                document_type_id=(
                    self.connection.sop_order_type_id if kind == gp.SOP_ORDER else self.connection.sop_document_type_id
                ),
                batch_id=self.connection.batch_id,
                currency=currency,
                accounts=accounts,
                mapping=self.mapping,
            )
        self._create_document(kind, obj, customer, currency, order.external_number)
        if self.connection.post_batches:
            self.transport.post_batch(RM_BATCH_SOURCE if self._rm else SOP_BATCH_SOURCE, self.connection.batch_id)
        created = self.transport.get(kind, {"Id": number})
        if created is None:
            raise PermanentErpError(f"GP did not keep the document {number} for order {order.external_number}")
        return gp.erp_document(kind, created)

    def _create_document(
        self, kind: str, obj: GpObject, customer: ErpCustomer, currency: str | None, external_number: str
    ) -> None:
        try:
            self.transport.create(kind, obj)
        except GpRefused as refused:
            if refused.says("on hold", "inactive"):
                raise ErpDataProblem([HoldReason.blocked_customer(customer.number, "On hold")]) from refused
            if currency and refused.says("currency"):
                raise ErpDataProblem([HoldReason.currency_not_set_up(currency)]) from refused
            if refused.says("already exists"):
                existing = self.transport.get(kind, gp.split_key(obj))
                if existing is not None and str(existing.get("CustomerPONumber") or "").strip() == external_number:
                    return  # a retry after a crash between GP's write and ours: the document is there
                raise ErpConflict(f"GP document {gp.gp_id(obj.get('Key'))} exists for another order") from refused
            raise

    def _existing_items(self, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        rows = self.transport.list("Item", {"ItemId": {"Items": {"string": list(keys)}}})
        found = {gp.gp_id(row.get("Key")).upper(): gp.gp_id(row.get("Key")) for row in rows}
        return {key: found[key] for key in keys if key in found}

    def _accounts(self, customer_number: str) -> dict[str, str]:
        connection = self.connection
        if not connection.gl_accounts and not connection.customer_gl_accounts:
            return {}
        class_id = ""
        if any(key for key in connection.gl_accounts):  # class-specific accounts: the customer's class decides
            found = self.transport.get("Customer", {"Id": customer_number})
            class_id = gp.gp_id((found or {}).get("ClassKey"))
        return gp.gl_accounts(connection.gl_accounts, connection.customer_gl_accounts, class_id, customer_number)

    def _read(self, document: ErpDocument) -> tuple[str, GpObject]:
        kind, number = gp.split_id(document.id)
        found = self.transport.get(kind, {"Id": number})
        if found is None or found.get("IsVoided"):
            raise PermanentErpError(f"GP document {number} no longer exists", status=404)
        return kind, found

    def get_sales_document(self, document: ErpDocument) -> ErpDocument:
        kind, found = self._read(document)
        return gp.erp_document(kind, found)

    def shipped_anything(self, document: ErpDocument) -> bool:
        kind, found = self._read(document)
        if gp.is_posted(found):
            return True
        return kind in gp.SOP_TYPES and gp.fulfilled(found, f"{kind}Line")[1] > 0

    def cancel_sales_document(self, document: ErpDocument) -> None:
        kind, found = self._read(document)
        if gp.is_posted(found):
            raise ErpConflict(f"GP document {document.number} is posted: a person must reverse it in GP")
        if kind in gp.SOP_TYPES and gp.fulfilled(found, f"{kind}Line")[1] > 0:
            raise ErpConflict(f"GP document {document.number} has shipped (fulfilled quantities)")
        try:
            self.transport.delete(kind, {"Id": document.number})
        except GpRefused as refused:
            if refused.says("posted"):
                raise ErpConflict(f"GP document {document.number} was posted meanwhile") from refused
            raise

    # ----------------------------------------------------------------------------------------- refunds
    def create_credit_memo(self, refund: Refund, order: Order, document: ErpDocument) -> ErpDocument:
        """An SOP return of the refunded items (SOP modes), else a receivables credit memo (facts §2)."""
        external = credit_memo_number(order.external_number, refund.woo_refund_id)
        number = self._number(external)
        currency = order.currency if order.currency != self.connection.local_currency else None
        accounts = self._accounts(document.customer_number)
        customer = ErpCustomer(number=document.customer_number, id=document.customer_number)
        po = external[: gp.CUSTOMER_PO_LENGTH]
        sop_return = None
        if not self._rm and self.transport.supports(gp.SOP_RETURN) and refund.lines:
            sku_map = self.connection.sku_map
            keys = [rules.item_key(line.sku, sku_map) for line in refund.lines if line.sku]
            sop_return = gp.sop_return(
                refund,
                order,
                number=number,
                external_number=external,
                customer_id=document.customer_number,
                items=self._existing_items(list(dict.fromkeys(keys))),
                sku_map=sku_map,
                document_type_id=self.connection.sop_return_type_id,
                batch_id=self.connection.batch_id,
                currency=currency,
                accounts=accounts,
            )
        if sop_return is not None:
            kind, source, obj = gp.SOP_RETURN, SOP_BATCH_SOURCE, sop_return
        else:
            kind, source = gp.RM_CREDIT_MEMO, RM_BATCH_SOURCE
            obj = gp.rm_document(
                number=number,
                customer_id=document.customer_number,
                batch_id=self.connection.batch_id,
                external_number=external,
                description=f"Woo refund {refund.woo_refund_id} of {order.number}",
                day=gp.gp_date(refund.created_at),
                amounts=gp.refund_amounts(refund, order),
                currency=currency,
                accounts=accounts,
                credit_memo=True,
            )
        self._create_document(kind, obj, customer, currency, po)
        if self.connection.post_batches:
            self.transport.post_batch(source, self.connection.batch_id)
        created = self.transport.get(kind, {"Id": number})
        if created is None:
            raise PermanentErpError(f"GP did not keep the credit document {number}")
        return gp.erp_document(kind, created)

    def _memo_kinds(self) -> list[str]:
        sop = not self._rm and self.transport.supports(gp.SOP_RETURN)
        return [gp.SOP_RETURN, gp.RM_CREDIT_MEMO] if sop else [gp.RM_CREDIT_MEMO]

    def find_credit_memo(self, external_document_number: str) -> ErpDocument | None:
        number = self._number(external_document_number)
        for kind in self._memo_kinds():
            if self.transport.list(kind, {"DocumentId": {"EqualValue": number}}):
                found = self.transport.get(kind, {"Id": number})
                if found is not None:
                    return gp.erp_document(kind, found)
        return None

    # ---------------------------------------------------------------------------------------- payments
    def _payment_number(self, external_number: str) -> str:
        return self._number(f"{external_number}-P")

    def record_payment(self, order: Order, document: ErpDocument, amount: Decimal) -> ErpPayment:
        if not self.connection.checkbook_id:
            raise PermanentErpError("GP payments need a checkbook: set the connection's CHECKBOOK_ID")
        number = self._payment_number(order.external_number)
        currency = order.currency if order.currency != self.connection.local_currency else None
        obj: GpObject = {
            "Key": {"Id": number},
            "CustomerKey": {"Id": document.customer_number},
            "BatchKey": {"Id": self.connection.batch_id},
            "BankAccountKey": {"Id": self.connection.checkbook_id},
            "Date": gp.gp_date(order.paid_at or order.created_at),
            "Amount": gp.money(amount, currency or ""),
            "Description": f"Woo {order.number} {order.payment_method_title}"[:30],
            "CheckCardNumber": (order.transaction_id or order.external_number)[:20],
        }
        if currency:
            obj["CurrencyKey"] = {"ISOCode": currency}
        try:
            self.transport.create("CashReceipt", obj)
        except GpRefused as refused:
            if not refused.says("already exists"):
                raise
        if self.connection.post_batches:
            self.transport.post_batch(CASH_BATCH_SOURCE, self.connection.batch_id)
        found = self.transport.get("CashReceipt", {"Id": number})
        if found is None:
            raise PermanentErpError(f"GP did not keep the cash receipt {number}")
        return gp.erp_payment(found, order.external_number)

    def find_payment(self, external_document_number: str) -> ErpPayment | None:
        number = self._payment_number(external_document_number)
        if not self.transport.list("CashReceipt", {"Id": {"EqualValue": number}}):
            return None
        found = self.transport.get("CashReceipt", {"Id": number})
        return gp.erp_payment(found, external_document_number) if found is not None else None

    def payments_between(self, first_day: dt.date, last_day: dt.date) -> list[ErpPayment]:
        """The cash receipts the adapter recorded (numbered ``<prefix><order>-P``) dated in the range, posted
        or not (``CashReceiptCriteria.Date``; the summary carries key, currency and amount: the WSDL)."""
        if not self.connection.checkbook_id:
            return []
        criteria = {
            "Date": {"From": gp.gp_date(first_day), "To": gp.gp_date(last_day) + dt.timedelta(days=1, microseconds=-1)}
        }
        prefix = self.connection.document_number_prefix.upper()
        found: list[ErpPayment] = []
        for row in self.transport.list("CashReceipt", criteria):
            number = gp.gp_id(row.get("Key"))
            if not (number.startswith(prefix) and number.endswith("-P")):
                continue  # a receipt entered in GP, not one of ours
            currency = str((row.get("CurrencyKey") or {}).get("ISOCode") or "").strip()
            payment = gp.erp_payment(row, number[len(prefix) : -len("-P")])
            found.append(replace(payment, currency_code=(currency or self.connection.local_currency).upper()))
        return found

    def currencies(self) -> set[str] | None:
        """The currencies set up in GP, the functional one included: ``GetCurrencyList`` (the Web Services WSDL),
        or over SBA the Admin area's currencies (dynamics.md §3.1; path and body guessed in ``sba_shapes``)."""
        if not self.transport.supports("Currency"):
            return None
        rows = self.transport.list("Currency", {})
        codes = {str((row.get("Key") or {}).get("ISOCode") or "").strip().upper() for row in rows}
        return codes - {""} | {self.connection.local_currency.upper()}

    # ---------------------------------------------------------------------------------- reconciliation
    def _kind_of(self, kind: DocumentKind) -> str:
        return gp.RM_CREDIT_MEMO if kind == DocumentKind.CREDIT_MEMO else self._invoice_kind

    def find_documents(self, kind: DocumentKind, external_document_numbers: Sequence[str]) -> list[ErpDocument]:
        if not external_document_numbers:
            return []
        wanted = list(dict.fromkeys(external_document_numbers))
        if kind == DocumentKind.CREDIT_MEMO:  # found by their numbers, SOP returns and RM credit memos alike
            numbers = {"DocumentId": {"Items": {"string": [self._number(number) for number in wanted]}}}
            return [gp.erp_document(k, row) for k in self._memo_kinds() for row in self.transport.list(k, numbers)]
        gp_kind = self._kind_of(kind)
        if gp_kind in gp.SOP_TYPES:
            criteria = {"CustomerPONumber": {"Items": {"string": wanted}}}
        else:
            criteria = {"DocumentId": {"Items": {"string": [self._number(number) for number in wanted]}}}
        return [gp.erp_document(gp_kind, row) for row in self.transport.list(gp_kind, criteria)]

    def document_totals(
        self, kind: DocumentKind, first_day: dt.date, last_day: dt.date
    ) -> Iterator[tuple[str, Decimal]]:
        kinds = self._memo_kinds() if kind == DocumentKind.CREDIT_MEMO else [self._kind_of(kind)]
        criteria = {
            "Date": {"From": gp.gp_date(first_day), "To": gp.gp_date(last_day) + dt.timedelta(days=1, microseconds=-1)}
        }
        for gp_kind in kinds:
            for row in self.transport.list(gp_kind, criteria):
                document = gp.erp_document(gp_kind, row)
                yield document.external_document_number, document.total_including_tax

    # ---------------------------------------------------------------------------------- catalogue, stock
    def catalog_items(
        self,
        numbers: Sequence[str] | None = None,
        *,
        ids: Sequence[str] | None = None,
        changed_since: dt.datetime | None = None,
    ) -> list[ErpItem]:
        wanted = [*(numbers or []), *(ids or [])]
        if wanted:
            rows = self.transport.list("Item", {"ItemId": {"Items": {"string": [n.upper() for n in wanted]}}})
            item_ids = [gp.gp_id(row.get("Key")) for row in rows]
        elif changed_since is not None:
            since = _naive_utc(changed_since)
            rows = self.transport.list("Item", {"ModifiedDate": {"GreaterThan": since}})
            item_ids = [gp.gp_id(row.get("Key")) for row in rows]
            if self.transport.supports("Pricing"):
                prices = self.transport.list(
                    "Pricing",
                    {
                        "LastModifiedDate": {"GreaterThan": since},
                        "PriceLevelId": {"EqualValue": self.connection.price_level},
                    },
                )
                item_ids += [gp.gp_id((row.get("Key") or {}).get("ItemKey")) for row in prices]
        else:
            item_ids = [gp.gp_id(row.get("Key")) for row in self.transport.list("Item", {})]
        return [item for item_id in dict.fromkeys(i for i in item_ids if i) if (item := self._item(item_id))]

    def _item(self, item_id: str) -> ErpItem | None:
        item = self.transport.get("Item", {"Id": item_id})
        if item is None:
            return None
        return gp.erp_item(item, self._price(item_id), self.connection.sites)

    def _price(self, item_id: str) -> Decimal | None:
        key = {
            "ItemKey": {"Id": item_id},
            "CurrencyKey": {"ISOCode": self.connection.local_currency},
            "PriceLevelKey": {"Id": self.connection.price_level},
        }
        return gp.price_of(self.transport.get("Pricing", key))

    # ------------------------------------------------------------------- item fields from the store (SBA only)
    @property
    def item_fields_writable(self) -> bool:
        """Only SBA can change an item: the Web Services WSDL has no UpdateSalesItem or UpdatePricing (§2.1 (5))."""
        return self.transport.name == "sba"

    def write_item_fields(self, number: str, *, name: str | None = None, unit_price: Decimal | None = None) -> None:
        """The product sync's Woo → GP write: the item's description and/or its price on ``PRICE_LEVEL``."""
        from shared.erp.gp.sba import SbaTransport

        if not isinstance(self.transport, SbaTransport):
            raise PermanentErpError("GP Web Services cannot update an item: product fields flow to GP over SBA only")
        if name is not None and len(name) > ITEM_DESCRIPTION_LENGTH:
            raise PermanentErpError(
                f"the name is longer than GP's {ITEM_DESCRIPTION_LENGTH}-character item description",
                code="name_too_long",
            )
        self.transport.update_item(number, description=name, price=unit_price)

    def _stock_snapshot(self) -> dict[str, str]:
        return {item.number: str(item.inventory) for item in self.catalog_items() if item.stock_tracked}

    def stock_cursor(self) -> str:
        """GP has no stock movement feed here: the cursor is the quantities themselves (compressed)."""
        return _encode(self._stock_snapshot())

    def stock_moves_since(self, cursor: str) -> tuple[set[str], str]:
        before = _decode(cursor)
        now = self._stock_snapshot()
        moved = {number for number, qty in now.items() if before.get(number) != qty}
        return moved, cursor if not moved and now == before else _encode(now)

    def open_order_quantities(self) -> dict[str, Decimal]:
        return {}  # available = on hand − allocated: GP's allocations already count unshipped SOP lines

    # ------------------------------------------------------------------------------------------ shipments
    def list_shipments_since(self, since: dt.datetime) -> list[Shipment]:
        """SOP orders: the invoices GP transferred from them (one per shipment); SOP invoices: their fulfilment
        (GP keeps no per-shipment record of a direct invoice); receivables invoices are not fulfilled in GP."""
        if self._rm or not self.transport.supports(gp.SOP_INVOICE):
            return []
        rows = self.transport.list(gp.SOP_INVOICE, {"ModifiedDate": {"GreaterThan": _naive_utc(since)}})
        changed = [
            found for row in rows if (found := self.transport.get(gp.SOP_INVOICE, {"Id": gp.gp_id(row.get("Key"))}))
        ]
        shipments: list[Shipment] = []
        if self.connection.document_type != "sop_order":
            for invoice in changed:
                shipments.extend(gp.shipments_of(invoice))
        else:
            orders = {gp.gp_id(i.get("OriginalSalesDocumentKey")) for i in changed if gp.is_transfer(i)}
            for order_number in sorted(orders):
                shipments.extend(
                    shipment
                    for shipment in self._transfers(order_number)
                    if shipment.modified_at is None or shipment.modified_at > since
                )
        return sorted(shipments, key=lambda s: (s.modified_at or since, s.erp_shipment_number))

    def _transfers(self, order_number: str) -> list[Shipment]:
        order = self.transport.get(gp.SOP_ORDER, {"Id": order_number})
        if order is None:
            return []
        po = str(order.get("CustomerPONumber") or "")
        rows = self.transport.list(gp.SOP_INVOICE, {"CustomerPONumber": {"EqualValue": po}})
        invoices = [i for row in rows if (i := self.transport.get(gp.SOP_INVOICE, {"Id": gp.gp_id(row.get("Key"))}))]
        mine = [
            i for i in invoices if gp.is_transfer(i) and gp.gp_id(i.get("OriginalSalesDocumentKey")) == order_number
        ]
        return gp.transfer_shipments(order, mine)


def _encode(snapshot: Mapping[str, str]) -> str:
    raw = json.dumps(dict(sorted(snapshot.items())), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode()


def _decode(cursor: str) -> dict[str, str]:
    try:
        return dict(json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor.encode()))))
    except (ValueError, zlib.error):
        return {}
