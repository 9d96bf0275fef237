"""The GP Web Services operations the connector uses, over the objects in :mod:`sandbox.gp.store`.

Call pattern (facts: dynamics-gp.md §2, §2.1): ``CreateX(obj, context, policy)`` returns an empty response
(no number comes back), ``GetXByKey(key, context)``, ``GetXList(criteria, context)`` returning summaries,
``UpdateX``/``DeleteX``/``VoidX`` only on unposted (``Work``) documents, ``GetPolicyByOperation``.
Business rule failures are SOAP faults whose ``<detail><Message>`` is a validation log id
(``GetLoggedValidationResultByKey``). Rules the emulator enforces beyond the WSDL are in RULES below and the
README; those not confirmed for GP are marked there.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sandbox.gp import criteria as crit
from sandbox.gp.store import Batch, Company, GpStore, KeyTuple, key_tuple, now
from sandbox.gp.wsdl import GP_NS, TYPE_TAG, client, members, result_shape

SOP_KINDS = {"SalesInvoice": ("Invoice", "INV"), "SalesOrder": ("Order", "ORD"), "SalesReturn": ("Return", "RTN")}
RM_KINDS = {
    "ReceivablesInvoice": "Invoice",
    "ReceivablesCreditMemo": "Credit Memo",
    "ReceivablesReturn": "Return",
}
WRITABLE = {"Customer", "CustomerAddress", "CashReceipt", *SOP_KINDS, *RM_KINDS}
READABLE = {*WRITABLE, "Item", "ItemWarehouse", "PriceLevel", "Pricing"}
CUSTOMER_PO_MAX = 20  # CSTPONBR char(20) (facts §5)
BATCH_ID_MAX = 15  # BACHNUMB char(15) (facts §5: UNCONFIRMED)


class GpFault(Exception):
    """A business validation error (``validation=True``: logged, its id in the fault) or a system error."""

    def __init__(self, message: str, *, validation: bool = True, properties: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.validation = validation
        self.properties = properties


def _id(value: Any) -> str:
    return str((value or {}).get("Id") or "").strip() if isinstance(value, dict) else ""


def _money(value: Any) -> Decimal:
    if isinstance(value, dict) and value.get("Value") is not None:
        return Decimal(str(value["Value"]))
    return Decimal(0)


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"Currency": currency, "Value": amount.quantize(Decimal("0.01")), "DecimalDigits": 2}


class SoapService:
    """Dispatches a parsed request to its operation; returns the ``<Operation>Result`` value or None."""

    def __init__(self, store: GpStore) -> None:
        self.store = store
        self.calls: dict[str, int] = {}

    def call(self, operation: str, params: dict[str, Any], user: str) -> Any:
        self.calls[operation] = self.calls.get(operation, 0) + 1
        if operation == "GetPolicyByOperation":
            self._company(params)
            return {
                "Key": {"Id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(params.get("operation"))))},
                "Name": params.get("operation"),
                "Behaviors": None,
            }
        if operation == "GetCompanyList":
            with self.store.lock:
                companies = [
                    c for c in self.store.companies.values() if crit.matches({"Name": c.name}, params.get("criteria"))
                ]
            return {"Company": [{"Key": {"Id": c.id}, "Name": c.name} for c in companies]}
        if operation == "GetLoggedValidationResultByKey":
            log = self.store.validation_logs.get(str(params.get("logId") or ""))
            if log is None:
                raise GpFault("The validation log entry was not found.", validation=False)
            return {"Errors": {"ValidationError": log.errors}, "Warnings": None}
        handler = self._handler(operation)
        if handler is None:
            raise GpFault(f"The operation {operation} is not implemented by the GP emulator.", validation=False)
        company = self._company(params)
        with self.store.lock:
            return handler(company, params)

    # ------------------------------------------------------------------------------------------ dispatch
    def _handler(self, operation: str) -> Callable[[Company, dict[str, Any]], Any] | None:
        m = re.fullmatch(r"(Create|Update|Delete|Void)(\w+)", operation)
        if m and m.group(2) in WRITABLE:
            verb, kind = m.groups()
            return lambda company, params: getattr(self, f"_{verb.lower()}")(company, kind, params)
        m = re.fullmatch(r"Get(\w+)ByKey", operation)
        if m and m.group(1) in READABLE:
            read_kind = m.group(1)
            return lambda company, params: self._get(company, read_kind, params)
        if operation == "GetInventoriedItemByKey":
            return lambda company, params: self._get(company, "Item", params)
        if operation == "GetCurrencyList":
            return self._currencies
        m = re.fullmatch(r"Get(\w+)List", operation)
        if m and (m.group(1) in READABLE or m.group(1) == "SalesDocument"):
            list_kind = m.group(1)
            return lambda company, params: self._list(company, operation, list_kind, params)
        return None

    def _company(self, params: dict[str, Any]) -> Company:
        context = params.get("context") or {}
        org = context.get("OrganizationKey") or {}
        company_id = org.get("Id")
        company = self.store.companies.get(int(company_id)) if company_id is not None else None
        if company is None:
            raise GpFault(f"The company {company_id} does not exist or the user has no access to it.", validation=False)
        return company

    # ------------------------------------------------------------------------------------------- writes
    def _payload(self, params: dict[str, Any]) -> dict[str, Any]:
        values = [v for k, v in params.items() if k not in ("context", "policy", TYPE_TAG)]
        if len(values) != 1 or not isinstance(values[0], dict):
            raise GpFault("The request has no business object.", validation=False)
        return dict(values[0])

    def _need_policy(self, params: dict[str, Any]) -> None:
        if not _id((params.get("policy") or {}).get("Key")):
            raise GpFault("A policy is required (GetPolicyByOperation).", validation=False)

    def _create(self, company: Company, kind: str, params: dict[str, Any]) -> None:
        self._need_policy(params)
        self.create_object(company, kind, self._payload(params))

    def create_object(self, company: Company, kind: str, obj: dict[str, Any]) -> None:
        """Create a business object under GP's rules (shared by SOAP and SBA); call with the store lock held."""
        self._prepare(company, kind, obj)
        key = key_tuple(obj.get("Key"))
        if key in company.entities[kind]:
            raise GpFault(f"The {kind} {'/'.join(key)} already exists.", properties=("Key",))
        _stamp(kind, obj, created=True)
        company.entities[kind][key] = obj
        return None

    def _update(self, company: Company, kind: str, params: dict[str, Any]) -> None:
        self._need_policy(params)
        self.update_object(company, kind, self._payload(params))

    def update_object(self, company: Company, kind: str, changes: dict[str, Any]) -> None:
        """Update an unposted object: members given (not None) replace the stored ones."""
        current = self._existing(company, kind, key_tuple(changes.get("Key")))
        self._unposted(kind, current)
        merged = {**current, **{k: v for k, v in changes.items() if v is not None}}
        self._prepare(company, kind, merged, update=True)
        _stamp(kind, merged)
        company.entities[kind][key_tuple(merged.get("Key"))] = merged

    def _delete(self, company: Company, kind: str, params: dict[str, Any]) -> None:
        self._need_policy(params)
        key = key_tuple(params.get("key"))
        self._unposted(kind, self._existing(company, kind, key))
        del company.entities[kind][key]

    def _void(self, company: Company, kind: str, params: dict[str, Any]) -> None:
        self._need_policy(params)
        current = self._existing(company, kind, key_tuple(params.get("key")))
        self._unposted(kind, current)
        current["IsVoided"] = True
        _stamp(kind, current)

    def find(self, company: Company, kind: str, key: KeyTuple) -> dict[str, Any] | None:
        return company.entities[kind].get(key)

    def _existing(self, company: Company, kind: str, key: KeyTuple) -> dict[str, Any]:
        found = company.entities[kind].get(key)
        if found is None:
            raise GpFault(f"The {kind} {'/'.join(key) or '(no key)'} does not exist.", properties=("Key",))
        return found

    def _unposted(self, kind: str, obj: dict[str, Any]) -> None:
        if obj.get("TransactionState") not in (None, "Work") or obj.get("IsVoided"):
            raise GpFault(f"The {kind} is posted or voided and can no longer be changed.")

    def _prepare(self, company: Company, kind: str, obj: dict[str, Any], *, update: bool = False) -> None:
        """GP's business rules for a create/update; fills what GP computes."""
        if kind == "Customer":
            if not _id(obj.get("Key")):
                raise GpFault("Customer Id is required.", properties=("Key",))
            currency = str((obj.get("CurrencyKey") or {}).get("ISOCode") or "")
            if currency and not company.knows_currency(currency):
                raise GpFault(f"The currency {currency} is not set up.", properties=("CurrencyKey",))
            _fill(kind, obj, "IsActive", True)
            _fill(kind, obj, "IsOnHold", False)
            return
        if kind == "CustomerAddress":
            key = obj.get("Key") or {}
            if not _id(key) or not _id(key.get("CustomerKey")):
                raise GpFault("Customer address Id and customer are required.", properties=("Key",))
            self._customer(company, (_id(key.get("CustomerKey")),))
            return
        customer = self._customer(company, (_id(obj.get("CustomerKey")),))
        if customer.get("IsOnHold"):
            raise GpFault("The customer is on hold.", properties=("CustomerKey",))
        po = str(obj.get("CustomerPONumber") or "")
        if len(po) > CUSTOMER_PO_MAX:
            raise GpFault(
                f"CustomerPONumber is longer than {CUSTOMER_PO_MAX} characters.", properties=("CustomerPONumber",)
            )
        batch = _id(obj.get("BatchKey"))
        if not batch or len(batch) > BATCH_ID_MAX:
            raise GpFault(f"A batch id of 1 to {BATCH_ID_MAX} characters is required.", properties=("BatchKey",))
        currency = str((obj.get("CurrencyKey") or {}).get("ISOCode") or "")
        if currency and not company.knows_currency(currency):
            raise GpFault(f"The currency {currency} is not set up.", properties=("CurrencyKey",))
        _fill(kind, obj, "TransactionState", "Work")
        _fill(kind, obj, "IsVoided", False)
        _fill(kind, obj, "CustomerName", customer.get("Name"))
        _fill(kind, obj, "Date", now())
        if kind in SOP_KINDS:
            self._prepare_sop(company, kind, obj, update=update)
        elif kind in RM_KINDS:
            self._prepare_rm(company, kind, obj)
        elif kind == "CashReceipt":
            if not _id(obj.get("Key")):
                raise GpFault("Cash receipt number is required.", properties=("Key",))
            if _money(obj.get("Amount")) <= 0:
                raise GpFault("The cash receipt amount must be positive.", properties=("Amount",))
        source = "Sales Entry" if kind in SOP_KINDS else "RM_Sales" if kind in RM_KINDS else "RM_Cash"
        existing = company.batches.get((source, batch))
        if existing is None or existing.posted:  # a posted batch is gone from the work tables: the id starts anew
            company.batches[(source, batch)] = _new_batch(batch, source)

    def _customer(self, company: Company, key: KeyTuple) -> dict[str, Any]:
        found = company.entities["Customer"].get(key)
        if found is None or not key[0]:
            raise GpFault(f"The customer {key[0] or '(none)'} does not exist.", properties=("CustomerKey",))
        return found

    def _prepare_sop(self, company: Company, kind: str, obj: dict[str, Any], *, update: bool) -> None:
        doc_type, prefix = SOP_KINDS[kind]
        if not _id(obj.get("DocumentTypeKey")):
            raise GpFault("The SOP document type id (DocumentTypeKey) is required.", properties=("DocumentTypeKey",))
        key = dict(obj.get("Key") or {})
        if not _id(key) and not update:
            key["Id"] = company.next_number(prefix)  # numbering from the document type id: format UNCONFIRMED
        obj["Key"] = {"Id": _id(key)}
        obj["DocumentTypeKey"] = {**obj["DocumentTypeKey"], "Type": doc_type}
        obj["Type"] = doc_type
        lines = ((obj.get("Lines") or {}).get(f"{kind}Line")) or []
        if not lines:
            raise GpFault("A sales document needs at least one line.", properties=("Lines",))
        currency = company.currency
        line_total = Decimal(0)
        for number, line in enumerate(lines, start=1):
            item = _id(line.get("ItemKey"))
            non_inventory = line.get("IsNonInventory") is True  # GP allows a typed-in item number then
            if not item or (not non_inventory and key_tuple({"Id": item}) not in company.entities["Item"]):
                raise GpFault(f"Line {number}: the item {item or '(none)'} does not exist.", properties=("ItemKey",))
            quantity = _money(line.get("Quantity"))
            if quantity <= 0:
                raise GpFault(f"Line {number}: the quantity must be positive.", properties=("Quantity",))
            amount = quantity * _money(line.get("UnitPrice")) - _line_discount(line, quantity)
            line["TotalAmount"] = money(amount, currency)
            line_total += amount
        obj["LineTotalAmount"] = money(line_total, currency)
        total = (
            line_total
            + _money(obj.get("FreightAmount"))
            + _money(obj.get("MiscellaneousAmount"))
            + _money(obj.get("TaxAmount"))
            - _money(obj.get("DiscountAmount"))
        )
        obj["TotalAmount"] = money(total, currency)

    def _prepare_rm(self, company: Company, kind: str, obj: dict[str, Any]) -> None:
        if not _id(obj.get("Key")):
            raise GpFault("The receivables document number is required.", properties=("Key",))
        obj["Key"] = {"Id": _id(obj.get("Key"))}
        obj["Type"] = RM_KINDS[kind]
        sales = _money(obj.get("SalesAmount"))
        if sales < 0:
            raise GpFault("The sales amount cannot be negative.", properties=("SalesAmount",))
        total = (
            sales
            + _money(obj.get("FreightAmount"))
            + _money(obj.get("MiscellaneousAmount"))
            + _money(obj.get("TaxAmount"))
            - _money(obj.get("TradeDiscountAmount"))
        )
        if total <= 0:
            raise GpFault("The document amount must be positive.", properties=("SalesAmount",))
        obj["DocumentAmount"] = money(total, company.currency)
        distributions = ((obj.get("Distributions") or {}).get("ReceivablesDistribution")) or []
        if distributions:
            debit = sum((_money(d.get("DebitAmount")) for d in distributions), Decimal(0))
            credit = sum((_money(d.get("CreditAmount")) for d in distributions), Decimal(0))
            if debit != credit or debit != total:
                raise GpFault(
                    f"The distributions do not balance (debit {debit}, credit {credit}, document {total}).",
                    properties=("Distributions",),
                )
            if any(not _id(d.get("GLAccountKey")) for d in distributions):
                raise GpFault("Every distribution needs a GL account.", properties=("Distributions",))

    # -------------------------------------------------------------------------------------------- reads
    def _get(self, company: Company, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.read_object(company, kind, key_tuple(params.get("key")))

    def read_object(self, company: Company, kind: str, key: KeyTuple) -> dict[str, Any]:
        obj = self._existing(company, kind, key)
        if kind == "Customer":
            addresses = [a for k, a in company.entities["CustomerAddress"].items() if k[:1] == key_tuple(obj["Key"])]
            obj = {**obj, "Addresses": {"CustomerAddress": addresses} if addresses else None}
        return _tagged(kind, obj)

    def _currencies(self, company: Company, params: dict[str, Any]) -> dict[str, Any]:
        """``GetCurrencyList``: the company's functional currency and the ones set up for it (``Currency``
        objects, WSDL: key ``ISOCode``, ``Id``, ``Description``); criteria on ``ISOCode``/``Id`` only."""
        criteria = params.get("criteria") or {}
        unknown = {k for k, v in criteria.items() if v is not None and k not in (*crit.IGNORED, "ISOCode", "Id")}
        if unknown:
            raise GpFault(f"The emulator does not evaluate the criterion {sorted(unknown)[0]}.", validation=False)
        codes = sorted({company.currency, *company.foreign_currencies})
        objects = [{"Key": {"ISOCode": code}, "Id": code, "Description": code} for code in codes]
        wanted = {k: v for k, v in criteria.items() if k in ("ISOCode", "Id") and v is not None}
        found = [o for o in objects if all(crit.matches({"Name": o["Id"]}, {"Name": r}) for r in wanted.values())]
        return {"Currency": found}

    def _list(self, company: Company, operation: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        kinds = list(SOP_KINDS) if kind == "SalesDocument" else [kind]
        array_element, summary_type = result_shape(operation)
        wanted = [n for n, _ in client().get_type(f"{{{GP_NS}}}{summary_type}").elements]
        try:
            found = [
                obj
                for k in kinds
                for obj in company.entities[k].values()
                if crit.matches(obj, params.get("criteria"), k)
            ]
        except crit.UnsupportedCriterion as exc:
            raise GpFault(str(exc), validation=False) from exc
        return {array_element: [{n: obj[n] for n in wanted if n in obj} for obj in found]}


def _stamp(kind: str, obj: dict[str, Any], *, created: bool = False) -> None:
    """GP's audit dates, on the types that have them."""
    stamp = now()
    names = ("CreatedDate", "ModifiedDate", "LastModifiedDate") if created else ("ModifiedDate", "LastModifiedDate")
    for name in names:
        if name in members(kind):
            obj[name] = stamp


def _fill(kind: str, obj: dict[str, Any], name: str, value: Any) -> None:
    """Set what GP defaults when the client left the member out or nil (on the types that have it)."""
    if name in members(kind) and obj.get(name) is None:
        obj[name] = value


def _tagged(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, TYPE_TAG: obj.get(TYPE_TAG, kind)}


def _new_batch(number: str, source: str) -> Batch:
    return Batch(number=number, source=source)


def _line_discount(line: dict[str, Any], quantity: Decimal) -> Decimal:
    choice = line.get("Discount")
    if not isinstance(choice, dict):
        return Decimal(0)
    inner = choice.get("_value_1", choice)
    if isinstance(inner, dict) and "Amount" in inner and inner["Amount"] is not None:
        return _money(inner["Amount"])
    if isinstance(inner, dict) and inner.get("Percent") is not None:
        percent = _money(inner["Percent"])
        return (quantity * _money(line.get("UnitPrice")) * percent / 100).quantize(Decimal("0.01"))
    return Decimal(0)
