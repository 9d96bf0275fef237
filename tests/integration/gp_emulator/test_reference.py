"""Contract with the saved GP material in ../shared/reference/dynamics-gp/ (read from there, never copied):
the WSDL is served as GP wrote it, and the zeep-rendered reference requests are accepted as they are."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from sandbox.gp import GpEmulator
from sandbox.gp.wsdl import DEFAULT_WSDL_PATH, SERVICE_PATH, WSDL_PLACEHOLDER_ADDRESS

from .conftest import ntlm_client, service_url

pytestmark = [pytest.mark.integration, pytest.mark.gp]

REFERENCE = DEFAULT_WSDL_PATH.parent
ENVELOPES = REFERENCE / "example-envelopes-zeep.txt"
GP = "http://schemas.microsoft.com/dynamics/gp/2006/01"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def reference_envelopes(path: Path) -> dict[str, bytes]:
    """The ``===== <Operation>`` sections of the saved envelopes file."""
    sections: dict[str, bytes] = {}
    name = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("===== "):
            name = line.removeprefix("===== ").strip()
            sections[name] = b""
        elif name:
            sections[name] += line.encode() + b"\n"
    return {k: v.strip() for k, v in sections.items() if v.strip()}


def post(gp: GpEmulator, operation: str, envelope: bytes) -> etree._Element:
    with ntlm_client(gp) as client:
        response = client.post(
            service_url(gp),
            content=envelope,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{GP}/{operation}"'},
        )
    assert response.status_code == 200, response.text
    body = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body")
    assert body is not None
    return body


def test_the_served_wsdl_is_gps_byte_for_byte_but_the_address(gp: GpEmulator) -> None:
    saved = DEFAULT_WSDL_PATH.read_bytes()
    with ntlm_client(gp) as client:
        served = client.get(service_url(gp) + "?wsdl").content
    assert served == saved.replace(WSDL_PLACEHOLDER_ADDRESS.encode(), (gp.base_url + SERVICE_PATH).encode())
    assert saved.count(WSDL_PLACEHOLDER_ADDRESS.encode()) == 1  # only soap:address differs


def test_the_reference_requests_are_answered_in_the_wsdls_shapes(gp: GpEmulator) -> None:
    """The saved envelopes address CompanyKey -1 (GP's sample company), customer AARONFIT0001, item 128 SDRAM."""
    envelopes = reference_envelopes(ENVELOPES)
    assert set(envelopes) == {"GetPolicyByOperation", "GetCustomerByKey", "GetSalesInvoiceList", "CreateSalesInvoice"}
    gp.seed_customer("AARONFIT0001", name="Aaron Fitz Electrical")
    gp.seed_item("128 SDRAM", price=Decimal("10.00"), stock=Decimal(3))

    policy = post(gp, "GetPolicyByOperation", envelopes["GetPolicyByOperation"])
    assert (
        policy.find(f"{{{GP}}}GetPolicyByOperationResponse/{{{GP}}}GetPolicyByOperationResult/{{{GP}}}Key/{{{GP}}}Id")
        is not None
    )

    customer = post(gp, "GetCustomerByKey", envelopes["GetCustomerByKey"])
    key = customer.find(f"{{{GP}}}GetCustomerByKeyResponse/{{{GP}}}GetCustomerByKeyResult/{{{GP}}}Key/{{{GP}}}Id")
    assert key is not None and key.text == "AARONFIT0001"

    created = post(gp, "CreateSalesInvoice", envelopes["CreateSalesInvoice"])
    (response,) = list(created)
    assert etree.QName(response).localname == "CreateSalesInvoiceResponse" and len(response) == 0  # void

    listed = post(gp, "GetSalesInvoiceList", envelopes["GetSalesInvoiceList"])
    summaries = listed.findall(f".//{{{GP}}}SalesInvoiceSummary")
    assert [s.findtext(f"{{{GP}}}CustomerPONumber") for s in summaries] == ["WOO-10042"]


def test_a_wrong_soap_action_is_a_client_fault(gp: GpEmulator) -> None:
    envelope = reference_envelopes(ENVELOPES)["GetCustomerByKey"]
    with ntlm_client(gp) as client:
        response = client.post(
            service_url(gp),
            content=envelope,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{GP}/NoSuchOperation"'},
        )
    assert response.status_code == 500
    fault = etree.fromstring(response.content).find(f".//{{{SOAP_ENV}}}Fault")
    assert fault is not None and fault.findtext("faultcode") == "soap:Client"


def test_soap_needs_text_xml(gp: GpEmulator) -> None:
    with ntlm_client(gp) as client:
        response = client.post(service_url(gp), content=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 415


NOT_EMULATED = {
    # Change tracking and exception logs the connector does not use (it polls lists by ModifiedDate).
    "GetLoggedExceptionDataByKey",
    "GetChangedCustomerKeyList",
    "GetChangedItemKeyList",
    "GetChangedSalesInvoiceKeyList",
}


def test_every_operation_the_connector_needs_is_emulated(gp: GpEmulator) -> None:
    """The operations listed in the reference's types closure (the Woo→GP set) are all dispatched."""
    text = (REFERENCE / "types-closure-legacy.md").read_text(encoding="utf-8")
    line = next(li for li in text.splitlines() if li.startswith("Operations covered:"))
    listed = line.removeprefix("Operations covered:").split(";")[0]
    operations = {name.strip() for name in listed.split(",") if name.strip()}
    assert len(operations) > 40
    direct = {"GetPolicyByOperation", "GetCompanyList", "GetLoggedValidationResultByKey"}
    missing = {op for op in operations - NOT_EMULATED - direct if gp.soap._handler(op) is None}
    assert not missing
