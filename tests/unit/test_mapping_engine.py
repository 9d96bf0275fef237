"""The declarative mapping engine (shared/mapping/spec, transforms, apply, check), ERP-neutral, on real
Woo payload shapes (../shared/reference/woocommerce/order-retrieve.json with custom checkout fields)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.mapping.apply import comment_texts, customer_fields, document_fields, line_fields, status_action
from shared.mapping.check import check_mapping, checked
from shared.mapping.schema import FieldType, TargetEntity, TargetField, TargetSchema
from shared.mapping.spec import MappingError, load_mapping, parse_mapping
from shared.model import Order
from shared.woo.mapping import order_from_woo

WOO = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "woocommerce"

SCHEMA = TargetSchema(
    erp="test",
    document=TargetEntity.of(
        "header",
        TargetField("poNumber", max_length=35),
        TargetField("deliveryDate", FieldType.DATE),
        TargetField("agent", max_length=10),
        TargetField("channel", FieldType.ENUM, enum=("Web", "Shop")),
        TargetField("termsId", FieldType.GUID),
        TargetField("shortNote", max_length=12),
        TargetField("total", FieldType.DECIMAL, writable=False),
        TargetField("externalNumber", max_length=35, owned="the order's number"),
        TargetField("discount", FieldType.DECIMAL),
    ),
    line=TargetEntity.of("line", TargetField("taxGroup", max_length=10), TargetField("note", max_length=50)),
    customer=TargetEntity.of("customer", TargetField("vatNumber", max_length=20), TargetField("name", max_length=100)),
    comment_length=100,
)


def checkout_order(**meta: Any) -> Order:
    """The docs' order sample with custom checkout fields in meta_data, as checkout-field plugins store them."""
    payload = json.loads((WOO / "order-retrieve.json").read_text(encoding="utf-8"))
    payload = copy.deepcopy(payload)
    fields = {
        "_po_number": "  po-4711 ",
        "_delivery_date": "24/12/2026",
        "_gift_message": "Happy\n  birthday!",
        "_billing_vat": " de123456789 ",
        **meta,
    }
    payload["meta_data"] += [{"id": 9000 + i, "key": k, "value": v} for i, (k, v) in enumerate(fields.items())]
    payload["line_items"][0]["meta_data"].append({"id": 9100, "key": "engraving", "value": "For Ann"})
    payload["coupon_lines"] = [{"id": 1, "code": "save10", "discount": "1.00", "discount_tax": "0"}]
    payload["customer_note"] = "Leave at the door"
    return order_from_woo(payload, "s")


MAPPING = """\
version: 1
statuses:
  post: [processing, completed, wc-approved]
  cancel: [cancelled]
  ignore: [on-hold]
lookups:
  shipping_method: {flat_rate: DHL, free_shipping: POST}
  tax_class: {"": STANDARD, reduced-rate: REDUCED}
  channel: {bacs: Web}
document:
  poNumber:
    from: meta._po_number
    transforms: [trim, upper]
  deliveryDate:
    from: meta._delivery_date
    transforms: [{date: "%d/%m/%Y"}]
  agent:
    from: shipping_method
    transforms: [{lookup: {table: shipping_method, default: OTHER}}]
  channel: {const: Web}
  shortNote:
    from: [meta._missing, customer_note]
    transforms: [truncate]
customer:
  vatNumber:
    from: meta._billing_vat
    transforms: [trim, upper]
line:
  taxGroup:
    from: line.tax_class
    transforms: [{lookup: tax_class}]
  note:
    from: [line.meta.engraving, line.name]
    transforms: [{join: " / "}]
comments:
  - from: coupon_codes
    transforms: [{join: ", "}, {prefix: "Coupons: "}]
  - from: meta._gift_message
    transforms: [trim, {prefix: "Gift message: "}]
  - from: [billing.first_name, billing.last_name, payment_method_title]
    transforms: [{join: " "}, upper]
"""


