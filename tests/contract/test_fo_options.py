"""The F&O adapter's configuration variants on the F&O emulator, beyond the contract's defaults: F&O numbering
the order (header, then the lines in one changeset, the header deleted when they fail), refunds as negative
sales orders, and an item deleted in F&O after it was cached."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from sandbox.entra import EntraEmulator
from sandbox.fo import FoEmulator
from sandbox.fo.probe import FoProbe
from shared.config import Settings
from shared.erp.fo.adapter import FoAdapter
from shared.erp.fo.client import key_path
from shared.erp.port import DocumentKind, ErpDataProblem
from shared.model import HoldCode

from .orders import order, refund_of_line
from .test_fo import fo_connection, fo_emulators  # noqa: F401 (the session's emulators)

pytestmark = [pytest.mark.fo, pytest.mark.integration]


@pytest.fixture
def probe(fo_emulators: tuple[FoEmulator, EntraEmulator]) -> Iterator[FoProbe]:  # noqa: F811
    fo, entra = fo_emulators
    made = FoProbe.new_company(fo.base_url, entra.authority, ca_bundle=str(fo.ca_bundle))
    yield made
    made.close()


def adapter(fo_emulators: tuple[FoEmulator, EntraEmulator], probe: FoProbe, **options: Any) -> FoAdapter:  # noqa: F811
    fo, entra = fo_emulators
    settings = Settings(sandbox_ca_bundle=str(fo.ca_bundle), http_timeout_seconds=20.0)
    return FoAdapter(settings, fo_connection(fo, entra, probe.data_area_id, **options))


def headers(erp: FoAdapter, reference: str) -> list[dict[str, Any]]:
    return erp.client.get_all("SalesOrderHeadersV2", {"$filter": f"CustomersOrderReference eq '{reference}'"})


def test_f_and_o_numbers_the_order_and_the_lines_follow_in_one_changeset(
    fo_emulators: tuple[FoEmulator, EntraEmulator],  # noqa: F811
    probe: FoProbe,
) -> None:
    erp = adapter(fo_emulators, probe, sales_order_numbers="sequence")
    probe.seed_item("SEQ-1", price=Decimal("4.00"), stock=Decimal(10))
    placed = order([("SEQ-1", 3, "4.00")])
    document = erp.create_sales_document(placed, erp.create_customer(placed.customer))
    assert not document.number.startswith("WOO-") and document.total_including_tax == Decimal(12)
    lines = erp.client.get_all("SalesOrderLines", {"$filter": f"SalesOrderNumber eq '{document.number}'"})
    assert [(line["ItemNumber"], line["OrderedSalesQuantity"]) for line in lines] == [("SEQ-1", 3)]
    erp.close()


def test_an_item_deleted_after_it_was_cached_holds_the_order_and_leaves_no_header(
    fo_emulators: tuple[FoEmulator, EntraEmulator],  # noqa: F811
    probe: FoProbe,
) -> None:
    erp = adapter(fo_emulators, probe, sales_order_numbers="sequence")
    probe.seed_item("GONE-1", price=Decimal("4.00"), stock=Decimal(10))
    first = order([("GONE-1", 1, "4.00")])
    customer = erp.create_customer(first.customer)
    erp.create_sales_document(first, customer)  # GONE-1 is cached now
    path = key_path("ReleasedProductsV2", dataAreaId=probe.data_area_id, ItemNumber="GONE-1")
    erp.client.call("DELETE", path, params=erp.client.key_params())
    second = order([("GONE-1", 1, "4.00")], customer=first.customer)
    with pytest.raises(ErpDataProblem) as problem:
        erp.create_sales_document(second, customer)
    assert (problem.value.hold.code, problem.value.hold.subject) == (HoldCode.UNKNOWN_SKU, "GONE-1")
    assert headers(erp, second.number) == []  # the header of the failed attempt was deleted: no half order
    erp.close()


def test_item_refunds_as_a_negative_sales_order(
    fo_emulators: tuple[FoEmulator, EntraEmulator],  # noqa: F811
    probe: FoProbe,
) -> None:
    erp = adapter(fo_emulators, probe, item_refunds="credit_order")
    probe.seed_item("NEG-1", price=Decimal("15.00"), stock=Decimal(10))
    placed = order([("NEG-1", 2, "15.00")])
    document = erp.create_sales_document(placed, erp.create_customer(placed.customer))
    memo = erp.create_credit_memo(refund_of_line(placed, quantity=1), placed, document)
    assert memo.kind == DocumentKind.CREDIT_MEMO and memo.total_including_tax == Decimal(15)
    lines = erp.client.get_all("SalesOrderLines", {"$filter": f"SalesOrderNumber eq '{memo.number}'"})
    assert [(line["ItemNumber"], line["OrderedSalesQuantity"]) for line in lines] == [("NEG-1", -1)]
    found = erp.find_credit_memo(memo.external_document_number)
    assert found is not None and found.id == memo.id
    erp.close()


def test_money_only_refunds_are_dated_journal_lines_with_their_totals(
    fo_emulators: tuple[FoEmulator, EntraEmulator],  # noqa: F811
    probe: FoProbe,
) -> None:
    erp = adapter(fo_emulators, probe)
    probe.seed_item("MONEY-1", price=Decimal("20.00"), stock=Decimal(10))
    placed = order([("MONEY-1", 1, "20.00")])
    document = erp.create_sales_document(placed, erp.create_customer(placed.customer))
    refund = refund_of_line(placed).model_copy(update={"lines": (), "amount": Decimal("7.50")})
    memo = erp.create_credit_memo(refund, placed, document)
    assert (memo.kind, memo.total_including_tax) == (DocumentKind.CREDIT_MEMO, Decimal("7.50"))
    day = refund.created_at.date()
    assert list(erp.document_totals(DocumentKind.CREDIT_MEMO, day, day)) == [
        (memo.external_document_number, Decimal("7.50"))
    ]
    assert erp.find_payment(placed.number) is None  # a refund line is not the order's payment
    erp.close()
