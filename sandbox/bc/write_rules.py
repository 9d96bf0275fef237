"""What a client may write, property by property, beyond the `$metadata` types (schema.py).

The real `$metadata` (`../shared/reference/business-central/bc-api-v2.0-metadata.xml`) declares
writability only per entity set (`Org.OData.Capabilities.V1.InsertRestrictions` /
`UpdateRestrictions`/`DeleteRestrictions`: `salesShipments`, `itemLedgerEntries` … are not
insertable; `Schema.allows` reads them and `Handler.guard_writable` answers 405); it says nothing per
property. The per-property rules come from the APIV2
page definitions (`microsoft/BCApps` `src/Apps/W1/APIV2/app/src/pages/*.Page.al`, the commit named in
`../shared/handbook/facts/dynamics.md`): a field with `Editable = false` cannot be written by a client.

- `pricesIncludeTax` is `Editable = false` on `APIV2SalesInvoices.Page.al` and
  `APIV2SalesCreditMemos.Page.al` (the header takes the customer's "Prices Including VAT"); it is
  writable on `APIV2SalesOrders.Page.al`.
- Totals, `number`, `status`, `customerName`… are computed (`Editable = false`) on every sales
  document page (facts §1.2 marks the totals "RO").
- A US company computes sales tax (tax area + tax group); BC refuses "Prices Including VAT" = Yes on
  a sales document there, because sales tax cannot be calculated backwards from a gross price
  (issue 18, found against a real US company). `Company.sales_tax` switches this on (the default,
  like the emulator's CRONUS USA company).

Code fields (AL type `Code[n]`) are stored upper-case by BC whatever the client sends (facts §1.2:
item/customer `number` is Code20; `lineObjectNumber`, variant `code`, currency codes and tax codes
are Code fields on the same pages). The emulator upper-cases them on every write. Not upper-cased
here (yet): `externalDocumentNumber` (Code35 in BC), which the connector sends as Woo's order number.

The wording of the read-only and sales-tax errors is not documented by Microsoft (UNCONFIRMED); the
status (400) and the error shape follow facts §1.6.
"""

from __future__ import annotations

from typing import Any

from sandbox.bc.errors import ApiError, dialog

READ_ONLY_ON_WRITE: dict[str, frozenset[str]] = {
    # type name -> properties a client may not send (Editable = false on the APIV2 page)
    "salesInvoice": frozenset({"pricesIncludeTax"}),
    "salesCreditMemo": frozenset({"pricesIncludeTax"}),
}

CODE_FIELDS: dict[str, frozenset[str]] = {
    "item": frozenset({"number", "taxGroupCode", "baseUnitOfMeasureCode", "itemCategoryCode"}),
    "customer": frozenset({"number", "currencyCode"}),
    "itemVariant": frozenset({"code", "itemNumber"}),
    "currency": frozenset({"code"}),
    "salesOrder": frozenset({"customerNumber", "currencyCode"}),
    "salesInvoice": frozenset({"customerNumber", "currencyCode"}),
    "salesCreditMemo": frozenset({"customerNumber", "currencyCode"}),
    "salesOrderLine": frozenset({"lineObjectNumber", "taxCode", "unitOfMeasureCode"}),
    "salesInvoiceLine": frozenset({"lineObjectNumber", "taxCode", "unitOfMeasureCode"}),
    "salesCreditMemoLine": frozenset({"lineObjectNumber", "taxCode", "unitOfMeasureCode"}),
}

SALES_DOCUMENT_TYPES = frozenset({"salesOrder", "salesInvoice", "salesCreditMemo"})


def read_only_property(type_name: str, name: str) -> ApiError:
    return ApiError(
        400,
        "BadRequest",
        f"The property '{name}' on type 'Microsoft.NAV.{type_name}' is read-only and cannot be set.",
    )


def refuse_read_only(type_name: str, body: dict[str, Any], computed: frozenset[str] = frozenset()) -> None:
    """Raise for the first property of `body` a client may not write on `type_name`.

    `computed` are the handler's computed properties other than the system fields (`id`,
    `lastModifiedDateTime` …, which BC ignores on the way in)."""
    refused = READ_ONLY_ON_WRITE.get(type_name, frozenset()) | computed
    for name in body:
        if name in refused:
            raise read_only_property(type_name, name)


def code_value(type_name: str, name: str, value: Any) -> Any:
    """The value as BC stores it: Code fields upper-case."""
    if isinstance(value, str) and name in CODE_FIELDS.get(type_name, frozenset()):
        return value.upper()
    return value


def refuse_gross_prices_with_sales_tax(sales_tax: bool, type_name: str, body: dict[str, Any]) -> None:
    """Raise for gross prices on a sales document in a sales-tax company (after the read-only check)."""
    refuse_read_only(type_name, {key: value for key, value in body.items() if key == "pricesIncludeTax"})
    if sales_tax and type_name in SALES_DOCUMENT_TYPES and body.get("pricesIncludeTax") is True:
        raise dialog(
            "Prices Including Tax cannot be Yes in a company that calculates sales tax; enter prices excluding tax."
        )
