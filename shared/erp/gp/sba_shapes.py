"""UNCONFIRMED: the SBA resource paths below the company and their JSON bodies, as GP Web Services objects.

Microsoft never published the SBA resource reference outside each server's ``/help`` page (facts:
dynamics-gp.md §1.1, §4: "Response JSON property names, error JSON shape ... UNCONFIRMED"). Everything here is
the project's guess, shared with the emulator's ``sandbox/gp/sba_shapes.py``, and kept in this one module so it
can be corrected against a real server's ``/help`` page before go-live. Confirmed (and not here): the URL scheme
``/GPService/Tenants(<tenant>)/Companies(<name>)/...``, ``;``-separated keys, and batch posting with
``GP-Custom-Action: POST`` (:mod:`shared.erp.gp.sba`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

CUSTOMERS = "Microsoft/Dynamics/GP/Sales/Customers"
CUSTOMER_ADDRESSES = "Microsoft/Dynamics/GP/Sales/CustomerAddresses"
ITEMS = "Microsoft/Dynamics/GP/Inventory/Items"
RECEIVABLES = "Microsoft/Dynamics/GP/Sales/ReceivablesTransactions"
CASH_RECEIPTS = "Microsoft/Dynamics/GP/Sales/CashReceipts"  # not in the RTM resource list (§1.1) either
CURRENCIES = "Microsoft/Dynamics/GP/Admin/Currencies"  # the RTM area Admin has currencies (dynamics.md §3.1)
RM_TYPES = {"ReceivablesInvoice": "Invoice", "ReceivablesCreditMemo": "CreditMemo"}


def error_message(body: Any) -> str:
    """The message of an SBA error body (``{"Error": {"Code", "Message"}}``: UNCONFIRMED)."""
    if isinstance(body, dict) and isinstance(body.get("Error"), dict):
        return str(body["Error"].get("Message") or body["Error"].get("Code") or "")
    return str(body)[:300]


def _date(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _money(value: Any) -> dict[str, Any] | None:
    return {"Value": Decimal(str(value)), "DecimalDigits": 2} if value is not None else None


def _plain_money(value: Any) -> float | None:
    if isinstance(value, dict) and value.get("Value") is not None:
        return float(Decimal(str(value["Value"])))
    return None


def _key(value: Any) -> str | None:
    return str(value["Id"]) if isinstance(value, dict) and value.get("Id") is not None else None


# ---- customers ---------------------------------------------------------------------------------------
def customer_from_json(body: dict[str, Any]) -> dict[str, Any]:
    customer_id = body.get("CustomerId")
    return {
        "Key": {"Id": customer_id},
        "Name": body.get("Name"),
        "ClassKey": {"Id": body["ClassId"]} if body.get("ClassId") else None,
        "IsActive": body.get("IsActive"),
        "IsOnHold": body.get("IsOnHold"),
        "CurrencyKey": {"ISOCode": body["CurrencyId"]} if body.get("CurrencyId") else None,
        "DefaultAddressKey": {"CustomerKey": {"Id": customer_id}, "Id": body.get("DefaultAddressId")},
        "Addresses": {"CustomerAddress": [address_from_json(a) for a in body.get("Addresses") or []]},
        "ModifiedDate": _date(body.get("ModifiedDate")),
    }


def customer_to_json(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "CustomerId": _key(obj.get("Key")),
        "Name": obj.get("Name"),
        "ClassId": _key(obj.get("ClassKey")),
        "IsActive": obj.get("IsActive"),
        "IsOnHold": obj.get("IsOnHold"),
        "CurrencyId": (obj.get("CurrencyKey") or {}).get("ISOCode"),
    }


def address_from_json(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "Key": {"CustomerKey": {"Id": body.get("CustomerId")}, "Id": body.get("AddressId")},
        "Name": body.get("Name"),
        "Line1": body.get("Line1"),
        "City": body.get("City"),
        "PostalCode": body.get("PostalCode"),
        "CountryRegion": body.get("CountryRegion"),
        "Phone1": {"Value": body["Phone1"]} if body.get("Phone1") else None,
        "InternetAddresses": {"EmailToAddress": body["Email"]} if body.get("Email") else None,
    }


def address_to_json(obj: dict[str, Any]) -> dict[str, Any]:
    key = obj.get("Key") or {}
    return {
        "CustomerId": _key(key.get("CustomerKey")),
        "AddressId": key.get("Id"),
        "Name": obj.get("Name"),
        "ContactPerson": obj.get("ContactPerson"),
        "Line1": obj.get("Line1"),
        "Line2": obj.get("Line2"),
        "City": obj.get("City"),
        "State": obj.get("State"),
        "PostalCode": obj.get("PostalCode"),
        "CountryRegion": obj.get("CountryRegion"),
        "Phone1": (obj.get("Phone1") or {}).get("Value"),
        "Email": (obj.get("InternetAddresses") or {}).get("EmailToAddress"),
    }


# ---- items -------------------------------------------------------------------------------------------
def item_from_json(body: dict[str, Any]) -> dict[str, Any]:
    item_id = body.get("ItemNumber")
    return {
        "Key": {"Id": item_id},
        "Description": body.get("Description"),
        "Type": body.get("Type"),
        "IsDiscontinued": body.get("IsDiscontinued"),
        "Quantities": {
            "SalesItemWarehouse": [
                {
                    "Key": {"ItemKey": {"Id": item_id}, "WarehouseKey": {"Id": site.get("SiteId")}},
                    "OnHandQuantity": _money(site.get("QuantityOnHand")),
                    "AllocatedQuantity": _money(site.get("QuantityAllocated")),
                }
                for site in body.get("Sites") or []
            ]
        },
        "ModifiedDate": _date(body.get("ModifiedDate")),
    }


def pricing_from_json(body: dict[str, Any], price_level: str, currency: str) -> dict[str, Any] | None:
    """The item's price on a price level as a Web Services ``Pricing`` (the SBA item carries its prices)."""
    for price in body.get("Prices") or []:
        if str(price.get("PriceLevel") or "").upper() == price_level.upper() and price.get("Currency") in (
            None,
            currency,
        ):
            amount = _money(price.get("Price"))
            return {"Details": {"PricingDetail": [{"UofMPrice": {"Amount": amount}}]}}
    return None


