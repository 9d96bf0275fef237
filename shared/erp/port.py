"""The ERP port: what the flows need from any ERP (BC, F&O, GP). No I/O here.

Adapters (``shared.erp.bc``, ``shared.erp.fo``, ``shared.erp.gp``) implement these protocols;
flows depend only on this module and :mod:`shared.model`. The protocols are split by concern so a
flow can ask for just what it uses; :class:`ErpPort` is all of them together.

Methods are synchronous (the Functions worker runs each invocation on its own thread).

This module is the whole contract: a flow calls nothing on an adapter that is not declared here, and
``tests/contract/`` runs one suite of cases against every adapter's emulator. ERP events (BC webhook
notifications, F&O business events) are an optional capability, :class:`ErpEvents`; an ERP without
them is polled by the timers alone. Writing item master fields from the store (:class:`ItemFieldWrites`) is
another, used only where the merchant configured a field to flow to the ERP (GP over SBA).

Errors: every adapter failure is an :class:`ErpError`:

* :class:`TransientErpError` – worth retrying (throttling 429, 408, 5xx, timeouts, connection
  errors); ``retry_after`` carries the server's Retry-After in seconds when given.
* :class:`ErpConflict` – the record changed underneath (stale ETag, 409) or already exists; re-read.
* :class:`PermanentErpError` – retrying will not help (validation errors, 400/401/403/404 after
  the token was refreshed once).
* :class:`ErpDataProblem` – a data-fixable problem (unknown SKU, blocked customer, currency not
  set up): the order is *held* with the carried :class:`~shared.model.HoldReason` list, not poisoned.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from shared.model import Customer, HoldReason, Order, Refund, Shipment

__all__ = [
    "CatalogPort",
    "CustomerPort",
    "DocumentKind",
    "ErpConflict",
    "ErpCustomer",
    "ErpDataProblem",
    "ErpDocument",
    "ErpError",
    "ErpEvents",
    "ErpHints",
    "ErpItem",
    "ErpPayment",
    "ErpPort",
    "EventReceipt",
    "ItemFieldWrites",
    "PaymentPort",
    "PermanentErpError",
    "ReconciliationPort",
    "RefundPort",
    "SalesDocumentPort",
    "ShipmentPort",
    "SubscriptionReport",
    "TransientErpError",
    "event_source",
    "item_field_writer",
]


# ----------------------------------------------------------------------------------------- errors


class ErpError(Exception):
    """Base of all ERP adapter errors. ``status`` is the HTTP status, ``code`` the ERP error code."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class TransientErpError(ErpError):
    """Retry later; ``retry_after`` (seconds) when the ERP said how long to wait.

    ``ambiguous``: the ERP may have acted on the request (a write timed out or failed after it was sent),
    so a retry must look for what it wrote before writing again.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class PermanentErpError(ErpError):
    """Retrying the same request will fail the same way."""


class ErpConflict(ErpError):
    """Concurrency conflict (stale ETag, 409) or the record already exists; re-read and decide."""


class ErpDataProblem(ErpError):
    """A data-fixable problem; the order is held with these reasons until the data is fixed."""

    def __init__(self, holds: Sequence[HoldReason], *, status: int | None = None, code: str | None = None) -> None:
        if not holds:
            raise ValueError("ErpDataProblem needs at least one HoldReason")
        super().__init__("; ".join(hold.message for hold in holds), status=status, code=code)
        self.holds: tuple[HoldReason, ...] = tuple(holds)

    @property
    def hold(self) -> HoldReason:
        """The first reason (most problems have exactly one)."""
        return self.holds[0]


# ------------------------------------------------------------------------------------ result types


class DocumentKind(StrEnum):
    SALES_ORDER = "salesOrder"
    SALES_INVOICE = "salesInvoice"
    CREDIT_MEMO = "salesCreditMemo"


@dataclass(frozen=True, slots=True)
class ErpCustomer:
    number: str
    id: str
    display_name: str = ""
    email: str = ""
    phone: str = ""
    blocked: bool = False
    blocked_reason: str = ""
    """How it is blocked in the ERP's words (BC: ``Ship``, ``Invoice``, ``All``); "" when not blocked."""
    currency_code: str = ""
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class ErpDocument:
    id: str
    number: str
    external_document_number: str
    kind: DocumentKind
    total_including_tax: Decimal
    shipped: bool = False
    """Fully shipped (a sales order), or posted (an invoice): it can no longer be cancelled."""
    status: str = ""
    customer_number: str = ""
    currency_code: str = ""
    etag: str | None = None
    modified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ErpItem:
    """An ERP item as stock and price sync need it. ``number`` is what Woo calls the SKU."""

    number: str
    id: str
    display_name: str = ""
    inventory: Decimal = Decimal(0)
    unit_price: Decimal | None = None
    blocked: bool = False
    modified_at: datetime | None = None
    stock_tracked: bool = True
    """False for items without inventory (BC services, non-inventory items): no stock is pushed for them."""


