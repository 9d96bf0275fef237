"""One OData request against F&O's `/data/` (outside or inside a `$batch`): addressing (case-sensitive sets,
complete composite keys with quoted strings), company scope (`dataAreaId`, `cross-company=true`), the query
options on the shared engine, writes (201 / 204), ETags and If-Match. Facts: finance-operations.md §1."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlencode

from sandbox.fo import guesses, rules
from sandbox.fo.errors import FO_DIALECT, FoError, bad_request, not_found
from sandbox.fo.query import parse_fo_filter
from sandbox.fo.schema import SETS
from sandbox.fo.store import FoStore, LegalEntity, record_id
from sandbox.odata.etags import check_if_match
from sandbox.odata.listing import read_page
from sandbox.odata.query import evaluate, parse_expand, parse_select
from sandbox.odata.store import Record
from sandbox.odata.values import coerce

_SEGMENT = re.compile(r"^(?P<set>[^(/]+)(?:\((?P<key>.*)\))?(?P<rest>/.*)?$")
_KEY_PART = re.compile(r"\s*(?P<name>\w+)\s*=\s*(?:'(?P<s>(?:[^']|'')*)'|(?P<n>-?\d+(?:\.\d+)?))\s*(?:,|$)")
FULL = "odata.metadata=full"


@dataclass
class Result:
    status: int
    body: Any = None  # JSON-able, bytes (XML / text) or None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    method: str
    path: str  # below /data/
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: Any
    root: str  # https://host/data


class Service:
    def __init__(self, store: FoStore, default_company: str, max_page_size: int) -> None:
        self.store = store
        self.default_company = default_company
        self.max_page_size = max_page_size

    # ---- addressing -------------------------------------------------------------------------------------------
    def handle(self, call: Call) -> Result:
        m = _SEGMENT.match(call.path)
        if not m or m.group("set") not in SETS:  # case-sensitive, like F&O (facts §1.1)
            raise not_found(f"{call.root}/{call.path}")
        entity_set, key_text, rest = m.group("set"), m.group("key"), m.group("rest")
        if key_text is None:
            if rest == "/$count" and call.method == "GET":
                page = self._collection(call, entity_set, count_only=True)
                return Result(200, str(page).encode(), {"Content-Type": "text/plain"})
            if rest:
                raise not_found(f"{call.root}/{call.path}")
            if call.method == "GET":
                return Result(200, self._collection(call, entity_set))
            if call.method == "POST":
                return self._create(call, entity_set)
            raise FoError(405, f"The requested resource does not support http method '{call.method}'.")
        if rest:
            raise not_found(f"{call.root}/{call.path}")
        if entity_set in guesses.GLOBAL_SETS:
            raise FoError(405, f"The emulator lists '{entity_set}' only; it does not address one by key.")
        key = self._key(entity_set, key_text)
        company = self._company_of_key(call, key)
        record = self._find(company, entity_set, key, call)
        if call.method == "GET":
            etype = self.store.etype(SETS[entity_set].type_name)
            select = parse_select(call.query["$select"], etype, FO_DIALECT) if "$select" in call.query else None
            expand = parse_expand(call.query["$expand"]) if "$expand" in call.query else None
            return Result(200, self._entity(call, entity_set, record, select, expand, single=True))
        if not SETS[entity_set].writable:
            raise FoError(405, f"The entity set '{entity_set}' is read-only.")
        check_if_match(call.headers.get("if-match"), self.store.etag(record["id"]), required=False, dialect=FO_DIALECT)
        if call.method in ("PATCH", "PUT", "MERGE"):
            self._update(call, entity_set, company, record)
            return Result(204)
        if call.method == "DELETE":
            self._delete(entity_set, company, record)
            return Result(204)
        raise FoError(405, f"The requested resource does not support http method '{call.method}'.")

    def _key(self, entity_set: str, text: str) -> dict[str, str]:
        parts: dict[str, str] = {}
        pos = 0
        text = unquote(text)
        while pos < len(text):
            m = _KEY_PART.match(text, pos)
            if not m or m.end() == pos:
                raise bad_request(f"The key '{text}' is not valid: all key fields must be given as name=value.")
            name, quoted = m.group("name"), m.group("s") is not None
            prop = self.store.etype(SETS[entity_set].type_name).props.get(name)
            if prop is not None and quoted != (prop.type == "Edm.String"):  # strings quoted, numbers not
                raise bad_request(f"The key value of '{name}' does not match its type '{prop.type}'.")
            parts[name] = m.group("s").replace("''", "'") if quoted else m.group("n")
            pos = m.end()
        expected = SETS[entity_set].keys
        if set(parts) != set(expected):  # "All fields in the entity key must be provided." [D-odata]
            raise bad_request(f"The key of '{entity_set}' has the fields {', '.join(expected)}; all must be provided.")
        return parts

    def _company(self, data_area_id: str) -> LegalEntity:
        company = self.store.company(data_area_id)
        if company is None:
            raise bad_request(f"The company '{data_area_id}' does not exist.")  # UNCONFIRMED text
        return company

    def _company_of_key(self, call: Call, key: Mapping[str, str]) -> LegalEntity:
        wanted = key["dataAreaId"].lower()
        cross = call.query.get("cross-company", "").lower() == "true"
        if wanted != self.default_company and guesses.KEY_READ_NEEDS_CROSS_COMPANY and not cross:
            raise not_found(f"{call.root}/{call.path}")
        company = self.store.company(wanted)
        if company is None:
            raise not_found(f"{call.root}/{call.path}")
        return company

    def _find(self, company: LegalEntity, entity_set: str, key: Mapping[str, str], call: Call) -> Record:
        probe = {**{k: v for k, v in key.items()}, "dataAreaId": company.id}
        ident = record_id(entity_set, self._typed_key(entity_set, probe)).lower()
        record = self.store.table(company, entity_set).get(ident)
        if record is None:
            raise not_found(f"{call.root}/{call.path}")
        return record

    def _typed_key(self, entity_set: str, key: dict[str, Any]) -> dict[str, Any]:
        etype = self.store.etype(SETS[entity_set].type_name)
        return {
            k: coerce(v, etype.props[k].type, self.store.schema, k, FO_DIALECT)
            if etype.props[k].type == "Edm.Decimal"
            else v
            for k, v in key.items()
        }

    # ---- reads ------------------------------------------------------------------------------------------------
    def _collection(self, call: Call, entity_set: str, count_only: bool = False) -> Any:
        meta = SETS[entity_set]
        etype = self.store.etype(meta.type_name)
        cross = call.query.get("cross-company", "").lower() == "true"
        companies = list(self.store.companies.values()) if cross else [self._company(self.default_company)]
        if entity_set in guesses.GLOBAL_SETS:
            records = self._global_rows(entity_set)
        else:
            records = [r for c in companies for r in self.store.rows(c, entity_set)]
        query = {k: v for k, v in call.query.items() if k != "cross-company"}
        if "$filter" in query:
            node = parse_fo_filter(query.pop("$filter"), etype, self.store.schema)
            records = [r for r in records if evaluate(node, r, etype, self.store.schema)]
        if count_only:
            return len(records)
        if "$expand" in query and "$expand" in query["$expand"]:
            raise bad_request("$expand is supported on the first level only.")  # facts §1.3
        page = read_page(
            records,
            query,
            etype,
            self.store.schema,
            max_page_size=self.max_page_size,
            default_order=meta.keys,
            prefer=call.headers.get("prefer", ""),
            dialect=FO_DIALECT,
        )
        body: dict[str, Any] = {"@odata.context": f"{call.root}/$metadata#{entity_set}"}
        if page.count:
            body["@odata.count"] = page.total
        body["value"] = [self._entity(call, entity_set, r, page.select, page.expand) for r in page.records]
        if page.next_query is not None:
            # F&O's $skiptoken format is UNCONFIRMED (facts §1.3): the next page is addressed with $skip
            nxt = dict(page.next_query)
            nxt.pop("$skiptoken", None)
            nxt["$skip"] = str(int(call.query.get("$skip", "0")) + len(page.records))
            if call.query.get("$filter"):
                nxt["$filter"] = call.query["$filter"]
            if cross:
                nxt["cross-company"] = "true"
            body["@odata.nextLink"] = f"{call.root}/{entity_set}?{urlencode(nxt)}"
        return body

    def _global_rows(self, entity_set: str) -> list[Record]:
        """The rows of a set shared by all legal entities, computed: ``Currencies`` is every legal entity's
        accounting currency and the currencies set up (the emulator keeps them per legal entity; F&O has one
        table, so a currency set up for one is listed for all, as in F&O)."""
        if entity_set != "Currencies":
            raise not_found(entity_set)
        codes = sorted({code for c in self.store.companies.values() for code in (c.currency, *c.currencies)})
        return [{"id": f"Currencies|{code}", "CurrencyCode": code, "Name": code, "Symbol": ""} for code in codes]

    def _entity(
        self,
        call: Call,
        entity_set: str,
        record: Record,
        select: list[str] | None = None,
        expand: dict[str, dict[str, str]] | None = None,
        single: bool = False,
    ) -> dict[str, Any]:
        meta = SETS[entity_set]
        etype = self.store.etype(meta.type_name)
        full = FULL in call.headers.get("accept", "")
        out: dict[str, Any] = {}
        if single:
            out["@odata.context"] = f"{call.root}/$metadata#{entity_set}/$entity"
        key_url = self.key_url(entity_set, record)
        if full:
            out["@odata.type"] = f"#{etype.qualified}"
            out["@odata.id"] = f"{call.root}/{key_url}"
        out["@odata.etag"] = self.store.etag(record["id"])
        if full:
            out["@odata.editLink"] = key_url
        for name, prop in etype.props.items():
            if select is not None and name not in select:
                continue
            if full and self.store.schema.enum_members(prop.type):
                out[f"{name}@odata.type"] = f"#{prop.type}"
            out[name] = record.get(name)
        for nav, options in (expand or {}).items():
            out[nav] = self._expand(call, entity_set, record, nav, options)
        return out

    def _expand(self, call: Call, entity_set: str, record: Record, nav: str, options: Mapping[str, str]) -> Any:
        navs = guesses.NAVIGATIONS.get(SETS[entity_set].type_name, {})
        if nav not in navs:
            raise bad_request(f"Could not find a navigation property named '{nav}' on '{entity_set}'.")
        if "$expand" in options:
            raise bad_request("$expand is supported on the first level only.")
        target, pairs, many = navs[nav]
        company = self._company(record["dataAreaId"])
        rows = [r for r in self.store.rows(company, target) if all(r.get(b) == record.get(a) for a, b in pairs)]
        rows.sort(key=lambda r: r["id"])
        select = [s.strip() for s in options["$select"].split(",")] if "$select" in options else None
        values = [self._entity(call, target, r, select) for r in rows]
        return values if many else (values[0] if values else None)

    def key_url(self, entity_set: str, record: Record) -> str:
        parts = []
        for k in SETS[entity_set].keys:
            v = record.get(k)
            if isinstance(v, Decimal):
                v = format(v.normalize(), "f")
                parts.append(f"{k}={v}")
            else:
                parts.append(f"{k}='{str(v).replace(chr(39), chr(39) * 2)}'")
        return f"{entity_set}({','.join(parts)})"

    # ---- writes -----------------------------------------------------------------------------------------------
    def _values(self, call: Call, entity_set: str) -> dict[str, Any]:
        if not isinstance(call.body, dict):
            raise bad_request("The request body must be a JSON object.")
        etype = self.store.etype(SETS[entity_set].type_name)
        out: dict[str, Any] = {}
        for name, value in call.body.items():
            if name.startswith("@odata.") or "@odata." in name:
                continue
            prop = etype.props.get(name)
            if prop is None:
                raise bad_request(f"The property '{name}' does not exist on type '{etype.qualified}'.")
            if name in guesses.READ_ONLY_PROPERTIES:
                raise bad_request(f"The property '{name}' is read-only and cannot be set.")
            out[name] = coerce(value, prop.type, self.store.schema, name, FO_DIALECT)
        return out

    def _create(self, call: Call, entity_set: str) -> Result:
        meta = SETS[entity_set]
        if not meta.writable:
            raise FoError(405, f"The entity set '{entity_set}' is read-only.")
        values = self._values(call, entity_set)
        company = self._company(str(values.get("dataAreaId") or self.default_company))  # honoured: facts §1.2
        record = self.store.blank(meta.type_name)
        record.update({k: v for k, v in values.items() if v is not None})
        record["_sent"] = tuple(values)
        with self.store.lock:
            rules.before_create(self.store, company, entity_set, record)
            record.pop("_sent", None)
            record["dataAreaId"] = company.id
            ident = record_id(entity_set, record).lower()
            if ident in self.store.table(company, entity_set):
                raise rules.duplicate(entity_set, record)
            self.store.put(company, entity_set, record)
            if entity_set == "SalesOrderLines":
                self.recalc_totals(company, record["SalesOrderNumber"])
        body = self._entity(call, entity_set, record)
        body = {"@odata.context": f"{call.root}/$metadata#{entity_set}/$entity", **body}
        return Result(201, body, {"Location": f"{call.root}/{self.key_url(entity_set, record)}"})

    def _update(self, call: Call, entity_set: str, company: LegalEntity, record: Record) -> None:
        values = self._values(call, entity_set)
        keys = SETS[entity_set].keys
        for k in keys:
            if k in values and str(values[k]).lower() != str(record[k]).lower():
                raise bad_request(f"The key field '{k}' cannot be changed.")
        with self.store.lock:
            if entity_set == "SalesOrderLines" and record["SalesOrderLineStatus"] != "Backorder":
                raise rules.write_failed(
                    SETS[entity_set].aot, "Error: The line cannot be changed: it is delivered or invoiced."
                )
            record.update({k: v for k, v in values.items() if k not in keys})
            if entity_set == "SalesOrderLines":
                rules.line_amount(record)
                self.recalc_totals(company, record["SalesOrderNumber"])
            self.store.touch(company, entity_set, record)

    def _delete(self, entity_set: str, company: LegalEntity, record: Record) -> None:
        with self.store.lock:
            if entity_set == "SalesOrderHeadersV2":
                if record["SalesOrderStatus"] in ("Delivered", "Invoiced"):
                    raise rules.write_failed(
                        SETS[entity_set].aot,
                        f"Error: Sales order {record['SalesOrderNumber']} has been delivered and cannot be deleted.",
                    )  # UNCONFIRMED text
                for line in self.store.find(company, "SalesOrderLines", SalesOrderNumber=record["SalesOrderNumber"]):
                    self.store.delete(company, "SalesOrderLines", line["id"])
            self.store.delete(company, entity_set, record["id"])
            if entity_set == "SalesOrderLines":
                self.recalc_totals(company, record["SalesOrderNumber"])

    def recalc_totals(self, company: LegalEntity, order_number: str) -> None:
        headers = self.store.find(company, "SalesOrderHeadersV2", SalesOrderNumber=order_number)
        if not headers:
            return
        lines = self.store.find(company, "SalesOrderLines", SalesOrderNumber=order_number)
        headers[0]["OrderTotalAmount"] = sum((Decimal(line["LineAmount"]) for line in lines), Decimal(0))
        headers[0]["AreTotalsCalculated"] = "Yes"
