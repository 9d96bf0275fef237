"""The one JSON-shape comparator (tests/shapes.py) the emulators' contract tests share."""

from __future__ import annotations

from tests.shapes import shape_diff


def test_closed_shapes_flag_keys_the_sample_lacks_unless_allow_listed() -> None:
    assert shape_diff({"a": 1, "b": "x"}, {"a": "1", "b": "x", "c": 2}) == [
        "$.a: expected number, got string ('1')",
        "$.c: not in the sample and not allow-listed",
    ]
    assert shape_diff({"a": 1}, {"a": 2, "c": 2}, extra_keys={r"\.c": "newer versions add it"}) == []


def test_open_shapes_take_extra_keys_but_not_missing_ones_or_other_types() -> None:
    assert shape_diff({"a": {"b": True}}, {"a": {"b": False, "z": 1}, "y": []}, closed=False) == []
    assert shape_diff({"a": {"b": True}}, {"a": {"b": "true"}}, closed=False) == [
        "$.a.b: expected boolean, got string ('true')"
    ]
    assert shape_diff({"a": 1, "b": 2}, {"a": 1}, closed=False) == ["$.b: missing"]


def test_every_array_item_is_held_to_the_samples_first_item() -> None:
    assert shape_diff({"l": [{"k": 1}]}, {"l": [{"k": 1}, {}]}) == ["$.l[].k: missing"]
    assert shape_diff({"l": [{"k": 1}]}, {"l": []}) == []
    assert shape_diff({"l": [{"k": 1}]}, {"l": []}, non_empty_arrays=True) == ["$.l: expected a non-empty array"]


def test_nulls_allowed_where_the_sample_is_unset_or_the_path_is_nullable() -> None:
    assert shape_diff({"a": None}, {"a": "set"}) == []
    assert shape_diff({"a": None}, {"a": {}}) == ["$.a: null in sample, object"]
    assert shape_diff({"a": "x"}, {"a": None}) == ["$.a: expected string, got null (None)"]
    assert shape_diff({"a": "x"}, {"a": None}, nullable={r"\.a": "null when unset"}) == []
    assert shape_diff({"a": "x"}, {"a": 1}, alt_types={r"\.a": ("number", "ids are numbers here")}) == []
