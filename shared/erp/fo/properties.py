"""The properties of the F&O entities a mapping may write, by their CDM names.

Microsoft's Common Data Model export of the F&O data entities (facts: finance-operations.md §0, §2; the
handbook keeps the export and ``cdm-entity-field-names.json`` under ``reference/finance-operations/``), in
CDM order. ``tests/unit/test_fo_mapping_schema.py`` compares these lists with the export name by name. CDM
gives names only: types, lengths and writability are :mod:`shared.erp.fo.schema`'s.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CDM_PROPERTIES"]

_NAMES = {
    "SalesOrderHeaderV2Entity": """
        SalesOrderNumber SalesOrderStatus OrderingCustomerAccountNumber InvoiceCustomerAccountNumber
        LineDiscountCustomerGroupCode CashDiscountCode PaymentTermsBaseDate CommissionCustomerGroupId
        ContactPersonId CurrencyCode CustomersOrderReference DefaultLedgerDimension SalesOrderPromisingMethod
        DeliveryAddressName DirectDebitMandate TotalDiscountPercentage DeliveryModeCode DeliveryReasonCode
        DeliveryTermsCode Email TotalDiscountCustomerGroupCode ExportReason FixedDueDate FixedExchangeRate
        InvoicePaymentAttachmentType ArePricesIncludingSalesTax DefaultShippingWarehouseId DefaultShippingSiteId
        LanguageId EUSalesListCode ChargeCustomerGroupId SalesAgreementNumber IsSalesProcessingStopped
        MultilineDiscountCustomerGroupCode NumberSequenceGroupId IsOneTimeCustomer PaymentTermsName
        PaymentScheduleName CustomerPaymentMethodName CustomerPaymentMethodSpecificationName
        WillAutomaticInventoryReservationConsiderBatchAttributes SalesRebateCustomerGroupId TMACustomerGroupId
        IntrastatPortId CustomerPostingProfileId PriceCustomerGroupCode CustomerRequisitionNumber QuotationNumber
        ConfirmedReceiptDate RequestedReceiptDate InventoryReservationMethod CommissionSalesRepresentativeGroupId
        SalesOrderName SalesOrderOriginCode SalesOrderPoolId SalesUnitId CustomerTransactionSettlementType
        ConfirmedShippingDate RequestedShippingDate SalesTaker CampaignId IntrastatStatisticsProcedureCode
        SalesTaxGroupCode IntrastatTransactionCode IntrastatTransportModeCode URL TaxExemptNumber SalesResponsible
        DirectDebitMandateId OrderResponsiblePersonnelNumber OrderTakerPersonnelNumber
        DefaultLedgerDimensionDisplayValue IsEntryCertificateRequired IsOwnEntryCertificateIssued InvoiceType
        TransportationBrokerId ShippingCarrierId ShippingCarrierServiceGroupId ShippingCarrierServiceId
        TransportationModeId TransportationRoutePlanId TransportationTemplateId DeliveryPostalAddressRecId
        IsDeliveryAddressOrderSpecific FormattedDelveryAddress DeliveryBuildingCompliment DeliveryAddressCity
        DeliveryAddressCountryRegionId DeliveryAddressCountryRegionISOCode DeliveryAddressCountyId
        DeliveryAddressDescription DeliveryAddressDistrictName DeliveryAddressDunsNumber IsDeliveryAddressPrivate
        DeliveryAddressLatitude DeliveryAddressLocationId DeliveryAddressLongitude DeliveryAddressPostBox
        DeliveryAddressStateId DeliveryAddressStreet DeliveryAddressStreetNumber DeliveryValidFrom DeliveryValidTo
        DeliveryAddressTimeZone DeliveryAddressZipCode DeliveryAddressCityInKana DeliveryAddressStreetInKana
        IsConsolidatedInvoiceTarget EInvoiceDimensionAccountCode IsEInvoiceDimensionAccountCodeSpecifiedPerLine
        CreditNoteReasonCode IsExportSale BankConstantSymbol BankSpecificSymbol CFPSCode IsFinalUser
        CustomerPaymentFineCode FiscalDocumentTypeRecId CustomerPaymentFinancialInterestCode
        FiscalOperationPresenceType SalesPurchOperationTypeRecId IsServiceDeliveryAddressBased
        ServiceFiscalInformationCode FiscalDocumentOperationTypeId FiscalDocumentTypeId InvoiceAddressStreet
        FormattedInvoiceAddress InvoiceBuildingCompliment InvoiceAddressCity InvoiceAddressCountryRegionId
        InvoiceAddressCountyId InvoiceAddressDistrictName IsInvoiceAddressPrivate InvoiceAddressLatitude
        InvoiceAddressLongitude InvoiceAddressPostBox InvoiceAddressStateId InvoiceAddressStreetNumber
        InvoiceAddressTimeZone InvoiceAddressZipCode InvoiceAddressCityInKana InvoiceAddressStreetInKana
        OrderTotalAmount OrderTotalChargesAmount OrderTotalDiscountAmount OrderTotalTaxAmount OrderHeaderTaxAmount
        TotalDiscountAmount SalesOrderProcessingStatus AreTotalsCalculated TransportationDocumentLineId
        InvoiceValidTo InvoiceValidFrom OrderCreationDateTime InvoiceAddressCountryRegionISOCode ProjectId
        SkipCreateAutoCharges BaseDocumentDate CIPEcode BaseDocumentNumber BaseDocumentType BaseDocumentItemNumber
        BaseDocumentLineNumber OrderOrAgreementCode TenderCode ReportingCurrencyFixedExchangeRate
        ShippingCarrierCustomerAccountNumber RevRecFollowOriginalPricingMethod RevRecContractEndDate
        RevRecContractStartDate RevRecLatestReverseJournal RevRecMultipleSOReallocation RevRecReallocationId
    """,
    "SalesOrderLineV2Entity": """
        SalesOrderNumber InventoryLotId SalesOrderLineStatus IsLineStopped CustomersLineNumber CustomsDocumentDate
        CustomsDocumentNumber CustomsDocumentName DefaultLedgerDimension SalesOrderPromisingMethod
        DeliveryAddressName DeliveryModeCode DeliveryTermsId ExternalItemNumber BOMId ItemNumber RouteId
        MainAccountId LineAmount LineDiscountAmount LineDiscountPercentage MultilineDiscountAmount
        MultilineDiscountPercentage LineDescription AllowedOverdeliveryPercentage PackingUnitSymbol
        WillAutomaticInventoryReservationConsiderBatchAttributes WillRebateCalculationExcludeLine
        SalesRebateProductGroupId IntrastatPortId SalesPriceQuantity EInvoicePropertyNumber
        CustomerRequisitionNumber ConfirmedReceiptDate RequestedReceiptDate InventoryReservationMethod
        CommissionSalesRepresentativeGroupId FixedPriceCharges SalesPrice OrderedSalesQuantity
        OrderedCatchWeightQuantity SalesUnitSymbol ServiceOrderNumber ConfirmedShippingDate RequestedShippingDate
        IntrastatStatisticsProcedureCode IsIntrastatTriangularDeal SalesTaxGroupCode SalesTaxItemGroupCode
        IntrastatTransactionCode IntrastatTransportModeCode AllowedUnderdeliveryPercentage SalesProductCategoryName
        DefaultLedgerDimensionDisplayValue MainAccountIdDisplayValue NGPCode ProductConfigurationId ItemBatchNumber
        ProductColorId ShippingWarehouseId ShippingSiteId ProductSizeId OrderedInventoryStatusId ProductStyleId
        ProductVersionId OrderLineReference DeliveryPostalAddressRecId IsDeliveryAddressOrderSpecific
        FormattedDelveryAddress DeliveryBuildingCompliment DeliveryAddressCity DeliveryAddressCountryRegionId
        DeliveryAddressCountryRegionISOCode DeliveryAddressCountyId DeliveryAddressDescription
        DeliveryAddressDistrictName DeliveryAddressDunsNumber IsDeliveryAddressPrivate DeliveryAddressLatitude
        DeliveryAddressLocationId DeliveryAddressLongitude DeliveryAddressPostBox DeliveryAddressStateId
        DeliveryAddressStreet DeliveryAddressStreetNumber DeliveryAddressZipCode DeliveryAddressCityInKana
        DeliveryAddressStreetInKana DeliveryAddressTimeZone DeliveryValidFrom DeliveryValidTo IntrastatCommodityCode
        EInvoiceDimensionAccountCode WithholdingTaxGroupCode ItemWithholdingTaxCodeGroupCode CreditNoteReasonCode
        IntrastatStatisticValue IntrastatSpecialMovementCode DeliverySalesTaxGroupCode DeliverySalesTaxItemGroupCode
        DeliveryCFOPCode DeliveryCFOPRecId CFOPCode CFOPTableRecId FiscalDocumentTypeRecId SuframaDiscountPercentage
        ServiceFiscalInformationCode FiscalDocumentTypeId LineCreationSequenceNumber GiftCardBuyerEmail
        GiftCardBuyerName GiftCardGiftMessage GiftCardNumber GiftCardRecipientEmail GiftCardRecipientName
        GiftCardType SkipCreateAutoCharges ProjectCategoryId ProjectId ProjectLinePropertyId CurrencyCode
        SalesProductCategoryHierarchyRecId ShippingWarehouseLocationId ItemSerialNumber
        RetailCalculatedLineDiscountAmount RetailCalculatedLineDiscountPercentage
        RetailCalculatedManualLineDiscountAmount RetailCalculatedManualLineDiscountPercentage
        RetailCalculatedPeriodicDiscountAmount RetailCalculatedPeriodicDiscountPercentage
        RetailCalculatedTotalDiscountAmount RetailCalculatedTotalDiscountPercentage
        RetailCalculatedTenderDiscountAmount RetailCalculatedTenderDiscountPercentage FulfillmentStatus
        FulfillmentStoreId BillSchFrequency BillSchNumberOfInstallments BillSchProrate BillSchIsActualDate
        BillSchRenewalDate BillSchRenewable BillSchPercent ProductFlavor RevRecRevenueScheduleId RevRecOccurrences
        RevRecContractEndDate RevRecContractStartDate RevRecSalesDeliverNow BillSchRevRecArrears
    """,
    "CustCustomerV3Entity": """
        CustomerAccount PartyType OrganizationName NameAlias KnownAs CustomerGroupId OrganizationNumber
        OrganizationNumberOfEmployees OrganizationABCCode OrganizationPhoneticName PersonInitials PersonFirstName
        PersonMiddleName PersonLastNamePrefix PersonLastName PersonProfessionalTitle PersonProfessionalSuffix
        PersonPhoneticFirstName PersonPhoneticLastName PersonPhoneticMiddleName PersonGender PersonMaritalStatus
        PersonAnniversaryDay PersonAnniversaryMonth PersonAnniversaryYear PersonChildrenNames PersonHobbies
        PartyNumber AddressBooks LanguageId FullPrimaryAddress AddressDescription AddressZipCode AddressCity
        AddressCountryRegionId AddressCountryRegionISOCode AddressCounty AddressDistrictName AddressLatitude
        AddressLocationId AddressLocationRoles AddressLongitude AddressState AddressStreet AddressStreetNumber
        AddressTimeZone AddressBuildingComplement AddressValidFrom AddressValidTo AddressBrazilianCNPJOrCPF
        AddressBrazilianIE PrimaryContactEmail PrimaryContactEmailDescription PrimaryContactEmailIsIM
        PrimaryContactEmailPurpose PrimaryContactFax PrimaryContactFaxDescription PrimaryContactFaxExtension
        PrimaryContactFaxPurpose PrimaryContactPhone PrimaryContactPhoneDescription PrimaryContactPhoneExtension
        PrimaryContactPhoneIsMobile PrimaryContactPhonePurpose PrimaryContactTelex PrimaryContactTelexDescription
        PrimaryContactTelexPurpose PrimaryContactURL PrimaryContactURLDescription PrimaryContactURLPurpose
        PrimaryContactFacebook PrimaryContactFacebookDescription PrimaryContactFacebookPurpose
        PrimaryContactLinkedIn PrimaryContactLinkedInDescription PrimaryContactLinkedInPurpose
        PrimaryContactTwitterDescription PrimaryContactTwitter PrimaryContactTwitterPurpose IsOneTimeCustomer
        StatisticsGroupId AccountStatement IdentificationNumber PartyCountry PartyState VendorAccount
        FederalIndicator FederalAgencyLocationCode FederalComments IRS1099CIndicator ContactPersonId
        LineOfBusinessId EmployeeResponsibleNumber MainContactWorker SalesSegmentId SalesSubsegmentId SalesDistrict
        CompanyChain SalesCurrencyCode SalesMemo OnHoldStatus CreditLimitIsMandatory CreditRating CreditLimit
        CollectionsContactPersonId IsExcludedFromInterestChargeCalculation IsExcludedFromCollectionFeeCalculation
        ChargesGroupId SiteId WarehouseId ItemCustomerGroupId CommissionCustomerGroupId CommissionSalesGroupId
        SalesOrderPoolId SalesAccountNumber OrderEntryDeadline MultiLineDiscountCode TotalDiscountCode
        DiscountPriceGroupId LineDiscountCode CustomerRebateGroupId CustomerTMAGroupId SupplementaryItemGroupId
        PaymentTerms PaymentMethod PaymentSpecification PaymentSchedule PaymentDay PaymentCashDiscount
        PaymentTermsBaseDays PaymentBankAccount PaymentFactoringAccount PaymentIdType PaymentUseCashDiscount
        CentralBankPurposeCode CentralBankPurposeNotes CreditCardAddressVerification
        CreditCardAddressVerificationIsAuthorizationVoidedOnFailure CreditCardAddressVerificationLevel CreditCardCVC
        WarehouseIsASNGenerated WarehouseIsEntireShipmentFilled DefaultInventoryStatusId InvoiceAccount
        InvoiceAddress NumberSequenceGroup GiroType GiroTypeFreeTextInvoice GiroTypeInterestNote
        GiroTypeCollectionletter GiroTypeProjInvoice GiroTypeAccountStatement DeliveryFreightZone DeliveryTerms
        DeliveryMode DeliveryReason DestinationCode ReceiptCalendar IsFuelSurchargeApplied SalesTaxGroup
        TaxExemptNumber IsSalesTaxIncludedInPrices PackingDutyLicense FiscalCode PackingMaterialFeeLicenseNumber
        IsElectronicInvoice ElectronicInvoiceEAN IsFreightAccrued IsExpressBillOfLadingAccepted
        IsTransactionPostedAsShipment IsOrderNumberReferenceUsed SalesReturnTaxGroup ReceiptEmail ReceiptOption
        IsWithholdingTaxCalculated WithholdingTaxGroupCode FrenchSiret NAFCode CompanyType CURPNumber RFCNumber
        StateInscription TaxRegistrationId ConsolidationDay NationalRegistryNumber ReliefGroupId DefaultDimension
        DefaultDimensionDisplayValue CalculateWithholdingTax ForeignCustomer TCSGroup TDSGroup PreferentialCustomer
        NatureOfAssessee PANNumber PANReferenceNumber PanStatus ElectronicLocationId CustomerPaymentFineCode
        CustomerPaymentFinancialInterestCode BrazilianCCM BrazilianCNAE BrazilianCNPJOrCPF IsFinalUser
        CustomerWithholdingContributionType IsIncomingFiscalDocumentGenerated IsICMSContributor BrazilianIE
        BrazilianINSSCEI BrazilianNIT IsServiceDeliveryAddressBased IsInSuframaRegion SuframaNumber
        HasSuframaDiscountPISandCOFINS ForeignerId TransactionPresenceType WriteOffCompany WriteoffReason ExportSale
        BirthCountyCode BirthPlace ResidenceForeignCountryRegionId IsPurchRequestUsed DeliveryAddressDescription
        DeliveryAddressZipCode DeliveryAddressTimeZone DeliveryAddressCity DeliveryAddressCountryRegionId
        DeliveryAddressCountryRegionISOCode DeliveryAddressCounty DeliveryAddressDistrictName
        DeliveryAddressLatitude DeliveryAddressLongitude DeliveryAddressLocationId DeliveryAddressState
        DeliveryAddressStreet DeliveryAddressStreetNumber DeliveryAddressBuildingComplement DeliveryAddressValidFrom
        DeliveryAddressValidTo InvoiceAddressDescription InvoiceAddressZipCode InvoiceAddressTimeZone
        InvoiceAddressCity InvoiceAddressCountryRegionId InvoiceAddressCountryRegionISOCode InvoiceAddressCounty
        InvoiceAddressDistrictName InvoiceAddressLatitude InvoiceAddressLongitude InvoiceAddressLocationId
        InvoiceAddressState InvoiceAddressStreet InvoiceAddressStreetNumber InvoiceAddressBuildingComplement
        InvoiceAddressValidFrom InvoiceAddressValidTo IsExternallyMaintained MerchantID DefaultECommerceOperator
        CustomerType FulfillmentPolicyName FulfillmentPolicy AddressPostbox CustClassificationId
        IsAllowCreateIndirectOrderLines PrimaryContactEmailRecordId PrimaryContactFaxRecordId
        PrimaryContactPhoneRecordId PrimaryContactURLRecordId AddressRecordId CollectionLetterCode EInvoiceRegister
        AuthorityOffice EInvoiceAttachment Priority DeliveryAddressRecordId InvoiceAddressRecordId
        DirPartyLocationRecordId PartyRecordId InvoicePostingType ForeignResident InterCompanyAutoCreateOrders
        CredManAccountStatusId CredManBusinessStarted CredManCollectionGroupId CredManCreditLimitDate
        CredManCreditLimitExpiryDate CredManCustCreditMaxAlt CredManCustomerSince CredManEligibleCreditLimitCurrency
        CredManEligibleCreditLimitDate CredManEligibleCreditMax CredManExclude CredManGroupId CredManNotes
        CredManStatusReasonId CredManTitleHeld CredManWithAgency CredManLastReviewDate CredManNextSchedReviewDate
        CredManCustUnlimitedCredit
    """,
}
CDM_PROPERTIES: Mapping[str, tuple[str, ...]] = {entity: tuple(names.split()) for entity, names in _NAMES.items()}
