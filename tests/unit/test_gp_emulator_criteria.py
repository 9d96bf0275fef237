"""The GP emulator's list criteria (sandbox/gp/criteria.py): pure, no I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.gp.criteria import UnsupportedCriterion, matches

pytestmark = pytest.mark.gp

DOC = {
    "Key": {"Id": "INV000042"},
    "CustomerKey": {"Id": "AARONFIT0001"},
    "CustomerPONumber": "WOO-10042",
    "ModifiedDate": dt.datetime(2026, 1, 2, 3, 4, 5),
}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"CustomerPONumber": {"EqualValue": "WOO-10042"}}, True),
        ({"CustomerPONumber": {"EqualValue": "woo-10042  "}}, True),  # case-insensitive, trailing blanks ignored
        ({"CustomerPONumber": {"EqualValue": "WOO-1004"}}, False),
        ({"CustomerPONumber": {"NotEqualValue": "WOO-10042"}}, False),
        ({"CustomerPONumber": {"Like": "WOO-100%"}}, True),
        ({"CustomerPONumber": {"Like": "WOO-1004_"}}, True),
        ({"CustomerPONumber": {"Like": "WOO-1004"}}, False),
        ({"DocumentId": {"Items": {"string": ["INV000041", "INV000042"]}}}, True),
        ({"DocumentId": {"From": "INV000040", "To": "INV000041"}}, False),
        ({"CustomerId": {"EqualValue": "AARONFIT0001"}, "Scope": "Return All"}, True),
        ({"ModifiedDate": {"GreaterThan": dt.datetime(2026, 1, 2, 3, 4, 5)}}, False),
        ({"ModifiedDate": {"From": dt.datetime(2026, 1, 2, 3, 4, 5)}}, True),
        ({"BatchId": {"EqualValue": "WOO"}}, False),  # no batch on the document
        ({"BatchId": {"NotEqualValue": "WOO"}}, True),
        (None, True),
    ],
)
def test_restrictions(criteria: dict[str, object] | None, expected: bool) -> None:
    assert matches(DOC, criteria) is expected


def test_an_unknown_criterion_is_refused_not_ignored() -> None:
    with pytest.raises(UnsupportedCriterion):
        matches(DOC, {"SalespersonId": {"EqualValue": "ERIN"}})


def test_item_site_criteria_read_the_composite_key() -> None:
    site = {"Key": {"ItemKey": {"Id": "WIDGET"}, "WarehouseKey": {"Id": "MAIN"}}}
    assert matches(site, {"ItemId": {"EqualValue": "WIDGET"}, "WarehouseId": {"EqualValue": "MAIN"}}, "ItemWarehouse")
    assert not matches(site, {"WarehouseId": {"EqualValue": "NORTH"}}, "ItemWarehouse")
