"""The ERP-neutral OData engine (sandbox/odata/) on a tiny made-up schema: CSDL parsing, $filter,
$orderby, $select, $expand, paging tokens, typed values, ETags, the change feed and transactions."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.odata.errors import PLAIN, Dialect, ODataError
from sandbox.odata.etags import check_if_match
from sandbox.odata.listing import read_page
from sandbox.odata.paging import decode_skiptoken, encode_skiptoken, page_start
from sandbox.odata.query import evaluate, parse_expand, parse_filter, parse_orderby, parse_select, sort_records
from sandbox.odata.schema import Schema, decode_enum, encode_enum, parse_csdl
from sandbox.odata.store import Change, Company, Record, Store
from sandbox.odata.values import coerce, jsonable

CSDL = """<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
 <edmx:DataServices>
  <Schema Namespace="Toy.Ns" xmlns="http://docs.oasis-open.org/odata/ns/edm">
   <EnumType Name="color">
    <Member Name="_x0020_" Value="0"/>
    <Member Name="Light_x0020_Blue" Value="1"/>
    <Member Name="Red" Value="2"/>
   </EnumType>
   <EntityType Name="widget">
    <Key><PropertyRef Name="id"/></Key>
    <Property Name="id" Type="Edm.Guid" Nullable="false"/>
    <Property Name="code" Type="Edm.String" MaxLength="10"/>
    <Property Name="price" Type="Edm.Decimal"/>
    <Property Name="count" Type="Edm.Int32"/>
    <Property Name="active" Type="Edm.Boolean"/>
    <Property Name="color" Type="Toy.Ns.color"/>
    <Property Name="changedAt" Type="Edm.DateTimeOffset"/>
    <NavigationProperty Name="parts" Type="Collection(Toy.Ns.part)"/>
   </EntityType>
   <EntityType Name="part">
    <Property Name="id" Type="Edm.Guid" Nullable="false"/>
    <Property Name="widgetId" Type="Edm.Guid"/>
   </EntityType>
   <EntityContainer Name="Toys">
    <EntitySet Name="widgets" EntityType="Toy.Ns.widget">
     <Annotation Term="Org.OData.Capabilities.V1.DeleteRestrictions">
      <Record><PropertyValue Property="Deletable" Bool="false"/></Record>
     </Annotation>
    </EntitySet>
   </EntityContainer>
  </Schema>
 </edmx:DataServices>