def item_update_to_json(
    description: str | None, price: Decimal | None, price_level: str, currency: str
) -> dict[str, Any]:
    """UNCONFIRMED: a ``PATCH .../Inventory/Items(<id>)`` body changing the item's description and its price on
    one price level, in the same invented shape as the item GET (``Description``, ``Prices[]``). GP Web Services
    have no such operation at all (no UpdateSalesItem/UpdatePricing in the WSDL, facts §2.1 (5))."""
    body: dict[str, Any] = {}
    if description is not None:
        body["Description"] = description
    if price is not None:
        body["Prices"] = [{"PriceLevel": price_level, "Currency": currency, "Price": float(price)}]
    return body


# ---- receivables transactions ------------------------------------------------------------------------
def receivables_to_json(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    rows = ((obj.get("Distributions") or {}).get("ReceivablesDistribution")) or []
    return {
        "Type": RM_TYPES[kind],
        "DocumentNumber": _key(obj.get("Key")),
        "CustomerId": _key(obj.get("CustomerKey")),
        "BatchId": _key(obj.get("BatchKey")),
        "CustomerPONumber": obj.get("CustomerPONumber"),
        "Description": obj.get("Description"),
        "DocumentDate": obj["Date"].isoformat() if isinstance(obj.get("Date"), dt.datetime) else None,
        "CurrencyId": (obj.get("CurrencyKey") or {}).get("ISOCode"),
        "SalesAmount": _plain_money(obj.get("SalesAmount")),
        "FreightAmount": _plain_money(obj.get("FreightAmount")),
        "MiscellaneousAmount": _plain_money(obj.get("MiscellaneousAmount")),
        "TaxAmount": _plain_money(obj.get("TaxAmount")),
        "TradeDiscountAmount": _plain_money(obj.get("TradeDiscountAmount")),
        "Distributions": [
            {
                "AccountNumber": _key(row.get("GLAccountKey")),
                "Type": _key(row.get("DistributionTypeKey")),
                "Debit": _plain_money(row.get("DebitAmount")) or 0.0,
                "Credit": _plain_money(row.get("CreditAmount")) or 0.0,
            }
            for row in rows
        ],
    }


def receivables_from_json(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "Key": {"Id": body.get("DocumentNumber")},
        "CustomerKey": {"Id": body.get("CustomerId")},
        "BatchKey": {"Id": body.get("BatchId")},
        "CustomerPONumber": body.get("CustomerPONumber"),
        "Description": body.get("Description"),
        "Date": _date(body.get("DocumentDate")),
        "DocumentAmount": _money(body.get("DocumentAmount")),
        "TransactionState": body.get("Status"),
        "IsVoided": body.get("IsVoided"),
        "CurrencyKey": {"ISOCode": body["CurrencyId"]} if body.get("CurrencyId") else None,
        "ModifiedDate": _date(body.get("ModifiedDate")),
    }


def kind_of_type(rm_type: str) -> str | None:
    return next((kind for kind, name in RM_TYPES.items() if name == rm_type), None)


# ---- cash receipts -----------------------------------------------------------------------------------
def cash_receipt_to_json(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "ReceiptNumber": _key(obj.get("Key")),
        "CustomerId": _key(obj.get("CustomerKey")),
        "BatchId": _key(obj.get("BatchKey")),
        "CheckbookId": _key(obj.get("BankAccountKey")),
        "ReceiptDate": obj["Date"].isoformat() if isinstance(obj.get("Date"), dt.datetime) else None,
        "Amount": _plain_money(obj.get("Amount")),
        "Description": obj.get("Description"),
        "Reference": obj.get("CheckCardNumber"),
    }


def currency_from_json(body: dict[str, Any]) -> dict[str, Any]:
    """A set-up currency as Web Services' ``Currency`` (``Key.ISOCode``); the body's names are guesses."""
    return {"Key": {"ISOCode": body.get("IsoCode")}, "Id": body.get("CurrencyId")}


def cash_receipt_from_json(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "Key": {"Id": body.get("ReceiptNumber")},
        "CustomerKey": {"Id": body.get("CustomerId")},
        "Date": _date(body.get("ReceiptDate")),
        "Amount": _money(body.get("Amount")),
        "Description": body.get("Description"),
        "TransactionState": body.get("Status"),
    }
