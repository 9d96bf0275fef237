"""GP Web Services (legacy ASMX endpoint, SOAP 1.1) through zeep, sent with the connector's httpx client.

Built against GP's own WSDL (facts: dynamics-gp.md §2, §2.1; ``legacy-DynamicsGP.wsdl``): zeep renders the
envelopes from the WSDL's types and parses the answers; the HTTP exchange is :class:`shared.http.ApiClient`'s
(timeouts, retries with backoff, Retry-After) with NTLM auth (:mod:`shared.erp.gp.ntlm`). Only the legacy
endpoint is usable from Python (the native one needs WS-SecureConversation, §2.1 (1)).

What the WSDL demands and zeep does not do by itself (§2.1 (2), (4), (8)):
* ``Context.OrganizationKey`` is abstract: sent as ``xsi:type="CompanyKey"``; ``CurrencyType`` is required;
* required, non-nillable members (``MoneyAmount.DecimalDigits``, ``PolicyKey.Id``...) are filled with their
  .NET defaults, as a .NET proxy sends them; abstract ``Amount`` members are sent as ``MoneyAmount``;
* every ``*Criteria`` has a required ``Scope``; criteria are built as typed objects, because zeep drops a
  member the type does not have without a word.
A business validation error is a SOAP fault whose ``<detail><Message>`` is a log id; its messages are read with
``GetLoggedValidationResultByKey`` (§2.1 "Faults").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import httpx
import zeep
from lxml import etree
from zeep.exceptions import Fault, TransportError, XMLSyntaxError
from zeep.helpers import serialize_object
from zeep.xsd import ComplexType, Element

from shared.config import GpConnection
from shared.erp.gp.errors import GpRefused, account_refused
from shared.erp.gp.transport import Criteria, GpObject
from shared.erp.port import ErpError, PermanentErpError, TransientErpError
from shared.http import NOT_PROCESSED_STATUSES, ApiClient, CallLimiter, PermanentHttpError, TransientHttpError

GP_NS = "http://schemas.microsoft.com/dynamics/gp/2006/01"
DYN_NS = "http://schemas.microsoft.com/dynamics/2006/01"
TYPE_TAG = "__type__"
SCOPES = {  # the "everything" member of each criteria's Scope enumeration
    "CustomerScope": "Return All",
    "SalesDocumentScope": "Return All",
    "ReceivablesDocumentScope": "Return All",
    "CashReceiptScope": "Return All",
}
# Objects read by their own Get<Kind>ByKey, listed by Get<Kind>List, created by Create<Kind>.
KINDS = frozenset(
    {
        "Customer",
        "CustomerAddress",
        "SalesInvoice",
        "SalesOrder",
        "SalesReturn",
        "ReceivablesInvoice",
        "ReceivablesCreditMemo",
        "CashReceipt",
        "Currency",
        "Item",
        "Pricing",
    }
)


XSD_NS = "http://www.w3.org/2001/XMLSchema"


@cache
def load_wsdl(path: str) -> tuple[zeep.Client, dict[str, str]]:
    """zeep's model of the WSDL at ``path`` (a local file: parsed once per process, no network), and the first
    member of every enumeration (a .NET enum's default, what a .NET proxy sends for an unset required enum)."""
    client = zeep.Client(path)
    enums: dict[str, str] = {}
    for simple in etree.parse(path).iter(f"{{{XSD_NS}}}simpleType"):
        first = simple.find(f".//{{{XSD_NS}}}enumeration")
        if simple.get("name") and first is not None:
            enums.setdefault(str(simple.get("name")), str(first.get("value")))
    return client, enums


def _is_soap_fault(response: httpx.Response) -> bool:
    """A SOAP 1.1 fault travels as HTTP 500 with an XML body: GP's answer, not a transport failure."""
    return response.status_code == 500 and b"Fault" in response.content[:2000] and b"Envelope" in response.content[:500]


class SoapTransport:
    name = "soap"

    def __init__(self, connection: GpConnection, api: ApiClient, posting: ApiClient | None = None) -> None:
        self.connection = connection
        self.api = api
        self.posting = posting
        self.path = connection.soap_path.lstrip("/")
        self._loaded: tuple[zeep.Client, dict[str, str], Any] | None = None
        self._policies: dict[str, Any] = {}

    def _wsdl(self) -> tuple[zeep.Client, dict[str, str], Any]:
        """The WSDL's model, read at the first call (building the adapter does no I/O)."""
        if self._loaded is None:
            client, enums = load_wsdl(self._wsdl_file())
            service = next(iter(client.wsdl.services.values()))
            self._loaded = (client, enums, next(iter(service.ports.values())).binding)
        return self._loaded

    @property
    def client(self) -> zeep.Client:
        return self._wsdl()[0]

    @property
    def enums(self) -> dict[str, str]:
        return self._wsdl()[1]

    @property
    def binding(self) -> Any:
        return self._wsdl()[2]

    def limit(self, limiter: CallLimiter) -> None:
        """Hold one of the connection's slots around each request (shared/storage/erp_slots.py)."""
        self.api.limiter = limiter
        if self.posting is not None:
            self.posting.limiter = limiter

    @property
    def calls(self) -> int:
        return self.api.calls + (self.posting.calls if self.posting is not None else 0)

    def close(self) -> None:
        self.api.close()
        if self.posting is not None:
            self.posting.close()

    def supports(self, kind: str) -> bool:
        return kind in KINDS

    # ------------------------------------------------------------------------------------------- WSDL
    def _wsdl_file(self) -> str:
        if self.connection.wsdl:
            return self.connection.wsdl
        response = self._http("GET", self.path, params={"wsdl": ""}, read=True)
        digest = hashlib.sha256(response.content).hexdigest()[:16]
        path = os.path.join(tempfile.gettempdir(), f"gp-wsdl-{digest}.wsdl")
        if not os.path.exists(path):
            fd, partial = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".wsdl")
            with os.fdopen(fd, "wb") as handle:
                handle.write(response.content)
            os.replace(partial, path)
        return path

    # ------------------------------------------------------------------------------------------ calls
    def _http(self, method: str, path: str, *, read: bool, **kwargs: Any) -> httpx.Response:
        try:
            return self.api.request(method, path, idempotent=read, is_answer=_is_soap_fault, **kwargs)
        except TransientHttpError as exc:
            raise TransientErpError(
                str(exc), status=exc.status, retry_after=exc.retry_after, ambiguous=exc.ambiguous
            ) from exc
        except PermanentHttpError as exc:
            if exc.status == 401:
                raise account_refused(self.connection.username, "Windows authentication failed") from exc
            raise PermanentErpError(str(exc), status=exc.status) from exc

    def call(self, operation: str, *args: Any, read: bool) -> Any:
        """Send one operation; its result as plain dicts and lists (None for Create/Delete)."""
        envelope = self.client.create_message(self.client.service, operation, *args)
        body = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        headers = {"SOAPAction": f'"{GP_NS}/{operation}"', "Content-Type": "text/xml; charset=utf-8"}
        response = self._http("POST", self.path, read=read, content=body, headers=headers)
        try:
            result = self.binding.process_reply(self.client, self.binding.get(operation), response)
        except Fault as fault:
            raise self._refused(operation, fault) from None
        except (TransportError, XMLSyntaxError) as exc:
            raise PermanentErpError(f"GP answered {operation} with something that is not SOAP ({exc})") from exc
        return _plain(serialize_object(result))

    def _refused(self, operation: str, fault: Fault) -> ErpError:
        log_id = fault.detail.findtext("Message") if fault.detail is not None else None
        if not log_id:
            refused = GpRefused(operation, [str(fault.message or "")], system=True)
            if refused.says("access", "not authorized", "permission", "policy"):
                return account_refused(self.connection.username, refused.messages[0])
            return refused
        try:
            result = self.call("GetLoggedValidationResultByKey", log_id, self._context(), read=True)
        except ErpError:
            return GpRefused(operation, [str(fault.message or ""), f"validation log {log_id}"])
        errors = ((result or {}).get("Errors") or {}).get("ValidationError") or []
        return GpRefused(operation, [str(error.get("Message") or "") for error in errors] or [str(fault.message)])

    def _context(self) -> dict[str, Any]:
        company_key = self.client.get_type(f"{{{DYN_NS}}}CompanyKey")
        return {"OrganizationKey": company_key(Id=self.connection.company_id), "CurrencyType": "Transactional"}

    def _policy(self, operation: str) -> Any:
        if operation not in self._policies:
            self._policies[operation] = self.call("GetPolicyByOperation", operation, self._context(), read=True)
        return self.build("Policy", self._policies[operation])

    # ---------------------------------------------------------------------------------------- the port
    def get(self, kind: str, key: Mapping[str, Any]) -> GpObject | None:
        try:
            found = self.call(f"Get{kind}ByKey", dict(key), self._context(), read=True)
        except GpRefused as refused:
            if refused.not_found:
                return None
            raise
        return found if isinstance(found, dict) else None

    def list(self, kind: str, criteria: Criteria) -> list[GpObject]:
        type_name = f"{kind}Criteria"
        values: dict[str, Any] = {name: dict(restriction) for name, restriction in criteria.items()}
        scope = dict(self._type(type_name).elements).get("Scope")
        if scope is not None:
            values["Scope"] = SCOPES.get(str(scope.type.name), "Return All")
        result = self.call(f"Get{kind}List", self.build(type_name, values), self._context(), read=True)
        if isinstance(result, dict):  # zeep unwraps an ArrayOf<Summary> to its list; keep either shape
            result = next(iter(result.values()), None)
        rows = result if isinstance(result, list) else []
        return [row for row in rows if isinstance(row, dict)]

    def create(self, kind: str, obj: GpObject) -> None:
        operation = f"Create{kind}"
        policy = self._write_policy(operation)
        self.call(operation, self.build(kind, obj), self._context(), policy, read=False)

    def delete(self, kind: str, key: Mapping[str, Any]) -> None:
        operation = f"Delete{kind}"
        policy = self._write_policy(operation)
        self.call(operation, dict(key), self._context(), policy, read=False)

    def _write_policy(self, operation: str) -> Any:
        """The policy a write needs (read once per operation; the WSDL too, at the first call). A transient
        failure of those reads is reported as the write's, ambiguous: the caller then looks before writing
        again, which is always safe."""
        try:
            self._wsdl()
            return self._policy(operation)
        except TransientErpError as exc:
            if exc.status in NOT_PROCESSED_STATUSES:
                raise
            raise TransientErpError(
                exc.message, status=exc.status, retry_after=exc.retry_after, ambiguous=True
            ) from exc

    def post_batch(self, source: str, batch_id: str) -> None:
        if self.posting is None:
            raise PermanentErpError(
                "posting GP batches needs the SBA posting service: set the connection's COMPANY_NAME"
            )
        from shared.erp.gp.sba import post_batch

        post_batch(self.posting, self.connection, source, batch_id)

    # ---------------------------------------------------------------------------------- typed objects
    def _type(self, name: str) -> Any:
        return self.client.get_type(f"{{{GP_NS}}}{name}")

    def build(self, type_name: str, value: Mapping[str, Any]) -> Any:
        """``value`` as a typed ``gp:<type_name>``: unknown members refused, required ones defaulted."""
        xsd_type = self._type(type_name)
        return xsd_type(**_complete(self, Element(f"{{{GP_NS}}}{type_name}", xsd_type), dict(value)))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if not str(k).startswith("_") or k == "_value_1"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _complete(soap: SoapTransport, element: Element, value: Any) -> Any:
    xsd_type = element.type
    if isinstance(value, list):
        return [_complete(soap, element, item) for item in value]
    if value is None:
        return None if element.is_optional or element.nillable else _default(soap, element)
    if isinstance(xsd_type, ComplexType) and isinstance(value, Mapping):
        value = dict(value)
        derived_name = value.pop(TYPE_TAG, None)
        if xsd_type.name == "Amount" and not derived_name:
            derived_name = "MoneyAmount"  # Amount is abstract: GP reads a MoneyAmount (§2.1)
        if derived_name and derived_name != xsd_type.name:
            derived = soap.client.get_type(f"{{{GP_NS}}}{derived_name}")
            return derived(**_complete(soap, Element(element.qname, derived), value))
        members = dict(xsd_type.elements)
        unknown = set(value) - set(members)
        if unknown:
            raise KeyError(f"{sorted(unknown)} are not members of gp:{xsd_type.name}")
        filled: dict[str, Any] = {}
        for name, child in xsd_type.elements:
            if name in value:
                filled[name] = _complete(soap, child, value[name])
            elif not (child.is_optional or child.nillable):
                filled[name] = _default(soap, child)
        return filled
    return value


def _default(soap: SoapTransport, element: Element) -> Any:
    xsd_type = element.type
    if isinstance(xsd_type, ComplexType):
        if element.max_occurs != 1 and element.max_occurs is not None:
            return []
        return _complete(soap, element, {})
    if (xsd_type.name or "") in soap.enums:
        return soap.enums[xsd_type.name]
    accepted = tuple(getattr(xsd_type, "accepted_types", ()))
    if bool in accepted:
        return False
    if int in accepted:
        return 0
    if Decimal in accepted or float in accepted:
        return Decimal(0)
    if dt.datetime in accepted:
        return dt.datetime(1900, 1, 1)
    if (xsd_type.name or "") == "guid":
        return "00000000-0000-0000-0000-000000000000"
    return ""
