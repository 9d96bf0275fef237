"""In-memory stand-ins for the adapters, so flows run in milliseconds (cosmicpython's fakes).

- :class:`FakeErp` keeps the ERP port's promises in memory: holds, idempotency by external number,
  conflicts on shipped documents, and faults on demand (``fail_next``, ``crash_after``).
- :class:`MemoryTables` is a ``TableServiceClient`` with Azure Table semantics the stores rely on:
  insert-if-absent, replace-if-ETag-matches (412), and ``a eq @x and b eq @y`` queries.
- :class:`FakeWoo` answers the Woo reads and writes the order and refund flows make.
- :class:`ListQueue` is a queue sender that keeps what was sent, with its delay.

The contract suite (``tests/contract``) proves the real adapters keep the same promises.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from shared.erp.port import (
    DocumentKind,
    ErpConflict,
    ErpCustomer,
    ErpDataProblem,
    ErpDocument,
    ErpItem,
    ErpPayment,
    TransientErpError,
)
from shared.model import Customer, HoldReason, Order, Refund, Shipment, credit_memo_number

# ------------------------------------------------------------------------------------------- ERP


class FakeErp:
    """An ERP connection in memory. Item numbers are SKUs; every item is known unless removed."""

    def __init__(self, *, items: Sequence[str] = (), currencies: Sequence[str] = ("USD",)) -> None:
        self.items: dict[str, ErpItem] = {sku: ErpItem(number=sku, id=f"item-{sku}") for sku in items}
        self.currency_codes = set(currencies)
        self.payment_days: dict[str, date] = {}  # external number -> the day a payment is dated
        self.customers: dict[str, ErpCustomer] = {}
        self.documents: dict[str, ErpDocument] = {}  # by external document number
        self.credit_memos: dict[str, ErpDocument] = {}
        self.payments: dict[str, ErpPayment] = {}
        self.shipped: set[str] = set()  # external numbers of documents that shipped
        self.calls: Counter[str] = Counter()
        self.fail_next: list[Exception] = []  # raised by the next calls, first in first out
        self.crash_after: str | None = None  # the next call of this write succeeds, then its answer is lost
        self._ids = itertools.count(1)

    # -- faults

    def _call(self, name: str) -> None:
        self.calls[name] += 1
        if self.fail_next:
            raise self.fail_next.pop(0)

    def _answer(self, name: str, result: Any) -> Any:
        if self.crash_after == name:
            self.crash_after = None
            raise TransientErpError("connection reset after the write", ambiguous=True)
        return result

    # -- customers

    def find_customer(self, email: str, phone: str | None = None) -> ErpCustomer | None:
        self._call("find_customer")
        by_email = [c for c in self.customers.values() if email and c.email.lower() == email.lower()]
        by_phone = [c for c in self.customers.values() if phone and c.phone == phone]
        return (by_email or by_phone or [None])[0]

    def get_customer(self, number: str) -> ErpCustomer | None:
        self._call("get_customer")
        return self.customers.get(number)

    def create_customer(self, customer: Customer, currency: str | None = None) -> ErpCustomer:
        self._call("create_customer")
        number = f"C{next(self._ids):05d}"
        created = ErpCustomer(
            number=number, id=f"cust-{number}", display_name=customer.full_name, email=customer.email,
            phone=customer.phone, currency_code=currency or "",
        )  # fmt: skip
        self.customers[number] = created
        return self._answer("create_customer", created)

    def block_customer(self, number: str) -> None:
        self.customers[number] = dataclasses.replace(self.customers[number], blocked=True, blocked_reason="All")

    # -- sales documents

    def find_sales_document(self, external_document_number: str) -> ErpDocument | None:
        self._call("find_sales_document")
        return self.documents.get(external_document_number)

    def create_sales_document(
        self, order: Order, customer: ErpCustomer, *, parent_skus: Mapping[int, str] | None = None
    ) -> ErpDocument:
        self._call("create_sales_document")
        holds = []
        current = self.customers.get(customer.number, customer)  # a cached match may not know it is blocked
        if current.blocked:
            holds.append(HoldReason.blocked_customer(current.number, current.blocked_reason))
        if order.currency not in self.currency_codes:
            holds.append(HoldReason.currency_not_set_up(order.currency))
        for line in order.lines:
            if (line.sku or "") not in self.items:
                holds.append(HoldReason.unknown_sku(line.sku or "", line))
        if holds:
            raise ErpDataProblem(holds)
        if order.external_number in self.documents:  # a real ERP makes a second one: flows must never ask
            raise AssertionError(f"a second document for {order.external_number}")
        number = f"SO{next(self._ids):05d}"
        document = ErpDocument(
            id=f"doc-{number}", number=number, external_document_number=order.external_number,
            kind=DocumentKind.SALES_ORDER, total_including_tax=order.total, customer_number=customer.number,
            currency_code=order.currency,
        )  # fmt: skip
        self.documents[order.external_number] = document
        return self._answer("create_sales_document", document)

    def get_sales_document(self, document: ErpDocument) -> ErpDocument:
        self._call("get_sales_document")
        current = self.documents[document.external_document_number]
        return dataclasses.replace(current, shipped=current.external_document_number in self.shipped)

    def shipped_anything(self, document: ErpDocument) -> bool:
        self._call("shipped_anything")
        return document.external_document_number in self.shipped

    def cancel_sales_document(self, document: ErpDocument) -> None:
        self._call("cancel_sales_document")
        if document.external_document_number in self.shipped:
            raise ErpConflict(f"{document.number} has shipped; it cannot be cancelled", code="shipped")
        del self.documents[document.external_document_number]

    # -- refunds and payments

    def create_credit_memo(self, refund: Refund, order: Order, document: ErpDocument) -> ErpDocument:
        self._call("create_credit_memo")
        number = credit_memo_number(order.external_number, refund.woo_refund_id)
        if number in self.credit_memos:
            raise AssertionError(f"a second credit memo {number}")
        memo = ErpDocument(
            id=f"cm-{number}", number=f"CM{next(self._ids):05d}", external_document_number=number,
            kind=DocumentKind.CREDIT_MEMO, total_including_tax=refund.amount,
        )  # fmt: skip
        self.credit_memos[number] = memo
        return self._answer("create_credit_memo", memo)

    def find_credit_memo(self, external_document_number: str) -> ErpDocument | None:
        self._call("find_credit_memo")
        return self.credit_memos.get(external_document_number)

    def record_payment(self, order: Order, document: ErpDocument, amount: Decimal) -> ErpPayment:
        self._call("record_payment")
        number = order.external_number
        if number in self.payments:
            raise AssertionError(f"a second payment for {number}")
        payment = ErpPayment(f"pay-{number}", document.number, amount, number, order.currency)
        self.payments[number] = payment
        self.payment_days[number] = (order.paid_at or order.created_at).date()
        return self._answer("record_payment", payment)

    def find_payment(self, external_document_number: str) -> ErpPayment | None:
        self._call("find_payment")
        return self.payments.get(external_document_number)

    # -- reconciliation

    def find_documents(self, kind: DocumentKind, external_document_numbers: Sequence[str]) -> list[ErpDocument]:
        self._call("find_documents")
        pool = self.credit_memos if kind == DocumentKind.CREDIT_MEMO else self.documents
        return [pool[n] for n in external_document_numbers if n in pool and pool[n].kind == kind]

    def document_totals(self, kind: DocumentKind, first_day: date, last_day: date) -> Iterator[tuple[str, Decimal]]:
        self._call("document_totals")
        pool = self.credit_memos if kind == DocumentKind.CREDIT_MEMO else self.documents
        return iter([(n, d.total_including_tax) for n, d in pool.items() if d.kind == kind])

    def payments_between(self, first_day: date, last_day: date) -> list[ErpPayment]:
        self._call("payments_between")
        days = self.payment_days
        return [p for n, p in self.payments.items() if n in days and first_day <= days[n] <= last_day]

    def currencies(self) -> set[str] | None:
        self._call("currencies")
        return set(self.currency_codes)

    # -- catalogue, stock, shipments

    def catalog_items(
        self,
        numbers: Sequence[str] | None = None,
        *,
        ids: Sequence[str] | None = None,
        changed_since: datetime | None = None,
    ) -> list[ErpItem]:
        self._call("catalog_items")
        items = list(self.items.values())
        if numbers is not None:
            items = [item for item in items if item.number in numbers]
        if ids is not None:
            items = [item for item in items if item.id in ids]
        if changed_since is not None:
            items = [item for item in items if item.modified_at is None or item.modified_at > changed_since]
        return items

    def stock_cursor(self) -> str:
        return "0"

    def stock_moves_since(self, cursor: str) -> tuple[set[str], str]:
        return set(), cursor

    def open_order_quantities(self) -> dict[str, Decimal]:
        return {}

    def list_shipments_since(self, since: datetime) -> list[Shipment]:
        return []


# ---------------------------------------------------------------------------------------- tables


class _Entity(dict[str, Any]):
    metadata: dict[str, Any]


def _entity(stored: Mapping[str, Any], etag: int) -> _Entity:
    entity = _Entity(copy.deepcopy(dict(stored)))
    entity.metadata = {"etag": f'W/"{etag}"'}
    return entity


class _PreconditionFailed(HttpResponseError):
    status_code = 412


_CLAUSE = re.compile(r"^\s*(\w+)\s+eq\s+@(\w+)\s*$")


class MemoryTable:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}
        self._etags = itertools.count(1)

    def _store(self, entity: Mapping[str, Any]) -> dict[str, str]:
        etag = next(self._etags)
        self.rows[(entity["PartitionKey"], entity["RowKey"])] = (copy.deepcopy(dict(entity)), etag)
        return {"etag": f'W/"{etag}"'}

    def create_entity(self, entity: Mapping[str, Any]) -> dict[str, str]:
        if (entity["PartitionKey"], entity["RowKey"]) in self.rows:
            raise ResourceExistsError("EntityAlreadyExists")
        return self._store(entity)

    def get_entity(self, partition_key: str, row_key: str) -> _Entity:
        if (partition_key, row_key) not in self.rows:
            raise ResourceNotFoundError("ResourceNotFound")
        return _entity(*self.rows[(partition_key, row_key)])

    def update_entity(self, entity: Mapping[str, Any], *, etag: str, **_: Any) -> dict[str, str]:
        key = (entity["PartitionKey"], entity["RowKey"])
        if key not in self.rows:
            raise ResourceNotFoundError("ResourceNotFound")
        if etag != f'W/"{self.rows[key][1]}"':
            raise _PreconditionFailed("UpdateConditionNotSatisfied")
        return self._store(entity)

    def upsert_entity(self, entity: Mapping[str, Any], **_: Any) -> dict[str, str]:
        return self._store(entity)

    def delete_entity(self, partition_key: str, row_key: str) -> None:
        self.rows.pop((partition_key, row_key), None)

    def query_entities(self, query_filter: str, parameters: Mapping[str, Any] | None = None) -> Iterator[_Entity]:
        clauses = []
        for clause in query_filter.split(" and "):
            match = _CLAUSE.match(clause)
            if match is None:
                raise NotImplementedError(f"MemoryTable filters are 'a eq @x and …', not {query_filter!r}")
            clauses.append((match.group(1), (parameters or {})[match.group(2)]))
        for stored, etag in list(self.rows.values()):
            if all(stored.get(field) == value for field, value in clauses):
                yield _entity(stored, etag)

    def list_entities(self) -> Iterator[_Entity]:
        return iter([_entity(stored, etag) for stored, etag in self.rows.values()])

    def submit_transaction(self, operations: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        for operation, entity in operations:
            if operation == "delete":
                self.delete_entity(entity["PartitionKey"], entity["RowKey"])
            else:
                self.upsert_entity(entity)


class MemoryTables:
    """A ``TableServiceClient`` in memory: one :class:`MemoryTable` per name."""

    def __init__(self) -> None:
        self.tables: dict[str, MemoryTable] = {}

    def get_table_client(self, table_name: str) -> MemoryTable:
        return self.tables.setdefault(table_name, MemoryTable())

    def create_table(self, table_name: str) -> MemoryTable:
        return self.get_table_client(table_name)


# ------------------------------------------------------------------------------------ Woo, queues


class FakeWoo:
    """The WooCommerce reads and writes of the order and refund flows, for one store."""

    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.notes: dict[int, list[str]] = {}
        self.products: dict[int, dict[str, Any]] = {}

    def get_order(self, order_id: int) -> dict[str, Any]:
        return copy.deepcopy(self.orders[order_id])

    def add_order_note(self, order_id: int, note: str, *, customer_note: bool = False) -> dict[str, Any]:
        self.notes.setdefault(order_id, []).append(note)
        return {"id": len(self.notes[order_id]), "note": note}

    def list_refunds(self, order_id: int) -> list[dict[str, Any]]:
        return copy.deepcopy(self.refunds.get(order_id, []))

    def list_products(self, **params: Any) -> Iterator[dict[str, Any]]:
        wanted = {int(pid) for pid in str(params.get("include", "")).split(",") if pid}
        return iter([copy.deepcopy(p) for pid, p in self.products.items() if pid in wanted])


class ListQueue:
    """A queue sender that keeps (message, delay) pairs."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], int | None]] = []

    def send(self, message: dict[str, Any], *, visibility_timeout: int | None = None) -> object:
        self.sent.append((copy.deepcopy(message), visibility_timeout))
        return None

    def take(self) -> list[dict[str, Any]]:
        messages = [message for message, _ in self.sent]
        self.sent.clear()
        return messages
