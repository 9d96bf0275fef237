"""The GP emulator's data: companies, each with its cards and documents as GP Web Services objects.

Objects are kept as plain dicts in the shape of the WSDL types (``Customer``, ``SalesInvoice``, ...), so what
a client created is what it reads back. Keys are the WSDL key objects flattened to a tuple of their ids
(``CustomerAddressKey{CustomerKey{Id}, Id}`` → ``("C1", "PRIMARY")``), the company key left out.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

KeyTuple = tuple[str, ...]


def key_tuple(key: Any) -> KeyTuple:
    """The ids of a WSDL key object in declaration order, without its CompanyKey."""
    if key is None:
        return ()
    if not isinstance(key, dict):
        return (str(key),)
    parts: list[str] = []
    for name, value in key.items():
        if name in ("CompanyKey", "__type__") or value is None:
            continue
        parts.extend(key_tuple(value))
    return tuple(parts)


def now() -> dt.datetime:
    """GP's row time stamps (DEX_ROW_TS, SQL Server ``datetime``) to the millisecond, without a zone."""
    moment = dt.datetime.now(dt.UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000, tzinfo=None)


@dataclass
class Batch:
    """An SOP/RM batch (``BatchKey.Id``, GP's BACHNUMB) with its source (``Sales Entry``, ``RM_Sales``)."""

    number: str
    source: str
    posted: bool = False
    posted_at: dt.datetime | None = None


@dataclass
class Shipment:
    """What the warehouse shipped of a SOP document: its tracking numbers and quantities by item."""

    number: str
    document_id: str
    quantities: dict[str, Decimal]
    carrier: str = ""
    tracking_number: str = ""
    shipped_at: dt.datetime = field(default_factory=now)


@dataclass
class Company:
    id: int
    name: str
    currency: str = "USD"
    entities: dict[str, dict[KeyTuple, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    batches: dict[tuple[str, str], Batch] = field(default_factory=dict)
    next_numbers: dict[str, int] = field(default_factory=dict)
    shipments: list[Shipment] = field(default_factory=list)
    foreign_currencies: set[str] = field(default_factory=set)

    def knows_currency(self, iso_code: str) -> bool:
        return iso_code in (self.currency, *self.foreign_currencies)

    def next_number(self, prefix: str) -> str:
        value = self.next_numbers.get(prefix, 0) + 1
        self.next_numbers[prefix] = value
        return f"{prefix}{value:06d}"


@dataclass
class ValidationLog:
    errors: list[dict[str, Any]]


class GpStore:
    """Every company of the emulated GP install, guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.companies: dict[int, Company] = {}
        self.validation_logs: dict[str, ValidationLog] = {}
        self._next_company = 1

    def add_company(self, name: str, currency: str = "USD", company_id: int | None = None) -> Company:
        with self.lock:
            if company_id is None:
                company_id = self._next_company
                self._next_company += 1
            company = Company(id=company_id, name=name, currency=currency)
            self.companies[company.id] = company
            return company

    def company_by_name(self, name: str) -> Company | None:
        with self.lock:
            return next((c for c in self.companies.values() if c.name == name), None)

    def log_validation(self, errors: list[dict[str, Any]]) -> str:
        log_id = str(uuid.uuid4())
        with self.lock:
            self.validation_logs[log_id] = ValidationLog(errors)
        return log_id
