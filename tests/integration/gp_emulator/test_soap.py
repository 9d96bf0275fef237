"""GP Web Services over SOAP: zeep against GP's own WSDL, served by the emulator (facts: dynamics-gp.md §2, §2.1)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from zeep import Client
from zeep.exceptions import Fault as SoapFault
from zeep.exceptions import ValidationError

from sandbox.gp import GpEmulator
from sandbox.gp.store import Company
from sandbox.gp.wsdl import filled

from .conftest import context

pytestmark = [pytest.mark.integration, pytest.mark.gp]
GP_NS = "http://schemas.microsoft.com/dynamics/gp/2006/01"


def like(soap: Client, **restriction: Any) -> Any:
    return soap.get_type(f"{{{GP_NS}}}LikeRestrictionOfString")(**restriction)


def policy(soap: Client, company: Company, operation: str) -> Any:
    return soap.service.GetPolicyByOperation(operation, context(soap, company))


def create(soap: Client, company: Company, kind: str, obj: dict[str, Any]) -> Any:
    operation = f"Create{kind}"
    return getattr(soap.service, operation)(filled(kind, obj), context(soap, company), policy(soap, company, operation))


def customer(soap: Client, company: Company, customer_id: str = "AARONFIT0001") -> None:
    create(soap, company, "Customer", {"Key": {"Id": customer_id}, "Name": "Aaron Fitz Electrical"})


def invoice(customer_id: str, po: str, *lines: tuple[str, int, str], freight: str = "0") -> dict[str, Any]:
    return {
        "DocumentTypeKey": {"Type": "Invoice", "Id": "STDINV"},
        "CustomerKey": {"Id": customer_id},
        "BatchKey": {"Id": "WOO"},
        "CustomerPONumber": po,
        "FreightAmount": {"Value": Decimal(freight), "DecimalDigits": 2},
        "Lines": {
            "SalesInvoiceLine": [
                {
                    "ItemKey": {"Id": item},
                    "Quantity": {"Value": Decimal(qty), "DecimalDigits": 0},
                    "UnitPrice": {"Value": Decimal(price), "DecimalDigits": 2},
                }
                for item, qty, price in lines
            ]
        },
    }


def validation_messages(soap: Client, company: Company, fault: SoapFault) -> list[str]:
    assert fault.detail is not None
    message = fault.detail.find("Message")
    assert message is not None, "a business validation fault carries its log id in <detail><Message>"
    result = soap.service.GetLoggedValidationResultByKey(message.text, context(soap, company))
    return [error.Message for error in result.Errors.ValidationError]


def test_the_wsdl_has_gps_operations(soap: Client) -> None:
    binding = next(iter(next(iter(soap.wsdl.services.values())).ports.values())).binding
    assert len(binding._operations) == 367  # facts §2.1: the same 367 operations on both endpoints
    for name in ("CreateSalesInvoice", "GetSalesInvoiceList", "CreateReceivablesCreditMemo", "CreateCashReceipt"):
        assert name in binding._operations


def test_customer_created_then_read_back(soap: Client, company: Company) -> None:
    result = create(soap, company, "Customer", {"Key": {"Id": "ADA0001"}, "Name": "Ada Lovelace"})
    assert result is None  # Create* returns an empty response (facts §2.1 (3))
    read = soap.service.GetCustomerByKey({"Id": "ADA0001"}, context(soap, company))
    assert (read.Key.Id, read.Name, read.IsOnHold) == ("ADA0001", "Ada Lovelace", False)
    listed = soap.service.GetCustomerList(
        {"Name": like(soap, Like="ada%"), "Scope": "Return All"}, context(soap, company)
    )
    assert [c.Key.Id for c in listed] == ["ADA0001"]


def test_customer_address_needs_its_customer(soap: Client, company: Company) -> None:
    customer(soap, company)
    address = {"Key": {"CustomerKey": {"Id": "AARONFIT0001"}, "Id": "SHIP"}, "Line1": "1 Main St", "City": "Fargo"}
    create(soap, company, "CustomerAddress", address)
    read = soap.service.GetCustomerAddressByKey(
        {"CustomerKey": {"Id": "AARONFIT0001"}, "Id": "SHIP"}, context(soap, company)
    )
    assert (read.Line1, read.City) == ("1 Main St", "Fargo")
    with pytest.raises(SoapFault) as raised:
        create(soap, company, "CustomerAddress", {**address, "Key": {"CustomerKey": {"Id": "NOBODY"}, "Id": "SHIP"}})
    assert any("NOBODY" in m for m in validation_messages(soap, company, raised.value))


def test_duplicate_customer_is_a_validation_fault(soap: Client, company: Company) -> None:
    customer(soap, company)
    with pytest.raises(SoapFault) as raised:
        customer(soap, company)
    assert raised.value.code == "soap:Server"
    assert any("already exists" in m for m in validation_messages(soap, company, raised.value))


def test_sales_invoice_gets_a_number_and_totals_and_is_found_by_customer_po(
    gp: GpEmulator, soap: Client, company: Company
) -> None:
    gp.seed_item("128 SDRAM", price=Decimal("10.00"), stock=Decimal(5), company_id=company.id)
    gp.seed_item("CABLE", price=Decimal("2.50"), company_id=company.id)
    customer(soap, company)
    assert (
        create(
            soap,
            company,
            "SalesInvoice",
            invoice("AARONFIT0001", "WOO-10042", ("128 SDRAM", 2, "10.00"), ("CABLE", 3, "2.50"), freight="4.95"),
        )
        is None
    )
    found = soap.service.GetSalesInvoiceList(
        {"CustomerPONumber": like(soap, EqualValue="WOO-10042"), "Scope": "Return All"}, context(soap, company)
    )
    assert len(found) == 1 and found[0].CustomerPONumber == "WOO-10042"
    number = found[0].Key.Id
    assert number  # learnt by reading back: the create call returned nothing
    doc = soap.service.GetSalesInvoiceByKey({"Id": number}, context(soap, company))
    assert doc.LineTotalAmount.Value == Decimal("27.50")
    assert doc.TotalAmount.Value == Decimal("32.45")
    assert [line.ItemKey.Id for line in doc.Lines.SalesInvoiceLine] == ["128 SDRAM", "CABLE"]
    assert doc.TransactionState == "Work"
    other = soap.service.GetSalesInvoiceList(
        {"CustomerPONumber": like(soap, EqualValue="WOO-99999"), "Scope": "Return All"}, context(soap, company)
    )
    assert not other


def test_sales_invoice_with_an_unknown_item_is_refused(gp: GpEmulator, soap: Client, company: Company) -> None:
    customer(soap, company)
    with pytest.raises(SoapFault) as raised:
        create(soap, company, "SalesInvoice", invoice("AARONFIT0001", "WOO-1", ("NO-SUCH-SKU", 1, "1.00")))
    assert any("NO-SUCH-SKU" in m for m in validation_messages(soap, company, raised.value))
    assert not soap.service.GetSalesInvoiceList({"Scope": "Return All"}, context(soap, company))
    # Only a line marked non-inventory may carry an item number GP does not know.
    doc = invoice("AARONFIT0001", "WOO-2", ("NO-SUCH-SKU", 1, "1.00"))
    doc["Lines"]["SalesInvoiceLine"][0]["IsNonInventory"] = True
    create(soap, company, "SalesInvoice", doc)


def test_customer_po_longer_than_gp_allows_is_refused(gp: GpEmulator, soap: Client, company: Company) -> None:
    gp.seed_item("A", price=Decimal(1), company_id=company.id)
    customer(soap, company)
    with pytest.raises(SoapFault):
        create(soap, company, "SalesInvoice", invoice("AARONFIT0001", "W" * 21, ("A", 1, "1.00")))


def test_explicit_document_number_cannot_be_used_twice(gp: GpEmulator, soap: Client, company: Company) -> None:
    gp.seed_item("A", price=Decimal(1), company_id=company.id)
    customer(soap, company)
    doc = {**invoice("AARONFIT0001", "WOO-7", ("A", 1, "1.00")), "Key": {"Id": "WOO-7"}}
    create(soap, company, "SalesInvoice", doc)
    with pytest.raises(SoapFault):
        create(soap, company, "SalesInvoice", doc)


def test_unposted_invoice_can_be_voided_and_deleted(gp: GpEmulator, soap: Client, company: Company) -> None:
    gp.seed_item("A", price=Decimal(1), company_id=company.id)
    customer(soap, company)
    create(
        soap, company, "SalesInvoice", {**invoice("AARONFIT0001", "WOO-8", ("A", 1, "1.00")), "Key": {"Id": "INVW8"}}
    )
    ctx = context(soap, company)
    soap.service.DeleteSalesInvoice({"Id": "INVW8"}, ctx, policy(soap, company, "DeleteSalesInvoice"))
    with pytest.raises(SoapFault):
        soap.service.GetSalesInvoiceByKey({"Id": "INVW8"}, ctx)


def test_receivables_invoice_and_credit_memo_by_document_number(soap: Client, company: Company) -> None:
    customer(soap, company)
    money = {"Value": Decimal("25.00"), "DecimalDigits": 2}
    rm = {
        "Key": {"Id": "WOO-501"},
        "CustomerKey": {"Id": "AARONFIT0001"},
        "BatchKey": {"Id": "WOORM"},
        "SalesAmount": money,
    }
    create(soap, company, "ReceivablesInvoice", {**rm, "CustomerPONumber": "501"})
    create(soap, company, "ReceivablesCreditMemo", {**rm, "Key": {"Id": "WOO-501-R1"}})
    ctx = context(soap, company)
    found = soap.service.GetReceivablesInvoiceList(
        {"DocumentId": like(soap, EqualValue="WOO-501"), "Scope": "Return All"}, ctx
    )
    assert [d.Key.Id for d in found] == ["WOO-501"]
    memo = soap.service.GetReceivablesCreditMemoByKey({"Id": "WOO-501-R1"}, ctx)
    assert (memo.Type, memo.DocumentAmount.Value) == ("Credit Memo", Decimal("25.00"))


def test_receivables_criteria_have_no_customer_po(soap: Client, company: Company) -> None:
    """facts §2.1 (6): ReceivablesInvoiceCriteria has no CustomerPONumber (RM duplicates are checked by number)."""
    criteria = soap.get_type(f"{{{GP_NS}}}ReceivablesInvoiceCriteria")
    with pytest.raises(TypeError):
        criteria(CustomerPONumber=like(soap, EqualValue="501"), Scope="Return All")


def test_cash_receipt_round_trip(soap: Client, company: Company) -> None:
    customer(soap, company)
    receipt = {
        "Key": {"Id": "PAY-501"},
        "CustomerKey": {"Id": "AARONFIT0001"},
        "BatchKey": {"Id": "WOOCASH"},
        "Amount": {"Value": Decimal("25.00"), "DecimalDigits": 2},
        "Type": "Credit Card",
    }
    create(soap, company, "CashReceipt", receipt)
    read = soap.service.GetCashReceiptByKey({"Id": "PAY-501"}, context(soap, company))
    assert read.Amount.Value == Decimal("25.00")


def test_item_quantities_and_price_level(gp: GpEmulator, soap: Client, company: Company) -> None:
    gp.seed_item("WIDGET", price=Decimal("9.50"), stock=Decimal(7), company_id=company.id)
    ctx = context(soap, company)
    item = soap.service.GetItemByKey({"Id": "WIDGET"}, ctx)
    assert type(item).__name__ == "SalesItem"  # polymorphic result (xsi:type), facts §2.1 (5)
    (site,) = item.Quantities.SalesItemWarehouse
    assert (site.Key.WarehouseKey.Id, site.OnHandQuantity.Value) == ("MAIN", Decimal(7))
    pricing = soap.service.GetPricingByKey(
        {"ItemKey": {"Id": "WIDGET"}, "CurrencyKey": {"ISOCode": company.currency}, "PriceLevelKey": {"Id": "RETAIL"}},
        ctx,
    )
    assert pricing.Details.PricingDetail[0].UofMPrice.Amount.Value == Decimal("9.50")
    listed = soap.service.GetItemList({"ItemId": like(soap, EqualValue="widget")}, ctx)
    assert [i.Key.Id for i in listed] == ["WIDGET"]


def test_unknown_company_is_a_system_fault(soap: Client, company: Company) -> None:
    ctx = context(soap, company)
    ctx["OrganizationKey"].Id = 987654
    with pytest.raises(SoapFault) as raised:
        soap.service.GetCustomerByKey({"Id": "X"}, ctx)
    assert raised.value.detail is None or raised.value.detail.find("Message") is None


def test_zeep_refuses_an_incomplete_object_as_gp_proxies_would(soap: Client, company: Company) -> None:
    """facts §2.1 (8): required non-nillable members make zeep raise before anything is sent."""
    with pytest.raises(ValidationError):
        soap.service.CreateCustomer(
            {"Key": {"Id": "X"}}, context(soap, company), policy(soap, company, "CreateCustomer")
        )


def test_update_and_void_only_while_unposted(gp: GpEmulator, soap: Client, company: Company) -> None:
    gp.seed_item("A", price=Decimal(1), company_id=company.id)
    customer(soap, company)
    ctx = context(soap, company)
    create(
        soap, company, "SalesInvoice", {**invoice("AARONFIT0001", "WOO-20", ("A", 1, "1.00")), "Key": {"Id": "INV20"}}
    )
    changed = {**invoice("AARONFIT0001", "WOO-20", ("A", 3, "1.00")), "Key": {"Id": "INV20"}, "Comment": "3 now"}
    soap.service.UpdateSalesInvoice(filled("SalesInvoice", changed), ctx, policy(soap, company, "UpdateSalesInvoice"))
    doc = soap.service.GetSalesInvoiceByKey({"Id": "INV20"}, ctx)
    assert (doc.TotalAmount.Value, doc.Comment) == (Decimal("3.00"), "3 now")
    soap.service.VoidSalesInvoice({"Id": "INV20"}, ctx, policy(soap, company, "VoidSalesInvoice"))
    assert soap.service.GetSalesInvoiceByKey({"Id": "INV20"}, ctx).IsVoided is True
    with pytest.raises(SoapFault):  # voided: no second void, no update
        soap.service.VoidSalesInvoice({"Id": "INV20"}, ctx, policy(soap, company, "VoidSalesInvoice"))


def test_sop_return_and_rm_return_for_refunds(gp: GpEmulator, soap: Client, company: Company) -> None:
    gp.seed_item("A", price=Decimal(4), company_id=company.id)
    customer(soap, company)
    sop_return = {
        "DocumentTypeKey": {"Type": "Return", "Id": "RTN"},
        "CustomerKey": {"Id": "AARONFIT0001"},
        "BatchKey": {"Id": "WOORET"},
        "CustomerPONumber": "WOO-30-R1",
        "Lines": {
            "SalesReturnLine": [
                {
                    "ItemKey": {"Id": "A"},
                    "Quantity": {"Value": Decimal(1), "DecimalDigits": 0},
                    "UnitPrice": {"Value": Decimal(4), "DecimalDigits": 2},
                }
            ]
        },
    }
    create(soap, company, "SalesReturn", sop_return)
    ctx = context(soap, company)
    (found,) = soap.service.GetSalesReturnList(
        {"CustomerPONumber": like(soap, EqualValue="woo-30-r1"), "Scope": "Return All"}, ctx
    )
    assert found.TotalAmount.Value == Decimal("4.00")
    everything = soap.service.GetSalesDocumentList({"Scope": "Return All"}, ctx)
    assert [d.Key.Id for d in everything] == [found.Key.Id]
    money = {"Value": Decimal("4.00"), "DecimalDigits": 2}
    rm = {
        "Key": {"Id": "WOO-30-R2"},
        "CustomerKey": {"Id": "AARONFIT0001"},
        "BatchKey": {"Id": "WOORM"},
        "SalesAmount": money,
    }
    create(soap, company, "ReceivablesReturn", rm)
    assert soap.service.GetReceivablesReturnByKey({"Id": "WOO-30-R2"}, ctx).Type == "Return"


def test_unbalanced_rm_distribution_is_refused(soap: Client, company: Company) -> None:
    customer(soap, company)

    def dist(account: str, debit: str, credit: str) -> dict[str, Any]:
        return {
            "GLAccountKey": {"Id": account},
            "DebitAmount": {"__type__": "MoneyAmount", "Value": Decimal(debit), "DecimalDigits": 2},
            "CreditAmount": {"__type__": "MoneyAmount", "Value": Decimal(credit), "DecimalDigits": 2},
        }

    rm = {
        "Key": {"Id": "WOO-40"},
        "CustomerKey": {"Id": "AARONFIT0001"},
        "BatchKey": {"Id": "WOORM"},
        "SalesAmount": {"Value": Decimal("10.00"), "DecimalDigits": 2},
        "Distributions": {
            "ReceivablesDistribution": [dist("000-1200-00", "10.00", "0"), dist("000-4100-00", "0", "9.00")]
        },
    }
    with pytest.raises(SoapFault) as raised:
        create(soap, company, "ReceivablesInvoice", rm)
    assert any("balance" in m for m in validation_messages(soap, company, raised.value))
    rm["Distributions"]["ReceivablesDistribution"][1] = dist("000-4100-00", "0", "10.00")
    create(soap, company, "ReceivablesInvoice", rm)


def test_distributions_read_back_with_their_derived_amount_type(soap: Client, company: Company) -> None:
    """`ReceivablesDistribution.DebitAmount` is the abstract `Amount`: sent and returned as `xsi:type=MoneyAmount`."""
    customer(soap, company)
    amount = {"__type__": "MoneyAmount", "Value": Decimal("7.00"), "DecimalDigits": 2}
    zero = {**amount, "Value": Decimal(0)}
    rm = {
        "Key": {"Id": "WOO-41"},
        "CustomerKey": {"Id": "AARONFIT0001"},
        "BatchKey": {"Id": "WOORM"},
        "SalesAmount": {"Value": Decimal("7.00"), "DecimalDigits": 2},
        "Distributions": {
            "ReceivablesDistribution": [
                {"GLAccountKey": {"Id": "000-1200-00"}, "DebitAmount": amount, "CreditAmount": zero},
                {"GLAccountKey": {"Id": "000-4100-00"}, "DebitAmount": zero, "CreditAmount": amount},
            ]
        },
    }
    create(soap, company, "ReceivablesInvoice", rm)
    doc = soap.service.GetReceivablesInvoiceByKey({"Id": "WOO-41"}, context(soap, company))
    debit, credit = doc.Distributions.ReceivablesDistribution
    assert type(debit.DebitAmount).__name__ == "MoneyAmount"
    assert (debit.DebitAmount.Value, credit.CreditAmount.Value) == (Decimal("7.00"), Decimal("7.00"))
    assert credit.GLAccountKey.Id == "000-4100-00"


def test_reference_lists_for_polling(gp: GpEmulator, soap: Client, company: Company) -> None:
    gp.seed_item("WIDGET", price=Decimal("9.50"), stock=Decimal(7), company_id=company.id)
    gp.seed_customer("ADA0001", name="Ada", email="ada@example.com", phone="5550100", company_id=company.id)
    ctx = context(soap, company)
    companies = soap.service.GetCompanyList({"Name": like(soap, EqualValue=company.name)}, ctx)
    assert [(c.Key.Id, c.Name) for c in companies] == [(company.id, company.name)]
    site = soap.service.GetItemWarehouseByKey({"ItemKey": {"Id": "WIDGET"}, "WarehouseKey": {"Id": "MAIN"}}, ctx)
    assert site.Key.WarehouseKey.Id == "MAIN"
    assert [
        s.Key.ItemKey.Id for s in soap.service.GetItemWarehouseList({"ItemId": like(soap, EqualValue="WIDGET")}, ctx)
    ] == ["WIDGET"]
    assert [p.Key.Id for p in soap.service.GetPriceLevelList({}, ctx)] == ["RETAIL"]
    (address,) = soap.service.GetCustomerAddressList(
        {"CustomerKeyId": like(soap, EqualValue="ADA0001"), "Scope": "Return All"}, ctx
    )
    assert address.Key.Id == "PRIMARY"
    full = soap.service.GetCustomerAddressByKey({"CustomerKey": {"Id": "ADA0001"}, "Id": "PRIMARY"}, ctx)
    assert (full.InternetAddresses.EmailToAddress, full.Phone1.Value) == ("ada@example.com", "5550100")
    since = soap.service.GetItemByKey({"Id": "WIDGET"}, ctx).ModifiedDate
    between = soap.get_type(f"{{{GP_NS}}}BetweenRestrictionOfNullableOfDateTime")
    changed = soap.service.GetItemList({"ModifiedDate": between(GreaterThan=since)}, ctx)
    assert list(changed or []) == []
    unchanged_or_later = soap.service.GetItemList({"ModifiedDate": between(From=since)}, ctx)
    assert [i.Key.Id for i in unchanged_or_later] == ["WIDGET"]


def test_a_customer_in_a_currency_not_set_up_is_refused(soap: Client, company: Company) -> None:
    """GP keeps a customer's currency only when the company has it set up (as it does for documents)."""
    with pytest.raises(SoapFault) as refused:
        create(soap, company, "Customer", {"Key": {"Id": "YEN0001"}, "Name": "Yen", "CurrencyKey": {"ISOCode": "JPY"}})
    assert any("JPY" in message for message in validation_messages(soap, company, refused.value))
    company.foreign_currencies.add("JPY")
    create(soap, company, "Customer", {"Key": {"Id": "YEN0001"}, "Name": "Yen", "CurrencyKey": {"ISOCode": "JPY"}})
    assert soap.service.GetCustomerByKey({"Id": "YEN0001"}, context(soap, company)).CurrencyKey.ISOCode == "JPY"


def test_the_currency_list_is_the_functional_currency_and_the_ones_set_up(soap: Client, company: Company) -> None:
    """``GetCurrencyList(CurrencyCriteria)`` returns ``Currency`` objects keyed by ISO code (legacy WSDL)."""
    ctx = context(soap, company)

    def codes(**criteria: Any) -> list[str]:
        return [c.Key.ISOCode for c in soap.service.GetCurrencyList(criteria, ctx) or []]

    assert codes() == [company.currency]
    company.foreign_currencies.add("JPY")
    assert codes() == sorted({company.currency, "JPY"})
    assert codes(ISOCode=like(soap, EqualValue="jpy")) == ["JPY"]  # GP's case-insensitive collation
    between = soap.get_type(f"{{{GP_NS}}}BetweenRestrictionOfNullableOfDateTime")
    with pytest.raises(SoapFault) as refused:  # a criterion the emulator does not evaluate is refused, never ignored
        codes(LastModifiedDate=between(From=datetime(2020, 1, 1)))
    assert "LastModifiedDate" in str(refused.value.message)
