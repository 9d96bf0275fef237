"""BC's side of the mapping: its target schema is BC's `$metadata` (every property, type, length and enum),
its read-only properties are the ones the emulator refuses, and a mapping is checked against it and applied
to real BC documents and customers."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from sandbox.bc import documents as emulator_documents
from sandbox.bc.schema import Schema, read_metadata
from sandbox.bc.write_rules import READ_ONLY_ON_WRITE
from shared.erp.bc.mapping import BcCustomerOptions, customer_payload, default_mapping, sales_document_payload
from shared.erp.bc.schema import PROPERTIES, READ_ONLY, bc_target_schema
from shared.erp.port import DocumentKind
from shared.mapping.check import check_mapping, checked
from shared.mapping.schema import FieldType
from shared.mapping.spec import MappingError, parse_mapping
from tests.unit.test_bc_mapping import ITEMS, options
from tests.unit.test_mapping_engine import checkout_order

pytestmark = pytest.mark.bc

EDM = {
    "Edm.String": FieldType.TEXT,
    "Edm.Guid": FieldType.GUID,
    "Edm.Date": FieldType.DATE,
    "Edm.Decimal": FieldType.DECIMAL,
    "Edm.Boolean": FieldType.BOOLEAN,
}


@cache
def metadata() -> Schema:
    return read_metadata()


@pytest.mark.parametrize("entity", sorted(PROPERTIES))
def test_the_schema_is_bc_metadata_property_by_property(entity):
    schema = bc_target_schema()
    ours = {
        "salesOrder": schema.document,
        "salesOrderLine": schema.line,
        "customer": schema.customer,
        "salesInvoice": bc_target_schema(DocumentKind.SALES_INVOICE).document,
        "salesInvoiceLine": bc_target_schema(DocumentKind.SALES_INVOICE).line,
    }[entity]
    etype = metadata().types[entity]
    assert list(ours.fields) == list(etype.props)
    for name, prop in etype.props.items():
        field = ours.fields[name]
        if prop.type in EDM:
            assert field.type == EDM[prop.type], name
        elif prop.type.startswith("Microsoft.NAV."):
            members = metadata().enums[prop.type]
            assert field.type == FieldType.ENUM, name
            assert field.enum == tuple(m.replace("_x0020_", " ") for m in members), name
        else:
            assert field.type == FieldType.OTHER, name
        assert field.max_length == prop.max_length, name


def test_read_only_properties_are_the_ones_the_emulator_refuses():
    system = {"id", "lastModifiedDateTime"}
    refused = {
        "salesOrder": emulator_documents.HEADER_COMPUTED,
        "salesInvoice": emulator_documents.HEADER_COMPUTED | READ_ONLY_ON_WRITE["salesInvoice"],
        "salesOrderLine": emulator_documents.LINE_COMPUTED,
        "salesInvoiceLine": emulator_documents.LINE_COMPUTED,
        "customer": {"balanceDue", "taxAreaDisplayName"},  # sandbox/bc/entities.py CustomerHandler
    }
    for entity, names in refused.items():
        props = set(metadata().types[entity].props)
        assert READ_ONLY[entity] & props == (names | system) & props, entity


def test_the_default_mapping_fits_both_document_kinds():
    for kind in (DocumentKind.SALES_ORDER, DocumentKind.SALES_INVOICE):
        assert check_mapping(default_mapping(), bc_target_schema(kind)) == []


BROKEN = """\
version: 1
document:
  totalAmountIncludingTax: {const: "0"}
  customerPurchaseOrderReference: {from: meta._po_number}
  externalDocumentNumber: {from: meta._po_number}
  salesperson: {const: WEB-SHOP-NORTH-EAST-REGION}
line:
  description2: {from: line.meta.engraving, transforms: [{truncate: 80}]}
  amountIncludingTax: {const: "1"}
customer:
  taxRegistrationNo: {from: meta._billing_vat}
  type: {const: Robot}
"""


def test_a_broken_mapping_is_refused_with_line_and_reason():
    with pytest.raises(MappingError) as caught:
        checked(parse_mapping(BROKEN, "mapping.yaml"), bc_target_schema(DocumentKind.SALES_ORDER))
    assert [f"{p.line}: {p.reason}" for p in caught.value.problems] == [
        "3: 'totalAmountIncludingTax' on salesOrder is read-only: the ERP computes it",
        # salesOrder has no PO reference in API v2.0 (salesInvoice has): the suggestion is the nearest name
        "4: salesOrder has no property 'customerPurchaseOrderReference'",
        "5: 'externalDocumentNumber' on salesOrder is set by the connector "
        "(the order's number in the ERP, its exactly-once key)",
        "6: 'WEB-SHOP-NORTH-EAST-REGION' has 26 characters; salesperson holds 20",
        "8: truncate to 80 is longer than 'description2' (50)",
        "9: 'amountIncludingTax' on salesOrderLine is read-only: the ERP computes it",
        "11: customer has no property 'taxRegistrationNo' (did you mean 'taxRegistrationNumber'?)",
        "12: 'Robot' is not a value of type (one of: Company, Person)",
    ]


CUSTOM = """\
version: 1
lookups:
  tax_class: {reduced-rate: REDUCED-FOOD}
document:
  requestedDeliveryDate:
    from: meta._delivery_date
    transforms: [{date: "%d/%m/%Y"}]
  shipToContact: {from: [shipping.full_name, billing.full_name]}
line:
  description2: {from: line.meta.engraving, transforms: [{prefix: "Engraving: "}]}
  taxCode: {from: line.tax_class, transforms: [{lookup: tax_class}]}
customer:
  taxRegistrationNumber: {from: meta._billing_vat, transforms: [trim, upper]}
comments:
  - from: meta._gift_message
    transforms: [trim, {prefix: "Gift message: "}]
  - from: customer_note
"""


def test_custom_checkout_fields_reach_the_bc_sales_order_and_customer():
    spec = checked(parse_mapping(CUSTOM), bc_target_schema())
    order = checkout_order()
    order = order.model_copy(
        update={"lines": tuple(line.model_copy(update={"sku": f"WOO-{line.product_id}"}) for line in order.lines)}
    )
    plan = sales_document_payload(order, "C00010", ITEMS, options(mapping=spec))
    assert plan.ok and plan.payload is not None
    header = plan.payload
    assert header["requestedDeliveryDate"] == "2026-12-24"
    assert header["shipToContact"] == "John Doe"
    lines = header["salesOrderLines"]
    assert lines[0]["description2"] == "Engraving: For Ann"
    assert "description2" not in lines[1]
    comments = [line["description"] for line in lines if line["lineType"] == "Comment"]
    assert comments == ["Gift message: Happy birthday!", "Leave at the door"]  # no coupon comment in this file
    body = customer_payload(order.customer, BcCustomerOptions(local_currency="USD", mapping=spec))
    assert body["taxRegistrationNumber"] == "DE123456789"


def test_the_readme_example_is_a_mapping_bc_takes():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Mapping your own fields") :]
    example = section[section.index("```yaml\n") + len("```yaml\n") : section.index("```\n", section.index("```yaml"))]
    spec = checked(parse_mapping(example, "README"), bc_target_schema())
    assert spec.statuses is not None and spec.statuses.action("wc-approved") == "post"
    assert set(spec.document) == {"requestedDeliveryDate", "shipmentMethodId", "shipToContact"}