@dataclass(frozen=True, slots=True)
class ErpPayment:
    id: str
    document_number: str
    amount: Decimal
    external_document_number: str = ""
    currency_code: str = ""
    """ISO code of the payment's currency; adapters fill in the connection's local currency where the ERP leaves
    it blank. "" only where an ERP read (a single payment's) does not say."""


# ---------------------------------------------------------------------------------- ERP events


@dataclass(frozen=True, slots=True)
class EventReceipt:
    """How to answer an ERP's call to our webhook, and what (if anything) to queue for later.

    ``payload`` is the adapter's own, JSON-ready; it comes back to :meth:`ErpEvents.read_hints`.
    """

    status: int
    message: str
    payload: dict[str, object] | None = None
    dedupe_key: str | None = None
    """The event's identity when the ERP may deliver it more than once (F&O retries business events):
    the flow queues each key once."""


@dataclass(slots=True)
class ErpHints:
    """What an ERP event says changed: items to push now, or everything (a delta run); ``shipments``:
    shipments were posted (push them back to the store now)."""

    item_ids: set[str] = field(default_factory=set)
    full_sync: bool = False
    ignored: int = 0
    shipments: bool = False


@dataclass
class SubscriptionReport:
    """What one upkeep run of an ERP's event subscriptions did."""

    configured: bool = True
    created: list[str] = field(default_factory=list)  # resources
    renewed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # subscription ids (duplicates)
    failed: list[str] = field(default_factory=list)  # "resource: reason"


# -------------------------------------------------------------------------------------- protocols


@runtime_checkable
class CustomerPort(Protocol):
    def find_customer(self, email: str, phone: str | None = None) -> ErpCustomer | None:
        """The customer with this e-mail (case-insensitive), else this phone, else None."""
        ...

    def get_customer(self, number: str) -> ErpCustomer | None:
        """The customer with this ERP number (the configured default customer), or None."""
        ...

    def create_customer(self, customer: Customer, currency: str | None = None) -> ErpCustomer:
        """Create a customer from the Woo buyer; ``currency`` when it is not the ERP's local one."""
        ...


@runtime_checkable
class SalesDocumentPort(Protocol):
    def find_sales_document(self, external_document_number: str) -> ErpDocument | None:
        """The order/invoice carrying this external document number, or None (the idempotency check)."""
        ...

    def create_sales_document(
        self, order: Order, customer: ErpCustomer, *, parent_skus: Mapping[int, str] | None = None
    ) -> ErpDocument:
        """Create the sales order or invoice, never half of one (header and lines in one request or changeset).

        ``parent_skus`` maps a variation's parent product id to the parent's SKU, so a variation that only
        inherits its parent's SKU is held. Raises :class:`ErpDataProblem` when the order must be held.
        """
        ...

    def get_sales_document(self, document: ErpDocument) -> ErpDocument:
        """Re-read the document's current state (shipped?, total, etag)."""
        ...

    def shipped_anything(self, document: ErpDocument) -> bool:
        """Whether any quantity of the document has shipped (or it is posted): then it cannot be cancelled."""
        ...

    def cancel_sales_document(self, document: ErpDocument) -> None:
        """Cancel/delete an unshipped document. Raises :class:`ErpConflict` when it has shipped."""
        ...


@runtime_checkable
class RefundPort(Protocol):
    def create_credit_memo(self, refund: Refund, order: Order, document: ErpDocument) -> ErpDocument:
        """Create (and post, per configuration) the credit memo for a Woo refund."""
        ...

    def find_credit_memo(self, external_document_number: str) -> ErpDocument | None:
        """The credit memo carrying this refund's number (:func:`shared.model.credit_memo_number`), or None."""
        ...


@runtime_checkable
class PaymentPort(Protocol):
    def record_payment(self, order: Order, document: ErpDocument, amount: Decimal) -> ErpPayment:
        """Record the customer's payment of ``amount`` against the document."""
        ...

    def find_payment(self, external_document_number: str) -> ErpPayment | None:
        """The payment recorded for this external document number, or None (checked before a retry)."""
        ...


