"""Business Central API v2.0 adapter: implements the ERP port over HTTP (facts: dynamics.md §1).

Cost model (ARCHITECTURE "Performance"): one deep-insert POST per new order at steady state. Item
numbers are cached per process; a lookup by external document number happens only when a retry makes
it possible that an earlier attempt created the document.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.auth import EntraTokens
from shared.config import BcConnection, Settings
from shared.erp.bc import catalog as bc_catalog
from shared.erp.bc import events as bc_events
from shared.erp.bc.client import BcClient, any_of_within, company_url, odata_string
from shared.erp.bc.mapping import (
    BcCustomerOptions,
    BcDocumentOptions,
    BcItemRef,
    BcMappingError,
    ItemNumberTooLong,
    bc_customer_from_json,
    bc_document_from_json,
    bc_item_from_json,
    can_be_item_number,
    credit_memo_payload,
    customer_payload,
    erp_item_key,
    json_ready,
    required_item_keys,
    sales_document_payload,
)
from shared.erp.bc.mapping_file import connection_mapping
from shared.erp.bc.subscriptions import BcSubscriptions, resource_path
from shared.erp.port import (
    DocumentKind,
    ErpConflict,
    ErpCustomer,
    ErpDataProblem,
    ErpDocument,
    ErpHints,
    ErpItem,
    ErpPayment,
    EventReceipt,
    PermanentErpError,
    SubscriptionReport,
    TransientErpError,
)
from shared.http import (
    ApiClient,
    RetryPolicy,
    TokenSource,
    tls_bundle_file,
)
from shared.model import Customer, HoldReason, Order, Refund, Shipment

ITEM_CACHE_SECONDS = 900
FILTER_CHUNK = 20  # item numbers per $filter (OR on one field is allowed; keep URLs short)


def document_options(connection: BcConnection) -> BcDocumentOptions:
    return BcDocumentOptions(
        mapping=connection_mapping(connection),
        document_kind=DocumentKind(connection.document_kind),
        post_invoice=connection.post_invoices,
        local_currency=connection.local_currency,
        shipping_line_type=connection.shipping_line_type,
        shipping_number=connection.shipping_number or None,
        fee_line_type=connection.fee_line_type,
        fee_number=connection.fee_number or None,
        sku_map=connection.sku_map,
        tax_code_map=connection.tax_code_map,
    )


class BcAdapter:
    def __init__(
        self, settings: Settings, connection: BcConnection | None = None, *, tokens: TokenSource | None = None
    ) -> None:
        """One BC company: ``connection`` (default: the flat BC_* settings); HTTP limits from ``settings``."""
        connection = connection or settings.flat_connection()
        ca_bundles = [bundle for bundle in (settings.sandbox_ca_bundle, connection.ca_bundle) if bundle]
        self.tokens = tokens or EntraTokens(
            tenant_id=connection.tenant_id,
            client_id=connection.client_id,
            client_secret=connection.client_secret.get_secret_value(),
            scope=connection.scope,
            authority=connection.authority,
            verify=tls_bundle_file(ca_bundles),
        )
        self.api = ApiClient(
            "bc",
            company_url(connection),
            timeout=settings.http_timeout_seconds,
            policy=RetryPolicy(max_attempts=settings.http_max_attempts),
            tokens=self.tokens,
            verify=ca_bundles,
        )
        self.client = BcClient(self.api, connection)
        self.options = document_options(connection)
        self.customer_options = BcCustomerOptions(
            local_currency=connection.local_currency, mapping=self.options.mapping
        )
        self.refund_account = connection.refund_account or None
        self.post_credit_memos = connection.post_credit_memos
        self.payment_journal = connection.payment_journal
        self._payment_journal_id: str | None = None
        self._items: dict[str, tuple[BcItemRef, float]] = {}
        self._lock = threading.Lock()
        self.connection = connection

    @property
    def calls(self) -> int:
        return self.api.calls

    def close(self) -> None:
        self.api.close()

    # -------------------------------------------------------------- customers

    def find_customer(self, email: str, phone: str | None = None) -> ErpCustomer | None:
        """The customer with this e-mail, else with this phone number: both looked up in one `$batch`
        (BC cannot OR two fields in one filter, facts §1.4); rows come back in request order."""
        lookups = [
            ("customers", {"$filter": f"{field} eq {odata_string(value)}", "$top": "1"})
            for field, value in (("email", email), ("phoneNumber", phone))
            if value
        ]
        found = self.client.batch_get(lookups)
        return bc_customer_from_json(found[0]) if found else None

    def get_customer(self, number: str) -> ErpCustomer | None:
        found = self.client.get_all("customers", {"$filter": f"number eq {odata_string(number)}", "$top": "1"})
        return bc_customer_from_json(found[0]) if found else None

    def create_customer(self, customer: Customer, currency: str | None = None) -> ErpCustomer:
        payload = customer_payload(customer, self.customer_options, currency)
        context = {"currency": currency or self.customer_options.local_currency}
        return bc_customer_from_json(self.client.call("POST", "customers", json=json_ready(payload), context=context))

    # -------------------------------------------------------------- sales documents

    def _entity_set(self, kind: DocumentKind) -> str:
        return "salesOrders" if kind == DocumentKind.SALES_ORDER else "salesInvoices"

    def find_sales_document(self, external_document_number: str) -> ErpDocument | None:
        kind = self.options.document_kind
        params = {"$filter": f"externalDocumentNumber eq {odata_string(external_document_number)}", "$top": "1"}
        found = self.client.get_all(self._entity_set(kind), params)
        return bc_document_from_json(found[0], kind) if found else None

    def create_sales_document(
        self, order: Order, customer: ErpCustomer, *, parent_skus: Mapping[int, str] | None = None
    ) -> ErpDocument:
        if customer.blocked:
            raise ErpDataProblem([HoldReason.blocked_customer(customer.number, customer.blocked_reason)])
        items = self.resolve_items(required_item_keys(order, self.options))
        try:
            plan = sales_document_payload(order, customer.number, items, self.options, parent_skus=parent_skus)
        except BcMappingError as exc:
            raise PermanentErpError(str(exc)) from exc
        if plan.holds:
            raise ErpDataProblem(plan.holds)
        assert plan.payload is not None
        try:
            context = {"customer": customer.number, "currency": order.currency}
            created = self.client.call("POST", plan.entity_set, json=json_ready(plan.payload), context=context)
        except ErpDataProblem:
            self.forget_items(items)  # an item may have been blocked or deleted since it was cached
            raise
        document = bc_document_from_json(created, plan.kind)
        if plan.post_after_create:
            try:
                self.client.call("POST", f"{plan.entity_set}({document.id})/Microsoft.NAV.post")
                document = self.get_sales_document(document)
            except TransientErpError as exc:  # the document exists: a retry must find it, not create another
                raise TransientErpError(
                    exc.message, status=exc.status, retry_after=exc.retry_after, ambiguous=True
                ) from exc
        return document

    def get_sales_document(self, document: ErpDocument) -> ErpDocument:
        data = self.client.call("GET", f"{self._entity_set(document.kind)}({document.id})")
        return bc_document_from_json(data, document.kind)

    def shipped_anything(self, document: ErpDocument) -> bool:
        if document.kind != DocumentKind.SALES_ORDER:
            return document.shipped
        lines = self.client.get_all(f"salesOrders({document.id})/salesOrderLines", {})
        return any(Decimal(str(line.get("shippedQuantity") or 0)) > 0 for line in lines)

    def cancel_sales_document(self, document: ErpDocument) -> None:
        current = self.get_sales_document(document)
        if current.shipped or self.shipped_anything(current):
            raise ErpConflict(f"{current.number} has shipped; it cannot be cancelled", code="shipped")
        path = f"{self._entity_set(current.kind)}({current.id})"
        self.client.call("DELETE", path, headers={"If-Match": current.etag or "*"})

    def find_credit_memo(self, external_document_number: str) -> ErpDocument | None:
        params = {"$filter": f"externalDocumentNumber eq {odata_string(external_document_number)}", "$top": "1"}
        found = self.client.get_all("salesCreditMemos", params)
        return bc_document_from_json(found[0], DocumentKind.CREDIT_MEMO) if found else None

    # -------------------------------------------------------------- reconciliation reads

    def find_documents(self, kind: DocumentKind, external_document_numbers: Sequence[str]) -> list[ErpDocument]:
        """Every document of `kind` whose externalDocumentNumber is one of the given numbers.

        One `externalDocumentNumber eq 'a' or … eq 'b'` filter (OR on one field is allowed, facts §1.4)
        per RECONCILE_FILTER_CHARS of filter text (~45 numbers), all of them in one JSON `$batch` (§1.3),
        so a page of 100 Woo orders costs one call.
        """
        entity_set = {
            DocumentKind.SALES_ORDER: "salesOrders",
            DocumentKind.SALES_INVOICE: "salesInvoices",
            DocumentKind.CREDIT_MEMO: "salesCreditMemos",
        }[kind]
        select = "id,number,externalDocumentNumber,totalAmountIncludingTax,status,customerNumber,currencyCode"
        expressions = any_of_within("externalDocumentNumber", sorted(set(external_document_numbers)))
        rows = self.client.batch_get(
            [(entity_set, {"$filter": expression, "$select": select}) for expression in expressions]
        )
        return [bc_document_from_json(row, kind) for row in rows]

    def document_totals(self, kind: DocumentKind, first_day: date, last_day: date) -> Iterator[tuple[str, Decimal]]:
        """(externalDocumentNumber, totalAmountIncludingTax) of every document of `kind` dated in the range
        (orderDate / invoiceDate / creditMemoDate), streamed page by page: a few calls for a whole day."""
        entity_set, date_field = {
            DocumentKind.SALES_ORDER: ("salesOrders", "orderDate"),
            DocumentKind.SALES_INVOICE: ("salesInvoices", "invoiceDate"),
            DocumentKind.CREDIT_MEMO: ("salesCreditMemos", "creditMemoDate"),
        }[kind]
        params = {
            "$filter": f"{date_field} ge {first_day.isoformat()} and {date_field} le {last_day.isoformat()}",
            "$select": "externalDocumentNumber,totalAmountIncludingTax",
        }
        for row in self.client.iter_rows(entity_set, params):
            yield str(row.get("externalDocumentNumber") or ""), Decimal(str(row.get("totalAmountIncludingTax") or 0))

    def posted_invoice_id(self, document: ErpDocument) -> str | None:
        """The posted invoice a credit memo applies to: the document itself, or the order's invoice."""
        if document.kind == DocumentKind.SALES_INVOICE:
            return document.id if self.get_sales_document(document).shipped else None
        params = {"$filter": f"orderNumber eq {odata_string(document.number)}", "$top": "1"}
        rows = self.client.get_all("salesInvoices", params)
        invoices = [row for row in rows if row.get("status") not in ("Draft", "")]
        return str(invoices[0]["id"]) if invoices else None

    def create_credit_memo(self, refund: Refund, order: Order, document: ErpDocument) -> ErpDocument:
        keys = {erp_item_key(line.sku, self.options) for line in refund.lines if line.sku}
        items = self.resolve_items(sorted(key for key in keys if can_be_item_number(key)))
        try:
            payload = credit_memo_payload(
                refund,
                order,
                document.customer_number,
                items,
                self.options,
                self.refund_account,
                invoice_id=self.posted_invoice_id(document),
            )
        except ItemNumberTooLong as exc:
            raise ErpDataProblem([exc.hold]) from exc
        except BcMappingError as exc:
            raise PermanentErpError(str(exc)) from exc
        context = {"customer": document.customer_number, "currency": order.currency}
        memo = bc_document_from_json(
            self.client.call("POST", "salesCreditMemos", json=json_ready(payload), context=context),
            DocumentKind.CREDIT_MEMO,
        )
        if self.post_credit_memos:
            self.client.call("POST", f"salesCreditMemos({memo.id})/Microsoft.NAV.post")
            memo = bc_document_from_json(
                self.client.call("GET", f"salesCreditMemos({memo.id})"), DocumentKind.CREDIT_MEMO
            )
        return memo

    def _journal_path(self) -> str:
        if self._payment_journal_id is None:
            code = odata_string(self.payment_journal)
            found = self.client.get_all("customerPaymentJournals", {"$filter": f"code eq {code}", "$top": "1"})
            if not found:
                raise PermanentErpError(f"customer payment journal {self.payment_journal!r} does not exist in BC")
            self._payment_journal_id = str(found[0]["id"])
        return f"customerPaymentJournals({self._payment_journal_id})/customerPayments"

    def find_payment(self, external_document_number: str) -> ErpPayment | None:
        """The journal line already recorded for this Woo order, if any (after an ambiguous attempt)."""
        params = {"$filter": f"externalDocumentNumber eq {odata_string(external_document_number)}", "$top": "1"}
        found = self.client.get_all(self._journal_path(), params)
        return _payment(found[0]) if found else None

    def record_payment(self, order: Order, document: ErpDocument, amount: Decimal) -> ErpPayment:
        """A customer payment journal line for the Woo payment; posting the journal stays with finance.

        The amount is negative: a payment credits the customer (cash receipt journal convention; the
        API docs show both signs in their examples).
        """
        body: dict[str, Any] = {
            "customerNumber": document.customer_number,
            "postingDate": (order.paid_at or order.created_at).date().isoformat(),
            "externalDocumentNumber": order.external_number,
            "amount": -amount,
            "description": f"WooCommerce order {order.number} {order.payment_method_title}".strip()[:100],
        }
        if document.kind == DocumentKind.SALES_INVOICE and document.shipped:
            body["appliesToInvoiceNumber"] = document.number
        return _payment(self.client.call("POST", self._journal_path(), json=json_ready(body)))

    def payments_between(self, first_day: date, last_day: date) -> list[ErpPayment]:
        """The lines on the payment journal dated (``postingDate``) in the range: the ones the adapter recorded
        and finance has not posted yet (posted lines leave the journal); empty when no journal is set.

        A line has no currency of its own in API v2.0: it is its customer's (``currencyCode``, blank for the
        local one), read for all of them in one ``$batch``."""
        if not self.payment_journal:
            return []
        params = {
            "$filter": f"postingDate ge {first_day.isoformat()} and postingDate le {last_day.isoformat()}",
            "$select": "id,customerNumber,documentNumber,externalDocumentNumber,amount",
        }
        rows = list(self.client.iter_rows(self._journal_path(), params))
        numbers = sorted({str(row.get("customerNumber") or "") for row in rows} - {""})
        currencies: dict[str, str] = {}
        if numbers:
            lookups = [
                ("customers", {"$filter": expression, "$select": "number,currencyCode"})
                for expression in any_of_within("number", numbers)
            ]
            customers = self.client.batch_get(lookups)
            currencies = {str(c.get("number")): str(c.get("currencyCode") or "") for c in customers}
        local = self.connection.local_currency
        return [
            replace(_payment(row), currency_code=(currencies.get(str(row.get("customerNumber"))) or local).upper())
            for row in rows
        ]

    def currencies(self) -> set[str]:
        """The ``currencies`` entity's codes and the local currency (LCY has no row: documents in it carry a blank
        code)."""
        rows = self.client.iter_rows("currencies", {"$select": "code"})
        return {str(row.get("code") or "").upper() for row in rows} - {""} | {self.connection.local_currency.upper()}

    # -------------------------------------------------------------- items

    def resolve_items(self, numbers: Sequence[str]) -> dict[str, BcItemRef]:
        """Item refs by number: from the cache, else one $filter query for all the missing ones."""
        now = time.monotonic()
        found: dict[str, BcItemRef] = {}
        with self._lock:
            for number in numbers:
                cached = self._items.get(number)
                if cached and now - cached[1] < ITEM_CACHE_SECONDS:
                    found[number] = cached[0]
        missing = [n for n in numbers if n not in found]
        for item in self.list_items(missing):
            ref = BcItemRef.from_item(item)
            found[item.number] = ref
            with self._lock:
                self._items[item.number] = (ref, now)
        return found

    def forget_items(self, items: Mapping[str, BcItemRef]) -> None:
        with self._lock:
            for number in items:
                self._items.pop(number, None)

    def list_items(self, skus: Sequence[str]) -> list[ErpItem]:
        items: list[ErpItem] = []
        for start in range(0, len(skus), FILTER_CHUNK):
            chunk = skus[start : start + FILTER_CHUNK]
            expression = " or ".join(f"number eq {odata_string(n)}" for n in chunk)
            items.extend(bc_item_from_json(row) for row in self.client.get_all("items", {"$filter": expression}))
        return [item for item in items if not item.blocked]

    def list_shipments_since(self, since: datetime) -> list[Shipment]:
        return bc_catalog.shipments_since(self.client, since)

    # -------------------------------------------------------------- stock and price sync (shared.erp.bc.catalog)

    def catalog_items(
        self,
        numbers: Sequence[str] | None = None,
        *,
        ids: Sequence[str] | None = None,
        changed_since: datetime | None = None,
    ) -> list[ErpItem]:
        return bc_catalog.catalog_items(self.client, numbers, ids=ids, changed_since=changed_since)

    def stock_cursor(self) -> str:
        return bc_catalog.stock_cursor(self.client)

    def open_order_quantities(self) -> dict[str, Decimal]:
        return bc_catalog.open_order_quantities(self.client)

    def stock_moves_since(self, cursor: str) -> tuple[set[str], str]:
        return bc_catalog.stock_moves_since(self.client, cursor)

    # -------------------------------------------------------------- ERP events: item notifications (bc.events)

    def receive_event(self, params: Mapping[str, str], body: bytes) -> EventReceipt:
        return bc_events.receive_notification(params, body, self.connection.webhook_client_state.get_secret_value())

    def read_hints(self, payload: Mapping[str, object]) -> ErpHints:
        return bc_events.read_hints(bc_events.notifications_of(payload), self.connection.company_id)

    def ensure_subscriptions(self, notification_url: str | None, now: datetime) -> SubscriptionReport:
        client_state = self.connection.webhook_client_state.get_secret_value()
        if notification_url is None or not client_state:
            return SubscriptionReport(configured=False)
        resources = [resource_path(self.connection, entity_set) for entity_set in bc_events.SUBSCRIBED_ENTITY_SETS]
        window = timedelta(hours=self.connection.subscription_renew_hours)
        return bc_events.ensure_subscriptions(
            BcSubscriptions(self.client), resources, notification_url, client_state, now, window
        )


def _payment(data: Mapping[str, Any]) -> ErpPayment:
    return ErpPayment(
        id=str(data["id"]),
        document_number=str(data.get("documentNumber") or ""),
        amount=-Decimal(str(data.get("amount") or 0)),
        external_document_number=str(data.get("externalDocumentNumber") or ""),
    )
