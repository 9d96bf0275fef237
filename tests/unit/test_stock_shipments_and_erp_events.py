"""Pure parts of the shipment write-back, the BC notification endpoint and subscription upkeep."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from shared.config import Settings
from shared.erp.bc.catalog import odata_stamp, tracking_api_url
from shared.erp.bc.events import needs_renewal, read_hints, receive_notification
from shared.erp.bc.mapping import bc_shipment_from_json
from shared.erp.bc.subscriptions import BcSubscription
from shared.flows.erp_events import receive_erp_event
from shared.flows.services import bootstrap
from shared.flows.shipments import order_changes, tracking_meta, tracking_note, tracking_update_note
from shared.flows.subscriptions import notification_url
from shared.model import Shipment, ShipmentLine
from shared.woo.mapping import woo_order_fingerprint

COMPANY = "11111111-2222-3333-4444-555555555555"
ITEM = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "bc_company_id": COMPANY,
        "bc_tenant_id": "tenant",
        "bc_environment": "production",
        "public_base_url": "https://connector.example.net/",
        "webhook_function_key": "fkey",
        "bc_webhook_client_state": "s3cret",
    }
    return Settings.model_validate({**base, **overrides})


def shipment(**fields: Any) -> Shipment:
    base: dict[str, Any] = {
        "erp_shipment_number": "102001",
        "order_number": "1234",
        "erp_order_number": "S-ORD101001",
        "lines": (ShipmentLine(sku="1900-S", quantity=Decimal("2.00"), description="PARIS Guest Chair, black"),),
        "posting_date": date(2026, 11, 22),
        "carrier": "DHL Systems, Inc.",
        "tracking_number": "JD0146",
        "tracking_url": "https://www.dhl.com/track?AWB=JD0146",
    }
    return Shipment(**{**base, **fields})


# ---------------------------------------------------------------------------------- shipments


def test_the_tracking_note_names_carrier_number_link_and_shipment() -> None:
    assert tracking_note(shipment()) == (
        "Your order has shipped. Carrier: DHL Systems, Inc. Tracking number: JD0146. "
        "Track your parcel: https://www.dhl.com/track?AWB=JD0146 (shipment 102001)"
    )
    partial = tracking_note(shipment(partial=True))
    assert partial.startswith("Part of your order has shipped: 2 × PARIS Guest Chair, black. Carrier:")
    bare = tracking_note(shipment(carrier="", tracking_number="", tracking_url=""))
    assert bare == "Your order has shipped. (shipment 102001)"
    assert "JD0146" in tracking_update_note(shipment())


def test_tracking_meta_appends_one_shipment_tracking_item_per_shipment() -> None:
    (entry,) = tracking_meta([], shipment(), "shipment_tracking")
    assert entry["key"] == "_wc_shipment_tracking_items"
    (first,) = entry["value"]
    assert first["tracking_number"] == "JD0146" and first["custom_tracking_provider"] == "DHL Systems, Inc."
    assert first["custom_tracking_link"] == "https://www.dhl.com/track?AWB=JD0146"
    assert first["date_shipped"] == str(int(datetime(2026, 11, 22, 12, tzinfo=UTC).timestamp()))
    existing = [{"id": 9, "key": "_wc_shipment_tracking_items", "value": [first]}]
    (again,) = tracking_meta(existing, shipment(), "shipment_tracking")
    assert len(again["value"]) == 1  # the same shipment is not listed twice
    (more,) = tracking_meta(existing, shipment(erp_shipment_number="102002", tracking_number="X2"), "shipment_tracking")
    assert [t["tracking_number"] for t in more["value"]] == ["JD0146", "X2"]
    simple = tracking_meta([], shipment(), "simple")
    assert {m["key"]: m["value"] for m in simple} == {
        "_tracking_number": "JD0146",
        "_tracking_provider": "DHL Systems, Inc.",
        "_tracking_url": "https://www.dhl.com/track?AWB=JD0146",
    }
    assert tracking_meta([], shipment(), "none") == []
    assert tracking_meta([], shipment(tracking_number=""), "shipment_tracking") == []


def test_a_full_shipment_completes_the_order_a_partial_one_does_not() -> None:
    order = {"status": "processing", "meta_data": []}
    assert order_changes(order, shipment(), settings())["status"] == "completed"
    assert "status" not in order_changes(order, shipment(partial=True), settings())
    assert "status" not in order_changes(order, shipment(), settings(shipment_order_status=""))
    assert order_changes({"status": "completed"}, shipment(tracking_number=""), settings()) == {}


def test_completing_a_posted_order_is_not_a_change_after_posting() -> None:
    order = {"status": "processing", "total": "10.00", "billing": {"city": "Paris"}}
    assert woo_order_fingerprint({**order, "status": "completed"}) == woo_order_fingerprint(order)
    assert woo_order_fingerprint({**order, "status": "cancelled"}) != woo_order_fingerprint(order)


def test_bc_shipment_json_with_a_tracking_row_becomes_a_shipment() -> None:
    data = {
        "number": "102001",
        "externalDocumentNumber": "1234",
        "orderNumber": "101001",
        "postingDate": "2026-11-22",
        "lastModifiedDateTime": "2026-11-22T10:00:00.123Z",
        "salesShipmentLines": [
            {"lineType": "Item", "lineObjectNumber": "1900-S", "quantity": 2, "description": "Chair"},
            {"lineType": "G_x002F_L_x0020_Account", "lineObjectNumber": "6410", "quantity": 1},
        ],
    }
    tracking = {"packageTrackingNumber": "1Z9", "shippingAgentName": "UPS Shipping", "trackingUrl": "https://u/1Z9"}
    found = bc_shipment_from_json(data, tracking, partial=True)
    assert (found.order_number, found.tracking_number, found.carrier) == ("1234", "1Z9", "UPS Shipping")
    assert [line.sku for line in found.lines] == ["1900-S"] and found.partial


def test_the_tracking_api_url_comes_from_the_setting() -> None:
    assert tracking_api_url(settings().flat_connection()) is None
    url = tracking_api_url(settings(bc_tracking_api="/wooConnector/shipping/v1.0/").flat_connection())
    assert url == (
        "https://api.businesscentral.dynamics.com/v2.0/tenant/production/api/wooConnector/shipping/v1.0"
        f"/companies({COMPANY})/shipmentTrackings"
    )
    assert odata_stamp(datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"


# ------------------------------------------------------------------------------- ERP events


def notification(client_state: str = "s3cret", **fields: Any) -> dict[str, Any]:
    return {
        "subscriptionId": "sub",
        "clientState": client_state,
        "expirationDateTime": "2026-11-25T10:00:00Z",
        "resource": f"api/v2.0/companies({COMPANY})/items({ITEM})",
        "changeType": "updated",
        "lastModifiedDateTime": "2026-11-22T10:00:00Z",
        **fields,
    }


class EventsOnly:
    """The BC adapter's event capability without HTTP: what erp_webhook hands a call to."""

    def __init__(self, client_state: str = "s3cret") -> None:
        self.client_state = client_state

    def receive_event(self, params: Any, body: bytes) -> Any:
        return receive_notification(params, body, self.client_state)

    def read_hints(self, payload: Any) -> Any:
        return read_hints(payload.get("notifications", []), COMPANY)

    def ensure_subscriptions(self, notification_url: str | None, now: datetime) -> Any:
        raise AssertionError("not called here")


