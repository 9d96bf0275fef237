"""A collection read, start to end: check the query options, $filter, $orderby (else the set's default
order), $count, $skiptoken or $skip, $top, server-driven paging (`Prefer: odata.maxpagesize`), $select
and $expand parsed for the serializer, and the query of the next page."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sandbox.odata.errors import PLAIN, Dialect
from sandbox.odata.paging import encode_skiptoken, page_start
from sandbox.odata.query import evaluate, parse_expand, parse_filter, parse_orderby, parse_select, sort_records
from sandbox.odata.schema import EntityType, Schema
from sandbox.odata.store import Record

QUERY_OPTIONS = ("$filter", "$select", "$expand", "$top", "$skip", "$orderby", "$skiptoken", "$count")


@dataclass
class Page:
    records: list[Record]
    total: int  # matching records before $skip/$top (what $count=true reports)
    count: bool  # $count=true asked for
    select: list[str] | None
    expand: dict[str, dict[str, str]] | None
    next_query: dict[str, str] | None  # the query options of the next page; None on the last page
    headers: dict[str, str] = field(default_factory=dict)  # Preference-Applied


def int_option(query: Mapping[str, str], name: str, dialect: Dialect = PLAIN) -> int:
    try:
        value = int(query.get(name, "0"))
    except ValueError as exc:
        raise dialect.bad_request(f"Invalid value for {name}.") from exc
    if value < 0:
        raise dialect.bad_request(f"Invalid value for {name}.")
    return value


def read_page(
    records: list[Record],
    query: Mapping[str, str],
    etype: EntityType,
    schema: Schema,
    *,
    max_page_size: int,
    default_order: Sequence[str] = (),
    key: str = "id",
    prefer: str = "",
    dialect: Dialect = PLAIN,
    extra_options: Sequence[str] = (),
) -> Page:
    """One page of `records` as the query asks. `default_order`: the set's sort when there is no
    $orderby (properties the type lacks are ignored); `key`: the property a skip token names."""
    unknown = [k for k in query if k.startswith("$") and k not in QUERY_OPTIONS and k not in extra_options]
    if unknown:
        raise dialect.bad_request(f"The query parameter '{unknown[0]}' is not supported.")
    if "$filter" in query:
        node = parse_filter(query["$filter"], etype, dialect)
        records = [r for r in records if evaluate(node, r, etype, schema)]
    order = (
        parse_orderby(query["$orderby"], etype, dialect)
        if "$orderby" in query
        else [(name, False) for name in default_order if name in etype.props]
    )
    records = sort_records(records, order, etype)
    total = len(records)
    token = query.get("$skiptoken")
    start = page_start(records, token, key, dialect) if token else int_option(query, "$skip", dialect)
    remaining = records[start:]
    top = int_option(query, "$top", dialect) if "$top" in query else None
    if top is not None:
        remaining = remaining[:top]
    page_size = max_page_size
    headers: dict[str, str] = {}
    m = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", prefer)
    if m:
        page_size = min(page_size, max(1, int(m.group(1))))
        headers["Preference-Applied"] = f"odata.maxpagesize={m.group(1)}"
    page = remaining[:page_size]
    select = parse_select(query["$select"], etype, dialect) if "$select" in query else None
    expand = parse_expand(query["$expand"]) if "$expand" in query else None
    next_query = None
    if len(remaining) > len(page):
        next_query = {k: v for k, v in query.items() if k not in ("$skiptoken", "$skip", "$top")}
        if top is not None:
            next_query["$top"] = str(top - len(page))
        next_query["$skiptoken"] = encode_skiptoken(page[-1][key], start + len(page))
    return Page(page, total, query.get("$count") == "true", select, expand, next_query, headers)
