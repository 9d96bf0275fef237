"""INVENTED: the SBA REST resource paths under a company and their JSON bodies.

Microsoft never published the SBA resource reference outside each server's ``/help`` page, and no public
sample stores an SBA JSON body (facts: dynamics-gp.md §1.1, §4: "Everything an emulator serves for SBA
bodies is our design"). Only these are confirmed and live in :mod:`sandbox.gp.sba`: the URL scheme
``/GPService/Tenants(<tenant>)/Companies(<company name>)/...``, composite keys split by ``;``, and
``PostingServices/System/Batches(<source>;<number>)`` + ``GP-Custom-Action: POST``.

Everything in this module is a guess, kept in one place so it can be corrected against a real server's
``/help`` page: the resource paths (Microsoft/Dynamics/GP/<Area>/<Resource>), the JSON property names,
the error body, and the status codes. The objects behind them are the Web Services objects of
:mod:`sandbox.gp.store`, so both transports see the same data and the same business rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sandbox.gp.soap import money

# resource name in the URL → (store kind, number of key parts)
RESOURCES: dict[str, tuple[str, int]] = {
    "Microsoft/Dynamics/GP/Sales/Customers": ("Customer", 1),
    "Microsoft/Dynamics/GP/Sales/CustomerAddresses": ("CustomerAddress", 2),
    "Microsoft/Dynamics/GP/Inventory/Items": ("Item", 1),
    "Microsoft/Dynamics/GP/Sales/ReceivablesTransactions": ("Receivables", 2),
    "Microsoft/Dynamics/GP/Sales/CashReceipts": ("CashReceipt", 1),
    "Microsoft/Dynamics/GP/Admin/Currencies": ("Currency", 1),  # RTM area Admin has currencies (dynamics.md §3.1)
}
RM_TYPES = {"Invoice": "ReceivablesInvoice", "CreditMemo": "ReceivablesCreditMemo", "Return": "ReceivablesReturn"}


def error_body(message: str, code: str) -> dict[str, Any]:
    """INVENTED error JSON (real SBA error bodies are unconfirmed)."""
    return {"Error": {"Code": code, "Message": message}}


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else None


def _parse_date(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None) if value else None
    except ValueError:
        return None


def _amount(value: Any) -> float | None:
    if isinstance(value, dict) and value.get("Value") is not None:
        return float(value["Value"])
    return None


def _id(value: Any) -> str | None:
    return str(value["Id"]) if isinstance(value, dict) and value.get("Id") is not None else None


# ---- customers -------------------------------------------------------------------------------------
def customer_json(obj: dict[str, Any]) -> dict[str, Any]:
    addresses = ((obj.get("Addresses") or {}).get("CustomerAddress")) or []
    return {
        "CustomerId": _id(obj.get("Key")),
        "Name": obj.get("Name"),
        "ClassId": _id(obj.get("ClassKey")),
        "IsActive": obj.get("IsActive"),
        "IsOnHold": obj.get("IsOnHold"),
        "DefaultAddressId": _id(obj.get("DefaultAddressKey")),
        "CurrencyId": (obj.get("CurrencyKey") or {}).get("ISOCode"),
        "Addresses": [address_json(a) for a in addresses],
        "ModifiedDate": _iso(obj.get("ModifiedDate")),
    }


def customer_object(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "Key": {"Id": body.get("CustomerId")},
        "Name": body.get("Name"),
        "ClassKey": {"Id": body["ClassId"]} if body.get("ClassId") else None,
        "IsOnHold": body.get("IsOnHold"),
        "IsActive": body.get("IsActive"),
        "CurrencyKey": {"ISOCode": body["CurrencyId"]} if body.get("CurrencyId") else None,
    }


def address_json(obj: dict[str, Any]) -> dict[str, Any]:
    key = obj.get("Key") or {}
    internet = obj.get("InternetAddresses") or {}
    return {
        "CustomerId": _id(key.get("CustomerKey")),
        "AddressId": key.get("Id"),
        "Name": obj.get("Name"),
        "ContactPerson": obj.get("ContactPerson"),
        "Line1": obj.get("Line1"),
        "Line2": obj.get("Line2"),
        "Line3": obj.get("Line3"),
        "City": obj.get("City"),
        "State": obj.get("State"),
        "PostalCode": obj.get("PostalCode"),
        "CountryRegion": obj.get("CountryRegion"),
        "Phone1": (obj.get("Phone1") or {}).get("Value"),
        "Email": internet.get("EmailToAddress"),
    }


def address_object(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "Key": {"CustomerKey": {"Id": body.get("CustomerId")}, "Id": body.get("AddressId")},
        "Name": body.get("Name"),
        "ContactPerson": body.get("ContactPerson"),
        "Line1": body.get("Line1"),
        "Line2": body.get("Line2"),
        "Line3": body.get("Line3"),
        "City": body.get("City"),
        "State": body.get("State"),
        "PostalCode": body.get("PostalCode"),
        "CountryRegion": body.get("CountryRegion"),
        "Phone1": {"Value": body["Phone1"]} if body.get("Phone1") else None,
        "InternetAddresses": {"EmailToAddress": body["Email"]} if body.get("Email") else None,
    }


# ---- items -----------------------------------------------------------------------------------------
def item_json(obj: dict[str, Any], prices: list[dict[str, Any]]) -> dict[str, Any]:
    sites = ((obj.get("Quantities") or {}).get("SalesItemWarehouse")) or []
    return {
        "ItemNumber": _id(obj.get("Key")),
        "Description": obj.get("Description"),
        "Type": obj.get("Type"),
        "IsDiscontinued": obj.get("IsDiscontinued"),
        "Sites": [
            {
                "SiteId": _id((s.get("Key") or {}).get("WarehouseKey")),
                "QuantityOnHand": _amount(s.get("OnHandQuantity")) or 0.0,
                "QuantityAllocated": _amount(s.get("AllocatedQuantity")) or 0.0,
            }
            for s in sites
        ],
        "Prices": [
            {
                "PriceLevel": _id((p.get("Key") or {}).get("PriceLevelKey")),
                "Currency": ((p.get("Key") or {}).get("CurrencyKey") or {}).get("ISOCode"),
                "Price": _amount((d.get("UofMPrice") or {}).get("Amount")),
            }
            for p in prices
            for d in ((p.get("Details") or {}).get("PricingDetail") or [])
        ],
        "ModifiedDate": _iso(obj.get("ModifiedDate")),
    }


class ItemUpdate:
    """INVENTED: what a ``PATCH .../Inventory/Items(<id>)`` body asks (``Description``; ``Prices[]`` of
    ``{PriceLevel, Currency, Price}``), the same shape as the item GET. GP Web Services cannot do this at all
    (the WSDL has no UpdateSalesItem/UpdatePricing, facts §2.1 (5)); whether SBA can is unconfirmed."""

    def __init__(self, body: dict[str, Any]) -> None:
        unknown = sorted(set(body) - {"Description", "Prices"})
        if unknown or not body:
            raise ValueError(f"An item update takes Description and/or Prices (not {', '.join(unknown) or 'nothing'}).")
        description = body.get("Description")
        if description is not None and (not isinstance(description, str) or not description.strip()):
            raise ValueError("Description must be a non-empty string.")
        self.description: str | None = description
        self.prices: list[tuple[str, str | None, Decimal]] = []
        for price in body.get("Prices") or []:
            if not isinstance(price, dict) or not price.get("PriceLevel") or price.get("Price") is None:
                raise ValueError("Each price needs PriceLevel and Price.")
            amount = Decimal(str(price["Price"]))
            if amount < 0:
                raise ValueError("A price cannot be negative.")
            self.prices.append((str(price["PriceLevel"]), price.get("Currency"), amount))


# ---- receivables transactions ----------------------------------------------------------------------
def receivables_json(obj: dict[str, Any], rm_type: str) -> dict[str, Any]:
    distributions = ((obj.get("Distributions") or {}).get("ReceivablesDistribution")) or []
    return {
        "Type": rm_type,
        "DocumentNumber": _id(obj.get("Key")),
        "CustomerId": _id(obj.get("CustomerKey")),
        "BatchId": _id(obj.get("BatchKey")),
        "CustomerPONumber": obj.get("CustomerPONumber"),
        "Description": obj.get("Description"),
        "DocumentDate": _iso(obj.get("Date")),
        "SalesAmount": _amount(obj.get("SalesAmount")),
        "FreightAmount": _amount(obj.get("FreightAmount")),
        "MiscellaneousAmount": _amount(obj.get("MiscellaneousAmount")),
        "TaxAmount": _amount(obj.get("TaxAmount")),
        "TradeDiscountAmount": _amount(obj.get("TradeDiscountAmount")),
        "DocumentAmount": _amount(obj.get("DocumentAmount")),
        "Status": obj.get("TransactionState"),
        "IsVoided": obj.get("IsVoided"),
        "CurrencyId": (obj.get("CurrencyKey") or {}).get("ISOCode"),
        "ModifiedDate": _iso(obj.get("ModifiedDate")),
        "Distributions": [
            {
                "AccountNumber": _id(d.get("GLAccountKey")),
                "Type": _id(d.get("DistributionTypeKey")),
                "Debit": _amount(d.get("DebitAmount")) or 0.0,
                "Credit": _amount(d.get("CreditAmount")) or 0.0,
            }
            for d in distributions
        ],
    }


def receivables_object(body: dict[str, Any], currency: str) -> dict[str, Any]:
    def amount(name: str) -> dict[str, Any] | None:
        value = body.get(name)
        return money(Decimal(str(value)), currency) if value is not None else None

    distributions = [
        {
            "GLAccountKey": {"Id": d.get("AccountNumber")},
            "DistributionTypeKey": {"Id": d.get("Type")} if d.get("Type") is not None else None,
            # Amount is abstract in the WSDL: the stored object says which derived type it is.
            "DebitAmount": {**money(Decimal(str(d.get("Debit") or 0)), currency), "__type__": "MoneyAmount"},
            "CreditAmount": {**money(Decimal(str(d.get("Credit") or 0)), currency), "__type__": "MoneyAmount"},
        }
        for d in body.get("Distributions") or []
    ]
    return {
        "Key": {"Id": body.get("DocumentNumber")},
        "CustomerKey": {"Id": body.get("CustomerId")},
        "BatchKey": {"Id": body.get("BatchId")},
        "CustomerPONumber": body.get("CustomerPONumber"),
        "Description": body.get("Description"),
        "Date": _parse_date(body.get("DocumentDate")),
        "CurrencyKey": {"ISOCode": body["CurrencyId"]} if body.get("CurrencyId") else None,
        "SalesAmount": amount("SalesAmount"),
        "FreightAmount": amount("FreightAmount"),
        "MiscellaneousAmount": amount("MiscellaneousAmount"),
        "TaxAmount": amount("TaxAmount"),
        "TradeDiscountAmount": amount("TradeDiscountAmount"),
        "Distributions": {"ReceivablesDistribution": distributions} if distributions else None,
    }


# ---- cash receipts ---------------------------------------------------------------------------------
def currency_json(iso_code: str) -> dict[str, Any]:
    """INVENTED body of a set-up currency (GP's own currency id is the ISO code in the emulator)."""
    return {"CurrencyId": iso_code, "IsoCode": iso_code, "Description": iso_code}


def cash_receipt_json(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "ReceiptNumber": _id(obj.get("Key")),
        "CustomerId": _id(obj.get("CustomerKey")),
        "BatchId": _id(obj.get("BatchKey")),
        "CheckbookId": _id(obj.get("BankAccountKey")),
        "ReceiptDate": _iso(obj.get("Date")),
        "Amount": _amount(obj.get("Amount")),
        "Description": obj.get("Description"),
        "Reference": obj.get("CheckCardNumber"),
        "Status": obj.get("TransactionState"),
    }


def cash_receipt_object(body: dict[str, Any], currency: str) -> dict[str, Any]:
    amount = body.get("Amount")
    return {
        "Key": {"Id": body.get("ReceiptNumber")},
        "CustomerKey": {"Id": body.get("CustomerId")},
        "BatchKey": {"Id": body.get("BatchId")},
        "BankAccountKey": {"Id": body["CheckbookId"]} if body.get("CheckbookId") else None,
        "Date": _parse_date(body.get("ReceiptDate")),
        "Amount": money(Decimal(str(amount)), currency) if amount is not None else None,
        "Description": body.get("Description"),
        "CheckCardNumber": body.get("Reference"),
    }
