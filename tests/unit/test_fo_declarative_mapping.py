"""F&O's side of the mapping: its target schema is the CDM export's property names with the types and read-only
properties the F&O emulator gives them; a mapping is checked against it (missing, read-only, owned, too long,
not a member, comments) and applied to the order header, item lines and new customers; the packaged default
mapping builds exactly the documents the code built before mappings existed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sandbox.fo.guesses import NAMESPACE, READ_ONLY_PROPERTIES
from sandbox.fo.schema import load_schema
from shared.config import ConfigError, Settings
from shared.erp.fo.mapping import customer_payload, json_ready, order_plan
from shared.erp.fo.mapping_file import DEFAULT_MAPPING_FILE, connection_mapping, default_mapping
from shared.erp.fo.properties import CDM_PROPERTIES
from shared.erp.fo.schema import fo_target_schema
from shared.flows.services import check_mappings
from shared.flows.services import connection_mapping as services_connection_mapping
from shared.mapping.check import check_mapping, checked
from shared.mapping.schema import FieldType
from shared.mapping.spec import MappingError, parse_mapping
from tests.unit import fo_reference_cases as cases
from tests.unit.test_mapping_engine import checkout_order

pytestmark = pytest.mark.fo

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "finance-operations"
BEFORE = json.loads((Path(__file__).parent / "data" / "fo_documents_before_mapping.json").read_text(encoding="utf-8"))
EDM = {
    "Edm.String": FieldType.TEXT,
    "Edm.Date": FieldType.DATE,
    "Edm.Decimal": FieldType.DECIMAL,
    "Edm.DateTimeOffset": FieldType.OTHER,
}
ENTITIES = {
    "SalesOrderHeaderV2Entity": "document",
    "SalesOrderLineV2Entity": "line",
    "CustCustomerV3Entity": "customer",
}
EMULATOR_TYPES = {"document": "SalesOrderHeaderV2", "line": "SalesOrderLine", "customer": "CustomerV3"}


def test_the_property_names_are_the_cdm_export_name_by_name():
    path = REFERENCE / "cdm-entity-field-names.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: keep the handbook (shared/) beside the repo")
    export = json.loads(path.read_text(encoding="utf-8"))
    for entity in ENTITIES:
        assert CDM_PROPERTIES[entity] == tuple(str(row["name"]) for row in export[entity]), entity


@pytest.mark.parametrize("section", ["document", "line", "customer"])
def test_types_and_read_only_properties_are_the_emulators(section):
    """The emulator is no looser than the schema: what the schema lets a mapping write, the emulator takes as
    that type; what the emulator refuses, the schema refuses too."""
    ours = fo_target_schema().entity(section)  # type: ignore[arg-type]
    etype = load_schema().types[EMULATOR_TYPES[section]]
    assert list(ours.fields) == list(etype.props)
    for name, prop in etype.props.items():
        field = ours.fields[name]
        if prop.type in EDM:
            assert field.type == EDM[prop.type], name
        else:
            assert prop.type.startswith(f"{NAMESPACE}."), name
            assert field.type == FieldType.ENUM, name
            assert field.enum == tuple(load_schema().enums[prop.type]), name
        if name in READ_ONLY_PROPERTIES:
            assert not field.writable, name


def test_what_the_connector_writes_is_owned_or_left_to_settings():
    schema = fo_target_schema()
    assert schema.document.fields["CustomersOrderReference"].owned.endswith("exactly-once key")
    assert schema.customer.fields["PrimaryContactEmail"].owned == "customers are matched by their e-mail"
    assert schema.line.fields["ItemNumber"].owned and schema.line.fields["SalesPrice"].owned
    assert not schema.document.fields["SalesOrderOriginCode"].owned  # a setting; a mapping may override it
    assert schema.line.fields["LineDescription"].max_length == 60


BROKEN = """\
version: 1
lookups:
  gender: {m: Male, x: Diverse}
document:
  PurchaseOrderNumber: {from: meta._po_number}
  SalesOrderStatus: {const: Invoiced}
  CustomersOrderReference: {from: meta._po_number}
  TotalDiscountPercentage: {const: "5"}
  IsOneTimeCustomer: {const: Maybe}
  RequestedReceiptDate: {from: meta._delivery_date}
line:
  LineDescription: {from: line.name, transforms: [{truncate: 80}]}
customer:
  PersonGender: {from: meta._gender, transforms: [{lookup: gender}]}
comments:
  - from: customer_note
