"""The F&O adapter's pure parts: error classification from innererror, multipart `$batch` answers (the saved
capture), customer and order bodies, and the `fo` connection settings (facts: finance-operations.md §1.5, §1.6,
§2.1, §2.2)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from shared.config import FoConnection, Settings
from shared.erp.fo.adapter import fo_options
from shared.erp.fo.client import key_path, parse_batch_response
from shared.erp.fo.errors import classify_fo_error
from shared.erp.fo.mapping import customer_payload, order_plan, sales_order_number
from shared.erp.port import ErpConflict, ErpDataProblem, ErpItem, PermanentErpError, TransientErpError
from shared.model import Address, Customer, HoldCode, LineKind, Order, OrderLine

pytestmark = pytest.mark.fo

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "finance-operations"


def reference(name: str) -> str:
    path = REFERENCE / name
    if not path.exists():
        pytest.fail(f"saved sample {path} is missing: keep the handbook (shared/) beside the repo")
    return path.read_text(encoding="utf-8")


def write_failure(infolog: str) -> dict[str, object]:
    return {
        "error": {
            "code": "",
            "message": "An error has occurred.",
            "innererror": {
                "message": f"Write failed for table row of type 'SalesOrderHeaderV2Entity'. Infolog: {infolog}",
                "type": "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException",
                "stacktrace": "",
            },
        }
    }


def test_the_saved_failed_changeset_is_one_conflict_part() -> None:
    text = reference("fo-batch-response-changeset-500.txt")
    boundary = text.splitlines()[0][2:]
    [answer] = parse_batch_response(f"multipart/mixed; boundary={boundary}", text)
    assert (answer.status, answer.content_id) == (500, "1")
    error = classify_fo_error(answer.status, answer.body, {})
    assert isinstance(error, ErpConflict)  # "The record already exists.."
    assert "Batch2" in error.message


def test_the_saved_customer_group_failure_is_permanent_with_the_infolog_text() -> None:
    body = json.loads(reference("fo-error-customerv3-write-failed.json"))
    error = classify_fo_error(500, body, {})
    assert isinstance(error, PermanentErpError)
    assert "Customer group" in error.message and "An error has occurred" not in error.message


@pytest.mark.parametrize(
    ("infolog", "code", "subject"),
    [
        ("Error: Customer C-1 is on hold for all transactions.", HoldCode.BLOCKED_CUSTOMER, "C-1"),
        (
            "Warning: The value 'NOK' in field 'Currency' is not found in the related table 'Currency'.",
            HoldCode.CURRENCY_NOT_SET_UP,
            "NOK",
        ),
    ],
)
def test_data_problems_in_the_infolog_hold_the_order(infolog: str, code: HoldCode, subject: str) -> None:
    error = classify_fo_error(500, write_failure(infolog), {"customer": "C-1", "currency": "NOK"})
    assert isinstance(error, ErpDataProblem)
    assert (error.hold.code, error.hold.subject) == (code, subject)


def test_resource_throttling_text_is_transient() -> None:
    body = {
        "error": {
            "code": "",
            "message": "This request could not be processed at this time due to system experiencing high "
            "resource utilization.",
        }
    }
    assert isinstance(classify_fo_error(400, body, {}), TransientErpError)


def test_keys_are_quoted_and_complete() -> None:
    assert key_path("CustomersV3", dataAreaId="usmf", CustomerAccount="O'Brien") == (
        "CustomersV3(dataAreaId='usmf',CustomerAccount='O''Brien')"
    )


def connection(**values: object) -> FoConnection:
    base: dict[str, object] = {"data_area_id": "USMF", "customer_group": "30", **values}
    return FoConnection.model_validate(base)


def buyer(company: str = "") -> Customer:
    billing = Address(
        first_name="Ada",
        last_name="Lovelace",
        company=company,
        address_1="1 Main St",
        city="Seattle",
        state="WA",
        postcode="98052",
        country="US",
        email="ada@example.com",
        phone="555-0100",
    )
    return Customer(email="ada@example.com", first_name="Ada", last_name="Lovelace", billing=billing)


def test_a_person_or_an_organization_with_the_three_letter_country() -> None:
    options = fo_options(connection())
    person = customer_payload(buyer(), options)
    assert person["PartyType"] == "Person" and person["PersonLastName"] == "Lovelace"
    assert (person["AddressCountryRegionId"], person["CustomerGroupId"], person["dataAreaId"]) == ("USA", "30", "usmf")
    organization = customer_payload(buyer("Analytical Engines Ltd"), options, "EUR")
    assert organization["PartyType"] == "Organization" and organization["OrganizationName"] == "Analytical Engines Ltd"
    assert organization["SalesCurrencyCode"] == "EUR"


def placed(number: str = "1001") -> Order:
    line = OrderLine(
        kind=LineKind.ITEM,
        woo_item_id=1,
        name="Mug",
        sku="mug-1",
        quantity=Decimal(3),
        subtotal=Decimal(30),
        total=Decimal(27),
    )
    shipping = OrderLine(kind=LineKind.SHIPPING, woo_item_id=2, name="Flat rate", total=Decimal(5))
    customer = buyer()
    return Order.model_validate(
        {
            "store": "main",
            "woo_order_id": 77,
            "number": number,
            "status": "processing",
            "currency": "USD",
            "created_at": "2026-03-02T10:00:00Z",
            "customer": customer,
            "billing": customer.billing,
            "shipping": customer.billing,
            "lines": [line],
            "shipping_lines": [shipping],
            "total": Decimal(32),
        }
    )


def test_an_order_is_one_header_with_the_woo_number_as_reference_and_item_lines() -> None:
    options = fo_options(
        connection(shipping_item="FREIGHT", tax_code_map={"standard": "FULL"}, dimension_map={"standard": "D-STD"})
    )
    items = {"MUG-1": ErpItem(number="MUG-1", id="MUG-1")}
    plan = order_plan(placed(), "C-1", items, options)
    assert plan.header is not None and not plan.holds
    assert plan.header["CustomersOrderReference"] == "1001" and plan.header["SalesOrderNumber"] == "WOO-1001"
    assert plan.header["DeliveryAddressCountryRegionId"] == "USA"
    mug, freight = plan.lines
    assert (mug["ItemNumber"], mug["OrderedSalesQuantity"], mug["SalesPrice"]) == ("MUG-1", Decimal(3), Decimal(10))
    assert mug["LineDiscountAmount"] * 3 == Decimal(3) and mug["SalesTaxItemGroupCode"] == "FULL"
    assert mug["DefaultLedgerDimensionDisplayValue"] == "D-STD"
    assert (freight["ItemNumber"], freight["SalesPrice"]) == ("FREIGHT", Decimal(5))


def test_unknown_items_hold_and_a_missing_shipping_item_is_permanent() -> None:
    options = fo_options(connection())
    assert [h.code for h in order_plan(placed(), "C-1", {}, options).holds] == [HoldCode.UNKNOWN_SKU]
    with pytest.raises(ValueError, match="SHIPPING_ITEM"):
        order_plan(placed(), "C-1", {"MUG-1": ErpItem(number="MUG-1", id="MUG-1")}, options)


def test_f_and_o_numbers_the_order_when_asked_or_when_the_number_is_too_long() -> None:
    assert sales_order_number(placed(), fo_options(connection(sales_order_numbers="sequence"))) is None
    assert sales_order_number(placed("9" * 30), fo_options(connection())) is None


def test_an_fo_connection_comes_from_erps_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "KIND": "fo",
        "ENVIRONMENT_URL": "https://contoso.operations.dynamics.com",
        "DATA_AREA_ID": "usmf",
        "WAREHOUSES": "11, 12",
    }.items():
        monkeypatch.setenv(f"ERPS__eu__{key}", value)
    settings = Settings()
    fo = settings.connection("eu")
    assert isinstance(fo, FoConnection)
    assert fo.warehouses == ["11", "12"]
    assert fo.token_scope == "https://contoso.operations.dynamics.com/.default"


# ------------------------------------------------------------------------------------------ business events


def test_the_saved_envelope_of_an_unused_event_is_answered_and_not_queued() -> None:
    from shared.erp.fo.events import ms_date, receive_business_event

    body = reference("fo-business-event-envelope-sample.json").encode()
    receipt = receive_business_event(body, "so01")
    assert (receipt.status, receipt.payload) == (200, None)  # DummyBusinessEvent1: answered 2xx, nothing to do
    assert ms_date(json.loads(body)["EventTime"]) is not None


def invoice_event(**overrides: object) -> bytes:
    sample = json.loads(reference("fo-business-event-envelope-sample.json"))
    sample.update(
        BusinessEventId="SalesInvoicePostedBusinessEvent",
        BusinessEventLegalEntity="USMF",
        InvoiceId="INV-000001",
        SalesOrderId="WOO-1001",
    )
    sample.update(overrides)
    return json.dumps(sample).encode()


def test_an_invoice_posted_event_is_queued_by_its_identity_with_its_event_id_as_key() -> None:
    from shared.erp.fo.events import receive_business_event

    receipt = receive_business_event(invoice_event(), "usmf")
    assert receipt.status == 202 and receipt.payload is not None
    assert receipt.payload["invoice"] == "INV-000001" and receipt.payload["event_time"].startswith("2022-12-30")
    assert receipt.dedupe_key == "3C47A4CD-6EDC-4319-B893-3F862EED65FD"
    without_id = receive_business_event(invoice_event(EventId=""), "usmf")
    assert without_id.dedupe_key == "USMF-5637611083"  # legal entity + ControlNumber


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"not json", 400), (b'{"BusinessEventId": "X"}', 400), (b"[]", 400)],
)
def test_a_body_that_is_not_an_envelope_is_400(body: bytes, status: int) -> None:
    from shared.erp.fo.events import receive_business_event

    assert receive_business_event(body, "usmf").status == status


def test_an_event_of_another_legal_entity_is_answered_and_not_queued() -> None:
    from shared.erp.fo.events import receive_business_event

    receipt = receive_business_event(invoice_event(BusinessEventLegalEntity="DEMF"), "usmf")
    assert (receipt.status, receipt.payload) == (200, None)


def test_a_connection_without_kind_is_bc_and_the_kind_ignores_case(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import BcConnection

    monkeypatch.setenv("ERPS__old__COMPANY_ID", "c1")
    monkeypatch.setenv("ERPS__new__KIND", "FO")
    monkeypatch.setenv("ERPS__new__DATA_AREA_ID", "usmf")
    settings = Settings()
    assert isinstance(settings.connection("old"), BcConnection)
    assert isinstance(settings.connection("new"), FoConnection)
    monkeypatch.setenv("ERPS__bad__KIND", "sap")
    with pytest.raises(ValueError, match="sap"):
        Settings()
