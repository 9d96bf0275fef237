"""The F&O emulator's pure parts, no server: our property types, the `$filter` rules and the `$batch` reader
(on the saved request, read from ../shared/reference/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.fo import batch, guesses
from sandbox.fo.errors import FoError
from sandbox.fo.query import parse_fo_filter
from sandbox.fo.schema import load_schema
from sandbox.odata.query import evaluate

pytestmark = pytest.mark.fo

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "finance-operations"
NS = "Microsoft.Dynamics.DataEntities"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dataAreaId", "Edm.String"),
        ("SalesOrderStatus", f"{NS}.SalesStatus"),
        ("IsSalesTaxIncludedInPrice", f"{NS}.NoYes"),
        ("AvailableOnHandQuantity", "Edm.Decimal"),
        ("LineNumber", "Edm.Decimal"),
        ("OrderCreationDateTime", "Edm.DateTimeOffset"),
        ("InvoiceDate", "Edm.Date"),
        ("SalesUnitSymbol", "Edm.String"),
        ("PriceCustomerGroupCode", "Edm.String"),
        ("CustomerAccount", "Edm.String"),
    ],
)
def test_property_types_are_ours_and_predictable(name: str, expected: str) -> None:
    assert guesses.property_type(name) == expected


def test_wildcards_and_enum_literals() -> None:
    schema = load_schema()
    etype = schema.types["SalesOrderHeaderV2"]
    row = {"CustomersOrderReference": "WOO-1001", "SalesOrderStatus": "Backorder"}
    for text, hit in [
        ("CustomersOrderReference eq '*1001'", True),
        ("CustomersOrderReference eq 'woo*'", True),  # like SQL's usual case-insensitive collation
        ("CustomersOrderReference eq '*2002*'", False),
        (f"SalesOrderStatus eq {NS}.SalesStatus'Backorder'", True),
        (f"SalesOrderStatus ne {NS}.SalesStatus'Backorder'", False),
    ]:
        assert evaluate(parse_fo_filter(text, etype, schema), row, etype, schema) is hit, text
    for bad in [
        "SalesOrderStatus eq 'Backorder'",
        f"SalesOrderStatus eq {NS}.NoYes'No'",
        "CustomersOrderReference in ('a')",
        "startswith(CustomersOrderReference,'W')",
    ]:
        with pytest.raises(FoError) as err:
            parse_fo_filter(bad, etype, schema)
        assert err.value.status == 400


def test_the_saved_batch_request_reads_as_one_changeset_of_two_posts() -> None:
    path = REFERENCE / "fo-batch-request-changeset.txt"
    if not path.exists():
        pytest.fail(f"saved sample {path} is missing: keep the handbook (shared/) beside the repo")
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    content_type = head.split("Content-Type: ", 1)[1].strip()
    parts = batch.parse(body.encode(), content_type)
    assert [(p.changeset, len(p.operations)) for p in parts] == [(True, 2)]
    first, second = parts[0].operations
    assert (first.method, first.content_id, second.content_id) == ("POST", "1", "2")
    assert first.url.endswith("/data/CustomerGroups")
    assert second.body["CustomerGroupId"] == "Batch2"
    with pytest.raises(FoError):
        batch.parse(body.encode(), "application/json")
