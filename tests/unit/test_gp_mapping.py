"""The GP adapter's pure parts: numbers, GL accounts, balanced RM distributions, shipments from GP objects,
the stock cursor, and the SBA transport's client-side filtering (facts: dynamics-gp.md §2, §5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shared.erp.gp import mapping as gp
from shared.erp.gp.adapter import _decode, _encode
from shared.erp.gp.sba import matches
from shared.erp.port import DocumentKind

pytestmark = pytest.mark.gp


def test_document_numbers_fit_gp_and_customer_numbers_are_stable_per_email() -> None:
    assert gp.document_number("WOO", "1001") == "WOO1001"
    with pytest.raises(gp.NumberTooLong, match="DOCUMENT_NUMBER_PREFIX"):  # never truncated into a collision
        gp.document_number("WOO-LONG-PREFIX-", "123456789012")
    first = gp.customer_id_for("Ada@Example.com ")
    assert first == gp.customer_id_for("ada@example.com") and len(first) <= gp.CUSTOMER_ID_LENGTH
    assert first != gp.customer_id_for("grace@example.com")


def test_gl_accounts_default_then_class_then_customer() -> None:
    classes = {"": {"sales": "4100", "receivables": "1200"}, "WHOLESALE": {"sales": "4200"}}
    customers = {"C1": {"Sales": "4300", "tax": ""}}
    assert gp.gl_accounts(classes, customers, "", "C2") == {"sales": "4100", "receivables": "1200"}
    assert gp.gl_accounts(classes, customers, "WHOLESALE", "C2")["sales"] == "4200"
    assert gp.gl_accounts(classes, customers, "WHOLESALE", "C1") == {"sales": "4300", "receivables": "1200"}


@pytest.mark.parametrize("credit_memo", [False, True])
def test_the_rm_distribution_balances_to_the_document(credit_memo: bool) -> None:
    amounts = gp.Amounts(
        sales=Decimal("100.00"),
        freight=Decimal("10.00"),
        misc=Decimal("2.50"),
        tax=Decimal("22.50"),
        discount=Decimal(5),
    )
    accounts = {"receivables": "1200", "sales": "4100", "freight": "4500", "tax": "2300"}
    rows = gp.distributions(amounts, accounts, "USD", credit_memo=credit_memo)
    debit = sum(gp.gp_money(r["DebitAmount"]) for r in rows)
    credit = sum(gp.gp_money(r["CreditAmount"]) for r in rows)
    assert debit == credit == amounts.total == Decimal("130.00")
    receivables = next(r for r in rows if r["DistributionTypeKey"]["Id"] == gp.RECEIVABLES)
    side = "CreditAmount" if credit_memo else "DebitAmount"
    assert gp.gp_money(receivables[side]) == amounts.total and receivables["GLAccountKey"]["Id"] == "1200"
    misc = next(r for r in rows if r["DistributionTypeKey"]["Id"] == gp.MISC)
    assert misc["GLAccountKey"]["Id"] == "4100"  # no misc account: the sales account takes it
    assert gp.distributions(amounts, {"sales": "4100"}, "USD") == []  # GP distributes from the customer's accounts


def test_a_documents_state_reads_as_the_ports() -> None:
    order = {
        "Key": {"Id": "WOO1"},
        "CustomerPONumber": "1",
        "CustomerKey": {"Id": "C1"},
        "TotalAmount": {"Value": Decimal("12.00")},
        "TransactionState": "Work",
        "Lines": {"SalesOrderLine": [{"Quantity": {"Value": 2}, "QuantityFulfilled": {"Value": 2}}]},
    }
    document = gp.erp_document(gp.SOP_ORDER, order)
    assert (document.kind, document.id, document.shipped) == (DocumentKind.SALES_ORDER, "SalesOrder:WOO1", True)
    assert gp.split_id(document.id) == (gp.SOP_ORDER, "WOO1")
    posted = gp.erp_document(gp.RM_INVOICE, {"Key": {"Id": "X"}, "TransactionState": "Open"})
    assert posted.shipped and posted.kind == DocumentKind.SALES_INVOICE


def test_transfers_are_shipments_partial_until_the_order_is_all_shipped() -> None:
    order = {
        "Key": {"Id": "WOO7"},
        "CustomerPONumber": "7",
        "Lines": {"SalesOrderLine": [{"Quantity": {"Value": Decimal(2)}}, {"Quantity": {"Value": Decimal(1)}}]},
    }

    def invoice(number: str, lines: list[tuple[str, int]], tracking: str) -> dict[str, object]:
        return {
            "Key": {"Id": number},
            "Lines": {
                "SalesInvoiceLine": [{"ItemKey": {"Id": i}, "Quantity": {"Value": Decimal(q)}} for i, q in lines]
            },
            "TrackingNumbers": {"SalesTrackingNumber": [{"Key": {"Id": tracking}}]},
            "ShippingMethodKey": {"Id": "UPS"},
            "ModifiedDate": dt.datetime(2026, 3, 2, 10, 0),
        }

    second = invoice("INV000009", [("A", 1), ("B", 1)], "1Z2")
    first = invoice("INV000003", [("A", 1)], "1Z1")
    shipments = gp.transfer_shipments(order, [second, first])
    assert [(s.erp_shipment_number, s.partial, s.tracking_number) for s in shipments] == [
        ("INV000003", True, "1Z1"),
        ("INV000009", False, "1Z2"),
    ]
    assert shipments[0].order_number == "7" and shipments[0].erp_order_number == "WOO7"
    assert shipments[0].modified_at is not None and shipments[0].modified_at.tzinfo is not None


def test_available_stock_is_on_hand_less_allocated_over_the_chosen_sites() -> None:
    item = {
        "Quantities": {
            "SalesItemWarehouse": [
                {
                    "Key": {"WarehouseKey": {"Id": "MAIN"}},
                    "OnHandQuantity": {"Value": 10},
                    "AllocatedQuantity": {"Value": 3},
                },
                {"Key": {"WarehouseKey": {"Id": "WEST"}}, "OnHandQuantity": {"Value": 5}},
            ]
        }
    }
    assert gp.on_hand(item, []) == Decimal(12)
    assert gp.on_hand(item, ["west"]) == Decimal(5)


def test_the_stock_cursor_round_trips_and_a_bad_one_reads_as_empty() -> None:
    snapshot = {"B": "2", "A": "1"}
    assert _decode(_encode(snapshot)) == snapshot
    assert _encode(snapshot) == _encode(dict(reversed(list(snapshot.items()))))  # order-independent
    assert _decode("not a cursor") == {}


def test_the_sba_lists_are_filtered_as_the_web_services_criteria_would() -> None:
    row = {"Key": {"Id": "WOO1"}, "CustomerPONumber": "1", "ModifiedDate": dt.datetime(2026, 3, 2, 10, 0)}
    assert matches(row, {"DocumentId": {"EqualValue": "woo1"}})
    assert matches(row, {"CustomerPONumber": {"Items": {"string": ["9", "1"]}}})
    assert not matches(row, {"ModifiedDate": {"GreaterThan": dt.datetime(2026, 3, 2, 10, 0)}})
    assert matches(row, {"ModifiedDate": {"From": dt.datetime(2026, 3, 2, 10, 0)}})


def test_a_gp_connection_builds_the_gp_adapter_without_calling_gp(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import GpConnection, Settings
    from shared.erp.gp.adapter import GpAdapter
    from shared.erp.gp.sba import SbaTransport
    from shared.erp.gp.soap import SoapTransport
    from shared.flows.services import build_erp

    monkeypatch.setenv("ERPS__office__KIND", "gp")
    monkeypatch.setenv("ERPS__office__URL", "https://gp.invalid")  # nothing answers there: no call is made
    monkeypatch.setenv("ERPS__office__USERNAME", "CORP\\svc-woo")
    monkeypatch.setenv("ERPS__office__SITES", "MAIN, WEST")
    monkeypatch.setenv("ERPS__office__GL_ACCOUNTS", '{"": {"sales": "4100"}}')
    settings = Settings()
    connection = settings.connection("office")
    assert isinstance(connection, GpConnection)
    assert (connection.sites, connection.gl_accounts, connection.document_kind) == (
        ["MAIN", "WEST"],
        {"": {"sales": "4100"}},
        "salesInvoice",
    )
    soap = build_erp(settings, "office")
    assert isinstance(soap, GpAdapter) and isinstance(soap.transport, SoapTransport) and soap.calls == 0
    monkeypatch.setenv("ERPS__office__TRANSPORT", "sba")
    monkeypatch.setenv("ERPS__office__COMPANY_NAME", "Fabrikam, Inc.")
    sba = build_erp(Settings(), "office")
    assert isinstance(sba, GpAdapter) and isinstance(sba.transport, SbaTransport)
    base_url = str(sba.transport.api.client.base_url)
    assert base_url.endswith("/GPService/Tenants(DefaultTenant)/Companies(Fabrikam%2C%20Inc.)/")


def test_start_up_refuses_prefixes_that_leave_no_room_in_gps_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import ConfigError, Settings, check_connections

    for name, value in {
        "URL": "https://shop.example.com",
        "ERP": "office",
        "CONSUMER_KEY": "ck",
        "CONSUMER_SECRET": "cs",
    }.items():
        monkeypatch.setenv(f"WOO_STORES__main__{name}", value)
    monkeypatch.setenv("WOO_STORES__main__WEBHOOK_SECRET", "whs")
    monkeypatch.setenv("ERPS__office__KIND", "gp")
    check_connections(Settings())  # WOO + a 12-digit order number fits
    monkeypatch.setenv("WOO_STORES__main__DOCUMENT_PREFIX", "SHOP-")
    monkeypatch.setenv("ERPS__office__DOCUMENT_NUMBER_PREFIX", "WOO-")
    with pytest.raises(ConfigError, match="longer than GP's 20 characters"):
        check_connections(Settings())
