"""The GP probe (sandbox/gp/probe.py) over the control API, its effects checked through GP's own interfaces,
and the shared fault injection (sandbox/faults.py) in front of the NTLM-protected endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from zeep import Client
from zeep.exceptions import Fault as SoapFault

from sandbox.gp import GpEmulator
from sandbox.gp.probe import GpProbe
from sandbox.gp.wsdl import filled
from sandbox.probe import ErpProbe, Fault

from .conftest import DYN_NS, ntlm_client, service_url, tls

pytestmark = [pytest.mark.integration, pytest.mark.gp]


@pytest.fixture
def probe(gp: GpEmulator) -> Iterator[GpProbe]:
    probe = GpProbe.new_company(gp.base_url, ca_bundle=str(gp.ca_bundle))
    yield probe
    probe.clear_faults()
    probe.close()


def ctx(soap: Client, probe: GpProbe) -> dict[str, object]:
    return {
        "OrganizationKey": soap.get_type(f"{{{DYN_NS}}}CompanyKey")(Id=probe.company_id),
        "CurrencyType": "Transactional",
    }


def create_order(soap: Client, probe: GpProbe, po: str, *lines: tuple[str, int]) -> None:
    order = {
        "DocumentTypeKey": {"Type": "Order", "Id": "STDORD"},
        "CustomerKey": {"Id": "ADA0001"},
        "BatchKey": {"Id": "WOO"},
        "CustomerPONumber": po,
        "Lines": {
            "SalesOrderLine": [
                {
                    "ItemKey": {"Id": i},
                    "Quantity": {"Value": Decimal(q), "DecimalDigits": 0},
                    "UnitPrice": {"Value": Decimal(5), "DecimalDigits": 2},
                }
                for i, q in lines
            ]
        },
    }
    policy = soap.service.GetPolicyByOperation("CreateSalesOrder", ctx(soap, probe))
    soap.service.CreateSalesOrder(filled("SalesOrder", order), ctx(soap, probe), policy)


def on_hand(soap: Client, probe: GpProbe, item: str) -> Decimal:
    found = soap.service.GetItemByKey({"Id": item}, ctx(soap, probe))
    return Decimal(found.Quantities.SalesItemWarehouse[0].OnHandQuantity.Value)


def test_probe_keeps_the_protocol(probe: GpProbe) -> None:
    assert isinstance(probe, ErpProbe) and probe.kind == "gp"


def test_seed_move_stock_and_price(soap: Client, probe: GpProbe) -> None:
    probe.seed_item("WIDGET", price=Decimal("9.50"), stock=Decimal(7), name="Widget")
    probe.move_stock("WIDGET", Decimal(-2))
    assert on_hand(soap, probe, "WIDGET") == Decimal(5)
    before = soap.service.GetItemByKey({"Id": "WIDGET"}, ctx(soap, probe)).ModifiedDate
    probe.set_price("WIDGET", Decimal("11.00"))
    key = {"ItemKey": {"Id": "WIDGET"}, "CurrencyKey": {"ISOCode": "USD"}, "PriceLevelKey": {"Id": "RETAIL"}}
    pricing = soap.service.GetPricingByKey(key, ctx(soap, probe))
    assert pricing.Details.PricingDetail[0].UofMPrice.Amount.Value == Decimal("11.00")
    assert soap.service.GetItemByKey({"Id": "WIDGET"}, ctx(soap, probe)).ModifiedDate >= before


def test_ship_records_tracking_and_takes_stock(soap: Client, probe: GpProbe) -> None:
    probe.seed_customer("ADA0001", email="ada@example.com", name="Ada")
    probe.seed_item("WIDGET", price=Decimal(5), stock=Decimal(10))
    probe.seed_item("CABLE", price=Decimal(5), stock=Decimal(10))
    create_order(soap, probe, "WOO-77", ("WIDGET", 3), ("CABLE", 2))
    first = probe.ship("WOO-77", {"WIDGET": Decimal(1)}, carrier=probe.carrier, tracking_number="1Z999")
    assert first.tracking_number == "1Z999"
    (summary,) = soap.service.GetSalesOrderList(
        {"CustomerPONumber": {"EqualValue": "WOO-77"}, "Scope": "Return All"}, ctx(soap, probe)
    )
    assert first.document_number == summary.Key.Id
    order = soap.service.GetSalesOrderByKey({"Id": summary.Key.Id}, ctx(soap, probe))
    assert [t.Key.Id for t in order.TrackingNumbers.SalesTrackingNumber] == ["1Z999"]
    assert order.ShippingMethodKey.Id == probe.carrier
    assert on_hand(soap, probe, "WIDGET") == Decimal(9)
    rest = probe.ship("WOO-77")
    assert rest.number != first.number
    assert (on_hand(soap, probe, "WIDGET"), on_hand(soap, probe, "CABLE")) == (Decimal(7), Decimal(8))
    with pytest.raises(httpx.HTTPStatusError):
        probe.ship("WOO-77")  # nothing outstanding
    with pytest.raises(KeyError):
        probe.ship("WOO-NOPE")


def test_customer_on_hold_gets_no_documents(soap: Client, probe: GpProbe) -> None:
    probe.seed_customer("ADA0001", email="ada@example.com")
    probe.seed_item("WIDGET", price=Decimal(5), stock=Decimal(1))
    probe.block_customer("ADA0001")
    with pytest.raises(SoapFault):
        create_order(soap, probe, "WOO-1", ("WIDGET", 1))
    probe.unblock_customer("ADA0001")
    create_order(soap, probe, "WOO-1", ("WIDGET", 1))


def test_foreign_currency_must_be_set_up(soap: Client, probe: GpProbe) -> None:
    probe.seed_customer("ADA0001", email="ada@example.com")
    money = {"Value": Decimal(10), "DecimalDigits": 2}
    doc = {
        "CustomerKey": {"Id": "ADA0001"},
        "BatchKey": {"Id": "RM"},
        "SalesAmount": money,
        "CurrencyKey": {"ISOCode": "EUR"},
    }
    policy = soap.service.GetPolicyByOperation("CreateReceivablesInvoice", ctx(soap, probe))
    with pytest.raises(SoapFault):
        soap.service.CreateReceivablesInvoice(
            filled("ReceivablesInvoice", {**doc, "Key": {"Id": "E1"}}), ctx(soap, probe), policy
        )
    probe.set_up_currency("EUR")
    soap.service.CreateReceivablesInvoice(
        filled("ReceivablesInvoice", {**doc, "Key": {"Id": "E1"}}), ctx(soap, probe), policy
    )
    probe.remove_currency("EUR")
    with pytest.raises(SoapFault):
        soap.service.CreateReceivablesInvoice(
            filled("ReceivablesInvoice", {**doc, "Key": {"Id": "E2"}}), ctx(soap, probe), policy
        )
    with pytest.raises(KeyError):
        probe.remove_currency("EUR")


@pytest.mark.parametrize(
    ("fault", "status"), [(Fault.THROTTLED, 429), (Fault.UNAVAILABLE, 503), (Fault.SERVER_ERROR, 500)]
)
def test_status_faults_reach_the_client(gp: GpEmulator, probe: GpProbe, fault: Fault, status: int) -> None:
    probe.inject(fault, retry_after=3)
    with ntlm_client(gp) as client:
        response = client.get(service_url(gp) + "?wsdl")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")  # IIS's page, not a SOAP fault
    if status in (429, 503):
        assert response.headers["retry-after"] == "3"
    probe.clear_faults()
    with ntlm_client(gp) as client:
        assert client.get(service_url(gp) + "?wsdl").status_code == 200


def test_timeout_fault_outlasts_the_client(gp: GpEmulator, probe: GpProbe) -> None:
    probe.inject(Fault.TIMEOUT)
    with ntlm_client(gp) as client, pytest.raises(httpx.TimeoutException):
        client.get(service_url(gp) + "?wsdl", timeout=0.5)


def test_unauthorized_and_token_expiry_through_the_probe(gp: GpEmulator, probe: GpProbe) -> None:
    before = probe.request_log()
    probe.inject(Fault.UNAUTHORIZED)
    with ntlm_client(gp) as client:
        assert client.get(service_url(gp) + "?wsdl").status_code == 401
    probe.clear_faults()
    with ntlm_client(gp) as client:
        assert client.get(service_url(gp) + "?wsdl").status_code == 200
        probe.inject(Fault.TOKEN_EXPIRED)
        assert client.get(service_url(gp) + "?wsdl").status_code == 200  # re-authenticates
    after = probe.request_log()
    assert after.unauthorized > before.unauthorized
    assert after.tokens_issued >= before.tokens_issued + 2
    assert after.requests > before.requests


def test_batch_posting_makes_documents_read_only(gp: GpEmulator, soap: Client, probe: GpProbe) -> None:
    probe.seed_customer("ADA0001", email="ada@example.com")
    probe.seed_item("WIDGET", price=Decimal(5), stock=Decimal(5))
    create_order(soap, probe, "WOO-9", ("WIDGET", 1))
    with httpx.Client(base_url=gp.base_url, verify=tls(gp)) as control:
        posted = control.post(
            "/_sandbox/batches/post", json={"companyId": probe.company_id, "source": "Sales Entry", "number": "WOO"}
        )
    assert posted.json() == {"posted": 1}
    (summary,) = soap.service.GetSalesOrderList({"Scope": "Return All"}, ctx(soap, probe))
    assert summary.TransactionState == "History"
    policy = soap.service.GetPolicyByOperation("DeleteSalesOrder", ctx(soap, probe))
    with pytest.raises(SoapFault):
        soap.service.DeleteSalesOrder({"Id": summary.Key.Id}, ctx(soap, probe), policy)
    log = probe.request_log()
    assert log.by_operation.get("CreateSalesOrder", 0) >= 1
