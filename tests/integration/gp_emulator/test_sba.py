"""SBA REST routes (facts: dynamics-gp.md §1.1): the URL scheme, ';' keys and GP-Custom-Action posting are
confirmed; the JSON bodies are the emulator's own design (sandbox/gp/sba_shapes.py)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import httpx
import pytest
from zeep import Client

from sandbox.gp import GpEmulator
from sandbox.gp.store import Company

from .conftest import context, ntlm_client, tls

pytestmark = [pytest.mark.integration, pytest.mark.gp]

RM = "Microsoft/Dynamics/GP/Sales/ReceivablesTransactions"


def company_url(gp: GpEmulator, company: Company) -> str:
    # Clients URL-encode the company name but leave parentheses inside it as they are (facts §1.1).
    name = quote(company.name, safe="()")
    return f"{gp.base_url}/GPService/Tenants(DefaultTenant)/Companies({name})"


def rm_invoice(number: str, amount: str = "25.00", **extra: object) -> dict[str, object]:
    return {
        "Type": "Invoice",
        "DocumentNumber": number,
        "CustomerId": "ADA0001",
        "BatchId": "WOORM",
        "SalesAmount": float(amount),
        **extra,
    }


def test_sba_demands_ntlm(gp: GpEmulator, company: Company) -> None:
    response = httpx.get(company_url(gp, company) + "/Microsoft/Dynamics/GP/Sales/Customers", verify=tls(gp))
    assert response.status_code == 401
    assert "NTLM" in response.headers.get_list("www-authenticate")


def test_customer_and_address_round_trip(gp: GpEmulator, company: Company) -> None:
    base = company_url(gp, company)
    with ntlm_client(gp) as client:
        created = client.post(
            base + "/Microsoft/Dynamics/GP/Sales/Customers", json={"CustomerId": "ADA0001", "Name": "Ada"}
        )
        assert created.status_code == 201, created.text
        address = {
            "CustomerId": "ADA0001",
            "AddressId": "PRIMARY",
            "Line1": "1 Main St",
            "City": "Fargo",
            "Email": "ada@example.com",
        }
        assert client.post(base + "/Microsoft/Dynamics/GP/Sales/CustomerAddresses", json=address).status_code == 201
        read = client.get(base + "/Microsoft/Dynamics/GP/Sales/Customers(ADA0001)").json()
        assert read["Name"] == "Ada" and read["Addresses"][0]["Email"] == "ada@example.com"
        one = client.get(base + "/Microsoft/Dynamics/GP/Sales/CustomerAddresses(ADA0001;PRIMARY)")
        assert one.json()["City"] == "Fargo"
        patched = client.patch(base + "/Microsoft/Dynamics/GP/Sales/Customers(ADA0001)", json={"Name": "Ada L."})
        assert patched.json()["Name"] == "Ada L."
        assert client.get(base + "/Microsoft/Dynamics/GP/Sales/Customers(NOBODY)").status_code == 404
        duplicate = client.post(base + "/Microsoft/Dynamics/GP/Sales/Customers", json={"CustomerId": "ADA0001"})
        assert duplicate.status_code == 400


def test_company_names_with_spaces_and_parentheses(gp: GpEmulator) -> None:
    company = gp.add_company("Transcontinental Capital (Bermuda) LTD")
    gp.seed_customer("C1", name="One", company_id=company.id)
    with ntlm_client(gp) as client:
        response = client.get(company_url(gp, company) + "/Microsoft/Dynamics/GP/Sales/Customers(C1)")
    assert response.status_code == 200 and response.json()["CustomerId"] == "C1"


def test_unknown_tenant_or_company_is_404(gp: GpEmulator, company: Company) -> None:
    with ntlm_client(gp) as client:
        assert client.get(f"{gp.base_url}/GPService/Tenants(Other)/help").status_code == 404
        assert (
            client.get(
                f"{gp.base_url}/GPService/Tenants(DefaultTenant)/Companies(Nope)/Microsoft/Dynamics/GP/Sales/Customers"
            ).status_code
            == 404
        )
        assert client.get(f"{gp.base_url}/GPService/Tenants(DefaultTenant)/help").status_code == 200


def test_items_with_sites_and_prices(gp: GpEmulator, company: Company) -> None:
    gp.seed_item("WIDGET", price=Decimal("9.50"), stock=Decimal(7), company_id=company.id)
    with ntlm_client(gp) as client:
        item = client.get(company_url(gp, company) + "/Microsoft/Dynamics/GP/Inventory/Items(WIDGET)").json()
    assert item["Sites"] == [{"SiteId": "MAIN", "QuantityOnHand": 7.0, "QuantityAllocated": 0.0}]
    assert item["Prices"][0]["Price"] == 9.5 and item["Prices"][0]["PriceLevel"] == "RETAIL"


def test_receivables_invoice_read_back_by_number_and_posted_by_batch(gp: GpEmulator, company: Company) -> None:
    gp.seed_customer("ADA0001", name="Ada", company_id=company.id)
    base = company_url(gp, company)
    with ntlm_client(gp) as client:
        assert client.get(f"{base}/{RM}(Invoice;WOO-1)").status_code == 404  # the pre-create duplicate check
        created = client.post(f"{base}/{RM}", json=rm_invoice("WOO-1", FreightAmount=5.0))
        assert created.status_code == 201, created.text
        doc = client.get(f"{base}/{RM}(Invoice;WOO-1)").json()
        assert (doc["DocumentAmount"], doc["Status"]) == (30.0, "Work")
        assert client.post(f"{base}/{RM}", json=rm_invoice("WOO-1")).status_code == 400  # no second document

        batch = f"{base}/PostingServices/System/Batches(RM_Sales;WOORM)"
        assert client.post(batch).status_code == 400  # without GP-Custom-Action it is no posting
        posted = client.post(batch, headers={"GP-Custom-Action": "POST", "Cache-Control": "no-cache"})
        assert posted.status_code == 200
        assert client.get(f"{base}/{RM}(Invoice;WOO-1)").json()["Status"] == "Open"
        assert client.delete(f"{base}/{RM}(Invoice;WOO-1)").status_code == 400  # posted: read-only
        again = client.post(batch, headers={"GP-Custom-Action": "POST"})
        assert again.status_code == 400


def test_credit_memo_and_unbalanced_distribution(gp: GpEmulator, company: Company) -> None:
    gp.seed_customer("ADA0001", name="Ada", company_id=company.id)
    base = company_url(gp, company)
    balanced = [
        {"AccountNumber": "000-1200-00", "Type": 3, "Debit": 25.0, "Credit": 0},
        {"AccountNumber": "000-4100-00", "Type": 9, "Debit": 0, "Credit": 25.0},
    ]
    with ntlm_client(gp) as client:
        ok = client.post(f"{base}/{RM}", json=rm_invoice("WOO-2", Distributions=balanced))
        assert ok.status_code == 201, ok.text
        unbalanced = [balanced[0], {**balanced[1], "Credit": 20.0}]
        refused = client.post(f"{base}/{RM}", json=rm_invoice("WOO-3", Distributions=unbalanced))
        assert refused.status_code == 400 and "balance" in refused.json()["Error"]["Message"]
        memo = client.post(f"{base}/{RM}", json={**rm_invoice("WOO-2-R1"), "Type": "CreditMemo"})
        assert memo.status_code == 201
        assert client.get(f"{base}/{RM}(CreditMemo;WOO-2-R1)").json()["Type"] == "CreditMemo"
        assert client.delete(f"{base}/{RM}(CreditMemo;WOO-2-R1)").status_code == 204


def test_malformed_body_is_400(gp: GpEmulator, company: Company) -> None:
    with ntlm_client(gp) as client:
        response = client.post(
            company_url(gp, company) + "/Microsoft/Dynamics/GP/Sales/Customers",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400


def test_sba_and_soap_see_the_same_documents(gp: GpEmulator, soap: Client, company: Company) -> None:
    """One GP behind both transports: an RM invoice made over SBA is read over SOAP, distributions included."""
    gp.seed_customer("ADA0001", name="Ada", company_id=company.id)
    lines = [
        {"AccountNumber": "000-1200-00", "Type": 3, "Debit": 25.0, "Credit": 0},
        {"AccountNumber": "000-4100-00", "Type": 9, "Debit": 0, "Credit": 25.0},
    ]
    with ntlm_client(gp) as client:
        created = client.post(f"{company_url(gp, company)}/{RM}", json=rm_invoice("WOO-5", Distributions=lines))
        assert created.status_code == 201, created.text
    doc = soap.service.GetReceivablesInvoiceByKey({"Id": "WOO-5"}, context(soap, company))
    assert (doc.CustomerPONumber, doc.DocumentAmount.Value) == (None, Decimal("25.00"))
    accounts = [(d.GLAccountKey.Id, d.CreditAmount.Value) for d in doc.Distributions.ReceivablesDistribution]
    assert accounts == [("000-1200-00", Decimal("0.00")), ("000-4100-00", Decimal("25.00"))]


def test_a_batch_id_is_reused_after_posting(gp: GpEmulator, company: Company) -> None:
    gp.seed_customer("ADA0001", name="Ada", company_id=company.id)
    base = company_url(gp, company)
    batch = f"{base}/PostingServices/System/Batches(RM_Sales;WOORM)"
    with ntlm_client(gp) as client:
        assert client.post(f"{base}/{RM}", json=rm_invoice("WOO-60")).status_code == 201
        assert client.post(batch, headers={"GP-Custom-Action": "POST"}).status_code == 200
        assert client.post(f"{base}/{RM}", json=rm_invoice("WOO-61")).status_code == 201
        statuses = [client.get(f"{base}/{RM}(Invoice;{n})").json()["Status"] for n in ("WOO-60", "WOO-61")]
        assert statuses == ["Open", "Work"]
    with httpx.Client(base_url=gp.base_url, verify=tls(gp)) as control:
        posted = control.post(
            "/_sandbox/batches/post", json={"companyId": company.id, "source": "RM_Sales", "number": "WOORM"}
        )
    assert posted.json() == {"posted": 1}  # only the new document: the first is not posted twice


def test_the_admin_currencies_are_the_functional_one_and_the_ones_set_up(gp: GpEmulator, company: Company) -> None:
    """The Admin area's currencies (dynamics.md §3.1); the path and body are the project's guess (sba_shapes)."""
    url = company_url(gp, company) + "/Microsoft/Dynamics/GP/Admin/Currencies"
    with ntlm_client(gp) as client:
        assert [c["IsoCode"] for c in client.get(url).json()["value"]] == [company.currency]
        company.foreign_currencies.add("JPY")
        assert [c["IsoCode"] for c in client.get(url).json()["value"]] == sorted({company.currency, "JPY"})
        assert client.post(url, json={"IsoCode": "XTS"}).status_code == 405  # listed only
        assert client.get(url + "(JPY)").status_code == 405