"""


def test_a_mapping_is_checked_against_fo_with_line_and_reason():
    problems = [(p.line, p.reason) for p in check_mapping(parse_mapping(BROKEN), fo_target_schema())]
    assert problems == [
        (3, "lookups.gender: 'Diverse' is not a value of PersonGender (one of: Unknown, Male, Female, NonSpecific)"),
        (5, "SalesOrderHeaderV2 has no property 'PurchaseOrderNumber' (did you mean 'SalesOrderNumber'?)"),
        (6, "'SalesOrderStatus' on SalesOrderHeaderV2 is read-only: the ERP computes it"),
        (
            7,
            "'CustomersOrderReference' on SalesOrderHeaderV2 is set by the connector (the order's number in the ERP, "
            "its exactly-once key)",
        ),
        (8, "'TotalDiscountPercentage' on SalesOrderHeaderV2 is decimal: a mapping writes text, ids and dates"),
        (9, "'Maybe' is not a value of IsOneTimeCustomer (one of: No, Yes)"),
        (10, "'RequestedReceiptDate' is a date: add a date transform (e.g. {date: '%d/%m/%Y'})"),
        (12, "truncate to 80 is longer than 'LineDescription' (60)"),
        (
            16,
            "comments: F&O sales orders have no comment lines (notes are document attachments, which the "
            "connector does not write); map the text to a header field instead, e.g. SalesOrderName",
        ),
    ]


@pytest.mark.parametrize("case", sorted(BEFORE["documents"]))
@pytest.mark.parametrize("explicit", [False, True], ids=["no-mapping", "default-file"])
def test_documents_are_as_before(case, explicit):
    """tests/unit/data/fo_documents_before_mapping.json was written by the code at 9bb422a (before F&O applied
    a mapping) from tests/unit/fo_reference_cases.py; with and without the default file nothing changes."""
    documents = cases.documents({"mapping": default_mapping()} if explicit else None)
    assert documents[case] == BEFORE["documents"][case]


@pytest.mark.parametrize("explicit", [False, True], ids=["no-mapping", "default-file"])
def test_customers_are_as_before(explicit):
    assert cases.customers({"mapping": default_mapping()} if explicit else None) == BEFORE["customers"]


def test_the_recorded_cases_cover_what_mappings_may_override():
    rich = BEFORE["documents"]["rich|default"]
    assert {"DeliveryAddressName", "SalesOrderOriginCode", "DeliveryAddressStreet"} <= set(rich["header"])
    assert any(line.get("SalesTaxItemGroupCode") == "REDUCED" for line in rich["lines"])
    assert len(BEFORE["documents"]) == 10 and len(BEFORE["customers"]) == 4


MAPPING = """\
version: 1
lookups:
  delivery: {flat_rate: DHL, free_shipping: POST}
document:
  RequestedReceiptDate:
    from: meta._delivery_date
    transforms: [{date: "%d/%m/%Y"}]
  SalesOrderName:
    from: meta._po_number
    transforms: [trim, upper]
  DeliveryModeCode:
    from: shipping_method
    transforms: [{lookup: delivery}]
  DeliveryAddressName:
    from: meta._gift_message
    transforms: [trim]
line:
  OrderLineReference:
    from: line.meta.engraving
customer:
  TaxExemptNumber:
    from: meta._billing_vat
    transforms: [trim, upper]
"""


def test_a_mapping_reaches_the_header_item_lines_and_new_customer():
    spec = checked(parse_mapping(MAPPING), fo_target_schema())
    order = checkout_order(_gift_message="  For Ann, with love from the whole family and all the neighbours  ")
    order = order.model_copy(
        update={"lines": tuple(line.model_copy(update={"sku": f"WOO-{line.product_id}"}) for line in order.lines)}
    )
    options = replace(cases.BASE, mapping=spec)
    plan = order_plan(order, "C-0001", cases.ITEMS, options)
    before = order_plan(order, "C-0001", cases.ITEMS, cases.BASE)
    assert plan.header is not None and before.header is not None
    assert plan.header["RequestedReceiptDate"] == "2026-12-24"
    assert plan.header["SalesOrderName"] == "PO-4711"
    assert plan.header["DeliveryModeCode"] == "DHL"
    assert plan.header["DeliveryAddressName"] == "For Ann, with love from the whole family and all the neighbo"  # 60
    assert plan.header["CustomersOrderReference"] == before.header["CustomersOrderReference"]
    assert plan.lines[0]["OrderLineReference"] == "For Ann"  # the first item line's engraving
    assert all("OrderLineReference" not in line for line in plan.lines[1:])
    assert [line["ItemNumber"] for line in plan.lines] == [line["ItemNumber"] for line in before.lines]
    body = json_ready(customer_payload(order.customer, options, "USD"))
    assert body["TaxExemptNumber"] == "DE123456789"
    assert body == {**json_ready(customer_payload(order.customer, cases.BASE, "USD")), "TaxExemptNumber": "DE123456789"}


def fo_settings(**connection: str) -> Settings:
    return Settings.model_validate(
        {"erps": {"fo1": {"kind": "fo", "environment_url": "https://fo.example", "data_area_id": "usmf", **connection}}}
    )


def test_an_fo_connection_takes_a_mapping_file_checked_at_start_up(tmp_path):
    good = tmp_path / "fo.yaml"
    good.write_text(MAPPING, encoding="utf-8")
    spec = services_connection_mapping(fo_settings(mapping_file=str(good)), "fo1")
    assert set(spec.document) == {"RequestedReceiptDate", "SalesOrderName", "DeliveryModeCode", "DeliveryAddressName"}
    assert services_connection_mapping(fo_settings(), "fo1") == default_mapping()
    assert DEFAULT_MAPPING_FILE.is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ERPS__fo1__MAPPING_FILE: .*bad.yaml:5: SalesOrderHeaderV2 has no property"):
        check_mappings(fo_settings(mapping_file=str(bad)))
    with pytest.raises(MappingError, match=r"bad\.yaml:6: 'SalesOrderStatus'"):
        connection_mapping(fo_settings().connection("fo1"), str(bad))  # type: ignore[arg-type]
