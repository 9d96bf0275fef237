"""The ERP port's contract: the promises every adapter keeps, as one suite that runs against each ERP.

In the style of the Singer SDK's standard tap tests: one class per ERP subclasses
:class:`ErpPortContract` and provides three fixtures, and so runs every case below against its emulator:

* ``probe``: a :class:`sandbox.probe.ErpProbe` on a connection created for the test;
* ``erp``: the adapter for that connection, with its production retry policy;
* ``impatient_erp``: the adapter for that connection with one attempt per call and a timeout of
  :data:`IMPATIENT_TIMEOUT_SECONDS`, so a fault surfaces from the first request.

The cases use the adapter's public methods and the port's types and errors only, never an ERP's wire
format: a case that needs something done behind the port (ship, block, throttle) asks the probe.
Real HTTP round trips throughout. Item numbers are upper case, as ERP codes are.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from sandbox.probe import ErpProbe, Fault
from shared.erp.port import (
    DocumentKind,
    ErpConflict,
    ErpDataProblem,
    ErpDocument,
    ErpPort,
    PermanentErpError,
    TransientErpError,
)
from shared.model import HoldCode, Order

from .orders import buyer, order, refund_of_line

IMPATIENT_TIMEOUT_SECONDS = 2.0  # far above an emulator's answer time, far below a TIMEOUT fault's hang
LONG_RETRY_AFTER = 30  # longer than any in-call wait: the adapter hands it back instead of sleeping
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

Erp = ErpPort  # the adapter under test: the suite calls what the port declares, nothing else


def external_number(placed: Order) -> str:
    """The external document number the connector gives an order's ERP document."""
    return placed.number


