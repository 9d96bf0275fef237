"""Webhook ingress decisions (invariant 8), on the pure judgement function."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.config import Settings
from shared.flows.ingress import judge_delivery, receive_woo_webhook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app_settings import APP_SETTINGS

SECRET = APP_SETTINGS["WOO_STORES__main__WEBHOOK_SECRET"]
ORDER = json.loads(
    (Path(__file__).resolve().parents[3] / "shared/reference/woocommerce/order-retrieve.json").read_text()
)


@pytest.fixture(scope="module")
def app_settings() -> Settings:
    mp = pytest.MonkeyPatch()
    for key, value in APP_SETTINGS.items():
        mp.setenv(key, value)
    loaded = Settings()
    mp.undo()
    return loaded


def signed(body: bytes, topic: str = "order.updated", secret: str = SECRET) -> dict[str, str]:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Signature": signature,
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": "4a8d4394fa7b1c883747ad86babf922b",
    }


def test_signed_order_is_queued_with_a_small_envelope(app_settings: Settings) -> None:
    body = json.dumps(ORDER).encode()
    reply = judge_delivery("main", signed(body), body, app_settings)
    assert reply.status == 200 and reply.event is not None
    assert (reply.event.store, reply.event.topic, reply.event.resource_id) == ("main", "order.updated", 727)
    assert reply.event.modified == ORDER["date_modified_gmt"]
    assert reply.event.delivery_id == "4a8d4394fa7b1c883747ad86babf922b"
    assert reply.event.body == ORDER


def test_ping_is_answered_200_and_not_queued(app_settings: Settings) -> None:
    reply = judge_delivery(
        "main", {"Content-Type": "application/x-www-form-urlencoded"}, b"webhook_id=12", app_settings
    )
    assert (reply.status, reply.event) == (200, None)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-WC-Webhook-Signature": "bm9wZQ=="}, 401),
        ({"X-WC-Webhook-Signature": "not base64 at all %%%"}, 401),
    ],
)
def test_missing_or_wrong_signature_is_401(app_settings: Settings, headers: dict[str, str], status: int) -> None:
    body = json.dumps(ORDER).encode()
    assert (
        judge_delivery("main", {"X-WC-Webhook-Topic": "order.updated", **headers}, body, app_settings).status == status
    )


def test_signature_with_another_secret_is_401(app_settings: Settings) -> None:
    body = json.dumps(ORDER).encode()
    assert judge_delivery("main", signed(body, secret="other"), body, app_settings).status == 401


def test_signature_over_reserialised_json_fails(app_settings: Settings) -> None:
    body = json.dumps(ORDER).encode()
    headers = signed(body)
    reserialised = json.dumps(json.loads(body), indent=1).encode()
    assert judge_delivery("main", headers, reserialised, app_settings).status == 401


def test_malformed_body_with_a_valid_signature_is_400(app_settings: Settings) -> None:
    for body in (b"{not json", b"[1,2]", b'"string"', b'{"no_id": true}', b'{"id": "727"}'):
        assert judge_delivery("main", signed(body), body, app_settings).status == 400, body


def test_error_objects_and_checkout_drafts_are_dropped_with_200(app_settings: Settings) -> None:
    error = b'{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot view this resource.","data":{"status":401}}'
    reply = judge_delivery("main", signed(error), error, app_settings)
    assert (reply.status, reply.event) == (200, None)
    draft = json.dumps({**ORDER, "status": "checkout-draft"}).encode()
    reply = judge_delivery("main", signed(draft), draft, app_settings)
    assert (reply.status, reply.event) == (200, None)


def test_product_deliveries_are_acknowledged_and_not_queued(app_settings: Settings) -> None:
    # The ERP is master for stock and price: a product update (an order's stock change, our own write
    # echoing back, a merchant's edit) has nothing for the queue function to do.
    variation = (
        Path(__file__).resolve().parents[3] / "shared/reference/woocommerce/variation-retrieve.json"
    ).read_bytes()
    for topic in ("product.updated", "product.created", "product.deleted"):
        reply = judge_delivery("main", signed(variation, topic), variation, app_settings)
        assert (reply.status, reply.event) == (200, None), topic


def test_unknown_store_is_404(app_settings: Settings) -> None:
    body = json.dumps(ORDER).encode()
    assert judge_delivery("elsewhere", signed(body), body, app_settings).status == 404


def test_a_queue_failure_answers_503_never_500(app_settings: Settings) -> None:
    body = json.dumps(ORDER).encode()

    def broken_queue(event: object) -> None:
        raise ConnectionError("storage down")

    assert receive_woo_webhook("main", signed(body), body, app_settings, broken_queue).status == 503


header_names = st.sampled_from(
    ["X-WC-Webhook-Signature", "X-WC-Webhook-Topic", "X-WC-Webhook-ID", "Content-Type", "x-wc-webhook-signature"]
)


@settings(max_examples=400, deadline=None)
@given(
    body=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode),
                   st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4)
                   .map(lambda d: json.dumps(d).encode())),
    headers=st.dictionaries(header_names, st.text(max_size=60), max_size=4),
    sign=st.booleans(),
)  # fmt: skip
def test_fuzzed_deliveries_never_5xx_and_never_queue_unsigned(app_settings, body, headers, sign) -> None:
    if sign:
        headers = {**headers, "X-WC-Webhook-Signature": signed(body)["X-WC-Webhook-Signature"]}
    queued: list[object] = []
    reply = receive_woo_webhook("main", headers, body, app_settings, queued.append)
    assert reply.status < 500
    valid = signed(body)["X-WC-Webhook-Signature"]
    presented = next((v for k, v in headers.items() if k.lower() == "x-wc-webhook-signature"), None)
    if queued:
        assert presented == valid


def test_each_store_is_verified_with_its_own_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in APP_SETTINGS.items():
        monkeypatch.setenv(key, value)
    for field, value in (("URL", "https://outlet.example.com/"), ("CONSUMER_KEY", "ck2"), ("CONSUMER_SECRET", "cs2"),
                         ("WEBHOOK_SECRET", "outlet-secret")):  # fmt: skip
        monkeypatch.setenv(f"WOO_STORES__outlet__{field}", value)
    two_stores = Settings()
    body = json.dumps(ORDER).encode()
    outlet_signed = signed(body, secret="outlet-secret")
    reply = judge_delivery("outlet", outlet_signed, body, two_stores)
    assert reply.status == 200 and reply.event is not None and reply.event.store == "outlet"
    assert judge_delivery("main", outlet_signed, body, two_stores).status == 401
    assert judge_delivery("outlet", signed(body), body, two_stores).status == 401
