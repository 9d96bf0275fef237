"""The ERP port: protocol shape, result types, error hierarchy."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import pytest

from shared.erp.bc.mapping import BcDocumentOptions
from shared.erp.port import (
    CatalogPort,
    CustomerPort,
    DocumentKind,
    ErpConflict,
    ErpCustomer,
    ErpDataProblem,
    ErpDocument,
    ErpError,
    ErpItem,
    ErpPayment,
    ErpPort,
    PermanentErpError,
    SalesDocumentPort,
    ShipmentPort,
    TransientErpError,
)
from shared.model import Customer, HoldCode, HoldReason, Order, Refund, Shipment


class FakeErp:
    """A minimal in-memory implementation, to prove the protocol is implementable as written."""

    def __init__(self) -> None:
        self.documents: dict[str, ErpDocument] = {}

    def find_customer(self, email: str, phone: str | None = None) -> ErpCustomer | None:
        return None

    def create_customer(self, customer: Customer, currency: str | None = None) -> ErpCustomer:
        return ErpCustomer(number="C1", id="id-1", email=customer.email)

    def find_sales_document(self, external_document_number: str) -> ErpDocument | None:
        return self.documents.get(external_document_number)

    def create_sales_document(self, order: Order, customer: ErpCustomer) -> ErpDocument:
        document = ErpDocument(
            id="d1", number="SO1", external_document_number=order.number, kind=DocumentKind.SALES_ORDER,
            total_including_tax=order.total,
        )  # fmt: skip
        self.documents[order.number] = document
        return document

    def get_sales_document(self, document: ErpDocument) -> ErpDocument:
        return document

    def cancel_sales_document(self, document: ErpDocument) -> None:
        if document.shipped:
            raise ErpConflict("shipped", status=409)

    def create_credit_memo(self, refund: Refund, order: Order, document: ErpDocument) -> ErpDocument:
        return dataclasses.replace(document, kind=DocumentKind.CREDIT_MEMO, total_including_tax=refund.amount)

    def record_payment(self, order: Order, document: ErpDocument, amount: Decimal) -> ErpPayment:
        return ErpPayment(id="p1", document_number=document.number, amount=amount)

    def list_items(self, skus: Sequence[str]) -> list[ErpItem]:
        return [ErpItem(number=sku, id=sku) for sku in skus]

    def list_items_changed_since(self, since: datetime) -> list[ErpItem]:
        return []

    def list_shipments_since(self, since: datetime) -> list[Shipment]:
        return []


def test_fake_satisfies_every_protocol():
    fake = FakeErp()
    for protocol in (ErpPort, CustomerPort, SalesDocumentPort, CatalogPort, ShipmentPort):
        assert isinstance(fake, protocol)
    port: ErpPort = fake  # static check by mypy
    assert port.list_items(["A"])[0].number == "A"


def test_partial_implementation_is_not_an_erp_port():
    class OnlyCatalog:
        def list_items(self, skus: Sequence[str]) -> list[ErpItem]:
            return []

        def list_items_changed_since(self, since: datetime) -> list[ErpItem]:
            return []

    assert isinstance(OnlyCatalog(), CatalogPort)
    assert not isinstance(OnlyCatalog(), ErpPort)


def test_error_hierarchy():
    for cls in (TransientErpError, PermanentErpError, ErpConflict, ErpDataProblem):
        assert issubclass(cls, ErpError)
    transient = TransientErpError("throttled", status=429, code="TooManyRequests", retry_after=2.5)
    assert transient.retry_after == 2.5 and transient.status == 429 and str(transient) == "throttled"
    assert TransientErpError("x").retry_after is None
    conflict = ErpConflict("Another user has already changed the record.", status=409, code="Request_EntityChanged")
    assert conflict.code == "Request_EntityChanged"


def test_data_problem_carries_holds():
    holds = [HoldReason.currency_not_set_up("NOK"), HoldReason.blocked_customer("C9", "All")]
    problem = ErpDataProblem(holds, status=400)
    assert problem.hold.code is HoldCode.CURRENCY_NOT_SET_UP
    assert problem.holds == tuple(holds)
    assert "NOK" in str(problem) and "C9" in str(problem)
    with pytest.raises(ValueError):
        ErpDataProblem([])


def test_result_types_are_frozen():
    customer = ErpCustomer(number="C1", id="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        customer.number = "C2"  # type: ignore[misc]


def test_document_options_accept_sales_documents_only():
    assert BcDocumentOptions(local_currency="USD", document_kind="salesInvoice").document_kind is (  # type: ignore[arg-type]
        DocumentKind.SALES_INVOICE
    )
    with pytest.raises(ValueError, match="salesOrder or salesInvoice"):
        BcDocumentOptions(local_currency="USD", document_kind=DocumentKind.CREDIT_MEMO)
    with pytest.raises(ValueError):
        BcDocumentOptions(local_currency="USD", shipping_line_type="Comment")  # type: ignore[arg-type]
