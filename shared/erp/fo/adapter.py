"""Dynamics 365 Finance & Operations adapter: implements the ERP port over OData v4 (facts:
finance-operations.md, dynamics.md §2).

Cost model: one multipart ``$batch`` per new order at steady state (header and lines in one atomic
changeset, the header read back in the same call) when the connector numbers the order
(``SALES_ORDER_NUMBERS=woo``); with F&O's number sequence, the header first, then the lines in one
changeset (the header is deleted if they fail: never a half order). Item numbers are cached per process;
a lookup by ``CustomersOrderReference`` happens only when a retry makes it possible that an earlier
attempt created the order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.auth import EntraTokens
from shared.config import FoConnection, Settings
from shared.erp.fo import catalog as fo_catalog
from shared.erp.fo import events as fo_events
from shared.erp.fo import guesses
from shared.erp.fo.client import BatchRequest, FoClient, key_path, odata_string
from shared.erp.fo.mapping import (
    FoMappingError,
    FoOptions,
    OrderPlan,
    credit_order_from_json,
    credit_order_lines,
    customer_from_json,
    customer_payload,
    document_from_json,
    journal_line_id,
    journal_refund_from_json,
    json_ready,
    order_plan,
    payment_line,
    refund_item_lines,
    refund_reference,
    required_item_keys,
    return_from_json,
    return_number,
    return_order_plan,
    round_total,
)
from shared.erp.fo.mapping_file import connection_mapping
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
from shared.http import ApiClient, RetryPolicy, TokenSource, tls_bundle_file
from shared.model import Customer, HoldReason, Order, Refund, Shipment

ITEM_CACHE_SECONDS = 900
CUSTOMER_SELECT = (
    "CustomerAccount,OrganizationName,PersonFirstName,PersonLastName,NameAlias,PrimaryContactEmail,"
    "PrimaryContactPhone,OnHoldStatus,SalesCurrencyCode"
)
HEADER_SELECT = (
    "SalesOrderNumber,CustomersOrderReference,OrderTotalAmount,SalesOrderStatus,OrderingCustomerAccountNumber,"
    "InvoiceCustomerAccountNumber,CurrencyCode,OrderCreationDateTime"
)
STOCK_CURSOR = "full-read"  # F&O has no stock movement cursor (facts §2.6): every push reads on-hand in full


def fo_options(connection: FoConnection) -> FoOptions:
    return FoOptions(
        data_area_id=connection.data_area_id.lower(),
        local_currency=connection.local_currency,
        customer_group=connection.customer_group,
        sales_order_numbers=connection.sales_order_numbers,
        sales_order_prefix=connection.sales_order_prefix,
        sales_order_origin=connection.sales_order_origin,
        sales_tax_group=connection.sales_tax_group,
        shipping_item=connection.shipping_item,
        fee_item=connection.fee_item,
        sku_map=connection.sku_map,
        tax_code_map=connection.tax_code_map,
        dimension_map=connection.dimension_map,
        country_map={k.upper(): v for k, v in connection.country_map.items()},
        return_reason_code=connection.return_reason_code,
        mapping=connection_mapping(connection),
    )


class FoAdapter:
    def __init__(self, settings: Settings, connection: FoConnection, *, tokens: TokenSource | None = None) -> None:
        """One F&O legal entity; HTTP limits from ``settings``."""
        ca_bundles = [bundle for bundle in (settings.sandbox_ca_bundle, connection.ca_bundle) if bundle]
        self.tokens = tokens or EntraTokens(
            tenant_id=connection.tenant_id,
            client_id=connection.client_id,
            client_secret=connection.client_secret.get_secret_value(),
            scope=connection.token_scope,
            authority=connection.authority,
            verify=tls_bundle_file(ca_bundles),
        )
        self.api = ApiClient(
            "fo",
            connection.environment_url.rstrip("/") + "/data/",
            timeout=settings.http_timeout_seconds,
            policy=RetryPolicy(max_attempts=settings.http_max_attempts),
            tokens=self.tokens,
            verify=ca_bundles,
        )
        self.client = FoClient(self.api, connection.data_area_id, cross_company=connection.cross_company)
        self.connection = connection
        self.options = fo_options(connection)
        self._items: dict[str, tuple[ErpItem, float]] = {}
        self._journals: dict[str, str] = {}  # "<journal name> <day>" → JournalBatchNumber
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return self.api.calls

    def close(self) -> None:
        self.api.close()

    def _company_key(self, **keys: str) -> str:
        return key_path("", dataAreaId=self.client.data_area_id, **keys)

    # -------------------------------------------------------------- customers

    def find_customer(self, email: str, phone: str | None = None) -> ErpCustomer | None:
        """The customer with this primary e-mail (any case), else this primary phone: one GET.

        The e-mail is matched with F&O's wildcard ``eq 'x*'`` (case-insensitive, facts §1.3) and compared
        exactly here; plain ``eq`` follows the database collation (UNCONFIRMED)."""
        terms = []
        if email:
            terms.append(f"PrimaryContactEmail eq {odata_string(email.strip() + '*')}")
        if phone:
            terms.append(f"PrimaryContactPhone eq {odata_string(phone.strip())}")
        if not terms:
            return None
        rows = self.client.get_all("CustomersV3", {"$filter": " or ".join(terms), "$select": CUSTOMER_SELECT})
        wanted = email.strip().lower()
        by_email = [row for row in rows if str(row.get("PrimaryContactEmail") or "").lower() == wanted and wanted]
        by_phone = [row for row in rows if phone and str(row.get("PrimaryContactPhone") or "") == phone.strip()]
        found = sorted(by_email or by_phone, key=lambda row: str(row["CustomerAccount"]))
        return customer_from_json(found[0]) if found else None

    def get_customer(self, number: str) -> ErpCustomer | None:
        row = self.client.get_key("CustomersV3", {"CustomerAccount": number})
        return customer_from_json(row) if row else None

    def create_customer(self, customer: Customer, currency: str | None = None) -> ErpCustomer:
        payload = customer_payload(customer, self.options, currency)
        context = {"currency": (currency or self.options.local_currency).upper()}
        return customer_from_json(self.client.call("POST", "CustomersV3", json=json_ready(payload), context=context))

    # -------------------------------------------------------------- sales orders

    def find_sales_document(self, external_document_number: str) -> ErpDocument | None:
        params = {
            "$filter": f"CustomersOrderReference eq {odata_string(external_document_number)}",
            "$select": HEADER_SELECT,
        }
        found = self.client.get_all("SalesOrderHeadersV2", params)
        return document_from_json(found[0]) if found else None

    def create_sales_document(
        self, order: Order, customer: ErpCustomer, *, parent_skus: Mapping[int, str] | None = None
    ) -> ErpDocument:
        if customer.blocked:
            raise ErpDataProblem([HoldReason.blocked_customer(customer.number, customer.blocked_reason)])
        try:
            return self._create_order(order, customer, parent_skus)
        except PermanentErpError as exc:
            if guesses.ITEM_NOT_FOUND_MARKER not in exc.message.lower():
                raise
            # an item cached here was deleted in F&O since: read the items again, so the order is held for it
            self.forget_items(self.resolve_items(required_item_keys(order, self.options)))
            return self._create_order(order, customer, parent_skus)

    def _create_order(self, order: Order, customer: ErpCustomer, parent_skus: Mapping[int, str] | None) -> ErpDocument:
        items = self.resolve_items(required_item_keys(order, self.options))
        try:
            plan = order_plan(order, customer.number, items, self.options, parent_skus=parent_skus)
        except FoMappingError as exc:
            raise PermanentErpError(str(exc)) from exc
        if plan.holds:
            raise ErpDataProblem(plan.holds)
        context = {"customer": customer.number, "currency": order.currency.upper()}
        try:
            return self._write_order(plan, context)
        except ErpConflict:
            # The number is taken: an earlier attempt whose answer was lost wrote this very order.
            existing = self.find_sales_document(order.external_number)
            if existing is None:
                raise
            return existing
        except ErpDataProblem:
            self.forget_items(items)  # an item may have been deleted or stopped since it was cached
            raise

    def _write_order(self, plan: OrderPlan, context: Mapping[str, str]) -> ErpDocument:
        assert plan.header is not None
        number = plan.header.get("SalesOrderNumber")
        if number:  # header and lines in one changeset, the header read back in the same call
            requests = [BatchRequest("POST", "SalesOrderHeadersV2", json_ready(plan.header))]
            requests += [
                BatchRequest("POST", guesses.SALES_ORDER_LINES, json_ready({**line, "SalesOrderNumber": number}))
                for line in plan.lines
            ]
            reads = [
                (
                    "SalesOrderHeadersV2",
                    {"$filter": f"SalesOrderNumber eq {odata_string(number)}", "$select": HEADER_SELECT},
                )
            ]
            _, [read] = self.client.changeset(requests, reads=reads, context=context)
            rows = (read.body or {}).get("value", []) if isinstance(read.body, dict) and read.status < 400 else []
            if rows:
                return document_from_json(rows[0])
            return self._get_order(number)
        header = self.client.call("POST", "SalesOrderHeadersV2", json=json_ready(plan.header), context=context)
        number = str(header["SalesOrderNumber"])
        try:
            self.client.changeset(
                [
                    BatchRequest("POST", guesses.SALES_ORDER_LINES, json_ready({**line, "SalesOrderNumber": number}))
                    for line in plan.lines
                ],
                context=context,
            )
        except TransientErpError as exc:
            if exc.ambiguous:  # the lines may be there: the order must be looked up, not deleted blindly
                raise
            self._delete_order(number)
            raise
        except Exception:
            self._delete_order(number)
            raise
        return self._get_order(number)

    def _delete_order(self, number: str) -> None:
        self.client.call("DELETE", self._order_path(number), params=self.client.key_params())

    def _order_path(self, number: str) -> str:
        return key_path("SalesOrderHeadersV2", dataAreaId=self.client.data_area_id, SalesOrderNumber=number)

    def _get_order(self, number: str) -> ErpDocument:
        row = self.client.get_key("SalesOrderHeadersV2", {"SalesOrderNumber": number})
        if row is None:
            raise PermanentErpError(
                f"sales order {number} is not in legal entity {self.client.data_area_id}", status=404
            )
        return document_from_json(row)

    def get_sales_document(self, document: ErpDocument) -> ErpDocument:
        return self._get_order(document.number)

    def shipped_anything(self, document: ErpDocument) -> bool:
        """Delivered or invoiced, or a packing slip posted for part of it."""
        current = self._get_order(document.number)
        if current.shipped:
            return True
        params = {
            "$filter": f"SalesOrderNumber eq {odata_string(document.number)}",
            "$top": "1",
            "$select": "PackingSlipNumber",
        }
        return bool(self.client.get_all(guesses.PACKING_SLIP_TRACKING, params))

    def cancel_sales_document(self, document: ErpDocument) -> None:
        """Delete an order nothing of which was delivered (its lines go with it); a delivered one is a conflict."""
        if self.shipped_anything(document):
            raise ErpConflict(f"{document.number} has shipped; it cannot be cancelled", code="shipped")
        self.client.call("DELETE", self._order_path(document.number), params=self.client.key_params())

    # -------------------------------------------------------------- refunds

    def create_credit_memo(self, refund: Refund, order: Order, document: ErpDocument) -> ErpDocument:
        """Items returned: a return order (default; facts §2.5 option 1) or a negative sales order
        (``ITEM_REFUNDS=credit_order``). Money only: a debit line on the customer payment journal (seed 002)."""
        reference = refund_reference(order, refund)
        lines = refund_item_lines(refund, self.options)
        known = self.resolve_items([key for key, *_ in lines])
        lines = [line for line in lines if line[0] in known]
        context = {"customer": document.customer_number, "currency": order.currency.upper()}
        if not lines:
            return self._journal_refund(refund, order, document, reference)
        if self.connection.item_refunds == "credit_order":
            return self._credit_order(refund, order, document, reference, lines, context)
        header, bodies = return_order_plan(refund, order, document.customer_number, lines, self.options)
        total = round_total(sum((quantity * unit for _, quantity, unit, _ in lines), Decimal(0)), order.currency)
        number = str(header.get("ReturnOrderNumber") or "")
        if number:
            requests = [BatchRequest("POST", guesses.RETURN_ORDER_HEADERS, json_ready(header))]
            requests += [
                BatchRequest("POST", guesses.RETURN_ORDER_LINES, json_ready({**body, "ReturnOrderNumber": number}))
                for body in bodies
            ]
            [answer, *_], _ = self.client.changeset(requests, context=context)
            return return_from_json(answer.body if isinstance(answer.body, dict) else header, total)
        created_header = self.client.call(
            "POST", guesses.RETURN_ORDER_HEADERS, json=json_ready(header), context=context
        )
        number = str(created_header["ReturnOrderNumber"])
        try:
            self.client.changeset(
                [
                    BatchRequest("POST", guesses.RETURN_ORDER_LINES, json_ready({**body, "ReturnOrderNumber": number}))
                    for body in bodies
                ],
                context=context,
            )
        except TransientErpError as exc:
            if not exc.ambiguous:
                self.client.call(
                    "DELETE",
                    key_path(
                        guesses.RETURN_ORDER_HEADERS, dataAreaId=self.client.data_area_id, ReturnOrderNumber=number
                    ),
                    params=self.client.key_params(),
                )
            raise
        except Exception:
            self.client.call(
                "DELETE",
                key_path(guesses.RETURN_ORDER_HEADERS, dataAreaId=self.client.data_area_id, ReturnOrderNumber=number),
                params=self.client.key_params(),
            )
            raise
        return return_from_json(created_header, total)

    def _credit_order(
        self,
        refund: Refund,
        order: Order,
        document: ErpDocument,
        reference: str,
        lines: list[tuple[str, Decimal, Decimal, str]],
        context: Mapping[str, str],
    ) -> ErpDocument:
        """A sales order with negative quantities (facts §2.5 option 2), written like an order."""
        header: dict[str, Any] = {
            "dataAreaId": self.options.data_area_id,
            "OrderingCustomerAccountNumber": document.customer_number,
            "InvoiceCustomerAccountNumber": document.customer_number,
            "CurrencyCode": order.currency.upper(),
            "CustomersOrderReference": reference,
            "CustomerRequisitionNumber": str(refund.woo_refund_id),
        }
        number = return_number(reference, self.options)
        if number:
            header["SalesOrderNumber"] = number
        created = self._write_order(OrderPlan(header=header, lines=credit_order_lines(lines, self.options)), context)
        row = self.client.get_key("SalesOrderHeadersV2", {"SalesOrderNumber": created.number})
        return credit_order_from_json(row or {"SalesOrderNumber": created.number, "CustomersOrderReference": reference})

    def _journal_refund(self, refund: Refund, order: Order, document: ErpDocument, reference: str) -> ErpDocument:
        if not self.connection.payment_journal:
            raise PermanentErpError("a refund of money only needs a customer payment journal: set PAYMENT_JOURNAL")
        day = refund.created_at.astimezone(UTC).date()
        body = self._payment_body(
            customer_account=document.customer_number,
            reference=reference,
            day=day,
            currency=order.currency,
            debit=round_total(refund.amount, order.currency),
            text=f"WooCommerce refund {order.number} {refund.reason}".strip(),
        )
        context = {"customer": document.customer_number, "currency": order.currency.upper()}
        return journal_refund_from_json(
            self.client.call("POST", "CustomerPaymentJournalLines", json=json_ready(body), context=context)
        )

    def find_credit_memo(self, external_document_number: str) -> ErpDocument | None:
        found = self.find_documents(DocumentKind.CREDIT_MEMO, [external_document_number])
        return found[0] if found else None

    # -------------------------------------------------------------- payments

    def _journal_batch(self, day: date) -> str:
        """The open customer payment journal of the day (one per journal name and day, made when missing)."""
        name = self.connection.payment_journal
        description = f"WooCommerce {day.isoformat()}"
        key = f"{name} {description}"
        with self._lock:
            cached = self._journals.get(key)
        if cached:
            return cached
        params = {
            "$filter": f"JournalName eq {odata_string(name)} and Description eq {odata_string(description)}",
            "$select": "JournalBatchNumber,IsPosted",
        }
        rows = [
            row for row in self.client.get_all("CustomerPaymentJournalHeaders", params) if row.get("IsPosted") != "Yes"
        ]
        if rows:
            batch = str(rows[0]["JournalBatchNumber"])
        else:
            body = {"dataAreaId": self.options.data_area_id, "JournalName": name, "Description": description}
            batch = str(self.client.call("POST", "CustomerPaymentJournalHeaders", json=body)["JournalBatchNumber"])
        with self._lock:
            self._journals[key] = batch
        return batch

    def _payment_body(
        self,
        *,
        customer_account: str,
        reference: str,
        day: date,
        currency: str,
        text: str,
        credit: Decimal = Decimal(0),
        debit: Decimal = Decimal(0),
    ) -> dict[str, Any]:
        return payment_line(
            batch=self._journal_batch(day),
            customer_account=customer_account,
            reference=reference,
            day=day,
            currency=currency,
            credit=credit,
            debit=debit,
            text=text,
            options=self.options,
            offset_type=self.connection.payment_offset_account_type,
            offset_account=self.connection.payment_offset_account,
            payment_method=self.connection.payment_method,
        )

    def record_payment(self, order: Order, document: ErpDocument, amount: Decimal) -> ErpPayment:
        """A customer payment journal line (a credit on the customer) for the Woo payment; posting the journal
        stays with finance (no standard OData posting action: facts §2.4)."""
        if not self.connection.payment_journal:
            raise PermanentErpError("recording payments needs a customer payment journal: set PAYMENT_JOURNAL")
        body = self._payment_body(
            customer_account=document.customer_number,
            reference=order.external_number,
            day=(order.paid_at or order.created_at).astimezone(UTC).date(),
            currency=order.currency,
            credit=amount,
            text=f"WooCommerce order {order.number} {order.payment_method_title}".strip(),
        )
        context = {"customer": document.customer_number, "currency": order.currency.upper()}
        return _payment(self.client.call("POST", "CustomerPaymentJournalLines", json=json_ready(body), context=context))

    def find_payment(self, external_document_number: str) -> ErpPayment | None:
        params = {
            "$filter": f"PaymentReference eq {odata_string(external_document_number)} and CreditAmount gt 0",
            "$top": "1",
        }
        found = self.client.get_all("CustomerPaymentJournalLines", params)
        return _payment(found[0]) if found else None

    def payments_between(self, first_day: date, last_day: date) -> list[ErpPayment]:
        """The payment lines the adapter wrote (credit lines in its ``WooCommerce <day>`` journals of
        ``PAYMENT_JOURNAL``, facts §2.4) dated in the range, posted or not; refunds (debit lines) are not
        payments, and lines finance entered in other journals are not the connector's."""
        name = self.connection.payment_journal
        if not name:
            return []
        headers = self.client.iter_rows(
            "CustomerPaymentJournalHeaders",
            {"$filter": f"JournalName eq {odata_string(name)}", "$select": "JournalBatchNumber,Description"},
        )
        ours = {
            str(h["JournalBatchNumber"]) for h in headers if str(h.get("Description") or "").startswith("WooCommerce ")
        }
        end = last_day + timedelta(days=1)
        params = {
            "$filter": f"TransactionDate ge {first_day.isoformat()} and TransactionDate lt {end.isoformat()}"
            " and CreditAmount gt 0",
            "$select": "dataAreaId,JournalBatchNumber,LineNumber,PaymentReference,CreditAmount,CurrencyCode",
        }
        local = self.connection.local_currency
        rows = self.client.iter_rows("CustomerPaymentJournalLines", params)
        return [_payment(row, local) for row in rows if str(row.get("JournalBatchNumber")) in ours]

    def currencies(self) -> set[str]:
        """The currencies F&O has (``Currencies``, one table for all legal entities: guesses.CURRENCIES) and the
        connection's local currency; exchange rates are not checked."""
        rows = self.client.iter_rows(guesses.CURRENCIES, {"$select": "CurrencyCode"}, shared=True)
        codes = {str(row.get("CurrencyCode") or "").strip().upper() for row in rows}
        return codes - {""} | {self.connection.local_currency.upper()}

    # -------------------------------------------------------------- reconciliation reads

    def find_documents(self, kind: DocumentKind, external_document_numbers: Sequence[str]) -> list[ErpDocument]:
        numbers = sorted(set(external_document_numbers))
        if not numbers:
            return []
        if kind == DocumentKind.SALES_ORDER:
            rows = self._rows_by_reference("SalesOrderHeadersV2", "CustomersOrderReference", numbers, HEADER_SELECT)
            return [document_from_json(row) for row in rows]
        if kind == DocumentKind.SALES_INVOICE:
            rows = self._rows_by_reference(guesses.SALES_INVOICE_HEADERS, "CustomersOrderReference", numbers, None)
            return [_invoice(row) for row in rows]
        found: list[ErpDocument] = []
        if self.connection.item_refunds == "credit_order":
            rows = self._rows_by_reference("SalesOrderHeadersV2", "CustomersOrderReference", numbers, HEADER_SELECT)
            found += [credit_order_from_json(row) for row in rows]
        else:
            for row in self._rows_by_reference(guesses.RETURN_ORDER_HEADERS, "CustomersOrderReference", numbers, None):
                found.append(
                    return_from_json(
                        row, self._return_total(str(row["ReturnOrderNumber"]), str(row.get("CurrencyCode") or ""))
                    )
                )
        rows = self._rows_by_reference("CustomerPaymentJournalLines", "PaymentReference", numbers, None)
        found += [journal_refund_from_json(row) for row in rows if Decimal(str(row.get("DebitAmount") or 0)) > 0]
        return found

    def _return_total(self, number: str, currency: str) -> Decimal:
        params = {
            "$filter": f"ReturnOrderNumber eq {odata_string(number)}",
            "$select": "ReturnSalesQuantity,SalesPrice",
        }
        rows = self.client.get_all(guesses.RETURN_ORDER_LINES, params)
        amount = sum(
            (
                abs(Decimal(str(r.get("ReturnSalesQuantity") or 0))) * Decimal(str(r.get("SalesPrice") or 0))
                for r in rows
            ),
            Decimal(0),
        )
        return round_total(amount, currency or self.options.local_currency)

    def _rows_by_reference(
        self, entity_set: str, field: str, numbers: Sequence[str], select: str | None
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for expression in fo_catalog.any_of(field, numbers):
            params = {"$filter": expression}
            if select:
                params["$select"] = select
            rows.extend(self.client.get_all(entity_set, params))
        return rows

    def document_totals(self, kind: DocumentKind, first_day: date, last_day: date) -> Iterator[tuple[str, Decimal]]:
        """(reference, total) of the orders F&O created in the range (``OrderCreationDateTime``: F&O dates an
        order itself; the Woo date cannot be written, facts §2.2), of the invoices dated in it, or of the
        money-only refunds (payment-journal debit lines) dated in it."""
        end = last_day + timedelta(days=1)
        if kind == DocumentKind.SALES_INVOICE:
            params = {
                "$filter": f"InvoiceDate ge {first_day.isoformat()} and InvoiceDate lt {end.isoformat()}",
                "$select": "CustomersOrderReference,TotalInvoiceAmount",
            }
            for row in self.client.iter_rows(guesses.SALES_INVOICE_HEADERS, params):
                yield str(row.get("CustomersOrderReference") or ""), Decimal(str(row.get("TotalInvoiceAmount") or 0))
            return
        if kind == DocumentKind.CREDIT_MEMO:
            # money-only refunds (journal debit lines, dated); return orders carry no date in the CDM list
            params = {
                "$filter": f"TransactionDate ge {first_day.isoformat()} and TransactionDate lt {end.isoformat()}"
                " and DebitAmount gt 0",
                "$select": "PaymentReference,DebitAmount",
            }
            for row in self.client.iter_rows("CustomerPaymentJournalLines", params):
                if row.get("PaymentReference"):
                    yield str(row["PaymentReference"]), Decimal(str(row.get("DebitAmount") or 0))
            return
        params = {
            "$filter": f"OrderCreationDateTime ge {first_day.isoformat()}T00:00:00Z"
            f" and OrderCreationDateTime lt {end.isoformat()}T00:00:00Z",
            "$select": "CustomersOrderReference,OrderTotalAmount",
        }
        for row in self.client.iter_rows("SalesOrderHeadersV2", params):
            if row.get("CustomersOrderReference"):
                yield str(row["CustomersOrderReference"]), Decimal(str(row.get("OrderTotalAmount") or 0))

    # -------------------------------------------------------------- items

    def resolve_items(self, numbers: Sequence[str]) -> dict[str, ErpItem]:
        """Items by number: from the cache, else one read for all the missing ones (prices, no stock)."""
        now = time.monotonic()
        found: dict[str, ErpItem] = {}
        with self._lock:
            for number in numbers:
                cached = self._items.get(number)
                if cached and now - cached[1] < ITEM_CACHE_SECONDS:
                    found[number] = cached[0]
        missing = [n for n in numbers if n not in found]
        if missing:
            for item in fo_catalog.catalog_items(self.client, missing, self.connection.warehouses, stock=False):
                found[item.number] = item
                with self._lock:
                    self._items[item.number] = (item, now)
        return found

    def forget_items(self, items: Mapping[str, ErpItem]) -> None:
        with self._lock:
            for number in items:
                self._items.pop(number, None)

    # -------------------------------------------------------------- stock, prices, shipments (fo.catalog)

    def catalog_items(
        self,
        numbers: Sequence[str] | None = None,
        *,
        ids: Sequence[str] | None = None,
        changed_since: datetime | None = None,
    ) -> list[ErpItem]:
        """Items by number or id (the same in F&O: the item number), or all of them. F&O keeps no change
        date (facts §2.6): ``changed_since`` reads every item and the push writes only what differs."""
        wanted = numbers if numbers is not None else ids
        return fo_catalog.catalog_items(self.client, wanted, self.connection.warehouses)

    def stock_cursor(self) -> str:
        return STOCK_CURSOR

    def stock_moves_since(self, cursor: str) -> tuple[set[str], str]:
        """Nothing: F&O has no stock movement feed on the OData entities (facts §2.6); every delta push reads
        on-hand in full through :meth:`catalog_items` and compares it with what was last pushed."""
        return set(), cursor

    def open_order_quantities(self) -> dict[str, Decimal]:
        return fo_catalog.open_order_quantities(self.client)

    def list_shipments_since(self, since: datetime) -> list[Shipment]:
        return fo_catalog.shipments_since(self.client, since)

    # -------------------------------------------------------------- ERP events: business events (fo.events)

    def receive_event(self, params: Mapping[str, str], body: bytes) -> EventReceipt:
        return fo_events.receive_business_event(body, self.client.data_area_id)

    def read_hints(self, payload: Mapping[str, object]) -> ErpHints:
        return fo_events.read_hints(self.client, payload)

    def ensure_subscriptions(self, notification_url: str | None, now: datetime) -> SubscriptionReport:
        """Nothing to keep: business events are activated in F&O (System administration › Business events),
        pointed at ``<notification_url>`` once; there is no API to renew (facts §3, infra/README.md)."""
        return SubscriptionReport(configured=notification_url is not None)


def _payment(data: Mapping[str, Any], local_currency: str = "") -> ErpPayment:
    return ErpPayment(
        id=journal_line_id(data),
        document_number=str(data.get("JournalBatchNumber") or ""),
        amount=Decimal(str(data.get("CreditAmount") or 0)),
        external_document_number=str(data.get("PaymentReference") or ""),
        currency_code=str(data.get("CurrencyCode") or local_currency).upper(),
    )


def _invoice(row: Mapping[str, Any]) -> ErpDocument:
    return ErpDocument(
        id=str(row["InvoiceNumber"]),
        number=str(row["InvoiceNumber"]),
        external_document_number=str(row.get("CustomersOrderReference") or ""),
        kind=DocumentKind.SALES_INVOICE,
        total_including_tax=Decimal(str(row.get("TotalInvoiceAmount") or 0)),
        shipped=True,
        customer_number=str(row.get("InvoiceCustomerAccountNumber") or ""),
        currency_code=str(row.get("CurrencyCode") or ""),
    )