def receive(params: dict[str, str], body: bytes, sent: Any, *, client_state: str = "s3cret", route: str = "bc") -> Any:
    services = bootstrap(settings(), erp=EventsOnly(client_state))  # type: ignore[arg-type]
    return receive_erp_event(route, params, body, services, sent)


def test_the_handshake_answers_the_validation_token() -> None:
    sent: list[dict[str, Any]] = []
    reply = receive({"validationToken": "tok-123", "code": "k"}, b"", sent.append)
    assert (reply.status, reply.message, sent) == (200, "tok-123", [])


def test_a_notification_with_our_client_state_is_queued_without_the_secret() -> None:
    sent: list[dict[str, Any]] = []
    body = json.dumps({"value": [notification(), notification("other")]}).encode()
    reply = receive({}, body, sent.append)
    assert reply.status == 202
    (message,) = sent
    assert message["connection"] == "bc" and len(message["payload"]["notifications"]) == 1
    assert "clientState" not in message["payload"]["notifications"][0]


def test_foreign_malformed_and_unqueueable_notifications_get_the_right_answer() -> None:
    sent: list[dict[str, Any]] = []
    foreign = json.dumps({"value": [notification("guess")]}).encode()
    assert receive({}, foreign, sent.append).status == 401
    unconfigured = receive({}, json.dumps({"value": [notification("")]}).encode(), sent.append, client_state="")
    assert unconfigured.status == 401
    assert receive({}, b"not json", sent.append).status == 400
    assert receive({}, foreign, sent.append, route="nosuch").status == 404  # the route names a connection
    assert sent == []

    def broken(message: dict[str, Any]) -> None:
        raise OSError("storage down")

    body = json.dumps({"value": [notification()]}).encode()
    assert receive({}, body, broken).status == 503  # BC retries 5xx


def test_hints_are_our_companys_changed_items_or_a_collection() -> None:
    other = "99999999-2222-3333-4444-555555555555"
    hints = read_hints(
        [
            notification(),
            notification(changeType="deleted"),
            notification(resource=f"api/v2.0/companies({other})/items({ITEM})"),
            notification(resource=f"api/v2.0/companies({COMPANY})/customers({ITEM})"),
        ],
        COMPANY,
    )
    assert (hints.item_ids, hints.full_sync, hints.ignored) == ({ITEM}, False, 3)
    collection = notification(
        resource=f"/api/v2.0/companies({COMPANY})/items?$filter=lastModifiedDateTime%20gt%202026-11-22T10:00:00Z",
        changeType="collection",
    )
    assert read_hints([collection], COMPANY).full_sync


# ------------------------------------------------------------------------------ subscriptions


def test_the_notification_url_carries_the_function_key_and_needs_every_setting() -> None:
    assert notification_url(settings()) == "https://connector.example.net/api/webhooks/erp/bc?code=fkey"
    assert notification_url(settings(public_base_url="")) is None
    assert notification_url(settings(webhook_function_key=SecretStr(""))) is None


def test_a_subscription_is_renewed_when_it_expires_soon_or_points_elsewhere() -> None:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    url = "https://connector.example.net/api/webhooks/erp/bc?code=fkey"

    def sub(hours_left: float, notification_url: str = url, client_state: str = "s3cret") -> BcSubscription:
        return BcSubscription("id", notification_url, "/r", client_state, now + timedelta(hours=hours_left), "W/1")

    window = timedelta(hours=36)
    assert not needs_renewal(sub(70), url, "s3cret", now, window)
    assert needs_renewal(sub(20), url, "s3cret", now, window)
    assert needs_renewal(sub(70, url.replace("fkey", "old")), url, "s3cret", now, window)  # key rotated
    assert needs_renewal(sub(70, client_state="old"), url, "s3cret", now, window)
    parsed = BcSubscription.from_json(
        {"subscriptionId": "s", "notificationUrl": url, "resource": "/r", "expirationDateTime": "2026-11-25T10:00:00Z"}
    )
    assert parsed.expires_at == datetime(2026, 11, 25, 10, tzinfo=UTC)