@runtime_checkable
class ReconciliationPort(Protocol):
    def find_documents(self, kind: DocumentKind, external_document_numbers: Sequence[str]) -> list[ErpDocument]:
        """Every document of ``kind`` carrying one of these external document numbers (few calls for many)."""
        ...

    def document_totals(self, kind: DocumentKind, first_day: date, last_day: date) -> Iterator[tuple[str, Decimal]]:
        """(external document number, total including tax) of every document of ``kind`` dated in the range."""
        ...

    def payments_between(self, first_day: date, last_day: date) -> list[ErpPayment]:
        """The customer payments the connector records (payment journal lines, cash receipts) dated in the
        range, each with its amount and currency; empty where none are. Whether the connection records
        payments at all is its setting (``records_payments``), not this read's answer."""
        ...

    def currencies(self) -> set[str] | None:
        """ISO codes of the currencies the ERP has set up (its local currency included), read-only; None where
        the ERP cannot tell (then a currency is only known to be missing when an order in it is held)."""
        ...


@runtime_checkable
class CatalogPort(Protocol):
    """What the stock and price push needs: items, and delta reads from watermarks."""

    def catalog_items(
        self,
        numbers: Sequence[str] | None = None,
        *,
        ids: Sequence[str] | None = None,
        changed_since: datetime | None = None,
    ) -> list[ErpItem]:
        """Items by number, by ERP id, changed after ``changed_since``, or (no argument) all of them.

        Blocked items are included (``blocked``); ``stock_tracked`` says whether stock means anything.
        """
        ...

    def stock_cursor(self) -> str:
        """An opaque position in the ERP's stock movements: "now", for a later :meth:`stock_moves_since`."""
        ...

    def stock_moves_since(self, cursor: str) -> tuple[set[str], str]:
        """Item numbers whose stock moved after ``cursor`` (movements do not modify the item) + the new cursor."""
        ...

    def open_order_quantities(self) -> dict[str, Decimal]:
        """Item number → units on the ERP's open sales orders not yet shipped (still counted in its
        inventory); empty where the ERP does not expose them."""
        ...


@runtime_checkable
class ShipmentPort(Protocol):
    def list_shipments_since(self, since: datetime) -> list[Shipment]:
        """Posted shipments modified after ``since``, with tracking where the ERP has it."""
        ...


@runtime_checkable
class ErpPort(
    CustomerPort,
    SalesDocumentPort,
    RefundPort,
    PaymentPort,
    ReconciliationPort,
    CatalogPort,
    ShipmentPort,
    Protocol,
):
    """Everything the flows need from one ERP connection."""


@runtime_checkable
class ErpEvents(Protocol):
    """Optional: an ERP that calls us when things change (BC webhooks, F&O business events).

    The events are hints: the timers poll the same changes, so a lost event only delays a push.
    """

    def receive_event(self, params: Mapping[str, str], body: bytes) -> EventReceipt:
        """Answer the ERP's call (a handshake, a verified notification, a rejection) without doing the work."""
        ...

    def read_hints(self, payload: Mapping[str, object]) -> ErpHints:
        """What a queued :attr:`EventReceipt.payload` says changed."""
        ...

    def ensure_subscriptions(self, notification_url: str | None, now: datetime) -> SubscriptionReport:
        """Keep the ERP's subscriptions pointed at ``notification_url`` (None: not configured)."""
        ...


def event_source(erp: ErpPort) -> ErpEvents | None:
    """The ERP's event capability, or None when it is only polled."""
    return erp if isinstance(erp, ErpEvents) else None


@runtime_checkable
class ItemFieldWrites(Protocol):
    """Optional: an ERP that takes item master fields written from the store (the product sync, where the
    merchant set a field's direction to ``woo`` or ``both``). It relaxes invariant 4 only there."""

    @property
    def item_fields_writable(self) -> bool:
        """Whether this connection can write item fields now (GP: over SBA only)."""
        ...

    def write_item_fields(self, number: str, *, name: str | None = None, unit_price: Decimal | None = None) -> None:
        """Set the item's name and/or its price (the one the price sync reads) to these values."""
        ...


def item_field_writer(erp: object) -> ItemFieldWrites | None:
    """The ERP's item-field writing capability, or None when it has none (or not on this connection)."""
    return erp if isinstance(erp, ItemFieldWrites) and erp.item_fields_writable else None
