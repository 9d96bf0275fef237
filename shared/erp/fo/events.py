"""F&O business events at an HTTPS endpoint (facts: finance-operations.md §3, dynamics.md §2.4).

The adapter's :class:`~shared.erp.port.ErpEvents` capability:

- :func:`receive_business_event`: the body is F&O's flat envelope (``BusinessEventId``, ``EventId``,
  ``ControlNumber``, ``EventTime`` as ``/Date(ms)/``, ``BusinessEventLegalEntity`` …) with the event's
  DataMembers beside it. The function key in ``?code=`` authenticated the call (the host checks it); the body
  alone is never trusted: what is queued is only the event's identity, and the queue side reads the record
  back over OData. Events of another legal entity, or that the connector does not use, are answered 200 and
  not queued (so F&O neither retries nor lists them as errors). The receipt's ``dedupe_key`` (the
  ``EventId``, else legal entity + ``ControlNumber``) lets the flow drop F&O's retries (3 attempts, 1 s apart).
- :func:`read_hints`: an invoice posted or a packing slip posted that F&O confirms (the invoice or the
  packing slip's tracking row exists in the legal entity) asks for the shipment push: packing slips with
  tracking go back to the Woo order (polling stays the backstop).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.erp.fo import guesses
from shared.erp.fo.client import FoClient, odata_string
from shared.erp.port import ErpHints, EventReceipt

_MS_DATE = re.compile(r"^/Date\((-?\d+)\)/$")
USED_EVENTS = (guesses.INVOICE_POSTED_EVENT, guesses.PACKING_SLIP_POSTED_EVENT)


def ms_date(value: object) -> datetime | None:
    """F&O's ``/Date(<ms since epoch>)/`` as an aware datetime (None when it is not one)."""
    match = _MS_DATE.match(str(value or ""))
    return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC) if match else None


def receive_business_event(body: bytes, data_area_id: str) -> EventReceipt:
    """Answer F&O's POST of one business event: 400 when it is not an envelope, 200 (not queued) when it is
    not ours to act on, else 202 with the event's identity to queue."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        event = None
    if not isinstance(event, dict) or not event.get("BusinessEventId") or "ControlNumber" not in event:
        return EventReceipt(400, "malformed business event: expected F&O's envelope")
    event_type = str(event["BusinessEventId"])
    legal_entity = str(event.get("BusinessEventLegalEntity") or event.get("LegalEntity") or "")
    if event_type not in USED_EVENTS:
        return EventReceipt(200, f"{event_type} is not used")
    if legal_entity.lower() != data_area_id.lower():
        return EventReceipt(200, f"legal entity {legal_entity} is not this connection's")
    moment = ms_date(event.get("EventTime"))
    payload: dict[str, object] = {
        "event": event_type,
        "event_id": str(event.get("EventId") or ""),
        "control_number": str(event.get("ControlNumber")),
        "event_time": moment.isoformat() if moment else "",
        "sales_order": str(event.get("SalesOrderId") or ""),
        "invoice": str(event.get("InvoiceId") or ""),
        "packing_slip": str(event.get(guesses.PACKING_SLIP_ID_MEMBER) or ""),
    }
    key = payload["event_id"] or f"{legal_entity.lower()}-{payload['control_number']}"
    return EventReceipt(202, "queued", payload, dedupe_key=str(key).upper())


def confirmed(client: FoClient, payload: Mapping[str, Any]) -> bool:
    """Whether F&O has the record the event names (the payload is a thin stub and never trusted alone)."""
    if payload.get("event") == guesses.INVOICE_POSTED_EVENT and payload.get("invoice"):
        return client.get_key(guesses.SALES_INVOICE_HEADERS, {"InvoiceNumber": str(payload["invoice"])}) is not None
    if payload.get("event") == guesses.PACKING_SLIP_POSTED_EVENT and payload.get("packing_slip"):
        params = {
            "$filter": f"PackingSlipNumber eq {odata_string(str(payload['packing_slip']))}",
            "$top": "1",
            "$select": "PackingSlipNumber,SalesOrderNumber",
        }
        return bool(client.get_all(guesses.PACKING_SLIP_TRACKING, params))
    return False


def read_hints(client: FoClient, payload: Mapping[str, Any]) -> ErpHints:
    if confirmed(client, payload):
        return ErpHints(shipments=True)
    return ErpHints(ignored=1)
