"""The legacy GP Web Services WSDL, served as it is, and the SOAP 1.1 wire built from it.

The WSDL is GP's own server output (``../shared/reference/dynamics-gp/webservices/legacy-DynamicsGP.wsdl``,
facts: dynamics-gp.md §2.1), read at start and never copied into the repo. zeep parses requests and renders
responses from it, so the operations, element order and types cannot drift from GP's. Only the host in
``soap:address`` is replaced by the emulator's own URL, as an ASMX server writes the address it is reached on.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree
from zeep import Client
from zeep.xsd import ComplexType, Element
from zeep.xsd.valueobjects import CompoundValue

GP_NS = "http://schemas.microsoft.com/dynamics/gp/2006/01"
DYN_NS = "http://schemas.microsoft.com/dynamics/2006/01"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SOAP_ACTION_PREFIX = f"{GP_NS}/"
SERVICE_PATH = "/DynamicsGPWebServices/DynamicsGPService.asmx"
WSDL_PLACEHOLDER_ADDRESS = "http://SERVER:48620/dynamicsgpwebservices/DynamicsGPService.asmx"

_REPO = Path(__file__).resolve().parents[2]
DEFAULT_WSDL_PATH = _REPO.parent / "shared" / "reference" / "dynamics-gp" / "webservices" / "legacy-DynamicsGP.wsdl"


def wsdl_path() -> Path:
    """Where the real WSDL is read from (``SANDBOX_GP_WSDL`` overrides the handbook's copy)."""
    return Path(os.environ.get("SANDBOX_GP_WSDL", str(DEFAULT_WSDL_PATH)))


@cache
def wsdl_bytes() -> bytes:
    path = wsdl_path()
    if not path.is_file():
        raise FileNotFoundError(f"GP WSDL not found at {path} (the handbook's reference folder sits beside the repo)")
    return path.read_bytes()


def served_wsdl(service_url: str) -> bytes:
    """The WSDL as GP serves it, addressed to ``service_url``."""
    return wsdl_bytes().replace(WSDL_PLACEHOLDER_ADDRESS.encode(), service_url.encode())


@cache
def client() -> Client:
    return Client(str(wsdl_path()))


@cache
def _binding() -> Any:
    service = next(iter(client().wsdl.services.values()))
    return next(iter(service.ports.values())).binding


def operation_names() -> frozenset[str]:
    return frozenset(_binding()._operations)


@cache
def _enumerations() -> dict[str, str]:
    """First enumeration value of every simple type (a .NET enum's default is its first member)."""
    tree = etree.fromstring(wsdl_bytes())
    found: dict[str, str] = {}
    for simple in tree.iter(f"{{{XSD_NS}}}simpleType"):
        first = simple.find(f".//{{{XSD_NS}}}enumeration")
        if simple.get("name") and first is not None:
            found.setdefault(str(simple.get("name")), str(first.get("value")))
    return found


class SoapRequestError(Exception):
    """The envelope cannot be processed (ASMX answers these with a soap:Client fault)."""


def parse_request(body: bytes, soap_action: str) -> tuple[str, dict[str, Any]]:
    """The operation and its parameters (plain dicts) from a SOAP 1.1 request."""
    action = soap_action.strip().strip('"')
    if not action.startswith(SOAP_ACTION_PREFIX):
        raise SoapRequestError(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.")
    name = action.removeprefix(SOAP_ACTION_PREFIX)
    operations = _binding()._operations
    if name not in operations:
        raise SoapRequestError(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.")
    try:
        envelope = etree.fromstring(body)
    except etree.XMLSyntaxError as exc:
        raise SoapRequestError("Server was unable to read request. There is an error in XML document.") from exc
    body_el = envelope.find(f"{{{SOAP_ENV}}}Body")
    if body_el is None or len(body_el) == 0 or etree.QName(body_el[0]).localname != name:
        raise SoapRequestError("Server was unable to read request: the body does not match the SOAPAction.")
    try:
        parsed = operations[name].input.deserialize(envelope)
    except Exception as exc:  # zeep raises its own XML/validation errors
        raise SoapRequestError(f"Server was unable to read request. {exc}") from exc
    return name, plain(parsed)


TYPE_TAG = "__type__"


def plain(value: Any) -> Any:
    """zeep values as plain dicts and lists; each object keeps its XSD type name under ``__type__`` so a
    derived type sent with ``xsi:type`` (``MoneyAmount`` for an abstract ``Amount``) is rendered back as such."""
    if isinstance(value, CompoundValue):
        result: dict[str, Any] = {k: plain(v) for k, v in value.__values__.items()}
        type_name = getattr(getattr(value, "_xsd_type", None), "name", None)
        if type_name:
            result[TYPE_TAG] = type_name
        return result
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def render_response(operation: str, result: Any = None) -> bytes:
    """The ``<Operation>Response`` envelope; ``result`` fills ``<Operation>Result`` (None: an empty response)."""
    output = _binding()._operations[operation].output
    wrapper: ComplexType = output.body.type
    values: dict[str, Any] = {}
    for name, element in wrapper.elements:
        if result is not None:
            values[name] = complete(element, result)
    message = output.serialize(**values)
    return bytes(etree.tostring(message.content, xml_declaration=True, encoding="utf-8"))


@cache
def members(type_name: str) -> frozenset[str]:
    """The element names of ``gp:<type_name>`` (inherited ones included)."""
    return frozenset(name for name, _ in client().get_type(f"{{{GP_NS}}}{type_name}").elements)


def result_shape(operation: str) -> tuple[str, str]:
    """The array member name and summary type of a ``Get*List`` result, read from the WSDL."""
    wrapper = _binding()._operations[operation].output.body.type
    ((_, result),) = wrapper.elements
    ((name, element),) = result.type.elements
    return str(name), str(element.type.name)


def complete(element: Element, value: Any) -> Any:
    """``value`` with every required, non-nillable member filled with its .NET default (XmlSerializer
    always writes those), so zeep renders what GP would."""
    xsd_type = element.type
    if isinstance(value, list):
        return [complete(element, item) for item in value]
    if value is None:
        if element.is_optional or element.nillable:
            return None
        return _default(element)
    if isinstance(xsd_type, ComplexType) and isinstance(value, dict):
        value = dict(value)
        derived_name = value.pop(TYPE_TAG, None)
        if derived_name and derived_name != xsd_type.name:
            derived = client().get_type(f"{{{GP_NS}}}{derived_name}")
            return derived(**complete(Element(element.qname, derived), value))
        members = dict(xsd_type.elements)
        unknown = set(value) - set(members) - {TYPE_TAG}
        if unknown:
            # zeep would drop them silently: an emulator bug, never a shape GP could send.
            raise KeyError(f"{sorted(unknown)} are not members of gp:{xsd_type.name}")
        filled: dict[str, Any] = {}
        for name, child in xsd_type.elements:
            if name in value:
                filled[name] = complete(child, value[name])
            elif not (child.is_optional or child.nillable):
                filled[name] = _default(child)
        return filled
    return value


def _default(element: Element) -> Any:
    xsd_type = element.type
    if isinstance(xsd_type, ComplexType):
        if element.max_occurs != 1 and element.max_occurs is not None:
            return []
        return complete(element, {})
    name = xsd_type.name or ""
    if name in _enumerations():
        return _enumerations()[name]
    accepted = tuple(getattr(xsd_type, "accepted_types", ()))
    if bool in accepted:
        return False
    if int in accepted:
        return 0
    if Decimal in accepted or float in accepted:
        return Decimal(0)
    if dt.datetime in accepted:
        return dt.datetime(1900, 1, 1)
    if name == "guid":
        return "00000000-0000-0000-0000-000000000000"
    return ""


def render_fault(message: str, *, validation_log_id: str | None = None, client_error: bool = False) -> bytes:
    """A SOAP 1.1 fault. A business validation error carries the log id in ``<detail><Message>`` (read it with
    ``GetLoggedValidationResultByKey``); a system error has no ``<Message>`` (facts §2.1 "Faults").
    Exact faultcode/faultstring wording: UNCONFIRMED."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soap:Client" if client_error else "soap:Server"
    etree.SubElement(fault, "faultstring").text = message
    detail = etree.SubElement(fault, "detail")
    if validation_log_id is not None:
        etree.SubElement(detail, "Message").text = validation_log_id
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))


def filled(type_name: str, value: dict[str, Any]) -> dict[str, Any]:
    """``value`` as a ``gp:<type_name>`` with its required, non-nillable members defaulted, as a .NET client
    proxy sends them (zeep refuses to send an object without them; facts §2.1 (8))."""
    xsd_type = client().get_type(f"{{{GP_NS}}}{type_name}")
    result = complete(Element(f"{{{GP_NS}}}{type_name}", xsd_type), value)
    return dict(result)
