"""The ERP port: protocol shape, result types, error hierarchy."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import pytest

from shared.config import Settings
from shared.erp.bc.adapter import BcAdapter
from shared.erp.bc.mapping import BcDocumentOptions
from shared.erp.port import (
    CatalogPort,
    CustomerPort,
    DocumentKind,
    ErpConflict,
    ErpCustomer,
    ErpDataProblem,
    ErpError,
    ErpEvents,
    ErpItem,
    ErpPort,
    PaymentPort,
    PermanentErpError,
    ReconciliationPort,
    RefundPort,
    SalesDocumentPort,
    ShipmentPort,
    TransientErpError,
    event_source,
)
from shared.model import HoldCode, HoldReason
from tests.fakes import FakeErp


def test_the_in_memory_fake_and_the_bc_adapter_keep_the_whole_port():
    fake = FakeErp()
    for protocol in (ErpPort, CustomerPort, SalesDocumentPort, RefundPort, PaymentPort, ReconciliationPort,
                     CatalogPort, ShipmentPort):  # fmt: skip
        assert isinstance(fake, protocol)
    port: ErpPort = fake  # static check by mypy
    assert event_source(port) is None  # polled only

    bc = BcAdapter(
        Settings.model_validate(
            {"bc_tenant_id": "t", "bc_company_id": "c", "bc_client_id": "i", "bc_client_secret": "s"}
        )
    )
    assert isinstance(bc, ErpPort) and event_source(bc) is bc  # BC notifications are an event source
    assert isinstance(bc, ErpEvents)


def test_partial_implementation_is_not_an_erp_port():
    class OnlyCatalog:
        def catalog_items(
            self, numbers: Sequence[str] | None = None, *, ids: Sequence[str] | None = None,
            changed_since: datetime | None = None,
        ) -> list[ErpItem]:  # fmt: skip
            return []

        def stock_cursor(self) -> str:
            return "0"

        def stock_moves_since(self, cursor: str) -> tuple[set[str], str]:
            return set(), cursor

        def open_order_quantities(self) -> dict[str, Decimal]:
            return {}

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