def test_a_mapping_maps_custom_checkout_fields_to_document_line_and_customer():
    spec = checked(parse_mapping(MAPPING, "mapping.yaml"), SCHEMA)
    order = checkout_order()
    assert document_fields(spec, SCHEMA, order) == {
        "poNumber": "PO-4711",
        "deliveryDate": "2026-12-24",
        "agent": "DHL",  # the sample ships flat_rate
        "channel": "Web",
        "shortNote": "Leave at the",  # first non-empty source, cut to the target's 12 characters
    }
    first, second = order.lines
    assert line_fields(spec, SCHEMA, order, first) == {"taxGroup": "STANDARD", "note": f"For Ann / {first.name}"}
    assert line_fields(spec, SCHEMA, order, second) == {"taxGroup": "STANDARD", "note": second.name}
    assert customer_fields(spec, SCHEMA, order.customer) == {"vatNumber": "DE123456789"}
    assert comment_texts(spec, order) == [
        "Coupons: save10",
        "Gift message: Happy birthday!",
        "JOHN DOE DIRECT BANK TRANSFER",
    ]


def test_status_rules():
    spec = parse_mapping(MAPPING)
    assert [status_action(spec, s) for s in ("processing", "wc-approved", "cancelled", "on-hold", "refunded")] == [
        "post",
        "post",
        "cancel",
        "ignore",
        None,
    ]
    assert status_action(parse_mapping("version: 1\n"), "processing") is None
    assert status_action(None, "processing") is None
    with pytest.raises(MappingError, match=r"mapping:2: statuses: .*'cancelled' is under both post and cancel"):
        parse_mapping("version: 1\nstatuses:\n  post: [processing, cancelled]\n")


def test_values_a_transform_cannot_produce_are_left_out_and_noted():
    spec = parse_mapping(MAPPING)
    order = checkout_order(_delivery_date="next tuesday", _po_number="   ")
    notes: list[str] = []
    fields = document_fields(spec, SCHEMA, order, notes)
    assert "deliveryDate" not in fields and "poNumber" not in fields
    assert notes == ["document.deliveryDate: 'next tuesday' is not a date in %d/%m/%Y; left out"]
    no_shipping = order.model_copy(update={"shipping_lines": ()})
    assert "agent" not in document_fields(spec, SCHEMA, no_shipping)  # no method: nothing to look up
    other = order.model_copy(
        update={"shipping_lines": (order.shipping_lines[0].model_copy(update={"method_id": "local_pickup"}),)}
    )
    assert document_fields(spec, SCHEMA, other)["agent"] == "OTHER"  # the lookup's default


def test_the_default_of_a_rule_and_several_date_formats():
    spec = parse_mapping(
        "document:\n"
        "  deliveryDate:\n"
        "    from: meta._delivery_date\n"
        "    transforms: [{date: {from: ['%Y-%m-%d', '%d.%m.%Y'], to: '%Y-%m-%d'}}]\n"
        "  agent: {from: meta._carrier, default: POST}\n"
    )
    order = checkout_order(_delivery_date="24.12.2026")
    assert document_fields(spec, SCHEMA, order) == {"deliveryDate": "2026-12-24", "agent": "POST"}


def test_structural_problems_name_their_line():
    text = (
        "version: 1\n"  # 1
        "document:\n"  # 2
        "  poNumber:\n"  # 3
        "    from: meta._po\n"  # 4
        "    transforms: [trim, shout]\n"  # 5
        "  agent: {from: line.sku}\n"  # 6
        "  shortNote: {from: total_weight}\n"  # 7
        "  channel: {from: payment_method, transforms: [{lookup: nowhere}]}\n"  # 8
        "  termsId: {from: number, const: X}\n"  # 9
    )
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, "m.yaml")
    problems = {problem.line: problem.reason for problem in caught.value.problems}
    assert set(problems) == {5, 9}  # pydantic problems first: the model is invalid as a whole
    assert "unknown transform 'shout'" in problems[5]
    assert "either from (Woo fields) or const" in problems[9]
    fixed = text.replace(", shout", "").replace("from: number, ", "")
    with pytest.raises(MappingError) as caught:
        parse_mapping(fixed, "m.yaml")
    problems = {problem.line: problem.reason for problem in caught.value.problems}
    assert set(problems) == {6, 7, 8}
    assert "'line.sku' is a line field" in problems[6]
    assert "unknown Woo field 'total_weight'" in problems[7]
    assert "lookup table 'nowhere' is not under lookups" in problems[8]
    assert str(caught.value).startswith("m.yaml:6: ")


