namespace WooConnector.Shipping;

using Microsoft.Sales.History;
using Microsoft.Foundation.Shipping;

/// <summary>
/// GET /api/wooConnector/shipping/v1.0/companies({companyId})/shipmentTrackings
/// Read-only view of posted sales shipments with the package tracking data that the
/// standard API v2.0 salesShipments entity does not expose.
/// </summary>
page 50100 "WC Shipment Tracking API"
{
    PageType = API;
    APIPublisher = 'wooConnector';
    APIGroup = 'shipping';
    APIVersion = 'v1.0';
    EntityName = 'shipmentTracking';
    EntitySetName = 'shipmentTrackings';
    EntityCaption = 'Shipment Tracking';
    EntitySetCaption = 'Shipment Trackings';
    SourceTable = "Sales Shipment Header";
    ODataKeyFields = SystemId;
    DelayedInsert = true;
    Editable = false;
    InsertAllowed = false;
    ModifyAllowed = false;
    DeleteAllowed = false;
    DataAccessIntent = ReadOnly;
    Extensible = false;

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(id; Rec.SystemId)
                {
                    Caption = 'Id';
                }
                field(shipmentId; Rec.SystemId)
                {
                    Caption = 'Shipment Id';
                }
                field(shipmentNumber; Rec."No.")
                {
                    Caption = 'Shipment No.';
                }
                field(orderNumber; Rec."Order No.")
                {
                    Caption = 'Order No.';
                }
                field(externalDocumentNumber; Rec."External Document No.")
                {
                    Caption = 'External Document No.';
                }
                field(customerNumber; Rec."Sell-to Customer No.")
                {
                    Caption = 'Customer No.';
                }
                field(postingDate; Rec."Posting Date")
                {
                    Caption = 'Posting Date';
                }
                field(shippingAgentCode; Rec."Shipping Agent Code")
                {
                    Caption = 'Shipping Agent Code';
                }
                field(shippingAgentName; ShippingAgentName)
                {
                    Caption = 'Shipping Agent Name';
                }
                field(shippingAgentServiceCode; Rec."Shipping Agent Service Code")
                {
                    Caption = 'Shipping Agent Service Code';
                }
                field(packageTrackingNumber; Rec."Package Tracking No.")
                {
                    Caption = 'Package Tracking No.';
                }
                field(trackingUrl; TrackingUrl)
                {
                    Caption = 'Tracking URL';
                }
                field(lastModifiedDateTime; Rec.SystemModifiedAt)
                {
                    Caption = 'Last Modified Date Time';
                }
            }
        }
    }

    var
        ShippingAgentName: Text[50];
        TrackingUrl: Text[250];

    trigger OnAfterGetRecord()
    var
        ShippingAgent: Record "Shipping Agent";
    begin
        Clear(ShippingAgentName);
        Clear(TrackingUrl);
        if Rec."Shipping Agent Code" = '' then
            exit;
        if not ShippingAgent.Get(Rec."Shipping Agent Code") then
            exit;
        ShippingAgentName := ShippingAgent.Name;
        if Rec."Package Tracking No." <> '' then
            TrackingUrl := CopyStr(ShippingAgent.GetTrackingInternetAddr(Rec."Package Tracking No."), 1, MaxStrLen(TrackingUrl));
    end;
}
