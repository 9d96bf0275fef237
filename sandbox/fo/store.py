"""F&O's in-memory database: the shared OData store (sandbox/odata/store.py) with legal entities (`dataAreaId`),
records keyed by their full entity key, number sequences, and F&O's ETag shape."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.fo import guesses
from sandbox.fo.schema import SETS, load_schema
from sandbox.odata import store as odata_store
from sandbox.odata.store import Clock, Record

NUMBER_PREFIXES = {  # number-sequence formats: UNCONFIRMED (every environment sets its own)
    "CustomersV3": "CUS-",
    "SalesOrderHeadersV2": "SO-",
    "SalesOrderLines": "LOT-",
    "CustomerPaymentJournalHeaders": "JB-",
    "ReturnOrderHeaders": "RMA-",
    "ReturnOrderLines": "RLOT-",
    "packing_slip": "PS-",
    "invoice": "INV-",
    "control_number": "",
}


@dataclass
class LegalEntity(odata_store.Company):
    """A company (`dataAreaId`, lower case in responses: facts §1.2)."""

    currency: str = "USD"
    currencies: set[str] = field(default_factory=set)  # set-up currencies (the accounting currency always is)
    series: dict[str, int] = field(default_factory=dict)


def record_id(entity_set: str, record: Record) -> str:
    """The store's id of a row: its full entity key (decimals normalised: LineNumber 1 = 1.0)."""

    def text(value: Any) -> str:
        return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)

    return entity_set + "|" + "|".join(text(record.get(k, "")) for k in SETS[entity_set].keys)


class FoStore(odata_store.Store[LegalEntity]):
    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__(load_schema(), clock)

    def add_company(self, data_area_id: str, currency: str = "USD") -> LegalEntity:
        company = LegalEntity(id=data_area_id.lower(), currency=currency)
        self.companies[company.id] = company
        return company

    def blank(self, type_name: str) -> Record:
        record: Record = {}
        for prop in self.etype(type_name).props.values():
            record[prop.name] = blank_value(prop.type, self.schema.enum_members(prop.type))
        return record

    def next_number(self, company: LegalEntity, series: str) -> str:
        value = company.series.get(series, 0) + 1
        company.series[series] = value
        return f"{NUMBER_PREFIXES.get(series, '')}{value:06d}"

    def rows(self, company: LegalEntity, entity_set: str) -> list[Record]:
        return list(self.table(company, entity_set).values())

    def find(self, company: LegalEntity, entity_set: str, **match: Any) -> list[Record]:
        return [r for r in self.rows(company, entity_set) if all(r.get(k) == v for k, v in match.items())]

    def put(self, company: LegalEntity, entity_set: str, record: Record) -> Record:
        record["dataAreaId"] = company.id
        record["id"] = record_id(entity_set, record)
        return self.insert(company, entity_set, record)

    def format_etag(self, version: int) -> str:
        # The captured shape: W/"base64('1,<recversion>')" (fo-customergroups-get-response.json: 'JzEsNjg3MTk0ODI4MzMn')
        inner = f"'1,{68719476736 + version * 97}'"
        return f'W/"{base64.b64encode(inner.encode()).decode()}"'


def blank_value(prop_type: str, members: list[str] | None) -> Any:
    if members:
        return members[0]
    if prop_type == "Edm.Decimal":
        return Decimal(0)
    if prop_type == "Edm.Date":
        return guesses.NULL_DATE
    if prop_type == "Edm.DateTimeOffset":
        return f"{guesses.NULL_DATE}T12:00:00Z"
    return ""
