"""The elements of the GP Web Services objects a mapping may write, from the legacy WSDL.

The handbook's mechanical listing of ``legacy-DynamicsGP.wsdl`` (facts: dynamics-gp.md §2, §2.1;
``reference/dynamics-gp/webservices/types-closure-legacy.md``), base-first in wire order, one token per element:
``Name:text|date|boolean|number|other`` or ``Name:enum:<simpleType>`` (its values in :data:`ENUMS`). A key whose one
value is its ``Id`` is the path ``<Name>.Id``; ``UserDefined`` (``SalesUserDefined``) is reached one level down
(``UserDefined.Text01``). ``tests/unit/test_gp_declarative_mapping.py`` re-derives every token from the listing.
The WSDL gives no lengths and no writability: those are :mod:`shared.erp.gp.schema`'s.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ELEMENTS", "ENUMS"]

_TOKENS = {
    "SalesInvoice": """
        Extensions:other Key.Id:text Type:enum:SalesDocumentType Date:date FreightAmount:other
        MiscellaneousAmount:other TaxAmount:other TradeDiscount:other DiscountAmount:other CustomerName:text
        CustomerPONumber:text UPSZone:text MasterNumber:number Reference:text CommissionAmount:other
        ExchangeRate:number ExchangeDate:date RequestedShipDate:date Comment:text TaxExemptNumber1:text
        TaxExemptNumber2:text TaxRegistrationNumber:text FreightTaxBasis:enum:SalesTaxBasis
        MiscellaneousTaxBasis:enum:SalesTaxBasis FreightTaxAmount:other MiscellaneousTaxAmount:other Note:text
        TransactionState:enum:SalesTransactionState TaxScheduleKey.Id:text FreightTaxScheduleKey.Id:text
        MiscellaneousTaxScheduleKey.Id:text LineTotalAmount:other TotalAmount:other CreatedBy:text CreatedDate:date
        ModifiedDate:date LastModifiedDate:date CommissionBasedOn:enum:CommissionBasedOn CommissionSaleAmount:other
        ActualShipDate:date FulfillDate:date QuoteDate:date AuditTrailCode:text IsIntrastatDocument:boolean
        IsVoided:boolean ShipCompleteOnly:boolean FrontOfficeIntegrationId:text IntegrationSource:number
        IntegrationId:text InvoiceDate:date BackorderDate:date ReturnDate:date OriginalSalesDocumentKey.Id:text
        OriginalSalesDocumentType:text DocumentTypeKey:other ShippingMethodKey.Id:text WarehouseKey.Id:text
        CustomerKey.Id:text SalesTerritoryKey.Id:text SalespersonKey.Id:text BatchKey:other BillToAddressKey:other
        ShipToAddressKey:other PaymentTermsKey.Id:text CurrencyKey:other CommentKey.Id:text PriceLevelKey.Id:text
        ShipToAddress:other UserDefined.Date01:date UserDefined.Date02:date UserDefined.List01:text
        UserDefined.List02:text UserDefined.List03:text UserDefined.Text01:text UserDefined.Text02:text
        UserDefined.Text03:text UserDefined.Text04:text UserDefined.Text05:text Commissions:other ProcessHolds:other
        Taxes:other FreightTaxes:other MiscellaneousTaxes:other TrackingNumbers:other PaymentAmount:other
        DepositAmount:other Terms:other GeneralLedgerPostingDate:date PostedDate:date PostedBy:text
        IsDirectDebit:boolean WorkflowPriority:enum:WorkflowPriority Lines:other Payments:other Distributions:other
        Workflows:other
    """,
    "SalesOrder": """
        Extensions:other Key.Id:text Type:enum:SalesDocumentType Date:date FreightAmount:other
        MiscellaneousAmount:other TaxAmount:other TradeDiscount:other DiscountAmount:other CustomerName:text
        CustomerPONumber:text UPSZone:text MasterNumber:number Reference:text CommissionAmount:other
        ExchangeRate:number ExchangeDate:date RequestedShipDate:date Comment:text TaxExemptNumber1:text
        TaxExemptNumber2:text TaxRegistrationNumber:text FreightTaxBasis:enum:SalesTaxBasis
        MiscellaneousTaxBasis:enum:SalesTaxBasis FreightTaxAmount:other MiscellaneousTaxAmount:other Note:text
        TransactionState:enum:SalesTransactionState TaxScheduleKey.Id:text FreightTaxScheduleKey.Id:text
        MiscellaneousTaxScheduleKey.Id:text LineTotalAmount:other TotalAmount:other CreatedBy:text CreatedDate:date
        ModifiedDate:date LastModifiedDate:date CommissionBasedOn:enum:CommissionBasedOn CommissionSaleAmount:other
        ActualShipDate:date FulfillDate:date QuoteDate:date AuditTrailCode:text IsIntrastatDocument:boolean
        IsVoided:boolean ShipCompleteOnly:boolean FrontOfficeIntegrationId:text IntegrationSource:number
        IntegrationId:text InvoiceDate:date BackorderDate:date ReturnDate:date OriginalSalesDocumentKey.Id:text
        OriginalSalesDocumentType:text DocumentTypeKey:other ShippingMethodKey.Id:text WarehouseKey.Id:text
        CustomerKey.Id:text SalesTerritoryKey.Id:text SalespersonKey.Id:text BatchKey:other BillToAddressKey:other
        ShipToAddressKey:other PaymentTermsKey.Id:text CurrencyKey:other CommentKey.Id:text PriceLevelKey.Id:text
        ShipToAddress:other UserDefined.Date01:date UserDefined.Date02:date UserDefined.List01:text
        UserDefined.List02:text UserDefined.List03:text UserDefined.Text01:text UserDefined.Text02:text
        UserDefined.Text03:text UserDefined.Text04:text UserDefined.Text05:text Commissions:other ProcessHolds:other
        Taxes:other FreightTaxes:other MiscellaneousTaxes:other TrackingNumbers:other PaymentAmount:other
        DepositAmount:other ShippingProcessStatus:enum:ShippingProcessStatus IsRepeating:boolean
        DocumentFrequency:enum:Frequency TimesToRepeat:number DaysToIncrement:number
        WorkflowPriority:enum:WorkflowPriority Lines:other Payments:other Workflows:other
    """,
    "SalesInvoiceLine": """
        Extensions:other Key:other UnitPrice:other TotalAmount:other Quantity:other Discount:other UnitCost:other
        ItemDescription:text IsNonInventory:boolean IsDropShip:boolean RequestedShipDate:date Comment:text UofM:text
        DeleteOnUpdate:boolean ExtendedCost:other ItemTaxScheduleKey.Id:text TaxBasis:enum:SalesTaxBasis
        TaxAmount:other TaxScheduleKey.Id:text CostOfSalesGLAccountKey:other DamagedGLAccountKey:other
        InServiceGLAccountKey:other InUseGLAccountKey:other InventoryGLAccountKey:other DiscountGLAccountKey:other
        ReturnsGLAccountKey:other SalesGLAccountKey:other FrontOfficeIntegrationId:text IntegrationSource:number
        IntegrationId:text WarehouseKey.Id:text ItemKey.Id:text ShippingMethodKey.Id:text SalesTerritoryKey.Id:text
        SalespersonKey.Id:text CommentKey.Id:text PriceLevelKey.Id:text ShipToAddressKey:other ShipToAddress:other
        Taxes:other QuantityToBackorder:other QuantityCanceled:other QuantityFulfilled:other BillingQuantity:other
        ActualShipDate:date QuantityAllocated:other FulfillDate:date Components:other Serials:other Lots:other
        Bins:other
    """,
    "SalesOrderLine": """
        Extensions:other Key:other UnitPrice:other TotalAmount:other Quantity:other Discount:other UnitCost:other
        ItemDescription:text IsNonInventory:boolean IsDropShip:boolean RequestedShipDate:date Comment:text UofM:text
        DeleteOnUpdate:boolean ExtendedCost:other ItemTaxScheduleKey.Id:text TaxBasis:enum:SalesTaxBasis
        TaxAmount:other TaxScheduleKey.Id:text CostOfSalesGLAccountKey:other DamagedGLAccountKey:other
        InServiceGLAccountKey:other InUseGLAccountKey:other InventoryGLAccountKey:other DiscountGLAccountKey:other
        ReturnsGLAccountKey:other SalesGLAccountKey:other FrontOfficeIntegrationId:text IntegrationSource:number
        IntegrationId:text WarehouseKey.Id:text ItemKey.Id:text ShippingMethodKey.Id:text SalesTerritoryKey.Id:text
        SalespersonKey.Id:text CommentKey.Id:text PriceLevelKey.Id:text ShipToAddressKey:other ShipToAddress:other
        Taxes:other QuantityToBackorder:other QuantityToInvoice:other QuantityCanceled:other QuantityFulfilled:other
        QuantityAllocated:other FulfillDate:date ActualShipDate:date Components:other Serials:other Lots:other
        Bins:other
    """,
    "ReceivablesInvoice": """
        Extensions:other Key.Id:text Type:enum:ReceivablesDocumentType Date:date DocumentAmount:other
        SalesAmount:other Description:text CustomerPONumber:text CostAmount:other TradeDiscountAmount:other
        FreightAmount:other MiscellaneousAmount:other TaxAmount:other ExchangeRate:number ExchangeDate:date
        CustomerName:text TransactionState:enum:ReceivablesTransactionState SalesTaxScheduleKey.Id:text
        FreightTaxScheduleKey.Id:text MiscellaneousTaxScheduleKey.Id:text GeneralLedgerPostingDate:date
        PostedDate:date PostedBy:text IsElectronic:boolean IsIntrastatDocument:boolean IsDirectDebitDocument:boolean
        CurrentDocumentAmount:other CorporateAccountKey.Id:text AuditTrailCode:text InvoicePaidOffDate:date
        IsDeleted:boolean IsVoided:boolean VoidDate:date ModifiedDate:date ModifiedBy:text BatchKey:other
        CustomerKey.Id:text AddressKey:other SalespersonKey.Id:text SalesTerritoryKey.Id:text
        ShippingMethodKey.Id:text TaxScheduleKey.Id:text CurrencyKey:other Taxes:other Distributions:other
        Payment:other Terms:other WriteoffAmount:other GSTDiscountAmount:other PaymentTermsKey.Id:text
        CommissionBasedOn:enum:CommissionBasedOn CommissionAmount:other Commissions:other
    """,
    "Customer": """
        Extensions:other Key.Id:text IsOnHold:boolean IsActive:boolean ShipCompleteOnly:boolean Name:text
        Shortname:text StatementName:text ClassKey.Id:text Priority:number DefaultAddressKey:other
        ShipToAddressKey:other BillToAddressKey:other StatementToAddressKey:other Comment1:text Comment2:text
        TradeDiscountPercent:other PaymentTermsKey.Id:text DiscountGracePeriod:number DueDateGracePeriod:number
        PriceLevelKey.Id:text Notes:text BalanceType:enum:BalanceType FinanceCharge:other MinimumPayment:other
        CreditLimit:other MaximumWriteoff:other AllowRevaluation:boolean PostResultsTo:enum:ReceivablesPostResultsTo
        OrderFullfillmentShortageDefault:enum:OrderFullfillmentShortage IncludeInDemandPlanning:boolean
        PaymentCardAccount:other BankName:text BankBranch:text UserLanguageKey.Id:text TaxExemptNumbers:other
        TaxRegistrationNumber:text CurrencyKey:other RateTypeKey.Id:text StatementCycle:enum:StatementCycle
        HistoryOptions:other SendEmailStatements:boolean BankAccountKey.Id:text
        DefaultCashAccountType:enum:ReceivablesCashAccountType CashGLAccountKey:other
        AccountsReceivableGLAccountKey:other SalesGLAccountKey:other CostOfGoodsSoldGLAccountKey:other
        InventoryGLAccountKey:other PaymentTermsDiscountTakenGLAccountKey:other
        PaymentTermsDiscountAvailableGLAccountKey:other FinanceChargesGLAccountKey:other WriteoffGLAccountKey:other
        SalesOrderReturnsGLAccountKey:other OverpaymentWriteoffGLAccountKey:other StatementRecipients:other
        CreatedDate:date ModifiedDate:date LastModifiedDate:date CorporateAccountKey.Id:text UserDefined1:text
        UserDefined2:text Addresses:other
    """,
}
ELEMENTS: Mapping[str, tuple[str, ...]] = {entity: tuple(tokens.split()) for entity, tokens in _TOKENS.items()}

ENUMS: Mapping[str, tuple[str, ...]] = {
    "BalanceType": ("Open Item", "Balance Forward"),
    "CommissionBasedOn": ("Sales", "Document Total"),
    "Frequency": ("None", "Weekly", "Biweekly", "Semimonthly", "Monthly", "Bimonthly", "Quarterly", "Miscellaneous"),
    "OrderFullfillmentShortage": ("None", "Backorder Remaining", "Cancel Remaining"),
    "ReceivablesCashAccountType": ("Bank Account", "Customer"),
    "ReceivablesDocumentType": (
        "Balance Brought Forward",
        "Invoice",
        "Scheduled Payment",
        "Debit Memo",
        "Finance Charge",
        "Service Repair",
        "Warranty",
        "Credit Memo",
        "Return",
        "Cash Receipt",
    ),
    "ReceivablesPostResultsTo": ("Receivables/Discount Account", "Sales Offset Account"),
    "ReceivablesTransactionState": ("Work", "Open", "History"),
    "SalesDocumentType": ("Quote", "Order", "Invoice", "Return", "Backorder", "Fulfillment Order"),
    "SalesTaxBasis": ("Single Tax Schedule", "Taxable", "Nontaxable", "Based On Customer"),
    "SalesTransactionState": ("Work", "History"),
    "ShippingProcessStatus": (
        "None",
        "New",
        "Ready To Pick",
        "Unconfirmed Pick",
        "Ready To Pack",
        "Unconfirmed Pack",
        "Shipped",
        "Ready To Post",
        "In Process",
        "Complete",
    ),
    "StatementCycle": ("No Statement", "Weekly", "Bi-Weekly", "Semi-Monthly", "Monthly", "Bi-Monthly", "Quarterly"),
    "WorkflowPriority": ("Low", "Normal", "High"),
}