</edmx:Edmx>
"""

W1 = "11111111-1111-1111-1111-111111111111"
W2 = "22222222-2222-2222-2222-222222222222"
W3 = "33333333-3333-3333-3333-333333333333"


class ToyError(ODataError):
    pass


STRICT = Dialect(error=ToyError, bad_request_code="Toy_Bad", or_one_field_only=True, enum_error_code="Toy_Enum")


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    path: Path = tmp_path_factory.mktemp("csdl") / "metadata.xml"
    path.write_text(CSDL, encoding="utf-8")
    return parse_csdl(path)


def widgets() -> list[Record]:
    return [
        {"id": W1, "code": "B-2", "price": Decimal("9.50"), "count": 3, "active": True, "color": "Red"},
        {"id": W2, "code": "a-1", "price": Decimal(20), "count": 0, "active": False, "color": "Light_x0020_Blue"},
        {"id": W3, "code": "C-3", "price": None, "count": 7, "active": True, "color": "_x0020_"},
    ]


def matching(text: str, schema: Schema, dialect: Dialect = PLAIN) -> list[str]:
    etype = schema.types["widget"]
    node = parse_filter(text, etype, dialect)
    return [r["code"] for r in widgets() if evaluate(node, r, etype, schema)]


# ---- schema ---------------------------------------------------------------------------------------


def test_csdl_gives_typed_properties_navigation_enums_and_write_capabilities(schema: Schema):
    widget = schema.types["widget"]
    assert widget.qualified == "Toy.Ns.widget"
    assert widget.props["code"].max_length == 10 and widget.props["code"].type == "Edm.String"
    assert widget.props["id"].nullable is False and widget.props["code"].nullable is True
    assert widget.nav_target("parts") == "part"
    assert schema.enum_members("Toy.Ns.color") == ["_x0020_", "Light_x0020_Blue", "Red"]
    assert schema.allows("widgets", "POST") and not schema.allows("widgets", "DELETE")
    assert schema.allows("parts", "DELETE")  # a set the document does not restrict


def test_enum_names_decode_and_plain_text_encodes():
    assert decode_enum("Light_x0020_Blue") == "Light Blue"
    members = ["_x0020_", "Light_x0020_Blue", "Red"]
    assert encode_enum("Light Blue", members) == "Light_x0020_Blue"
    assert encode_enum("", members) == "_x0020_"
    assert encode_enum("Green", members) is None


# ---- $filter --------------------------------------------------------------------------------------


def test_filter_compares_typed_values(schema: Schema):
    assert matching("price gt 10", schema) == ["a-1"]
    assert matching("count ge 3 and active eq true", schema) == ["B-2", "C-3"]
    assert matching("price eq null", schema) == ["C-3"]
    assert matching(f"id eq {W2.upper()}", schema) == ["a-1"]  # guids compare case-insensitively
    assert matching("not (count eq 0)", schema) == ["B-2", "C-3"]


def test_filter_functions_are_case_insensitive(schema: Schema):
    assert matching("startswith(code,'b')", schema) == ["B-2"]
    assert matching("contains(code,'-')", schema) == ["B-2", "a-1", "C-3"]
    assert matching("endswith(code,'3') eq false", schema) == ["B-2", "a-1"]


def test_filter_takes_enums_encoded_plain_or_qualified(schema: Schema):
    assert matching("color eq 'Light Blue'", schema) == ["a-1"]
    assert matching("color eq 'Light_x0020_Blue'", schema) == ["a-1"]
    assert matching("color eq Toy.Ns.color'Red'", schema) == ["B-2"]


def test_filter_rejects_unknown_properties_wrong_types_and_bad_syntax(schema: Schema):
    etype = schema.types["widget"]
    with pytest.raises(ODataError) as unknown:
        parse_filter("colour eq 'Red'", etype)
    assert unknown.value.status == 400 and unknown.value.code == "BadRequest"
    assert "Could not find a property named 'colour' on type 'Toy.Ns.widget'" in unknown.value.message
    with pytest.raises(ODataError, match="incompatible types"):
        parse_filter("price eq 'ten'", etype)
    with pytest.raises(ODataError, match="Syntax error"):
        parse_filter("price eq", etype)
    with pytest.raises(ODataError, match="No function signature"):
        parse_filter("startswith(price,'1')", etype)


def test_the_dialect_sets_the_error_class_code_and_or_limit(schema: Schema):
    # Standard OData lets `or` combine different fields; a dialect (BC) may not.
    assert matching("count eq 0 or price lt 10", schema) == ["B-2", "a-1"]
    with pytest.raises(ToyError) as err:
        matching("count eq 0 or price lt 10", schema, STRICT)
    assert err.value.code == "Toy_Bad" and "distinct fields" in err.value.message
    assert matching("count eq 0 or count eq 7", schema, STRICT) == ["a-1", "C-3"]


# ---- $orderby / $select / $expand -----------------------------------------------------------------


def test_orderby_sorts_typed_values_nulls_first_and_rejects_unknown_properties(schema: Schema):
    etype = schema.types["widget"]
    by_price = sort_records(widgets(), parse_orderby("price", etype), etype)
    assert [r["code"] for r in by_price] == ["C-3", "B-2", "a-1"]
    desc = sort_records(widgets(), parse_orderby("active desc,count desc", etype), etype)
    assert [r["code"] for r in desc] == ["C-3", "B-2", "a-1"]
    with pytest.raises(ODataError):
        parse_orderby("weight", etype)


def test_select_takes_properties_and_navigation_and_expand_takes_nested_options(schema: Schema):
    etype = schema.types["widget"]
    assert parse_select("code, parts", etype) == ["code", "parts"]
    with pytest.raises(ODataError):
        parse_select("code,weight", etype)
    assert parse_expand("parts($select=id,widgetId;$filter=id eq 1),owner") == {
        "parts": {"$select": "id,widgetId", "$filter": "id eq 1"},
        "owner": {},
    }


# ---- paging and values ----------------------------------------------------------------------------


def test_skiptoken_resumes_after_the_last_record_even_when_it_is_gone():
    records = widgets()
    token = encode_skiptoken(W1, 1)
    assert decode_skiptoken(token) == (W1, 1)
    assert page_start(records, token) == 1
    assert page_start(records[1:], token) == 1  # W1 deleted: fall back to the position
    with pytest.raises(ToyError) as err:
        decode_skiptoken("not-a-token", Dialect(error=ToyError, invalid_token_code="Toy_Token"))
    assert err.value.code == "Toy_Token"


def test_coerce_types_request_values_and_rejects_what_does_not_fit(schema: Schema):
    assert coerce("12.30", "Edm.Decimal", schema, "price") == Decimal("12.30")
    assert coerce(4, "Edm.Int32", schema, "count") == 4
    assert coerce(W1.upper(), "Edm.Guid", schema, "id") == W1
    assert coerce("Light Blue", "Toy.Ns.color", schema, "color") == "Light_x0020_Blue"
    for value, prop_type in [(True, "Edm.Int32"), ("x", "Edm.Guid"), (1, "Edm.String"), ("2024-13-01", "Edm.Date")]:
        with pytest.raises(ODataError, match="Cannot convert the literal"):
            coerce(value, prop_type, schema, "p")
    with pytest.raises(ToyError) as err:
        coerce("Green", "Toy.Ns.color", schema, "color", STRICT)
    assert err.value.code == "Toy_Enum" and "Green" in err.value.message
    assert jsonable(Decimal("2.00")) == 2 and jsonable(Decimal("2.5")) == 2.5


# ---- store ----------------------------------------------------------------------------------------


@pytest.fixture
def store(schema: Schema) -> Store[Company]:
    store: Store[Company] = Store(schema)
    store.companies["c1"] = Company("c1")
    return store


def test_every_write_gives_a_new_etag_and_a_change(store: Store[Company]):
    changes: list[Change] = []
    store.listeners.append(changes.append)
    company = store.companies["c1"]
    record = store.insert(company, "widgets", store.blank("widget"))
    assert record["price"] == Decimal(0) and record["color"] == "_x0020_" and record["active"] is False
    first = store.etag(record["id"])
    store.touch(company, "widgets", record)
    assert store.etag(record["id"]) != first and store.etag(record["id"]).startswith('W/"')
    store.delete(company, "widgets", record["id"])
    assert [c.change_type for c in changes] == ["created", "updated", "deleted"]
    assert store.table(company, "widgets") == {}


def test_a_failed_transaction_undoes_its_inserts_and_publishes_nothing(store: Store[Company]):
    changes: list[Change] = []
    store.listeners.append(changes.append)
    company = store.companies["c1"]
    with pytest.raises(RuntimeError), store.transaction():
        store.insert(company, "widgets", store.blank("widget"))
        raise RuntimeError("line failed")
    assert store.table(company, "widgets") == {} and changes == []
    with store.transaction():
        store.insert(company, "widgets", store.blank("widget"))
    assert len(store.table(company, "widgets")) == 1 and [c.change_type for c in changes] == ["created"]


def test_a_failed_snapshot_transaction_restores_updates_too(store: Store[Company]):
    company = store.companies["c1"]
    record = store.insert(company, "widgets", {**store.blank("widget"), "code": "A"})
    with pytest.raises(RuntimeError), store.transaction(snapshot=True):
        store.companies["c1"].tables["widgets"][record["id"]]["code"] = "B"
        raise RuntimeError("second operation failed")
    assert store.companies["c1"].tables["widgets"][record["id"]]["code"] == "A"


# ---- a collection read ----------------------------------------------------------------------------


def many(n: int) -> list[Record]:
    return [{"id": f"{i:08d}-0000-0000-0000-000000000000", "code": f"W{i:02d}", "count": i % 3} for i in range(n)]


def read_all(schema: Schema, query: dict[str, str], records: list[Record], **kw: object) -> list[list[str]]:
    """Follow next-page queries to the end; the codes of each page."""
    pages: list[list[str]] = []
    while True:
        page = read_page(records, query, schema.types["widget"], schema, **kw)  # type: ignore[arg-type]
        pages.append([r["code"] for r in page.records])
        if page.next_query is None:
            return pages
        query = page.next_query


def test_a_page_filters_sorts_counts_and_pages_with_a_skiptoken(schema: Schema):
    query = {"$filter": "count eq 1", "$orderby": "code desc", "$count": "true", "$select": "code"}
    page = read_page(many(10), query, schema.types["widget"], schema, max_page_size=2)
    assert [r["code"] for r in page.records] == ["W07", "W04"]
    assert page.total == 3 and page.count and page.select == ["code"]
    assert page.next_query is not None and "$skiptoken" in page.next_query
    assert page.next_query["$filter"] == "count eq 1"  # the next page keeps the query
    assert read_all(schema, query, many(10), max_page_size=2) == [["W07", "W04"], ["W01"]]


def test_top_skip_and_maxpagesize_combine(schema: Schema):
    records = many(7)
    order = {"$orderby": "code"}
    assert read_all(schema, {**order, "$skip": "1", "$top": "5"}, records, max_page_size=2) == [
        ["W01", "W02"],
        ["W03", "W04"],
        ["W05"],
    ]
    page = read_page(records, order, schema.types["widget"], schema, max_page_size=100, prefer="odata.maxpagesize=3")
    assert len(page.records) == 3 and page.headers == {"Preference-Applied": "odata.maxpagesize=3"}
    by_default = read_page(records, {}, schema.types["widget"], schema, max_page_size=100, default_order=["code"])
    assert [r["code"] for r in by_default.records][:2] == ["W00", "W01"]


def test_a_page_rejects_unknown_options_and_bad_numbers(schema: Schema):
    etype = schema.types["widget"]
    with pytest.raises(ToyError, match="'\\$search' is not supported"):
        read_page(many(2), {"$search": "x"}, etype, schema, max_page_size=5, dialect=STRICT)
    assert read_page(many(2), {"$schemaversion": "2"}, etype, schema, max_page_size=5, extra_options=["$schemaversion"])
    for bad in ({"$top": "-1"}, {"$skip": "x"}):
        with pytest.raises(ODataError, match="Invalid value"):
            read_page(many(2), bad, etype, schema, max_page_size=5)


def test_if_match_takes_the_current_etag_or_a_star_and_the_dialect_words_the_refusals():
    check_if_match('W/"7"', 'W/"7"', required=True)
    check_if_match("*", 'W/"7"', required=True)
    check_if_match(None, 'W/"7"', required=False)
    with pytest.raises(ODataError) as stale:
        check_if_match('W/"6"', 'W/"7"', required=False)
    assert stale.value.status == 412
    with pytest.raises(ODataError) as missing:
        check_if_match(None, 'W/"7"', required=True)
    assert missing.value.status == 428
    toy = Dialect(error=ToyError, if_match_stale=(409, "Toy_Changed", "changed"))
    with pytest.raises(ToyError) as changed:
        check_if_match('W/"6"', 'W/"7"', required=True, dialect=toy)
    assert (changed.value.status, changed.value.code) == (409, "Toy_Changed")
