"""OData query options as BC implements them: the shared engine (sandbox/odata/) with BC's dialect
(its error codes and messages, and `or` only across values of one field)."""

from __future__ import annotations

from typing import Any

from sandbox.bc.errors import BC_DIALECT
from sandbox.odata import paging, query, values
from sandbox.odata.paging import encode_skiptoken
from sandbox.odata.query import Literal, Node, evaluate, parse_expand, sort_records, split_top_level
from sandbox.odata.schema import EntityType, Schema
from sandbox.odata.store import Record
from sandbox.odata.values import GUID_RE, jsonable

__all__ = [
    "GUID_RE",
    "Literal",
    "Node",
    "coerce",
    "decode_skiptoken",
    "encode_skiptoken",
    "evaluate",
    "jsonable",
    "page_start",
    "parse_expand",
    "parse_filter",
    "parse_orderby",
    "parse_select",
    "sort_records",
    "split_top_level",
]


def parse_filter(text: str, etype: EntityType) -> Node:
    return query.parse_filter(text, etype, BC_DIALECT)


def parse_orderby(text: str, etype: EntityType) -> list[tuple[str, bool]]:
    return query.parse_orderby(text, etype, BC_DIALECT)


def parse_select(text: str, etype: EntityType) -> list[str]:
    return query.parse_select(text, etype, BC_DIALECT)


def coerce(value: Any, prop_type: str, schema: Schema, prop_name: str) -> Any:
    return values.coerce(value, prop_type, schema, prop_name, BC_DIALECT)


def decode_skiptoken(token: str) -> tuple[str, int]:
    return paging.decode_skiptoken(token, BC_DIALECT)


def page_start(records: list[Record], token: str | None, key: str = "id") -> int:
    return paging.page_start(records, token, key, BC_DIALECT)
