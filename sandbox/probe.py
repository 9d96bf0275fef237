"""The probe: what the ERP port's contract suite (tests/contract/) asks of an ERP emulator.

The suite talks to the ERP only through the adapter under test. What it cannot do through the port (a
warehouse clerk shipping, a buyer blocking a customer, finance deleting a currency, the service
throttling) it asks of the emulator through this one small, ERP-neutral interface. Each emulator
implements it over its control API: Business Central in :mod:`sandbox.bc.probe`; Finance & Operations
and GP implement the same protocol.

A probe is bound to one connection (a BC company, an F&O legal entity, a GP company) that the emulator
created for one test, so tests never see each other's data. Faults apply to the whole emulator (they
stand for the service being down or throttling), so the suite clears them after every test.

Item numbers are upper case, as ERP codes are (BC upper-cases Code fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

__all__ = ["ErpProbe", "Fault", "ProbeShipment", "RequestLog"]


class Fault(StrEnum):
    """Faults an emulator can inject into its API (not into its control API)."""

    THROTTLED = "throttled"
    """Every request answers 429 Too Many Requests with ``Retry-After``."""
    UNAVAILABLE = "unavailable"
    """Every request answers 503 Service Unavailable with ``Retry-After``."""
    SERVER_ERROR = "server_error"
    """Every request answers 500: the server may have acted on it."""
    TIMEOUT = "timeout"
    """Every request hangs longer than a client's timeout, then the connection drops."""
    TOKEN_EXPIRED = "token_expired"
    """Every access token issued so far expires now: the next request with one answers 401."""
    UNAUTHORIZED = "unauthorized"
    """Every request answers 401, whatever the token (the app lost its permission)."""


@dataclass(frozen=True, slots=True)
class ProbeShipment:
    """A shipment the emulator's warehouse posted."""

    number: str
    """The ERP's shipment number (what :class:`~shared.model.Shipment` calls ``erp_shipment_number``)."""
    document_number: str
    """The ERP number of the sales document it ships."""
    tracking_number: str = ""
    carrier: str = ""


@dataclass(frozen=True, slots=True)
class RequestLog:
    """What the emulator saw, for asserting on call counts (figures since the emulator started)."""

    requests: int
    """Every API request that reached the emulator (faulted ones included)."""
    unauthorized: int
    """Requests the ERP answered 401 because the token was missing, expired or not valid."""
    tokens_issued: int
    """Access tokens the identity provider issued (0 where the ERP authenticates otherwise)."""
    by_operation: Mapping[str, int] = field(default_factory=dict)
    """Requests by operation in the emulator's own words (BC: ``"GET customers"``)."""


@runtime_checkable
class ErpProbe(Protocol):
    """Seeds and drives one ERP connection of an emulator from outside the port."""

    kind: str
    """The ERP kind: ``bc``, ``fo`` or ``gp``."""

    carrier: str
    """A carrier (shipping agent) the connection knows, for :meth:`ship`."""

    def seed_item(self, number: str, *, price: Decimal, stock: Decimal = Decimal(0), name: str = "") -> None:
        """An inventory item with this unit price and quantity on hand."""
        ...

    def seed_customer(self, number: str, *, email: str, name: str = "", phone: str = "") -> None:
        """A customer in the connection's local currency."""
        ...

    def move_stock(self, number: str, delta: Decimal) -> None:
        """Post a stock movement (an adjustment) of ``delta`` units; the item record itself is not modified."""
        ...

    def set_price(self, number: str, price: Decimal) -> None:
        """Change the item's unit price (a master-data change: the item is modified)."""
        ...

    def ship(
        self,
        external_document_number: str,
        quantities: Mapping[str, Decimal] | None = None,
        *,
        carrier: str = "",
        tracking_number: str = "",
    ) -> ProbeShipment:
        """Post a shipment of the sales document with this external number: ``quantities`` by item number
        (default everything outstanding), with the carrier and package tracking number when given."""
        ...

    def block_customer(self, number: str) -> None:
        """Block the customer for everything (no orders, no invoices, no shipments)."""
        ...

    def unblock_customer(self, number: str) -> None: ...

    def set_up_currency(self, code: str) -> None:
        """Set up a foreign currency (exchange rates as the ERP defaults them)."""
        ...

    def remove_currency(self, code: str) -> None:
        """Delete a foreign currency: documents in it can no longer be created."""
        ...

    def inject(self, fault: Fault, *, retry_after: int | None = None) -> None:
        """Start a fault until :meth:`clear_faults`; ``retry_after`` (seconds) for THROTTLED / UNAVAILABLE."""
        ...

    def clear_faults(self) -> None:
        """No faults, no throttling."""
        ...

    def request_log(self) -> RequestLog: ...
