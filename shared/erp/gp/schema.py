"""What a mapping may write on Dynamics GP: the Web Services objects the connector creates, as a
:class:`~shared.mapping.schema.TargetSchema`.

Elements and their types are the legacy WSDL's (:mod:`shared.erp.gp.elements`; facts: dynamics-gp.md §2, §2.1).
A target is an element name, ``<Key>.Id`` for a key that is one id (``ShippingMethodKey.Id``), or
``UserDefined.<member>`` (the SOP document's user-defined fields). The document is the connection's
``DOCUMENT_TYPE`` object: ``SalesInvoice`` (sop), ``SalesOrder`` (sop_order) or ``ReceivablesInvoice`` (rm, which
has no lines). The WSDL gives no lengths and no writability, so:

- read-only: what GP keeps itself (audit dates and users, the transaction state, posting, voiding);
- lengths only where the connector cuts a value already (:mod:`shared.erp.gp.mapping`); GP's own column
  lengths are not in the facts, and a mapped value is cut the same way;
- *owned*: the document number, its customer, batch, date, currency and the customer PO number (the
  connector's exactly-once key), item keys, and the customer's id.

Over SBA (``TRANSPORT=sba``) a field reaches GP only if the SBA JSON shapes carry it, and those shapes are the
project's guesses (:mod:`shared.erp.gp.sba_shapes`): ``Description`` of a receivables invoice, and a customer's
``Name`` and ``ClassKey.Id``. Every other target is refused on SBA with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from shared.erp.gp.elements import ELEMENTS, ENUMS
from shared.mapping.schema import FieldType, TargetEntity, TargetField, TargetSchema

__all__ = ["LENGTHS", "OWNED", "READ_ONLY", "SBA_CARRIED", "document_entity", "gp_target_schema"]

READ_ONLY = frozenset(
    {
        "CreatedBy",
        "CreatedDate",
        "ModifiedBy",
        "ModifiedDate",
        "LastModifiedDate",
        "TransactionState",
        "PostedBy",
        "PostedDate",
        "AuditTrailCode",
        "IsVoided",
        "IsDeleted",
        "VoidDate",
        "InvoicePaidOffDate",
        "OriginalSalesDocumentKey.Id",
        "OriginalSalesDocumentType",
    }
)
"""What GP maintains itself (audit trail, state, posting and voiding): a mapping may not write it."""

_DOCUMENT_OWNED = {
    "Key.Id": "the connector numbers the document (DOCUMENT_NUMBER_PREFIX and the order number)",
    "Type": "the connection's DOCUMENT_TYPE",
    "CustomerKey.Id": "the matched or created customer",
    "CustomerPONumber": "the order's number in the ERP, its exactly-once key",
    "Date": "the order's date",
}
OWNED: Mapping[str, Mapping[str, str]] = {
    "SalesInvoice": _DOCUMENT_OWNED,
    "SalesOrder": _DOCUMENT_OWNED,
    "ReceivablesInvoice": _DOCUMENT_OWNED,
    "SalesInvoiceLine": {"ItemKey.Id": "the line's item"},
    "SalesOrderLine": {"ItemKey.Id": "the line's item"},
    "Customer": {"Key.Id": "the connector numbers customers from the buyer's e-mail"},
}

LENGTHS: Mapping[str, Mapping[str, int]] = {
    "SalesInvoice": {"CustomerPONumber": 20, "Comment": 30},
    "SalesOrder": {"CustomerPONumber": 20, "Comment": 30},
    "ReceivablesInvoice": {"CustomerPONumber": 20, "Description": 30},
    "SalesInvoiceLine": {"ItemDescription": 100},
    "SalesOrderLine": {"ItemDescription": 100},
    "Customer": {"Name": 64},
}
"""The lengths the connector cuts its own values to (:mod:`shared.erp.gp.mapping`)."""

SBA_CARRIED: Mapping[str, frozenset[str]] = {
    "ReceivablesInvoice": frozenset({"Description"}),
    "Customer": frozenset({"Name", "ClassKey.Id"}),
}
"""The mappable fields :mod:`shared.erp.gp.sba_shapes` carries to SBA (its JSON bodies are guesses)."""

_SBA_REFUSED = (
    "not carried over SBA (the SBA JSON shapes are UNCONFIRMED guesses, shared/erp/gp/sba_shapes.py); "
    "TRANSPORT=soap writes it"
)
_TYPES = {
    "text": FieldType.TEXT,
    "date": FieldType.DATE,
    "boolean": FieldType.BOOLEAN,
    "number": FieldType.DECIMAL,
    "other": FieldType.OTHER,
}
_DOCUMENTS = {"sop": "SalesInvoice", "sop_order": "SalesOrder", "rm": "ReceivablesInvoice"}


def document_entity(document_type: str) -> str:
    """The GP object a Woo order becomes for a connection's ``DOCUMENT_TYPE``."""
    return _DOCUMENTS[document_type]


def _field(entity: str, token: str, sba: bool) -> TargetField:
    name, _, kind = token.partition(":")
    members: tuple[str, ...] = ()
    if kind.startswith("enum:"):
        field_type, members = FieldType.ENUM, ENUMS[kind.removeprefix("enum:")]
    else:
        field_type = _TYPES[kind]
    owned = OWNED[entity].get(name, "")
    unsupported = ""
    if sba and not owned and name not in READ_ONLY and name not in SBA_CARRIED.get(entity, frozenset()):
        unsupported = _SBA_REFUSED
    return TargetField(
        name,
        field_type,
        LENGTHS[entity].get(name),
        members,
        writable=name not in READ_ONLY,
        owned=owned,
        unsupported=unsupported,
    )


def _entity(name: str, sba: bool) -> TargetEntity:
    return TargetEntity.of(name, *(_field(name, token, sba) for token in ELEMENTS[name]))


@cache
def gp_target_schema(document_type: str = "sop", transport: str = "soap") -> TargetSchema:
    """The objects a GP connection writes: its document (by ``DOCUMENT_TYPE``), the document's lines (none for
    receivables invoices) and new customers; over SBA only what its shapes carry."""
    document = document_entity(document_type)
    sba = transport == "sba"
    line = (
        TargetEntity("ReceivablesInvoice lines (a receivables invoice has none)")
        if document_type == "rm"
        else _entity(f"{document}Line", sba)
    )
    return TargetSchema(
        erp="gp",
        document=_entity(document, sba),
        line=line,
        customer=_entity("Customer", sba),
        no_comments=(
            "GP documents have no comment lines: map the text to Note (or Comment, 30 characters), joining "
            "several fields with a join transform"
            if document_type != "rm"
            else "receivables invoices have no comment lines: map the text to Description (30 characters)"
        ),
    )