def test_yaml_errors_and_duplicates_name_their_line(tmp_path):
    with pytest.raises(MappingError, match=r"^m:3: not valid YAML"):
        parse_mapping("document:\n  a: {from: x\n  b: 1\n", "m")
    with pytest.raises(MappingError, match=r"^m:3: 'poNumber' is given twice"):
        parse_mapping("document:\n  poNumber: {const: A}\n  poNumber: {const: B}\n", "m")
    with pytest.raises(MappingError, match=r"cannot read the file"):
        load_mapping(tmp_path / "absent.yaml")
    with pytest.raises(MappingError, match=r"customer rule reads the buyer only"):
        parse_mapping("customer:\n  name: {from: shipping.city}\n")


def test_checks_against_the_target_schema():
    text = (
        "lookups:\n"  # 1
        "  agents: {flat_rate: MUCH-TOO-LONG-AGENT}\n"  # 2
        "document:\n"  # 3
        "  total: {const: '1'}\n"  # 4  read-only
        "  externalNumber: {from: meta._po_number}\n"  # 5  the connector's own
        "  poNumbr: {from: meta._po_number}\n"  # 6  no such property
        "  channel: {const: Online}\n"  # 7  not an enum value
        "  termsId: {const: net30}\n"  # 8  not a GUID
        "  agent: {from: shipping_method, transforms: [{lookup: agents}]}\n"  # 9 -> the table's line 2
        "  shortNote: {const: far too long for twelve}\n"  # 10
        "  deliveryDate: {from: meta._delivery_date}\n"  # 11 a date needs a date transform
        "  discount: {const: '5'}\n"  # 12 decimal
        "line:\n"  # 13
        "  note: {from: line.name, transforms: [{truncate: 80}]}\n"  # 14
    )
    problems = {p.line: p.reason for p in check_mapping(parse_mapping(text), SCHEMA)}
    assert problems == {
        2: "lookups.agents: 'MUCH-TOO-LONG-AGENT' has 19 characters; agent holds 10",
        4: "'total' on header is read-only: the ERP computes it",
        5: "'externalNumber' on header is set by the connector (the order's number)",
        6: "header has no property 'poNumbr' (did you mean 'poNumber'?)",
        7: "'Online' is not a value of channel (one of: Web, Shop)",
        8: "'net30' is not an id (GUID), which termsId takes",
        10: "'far too long for twelve' has 23 characters; shortNote holds 12",
        11: "'deliveryDate' is a date: add a date transform (e.g. {date: '%d/%m/%Y'})",
        12: "'discount' on header is decimal: a mapping writes text, ids and dates",
        14: "truncate to 80 is longer than 'note' (50)",
    }
    with pytest.raises(MappingError, match=r"^mapping:2: lookups.agents"):
        checked(parse_mapping(text), SCHEMA)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.text(max_size=60))
def test_a_mapped_value_never_exceeds_its_target(po: str, note: str) -> None:
    """Whatever a shopper types into a checkout field, the value written fits the ERP field."""
    spec = parse_mapping(MAPPING)
    order = checkout_order(_po_number=po).model_copy(update={"customer_note": note})
    for name, value in document_fields(spec, SCHEMA, order).items():
        length = SCHEMA.document.fields[name].max_length
        assert length is None or len(value) <= length


def test_structured_meta_is_not_a_checkout_field() -> None:
    spec = parse_mapping("document:\n  poNumber: {from: [meta._po_number, number]}\n")
    order = checkout_order(_po_number={"nested": "plugin data"})  # type: ignore[arg-type]
    assert document_fields(spec, SCHEMA, order) == {"poNumber": order.number}