class ErpPortContract:
    """The contract cases. Subclasses provide the ``probe``, ``erp`` and ``impatient_erp`` fixtures."""

    tracks_changes: bool = True
    """The ERP dates changes to items, stock and shipments finely enough for delta reads. False where it does
    not (F&O: no change date on released products or on-hand, a delivery date on packing slips): then delta
    reads return everything that may have changed and the flows compare with what they last pushed/applied."""

    @pytest.fixture
    def probe(self) -> ErpProbe:
        raise NotImplementedError("an ERP's contract class provides a probe on a fresh connection")

    @pytest.fixture
    def erp(self, probe: ErpProbe) -> Erp:
        raise NotImplementedError("an ERP's contract class provides the adapter for the probe's connection")

    @pytest.fixture
    def impatient_erp(self, probe: ErpProbe) -> Erp:
        raise NotImplementedError("an ERP's contract class provides a one-attempt, short-timeout adapter")

    @pytest.fixture(autouse=True)
    def _faults_cleared(self, probe: ErpProbe) -> Iterator[None]:
        yield
        probe.clear_faults()

    def post(
        self, erp: Erp, probe: ErpProbe, lines: list[tuple[str, int, str]], **kwargs: Any
    ) -> tuple[Order, ErpDocument]:
        """Seed the lines' items, create the buyer, post the order: (order, its ERP document)."""
        for sku, _, price in lines:
            probe.seed_item(sku, price=Decimal(price), stock=Decimal(100))
        placed = order(lines, **kwargs)
        customer = erp.create_customer(placed.customer)
        return placed, erp.create_sales_document(placed, customer)

    # --------------------------------------------------------------------------------------- the probe

    def test_the_adapter_and_the_probe_keep_their_protocols(self, erp: Erp, probe: ErpProbe):
        assert isinstance(erp, ErpPort)
        assert isinstance(probe, ErpProbe)
        assert probe.kind in ("bc", "fo", "gp")

    # -------------------------------------------------------------------------------- customers

    def test_a_customer_is_found_by_email_then_by_phone(self, erp: Erp, probe: ErpProbe):
        probe.seed_customer("CUST-1", email="known@example.com", name="Known Buyer", phone="555-0101")
        assert erp.find_customer("nobody@example.com") is None
        by_email = erp.find_customer("known@example.com")
        assert by_email is not None and by_email.number == "CUST-1" and not by_email.blocked
        by_phone = erp.find_customer("other@example.com", "555-0101")
        assert by_phone is not None and by_phone.number == "CUST-1"

    def test_the_email_match_ignores_case(self, erp: Erp, probe: ErpProbe):
        probe.seed_customer("CUST-2", email="Mixed.Case@Example.com")
        found = erp.find_customer("mixed.case@example.com")
        assert found is not None and found.number == "CUST-2"

    def test_a_created_customer_is_found_again(self, erp: Erp):
        woo_buyer = buyer()
        created = erp.create_customer(woo_buyer)
        assert created.number and created.id
        found = erp.find_customer(woo_buyer.email)
        assert found is not None and found.number == created.number
        by_number = erp.get_customer(created.number)
        assert by_number is not None and (by_number.id, by_number.email) == (created.id, woo_buyer.email)
        assert erp.get_customer("NO-SUCH-CUSTOMER") is None

    # ------------------------------------------------------------------- sales documents, idempotency

    def test_find_create_find_again_by_external_number(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("IDEM-1", price=Decimal("12.50"), stock=Decimal(10))
        placed = order([("IDEM-1", 2, "12.50")])
        assert erp.find_sales_document(external_number(placed)) is None
        customer = erp.create_customer(placed.customer)
        created = erp.create_sales_document(placed, customer)
        assert created.external_document_number == external_number(placed)
        assert created.kind in (DocumentKind.SALES_ORDER, DocumentKind.SALES_INVOICE)
        assert created.customer_number == customer.number
        assert not created.shipped
        found = erp.find_sales_document(external_number(placed))
        assert found is not None
        assert (found.id, found.number, found.kind) == (created.id, created.number, created.kind)
        assert erp.get_sales_document(found).id == created.id
        listed = erp.find_documents(created.kind, [external_number(placed), "NO-SUCH-ORDER"])
        assert [document.id for document in listed] == [created.id]

    def test_another_order_number_is_another_document(self, erp: Erp, probe: ErpProbe):
        first, one = self.post(erp, probe, [("IDEM-2", 1, "3.00")])
        second = order([("IDEM-2", 1, "3.00")], customer=first.customer)
        customer = erp.find_customer(first.customer.email)
        two = erp.create_sales_document(second, customer)
        assert two.id != one.id
        assert erp.find_sales_document(external_number(first)).id == one.id  # type: ignore[union-attr]
        assert erp.find_sales_document(external_number(second)).id == two.id  # type: ignore[union-attr]

    # ------------------------------------------------------------------------------------------ holds

    def test_an_unknown_sku_is_held(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("HOLD-KNOWN", price=Decimal(5), stock=Decimal(10))
        placed = order([("HOLD-KNOWN", 1, "5.00"), ("HOLD-NOWHERE", 1, "7.00")])
        customer = erp.create_customer(placed.customer)
        with pytest.raises(ErpDataProblem) as problem:
            erp.create_sales_document(placed, customer)
        assert [(hold.code, hold.subject) for hold in problem.value.holds] == [(HoldCode.UNKNOWN_SKU, "HOLD-NOWHERE")]
        assert problem.value.hold.woo_item_id == placed.lines[1].woo_item_id
        assert erp.find_sales_document(external_number(placed)) is None
        probe.seed_item("HOLD-NOWHERE", price=Decimal(7), stock=Decimal(10))  # fixed: the order posts
        assert erp.create_sales_document(placed, customer).external_document_number == external_number(placed)

    def test_a_line_without_a_sku_is_held(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("HOLD-SKU", price=Decimal(5), stock=Decimal(10))
        placed = order([("HOLD-SKU", 1, "5.00"), ("", 1, "2.00")])
        customer = erp.create_customer(placed.customer)
        with pytest.raises(ErpDataProblem) as problem:
            erp.create_sales_document(placed, customer)
        assert [(hold.code, hold.woo_item_id) for hold in problem.value.holds] == [
            (HoldCode.MISSING_SKU, placed.lines[1].woo_item_id)
        ]

    def test_a_variation_sharing_its_parents_sku_is_held(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("HOLD-PARENT", price=Decimal(5), stock=Decimal(10))
        plain = order([("HOLD-PARENT", 1, "5.00")])
        line = plain.lines[0].model_copy(update={"variation_id": 77})
        placed = plain.model_copy(update={"lines": (line,)})
        customer = erp.create_customer(placed.customer)
        assert line.product_id is not None
        with pytest.raises(ErpDataProblem) as problem:
            erp.create_sales_document(placed, customer, parent_skus={line.product_id: "HOLD-PARENT"})
        assert (problem.value.hold.code, problem.value.hold.subject) == (HoldCode.SHARED_VARIATION_SKU, "HOLD-PARENT")
        assert erp.find_sales_document(external_number(placed)) is None

    def test_a_blocked_customer_is_held(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("HOLD-BLK", price=Decimal(5), stock=Decimal(10))
        probe.seed_customer("BLOCKED-1", email="blocked@example.com", name="Blocked Buyer")
        probe.block_customer("BLOCKED-1")
        customer = erp.find_customer("blocked@example.com")
        assert customer is not None and customer.blocked
        placed = order([("HOLD-BLK", 1, "5.00")])
        with pytest.raises(ErpDataProblem) as problem:
            erp.create_sales_document(placed, customer)
        assert (problem.value.hold.code, problem.value.hold.subject) == (HoldCode.BLOCKED_CUSTOMER, "BLOCKED-1")
        assert erp.find_sales_document(external_number(placed)) is None
        probe.unblock_customer("BLOCKED-1")
        unblocked = erp.find_customer("blocked@example.com")
        assert not unblocked.blocked
        assert erp.create_sales_document(placed, unblocked).customer_number == "BLOCKED-1"

    def test_a_customer_blocked_after_it_was_read_is_held(self, erp: Erp, probe: ErpProbe):
        """The ERP itself refuses the document: the adapter turns that into the same hold."""
        probe.seed_item("HOLD-STALE", price=Decimal(5), stock=Decimal(10))
        probe.seed_customer("BLOCKED-2", email="stale@example.com")
        customer = erp.find_customer("stale@example.com")
        assert customer is not None and not customer.blocked
        probe.block_customer("BLOCKED-2")
        placed = order([("HOLD-STALE", 1, "5.00")])
        with pytest.raises(ErpDataProblem) as problem:
            erp.create_sales_document(placed, customer)
        assert (problem.value.hold.code, problem.value.hold.subject) == (HoldCode.BLOCKED_CUSTOMER, "BLOCKED-2")
        assert erp.find_sales_document(external_number(placed)) is None

    def test_a_currency_not_set_up_is_held_until_it_is(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("HOLD-CUR", price=Decimal(5), stock=Decimal(10))
        placed = order([("HOLD-CUR", 1, "5.00")], currency="JPY")
        with pytest.raises(ErpDataProblem) as problem:
            erp.create_customer(placed.customer, "JPY")
        assert (problem.value.hold.code, problem.value.hold.subject) == (HoldCode.CURRENCY_NOT_SET_UP, "JPY")
        customer = erp.create_customer(placed.customer)  # in the local currency
        with pytest.raises(ErpDataProblem) as problem:
            erp.create_sales_document(placed, customer)
        assert (problem.value.hold.code, problem.value.hold.subject) == (HoldCode.CURRENCY_NOT_SET_UP, "JPY")
        assert erp.find_sales_document(external_number(placed)) is None
        probe.set_up_currency("JPY")
        created = erp.create_sales_document(placed, customer)
        assert created.currency_code == "JPY"

    def test_a_removed_currency_is_held(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("HOLD-NOK", price=Decimal(5), stock=Decimal(10))
        probe.set_up_currency("NOK")
        first = order([("HOLD-NOK", 1, "5.00")], currency="NOK")
        customer = erp.create_customer(first.customer)
        assert erp.create_sales_document(first, customer).currency_code == "NOK"
        probe.remove_currency("NOK")
        second = order([("HOLD-NOK", 1, "5.00")], currency="NOK", customer=first.customer)
        with pytest.raises(ErpDataProblem) as problem:
            erp.create_sales_document(second, customer)
        assert (problem.value.hold.code, problem.value.hold.subject) == (HoldCode.CURRENCY_NOT_SET_UP, "NOK")

    def test_document_totals_by_day(self, erp: Erp, probe: ErpProbe):
        placed, document = self.post(erp, probe, [("TOTAL-1", 3, "2.50")])
        day = placed.created_at.date()
        # the day the ERP dates the document: Woo's order date (BC) or the day the ERP created it (F&O, whose
        # order date is read-only): the range from one to the other holds it either way
        today = datetime.now(UTC).date()
        totals = list(erp.document_totals(document.kind, min(day, today), max(day, today)))
        assert totals == [(external_number(placed), document.total_including_tax)]
        assert document.total_including_tax >= placed.total
        assert (
            list(erp.document_totals(document.kind, day.replace(year=day.year - 1), day.replace(year=day.year - 1)))
            == []
        )

    # ------------------------------------------------------------------------------------ cancelling

    def test_an_unshipped_document_is_cancelled(self, erp: Erp, probe: ErpProbe):
        placed, document = self.post(erp, probe, [("CANCEL-1", 2, "4.00")])
        erp.cancel_sales_document(document)
        assert erp.find_sales_document(external_number(placed)) is None

    def test_cancelling_a_partly_shipped_document_is_a_conflict(self, erp: Erp, probe: ErpProbe):
        placed, document = self.post(erp, probe, [("CANCEL-2", 2, "4.00")])
        probe.ship(external_number(placed), {"CANCEL-2": Decimal(1)})
        assert erp.shipped_anything(document)
        with pytest.raises(ErpConflict):
            erp.cancel_sales_document(document)
        assert erp.find_sales_document(external_number(placed)) is not None

    def test_cancelling_a_shipped_document_is_a_conflict(self, erp: Erp, probe: ErpProbe):
        placed, document = self.post(erp, probe, [("CANCEL-3", 1, "4.00")])
        assert not erp.shipped_anything(document)
        probe.ship(external_number(placed))
        shipped = erp.get_sales_document(document)
        assert shipped.shipped
        with pytest.raises(ErpConflict):
            erp.cancel_sales_document(shipped)
        assert erp.find_sales_document(external_number(placed)) is not None

    # --------------------------------------------------------------------------------- stock, catalogue

    def test_items_carry_price_and_stock(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("CAT-1", price=Decimal("19.99"), stock=Decimal(7), name="Blue mug")
        probe.seed_item("CAT-2", price=Decimal("5"), stock=Decimal(0))
        items = {item.number: item for item in erp.catalog_items(["CAT-1", "CAT-2", "CAT-NONE"])}
        assert set(items) == {"CAT-1", "CAT-2"}
        assert (items["CAT-1"].unit_price, items["CAT-1"].inventory) == (Decimal("19.99"), Decimal(7))
        assert items["CAT-2"].inventory == 0 and items["CAT-1"].stock_tracked and not items["CAT-1"].blocked
        assert {item.number for item in erp.catalog_items()} == {"CAT-1", "CAT-2"}
        [by_id] = erp.catalog_items(ids=[items["CAT-1"].id])
        assert by_id == items["CAT-1"]

    def test_the_stock_cursor_advances_and_reports_moved_items(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("STOCK-1", price=Decimal(1), stock=Decimal(5))
        probe.seed_item("STOCK-2", price=Decimal(1), stock=Decimal(5))
        cursor = erp.stock_cursor()
        assert erp.stock_moves_since(cursor) == (set(), cursor)
        probe.move_stock("STOCK-1", Decimal(3))
        if not self.tracks_changes:
            # no movement feed: moves report nothing, and a delta read (changed_since) reads stock in full
            assert erp.stock_moves_since(cursor) == (set(), cursor)
            delta = {item.number: item.inventory for item in erp.catalog_items(changed_since=datetime.now(UTC))}
            assert delta["STOCK-1"] == Decimal(8) and delta["STOCK-2"] == Decimal(5)
            probe.move_stock("STOCK-2", Decimal(-2))
            probe.move_stock("STOCK-1", Decimal(-1))
            stock = {item.number: item.inventory for item in erp.catalog_items(["STOCK-1", "STOCK-2"])}
            assert stock == {"STOCK-1": Decimal(7), "STOCK-2": Decimal(3)}
            return
        moved, after = erp.stock_moves_since(cursor)
        assert moved == {"STOCK-1"} and after != cursor
        assert erp.stock_moves_since(after) == (set(), after)
        assert erp.stock_cursor() == after
        probe.move_stock("STOCK-2", Decimal(-2))
        probe.move_stock("STOCK-1", Decimal(-1))
        moved, latest = erp.stock_moves_since(after)
        assert moved == {"STOCK-1", "STOCK-2"} and latest not in (cursor, after)
        stock = {item.number: item.inventory for item in erp.catalog_items(["STOCK-1", "STOCK-2"])}
        assert stock == {"STOCK-1": Decimal(7), "STOCK-2": Decimal(3)}

    def test_catalogue_changes_since_a_time(self, erp: Erp, probe: ErpProbe):
        probe.seed_item("CHG-1", price=Decimal(10), stock=Decimal(1))
        probe.seed_item("CHG-2", price=Decimal(10), stock=Decimal(1))
        seeded = erp.catalog_items(["CHG-1", "CHG-2"])
        assert {item.number for item in seeded} == {"CHG-1", "CHG-2"}
        if not self.tracks_changes:
            # no change dates: every delta read returns every item, with its current price
            assert all(item.modified_at is None for item in seeded)
            probe.set_price("CHG-2", Decimal("12.50"))
            changed = {item.number: item.unit_price for item in erp.catalog_items(changed_since=datetime.now(UTC))}
            assert changed == {"CHG-1": Decimal(10), "CHG-2": Decimal("12.50")}
            return
        since = max(item.modified_at for item in seeded)
        assert erp.catalog_items(changed_since=since) == []
        probe.set_price("CHG-2", Decimal("12.50"))
        changed = erp.catalog_items(changed_since=since)
        assert [(item.number, item.unit_price) for item in changed] == [("CHG-2", Decimal("12.50"))]
        assert {item.number for item in erp.catalog_items(changed_since=EPOCH)} == {"CHG-1", "CHG-2"}

    # -------------------------------------------------------------------------------------- shipments

    def test_partial_then_full_shipment_with_tracking(self, erp: Erp, probe: ErpProbe):
        placed, document = self.post(erp, probe, [("SHIP-1", 2, "10.00"), ("SHIP-2", 1, "5.00")])
        assert erp.list_shipments_since(EPOCH) == []
        first = probe.ship(
            external_number(placed), {"SHIP-1": Decimal(1)}, carrier=probe.carrier, tracking_number="1Z0000000000000001"
        )
        [partial] = erp.list_shipments_since(EPOCH)
        assert (partial.erp_shipment_number, partial.order_number) == (first.number, external_number(placed))
        assert partial.erp_order_number == document.number
        assert partial.partial
        assert [(line.sku, line.quantity) for line in partial.lines] == [("SHIP-1", Decimal(1))]
        assert partial.tracking_number == "1Z0000000000000001" and partial.carrier
        assert not erp.get_sales_document(document).shipped

        second = probe.ship(external_number(placed), carrier=probe.carrier, tracking_number="1Z0000000000000002")
        both = erp.list_shipments_since(EPOCH)
        assert [s.erp_shipment_number for s in both] == [first.number, second.number]
        assert [s.partial for s in both] == [True, False]
        full = both[1]
        assert {(line.sku, line.quantity) for line in full.lines} == {("SHIP-1", Decimal(1)), ("SHIP-2", Decimal(1))}
        assert full.tracking_number == "1Z0000000000000002" and full.carrier == partial.carrier
        assert full.tracking_url == "" or "1Z0000000000000002" in full.tracking_url
        assert partial.modified_at is not None
        since_partial = [s.erp_shipment_number for s in erp.list_shipments_since(partial.modified_at)]
        if self.tracks_changes:
            assert since_partial == [second.number]
        else:  # dated by the day: the day's earlier shipment comes again (the shipment log applies each once)
            assert since_partial == [first.number, second.number]
        assert erp.get_sales_document(document).shipped

    def test_a_shipment_without_tracking_has_none(self, erp: Erp, probe: ErpProbe):
        placed, _ = self.post(erp, probe, [("SHIP-3", 1, "10.00")])
        probe.ship(external_number(placed))
        [shipment] = erp.list_shipments_since(EPOCH)
        assert (shipment.tracking_number, shipment.partial) == ("", False)

    # ------------------------------------------------------------------------- transient errors, auth

    @pytest.mark.parametrize(
        ("fault", "retry_after"),
        [(Fault.THROTTLED, LONG_RETRY_AFTER), (Fault.THROTTLED, None), (Fault.UNAVAILABLE, LONG_RETRY_AFTER)],
    )
    def test_throttling_and_unavailability_are_transient_with_retry_after(
        self, erp: Erp, impatient_erp: Erp, probe: ErpProbe, fault: Fault, retry_after: int | None
    ):
        woo_buyer = buyer()
        probe.inject(fault, retry_after=retry_after)
        with pytest.raises(TransientErpError) as read:
            impatient_erp.find_sales_document("T-1")
        with pytest.raises(TransientErpError) as write:
            impatient_erp.create_customer(woo_buyer)
        # an ERP that always sends Retry-After on 429 (F&O) sends its own when the fault names none
        expected = retry_after if retry_after is not None else getattr(probe, "throttled_retry_after", None)
        for error in (read.value, write.value):
            assert error.retry_after == expected
            assert not error.ambiguous  # 429 and 503 say the request was not processed
        if retry_after is not None:  # a long Retry-After is handed back, not slept through, by either adapter
            with pytest.raises(TransientErpError) as patient:
                erp.find_sales_document("T-1")
            assert patient.value.retry_after == retry_after
        probe.clear_faults()
        assert erp.find_customer(woo_buyer.email) is None  # nothing was written

    def test_a_server_error_on_a_write_is_ambiguous(self, impatient_erp: Erp, probe: ErpProbe):
        probe.inject(Fault.SERVER_ERROR)
        with pytest.raises(TransientErpError) as read:
            impatient_erp.find_sales_document("T-2")
        assert not read.value.ambiguous
        with pytest.raises(TransientErpError) as write:
            impatient_erp.create_customer(buyer())
        assert write.value.ambiguous

    def test_timeouts_are_transient_and_ambiguous_for_writes(self, impatient_erp: Erp, probe: ErpProbe):
        probe.inject(Fault.TIMEOUT)
        with pytest.raises(TransientErpError) as read:
            impatient_erp.find_sales_document("T-3")
        assert not read.value.ambiguous
        with pytest.raises(TransientErpError) as write:
            impatient_erp.create_customer(buyer())
        assert write.value.ambiguous

    def test_the_reconciliation_and_readiness_reads_fail_transiently_when_the_erp_is_down(
        self, impatient_erp: Erp, probe: ErpProbe
    ):
        """The day's payments and the currencies go through the same client: a timeout or a 503 is transient."""
        day = datetime.now(UTC).date()
        probe.inject(Fault.TIMEOUT)
        with pytest.raises(TransientErpError):
            impatient_erp.payments_between(day, day)
        probe.clear_faults()
        probe.inject(Fault.UNAVAILABLE, retry_after=1)
        for read in (lambda: impatient_erp.payments_between(day, day), impatient_erp.currencies):
            with pytest.raises(TransientErpError) as down:
                read()
            assert down.value.retry_after == 1

    def test_an_expired_token_is_reacquired_once(self, erp: Erp, probe: ErpProbe):
        assert erp.find_sales_document("T-4") is None  # a token is cached now
        before = probe.request_log()
        probe.inject(Fault.TOKEN_EXPIRED)
        assert erp.find_sales_document("T-4") is None
        assert erp.find_sales_document("T-4") is None
        after = probe.request_log()
        assert after.tokens_issued - before.tokens_issued == 1
        assert after.unauthorized - before.unauthorized == 1
        assert after.requests - before.requests == 3  # refused, retried with the new token, the next call

    def test_a_refused_token_is_reacquired_once_then_permanent(self, erp: Erp, probe: ErpProbe):
        assert erp.find_sales_document("T-5") is None
        before = probe.request_log()
        probe.inject(Fault.UNAUTHORIZED)
        with pytest.raises(PermanentErpError) as refused:
            erp.find_sales_document("T-5")
        assert refused.value.status == 401
        after = probe.request_log()
        assert after.tokens_issued - before.tokens_issued == 1
        assert after.requests - before.requests == 2

    # ----------------------------------------------------------------------------- refunds, payments

    def test_a_credit_memo_is_created_once_and_found(self, erp: Erp, probe: ErpProbe):
        placed, document = self.post(erp, probe, [("MEMO-1", 2, "15.00")])
        refund = refund_of_line(placed, quantity=1)
        memo = erp.create_credit_memo(refund, placed, document)
        assert memo.kind == DocumentKind.CREDIT_MEMO and memo.number
        assert placed.number in memo.external_document_number
        assert memo.customer_number == document.customer_number
        found = erp.find_credit_memo(memo.external_document_number)
        assert found is not None and found.id == memo.id
        assert erp.find_credit_memo(external_number(placed) + "-NONE") is None
        listed = erp.find_documents(DocumentKind.CREDIT_MEMO, [memo.external_document_number])
        assert [m.id for m in listed] == [memo.id]

    def test_a_payment_is_recorded_once_and_found(self, erp: Erp, probe: ErpProbe):
        placed, document = self.post(erp, probe, [("PAY-1", 3, "7.00")])
        assert erp.find_payment(external_number(placed)) is None
        payment = erp.record_payment(placed, document, placed.total)
        assert payment.amount == placed.total == Decimal(21)
        assert payment.external_document_number == external_number(placed)
        found = erp.find_payment(external_number(placed))
        assert found is not None and (found.id, found.amount) == (payment.id, payment.amount)

    def test_the_days_payments_are_listed_with_their_currency(self, erp: Erp, probe: ErpProbe):
        placed, document = self.post(erp, probe, [("PAY-2", 2, "6.00")])
        day = (placed.paid_at or placed.created_at).astimezone(UTC).date()
        assert erp.payments_between(day, day) == []
        payment = erp.record_payment(placed, document, placed.total)
        listed = erp.payments_between(day, day)
        assert [(p.id, p.external_document_number, p.amount, p.currency_code) for p in listed] == [
            (payment.id, external_number(placed), Decimal(12), "USD")
        ]
        next_day = day.replace(year=day.year + 1)
        assert erp.payments_between(next_day, next_day) == []
        assert erp.payments_between(day.replace(year=day.year - 1), day) == listed

    # ------------------------------------------------------------------------------------- currencies

    def test_the_erps_currencies_are_listed(self, erp: Erp, probe: ErpProbe):
        """Read-only: the local currency and the ones set up; one set up or removed shows at the next read."""
        currencies = erp.currencies()
        assert currencies is not None and "USD" in currencies and "ISK" not in currencies
        probe.set_up_currency("ISK")
        assert "ISK" in (erp.currencies() or set())
        probe.remove_currency("ISK")
        assert "ISK" not in (erp.currencies() or set())
