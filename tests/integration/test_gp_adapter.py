"""The GP adapter's own settings on the GP emulator, beyond the port's contract (tests/contract/test_gp.py):
SOP invoices, RM invoices over Web Services with a balanced GL distribution per customer class, batch
posting through SBA, the retry after a crash, and the clear error when the account is refused."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from sandbox.gp import GpEmulator
from sandbox.gp.probe import GpProbe
from shared.config import GpConnection, Settings
from shared.erp.gp.adapter import GpAdapter
from shared.erp.port import DocumentKind, PermanentErpError
from shared.model import Address, Customer, LineKind, Order, OrderLine
from tests.contract.orders import buyer, order, refund_of_line

pytestmark = [pytest.mark.integration, pytest.mark.gp]

USER, PASSWORD, DOMAIN = "gpuser", "Password01", "GPDOM"
ACCOUNTS = {"": {"receivables": "000-1200-00", "sales": "000-4100-00", "freight": "000-4500-00", "tax": "000-2300-00"}}


@pytest.fixture(scope="module")
def gp() -> Iterator[GpEmulator]:
    emulator = GpEmulator(users={USER: PASSWORD}, domain=DOMAIN)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def probe(gp: GpEmulator) -> Iterator[GpProbe]:
    probe = GpProbe.new_company(gp.base_url, ca_bundle=str(gp.ca_bundle))
    yield probe
    probe.close()


def adapter(gp: GpEmulator, probe: GpProbe, **values: Any) -> GpAdapter:
    connection = GpConnection(
        url=gp.base_url,
        company_id=probe.company_id,
        company_name=probe.company_name,
        username=f"{DOMAIN}\\{USER}",
        password=PASSWORD,  # type: ignore[arg-type]
        **values,
    )
    return GpAdapter(Settings(sandbox_ca_bundle=str(gp.ca_bundle), http_timeout_seconds=20.0), connection)


def with_freight_and_tax(placed: Order) -> Order:
    freight = OrderLine(kind=LineKind.SHIPPING, woo_item_id=9, name="Flat rate", total=Decimal("10.00"))
    return placed.model_copy(
        update={
            "shipping_lines": (freight,),
            "total_tax": Decimal("5.00"),
            "total": placed.total + Decimal("15.00"),
        }
    )


def test_an_sop_invoice_carries_the_order_and_a_retry_after_a_crash_reads_it_back(gp: GpEmulator, probe: GpProbe):
    erp = adapter(gp, probe, document_type="sop", gl_accounts=ACCOUNTS)
    probe.seed_item("SOP-1", price=Decimal(20), stock=Decimal(10))
    placed = with_freight_and_tax(order([("SOP-1", 2, "20.00")]))
    customer = erp.create_customer(placed.customer)
    created = erp.create_sales_document(placed, customer)
    assert (created.kind, created.number, created.external_document_number) == (
        DocumentKind.SALES_INVOICE,
        f"WOO{placed.number}",
        placed.number,
    )
    assert created.total_including_tax == placed.total == Decimal("55.00")
    stored = gp.company(probe.company_id).entities["SalesInvoice"][(created.number,)]
    (line,) = stored["Lines"]["SalesInvoiceLine"]
    assert line["SalesGLAccountKey"]["Id"] == "000-4100-00" and stored["BatchKey"]["Id"] == "WOO"
    again = erp.create_sales_document(placed, customer)  # the ledger never heard of the first: same document
    assert again.id == created.id and len(gp.company(probe.company_id).entities["SalesInvoice"]) == 1
    erp.close()


def test_an_rm_invoice_over_web_services_balances_its_distribution_per_customer_class(gp: GpEmulator, probe: GpProbe):
    accounts = {**ACCOUNTS, "RETAIL": {"sales": "000-4110-00"}}
    erp = adapter(gp, probe, document_type="rm", customer_class="RETAIL", gl_accounts=accounts)
    probe.seed_item("RM-1", price=Decimal(20), stock=Decimal(10))
    placed = with_freight_and_tax(order([("RM-1", 1, "20.00")]))
    customer = erp.create_customer(placed.customer)
    created = erp.create_sales_document(placed, customer)
    assert created.total_including_tax == Decimal("35.00")
    stored = gp.company(probe.company_id).entities["ReceivablesInvoice"][(created.number,)]
    rows = {
        row["GLAccountKey"]["Id"]: (Decimal(row["DebitAmount"]["Value"]), Decimal(row["CreditAmount"]["Value"]))
        for row in stored["Distributions"]["ReceivablesDistribution"]
    }
    assert rows == {
        "000-1200-00": (Decimal("35.00"), Decimal(0)),
        "000-4110-00": (Decimal(0), Decimal("20.00")),  # the class's sales account
        "000-4500-00": (Decimal(0), Decimal("10.00")),
        "000-2300-00": (Decimal(0), Decimal("5.00")),
    }
    erp.close()


def test_posting_the_batch_makes_the_document_uncancellable(gp: GpEmulator, probe: GpProbe):
    erp = adapter(gp, probe, document_type="sop", post_batches=True)
    probe.seed_item("POST-1", price=Decimal(5), stock=Decimal(10))
    placed = order([("POST-1", 1, "5.00")])
    created = erp.create_sales_document(placed, erp.create_customer(placed.customer))
    assert created.shipped and created.status == "History"  # posted SOP documents move to history
    assert erp.shipped_anything(created)
    erp.close()


def test_a_refused_account_names_the_account_and_what_to_check(gp: GpEmulator, probe: GpProbe):
    connection = GpConnection(
        url=gp.base_url,
        company_id=probe.company_id,
        username=f"{DOMAIN}\\{USER}",
        password="wrong-password",  # type: ignore[arg-type]
        wsdl=str(__import__("sandbox.gp.wsdl", fromlist=["wsdl_path"]).wsdl_path()),
    )
    erp = GpAdapter(Settings(sandbox_ca_bundle=str(gp.ca_bundle), http_max_attempts=1), connection)
    with pytest.raises(PermanentErpError) as refused:
        erp.find_customer(buyer().email)
    assert refused.value.status == 401 and "GPDOM\\gpuser" in refused.value.message
    assert "rights" in refused.value.message and "wrong-password" not in refused.value.message
    erp.close()


def test_a_customer_is_created_with_its_address_email_and_phone(gp: GpEmulator, probe: GpProbe):
    erp = adapter(gp, probe)
    address = Address(first_name="Ada", last_name="L", address_1="1 Main", city="Fargo", phone="555-0100")
    woo = Customer(email="ada.l@example.com", first_name="Ada", last_name="L", billing=address)
    created = erp.create_customer(woo)
    stored = gp.company(probe.company_id).entities["CustomerAddress"][(created.number, "PRIMARY")]
    assert stored["InternetAddresses"]["EmailToAddress"] == "ada.l@example.com"
    assert (stored["Line1"], stored["City"], stored["Phone1"]["Value"]) == ("1 Main", "Fargo", "555-0100")
    assert (created.email, created.phone) == ("ada.l@example.com", "555-0100")
    other = adapter(gp, probe)  # another process: finds it by e-mail, then by phone
    assert other.find_customer("ADA.L@example.com") == created
    assert other.find_customer("nobody@example.com", "(555) 0100") == created
    erp.close()
    other.close()


def test_a_refund_of_items_is_an_sop_return_and_an_amount_only_one_a_balanced_rm_credit_memo(
    gp: GpEmulator, probe: GpProbe
):
    erp = adapter(gp, probe, document_type="sop_order", gl_accounts=ACCOUNTS)
    probe.seed_item("RET-1", price=Decimal(15), stock=Decimal(10))
    placed = order([("RET-1", 2, "15.00")])
    document = erp.create_sales_document(placed, erp.create_customer(placed.customer))
    items = refund_of_line(placed, quantity=1)
    memo = erp.create_credit_memo(items, placed, document)
    assert memo.id.startswith("SalesReturn:") and memo.total_including_tax == Decimal("15.00")
    (line,) = gp.company(probe.company_id).entities["SalesReturn"][(memo.number,)]["Lines"]["SalesReturnLine"]
    assert (line["ItemKey"]["Id"], line["Quantity"]["Value"]) == ("RET-1", Decimal(1))
    amount_only = items.model_copy(update={"woo_refund_id": items.woo_refund_id + 1, "lines": (), "amount": Decimal(4)})
    credit = erp.create_credit_memo(amount_only, placed, document)
    assert credit.id.startswith("ReceivablesCreditMemo:") and credit.total_including_tax == Decimal(4)
    rows = gp.company(probe.company_id).entities["ReceivablesCreditMemo"][(credit.number,)]["Distributions"]
    debit = sum(Decimal(r["DebitAmount"]["Value"]) for r in rows["ReceivablesDistribution"])
    credit_side = sum(Decimal(r["CreditAmount"]["Value"]) for r in rows["ReceivablesDistribution"])
    assert debit == credit_side == Decimal(4)
    found = erp.find_documents(
        DocumentKind.CREDIT_MEMO, [memo.external_document_number, credit.external_document_number]
    )
    assert sorted(d.id for d in found) == sorted([memo.id, credit.id])
    assert erp.find_credit_memo(credit.external_document_number) == credit
    erp.close()


def test_many_threads_authenticate_at_once_each_handshake_on_its_own_connection(gp: GpEmulator, probe: GpProbe):
    """The queue functions share one adapter across worker threads. NTLM authenticates a connection, so
    a handshake whose legs were spread over a shared pool's connections was refused as a bad account
    (seen under load in CI): every thread must get through its own handshake."""
    from concurrent.futures import ThreadPoolExecutor

    erp = adapter(gp, probe)
    probe.seed_item("THREADS-1", price=Decimal(5), stock=Decimal(3))
    gp.gate.forget_sessions()

    def read(_: int) -> int:
        return len(erp.catalog_items(["THREADS-1"]))

    for _ in range(3):  # every connection authenticates again each round, all threads at once
        gp.gate.forget_sessions()
        with ThreadPoolExecutor(max_workers=12) as pool:
            assert list(pool.map(read, range(48))) == [1] * 48
    erp.close()
