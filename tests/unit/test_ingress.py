"""Webhook ingress decisions (invariant 8), on the pure judgement function."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ServiceRequestError
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.config import Settings
from shared.events import MAX_RESOURCE_ID, WooEvent
from shared.flows.ingress import MAX_BODY_DEPTH, judge_delivery, receive_woo_webhook
from shared.storage.queues import MessageSender

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


# ---------------------------------------------------------------- input that can never succeed (issue 18)
# The fuzzing of a deployed webhook found 503s (which invite a sender to retry forever) for four classes
# of input. Each is permanent: 400 before anything is queued, or queued in a form the queue function
# reads back. 503 stays for storage being unavailable.


class CapturingQueue:
    """The one Azure call MessageSender makes, captured (the Azurite round trip is in tests/integration)."""

    queue_name = "woo-events"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_message(self, text: str, visibility_timeout: int | None = None) -> object:
        text.encode("utf-8")  # what the SDK does before base64 encoding it
        self.sent.append(text)
        return object()


def real_enqueue() -> tuple[CapturingQueue, Callable[[WooEvent], object]]:
    """The production enqueue (envelope → JSON text → queue), onto a capturing queue."""
    queue = CapturingQueue()

    def no_blobs() -> Any:
        raise AssertionError("no claim-check expected")

    sender = MessageSender(queue, no_blobs)  # type: ignore[arg-type]
    return queue, lambda event: sender.send(event.model_dump(mode="json"))


def nested(depth: int) -> bytes:
    """A signed-order-like body whose `meta` nests `depth` levels in all (the object itself is level 1)."""
    return b'{"id":727,"status":"processing","meta":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


@pytest.mark.parametrize(
    ("body", "signed_", "status"),
    [
        (b"webhook_id=" + b"9" * 4301, False, 400),  # int() refuses it: was a traceback and 503
        (b"webhook_id=" + b"9" * 21, False, 400),  # beyond BIGINT UNSIGNED: no store has this webhook
        (b"webhook_id=18446744073709551615", False, 200),  # the largest id a store can have
        (nested(2000), True, 400),  # RecursionError in json.loads: was 503
        (nested(MAX_BODY_DEPTH + 1), True, 400),  # parses, but the envelope cannot carry it: was 503
        (b'{"id":727,"status":"processing","note":"\\ud800"}', True, 400),  # lone surrogate: was 503
        (b'{"id":727,"status":"processing","note":"\\udfff x"}', True, 400),
        (b'{"id":%d,"status":"processing"}' % 2**70, True, 400),  # was queued, then failed later
        (b'{"id":%d,"status":"processing"}' % 2**63, True, 400),
        (b'{"id":727,"status":"processing","total":NaN}', True, 400),  # Python-only JSON
        (b'{"id":727,"total":' + b"1" * 5000 + b"}", True, 400),  # int() limit inside the body
    ],
)
def test_input_that_can_never_succeed_is_a_4xx_not_a_503(
    app_settings: Settings, body: bytes, signed_: bool, status: int
) -> None:
    queue, enqueue = real_enqueue()
    headers = signed(body) if signed_ else {"Content-Type": "application/x-www-form-urlencoded"}
    reply = receive_woo_webhook("main", headers, body, app_settings, enqueue)
    assert reply.status == status, reply.message
    assert queue.sent == []


@pytest.mark.parametrize(
    "body",
    [
        nested(MAX_BODY_DEPTH),  # the deepest the envelope carries
        b'{"id":%d,"status":"processing"}' % MAX_RESOURCE_ID,  # PHP_INT_MAX
        # PHP's json_encode escapes non-ASCII, astral characters as surrogate *pairs*: ordinary text.
        b'{"id":727,"status":"processing","note":"\\ud83d\\ude00 caf\\u00e9 \\u4e2d"}',
        b'{"id":727,"status":"processing","total":1e400,"n":-0.0}',  # valid JSON numbers, however odd
    ],
)
def test_valid_json_at_the_limits_is_queued_and_reads_back_the_same(app_settings: Settings, body: bytes) -> None:
    queue, enqueue = real_enqueue()
    reply = receive_woo_webhook("main", signed(body), body, app_settings, enqueue)
    assert reply.status == 200, reply.message
    (text,) = queue.sent
    envelope = WooEvent.model_validate(json.loads(text))  # what the queue function does first
    expected = json.loads(body)
    if "total" in expected and expected["total"] == float("inf"):
        expected["total"] = None  # the envelope stores a non-finite number as null, as JSON must
    assert envelope.body == expected and envelope.resource_id == expected["id"]


def test_the_queue_step_never_fails_to_encode_a_lone_surrogate() -> None:
    # Ingress refuses such bodies, but other producers (the backfill reads orders from the REST API)
    # must not fail either: the message is sent with ASCII escapes and parses back unchanged.
    queue = CapturingQueue()
    sender = MessageSender(queue, lambda: None)  # type: ignore[arg-type]
    sender.send({"note": "a\ud800b", "name": "café"})
    assert json.loads(queue.sent[0]) == {"note": "a\ud800b", "name": "café"}
    sender.send({"name": "café"})
    assert queue.sent[1] == '{"name":"café"}'  # ordinary text stays compact UTF-8


def test_storage_unavailable_is_still_503(app_settings: Settings) -> None:
    body = nested(3)

    def down(event: WooEvent) -> None:
        raise ServiceRequestError("connection refused")

    assert receive_woo_webhook("main", signed(body), body, app_settings, down).status == 503


# Hostile JSON: deep nesting, lone surrogates and any other code point in keys and strings, integers of
# any size, non-finite floats; ids around the limits.
_strings = st.text(alphabet=st.characters(codec=None, categories=None), max_size=12) | st.sampled_from(
    ["\ud800", "a\udfffb", "\udc00\ud800", "\ud83d\ude00"]  # lone surrogates, reversed, a valid pair
)
_leaves = st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.floats() | _strings
_json = st.recursive(
    _leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_strings, inner, max_size=3), max_leaves=12
)
_ids = st.sampled_from([1, 727, MAX_RESOURCE_ID, MAX_RESOURCE_ID + 1, 2**70, 0, -5]) | st.integers()


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    payload = {"id": draw(_ids), "status": draw(st.sampled_from(["processing", "pending"])), "x": draw(_json)}
    depth = draw(st.sampled_from([0, 0, 5, MAX_BODY_DEPTH - 2, MAX_BODY_DEPTH + 5, 1500, 3000]))
    text = json.dumps(payload, ensure_ascii=draw(st.booleans()), allow_nan=True)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a raw lone surrogate cannot be UTF-8: send it escaped, as JSON allows
        text = json.dumps(payload, ensure_ascii=True, allow_nan=True)
    if depth:
        text = text[:-1] + ',"deep":' + "[" * depth + "]" * depth + "}"
    return text.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(body=hostile_bodies(), topic=st.sampled_from(["order.created", "order.updated", "coupon.updated"]))
def test_fuzzed_signed_json_is_queued_readably_or_refused_with_400(
    app_settings: Settings, body: bytes, topic: str
) -> None:
    queue, enqueue = real_enqueue()
    reply = receive_woo_webhook("main", signed(body, topic), body, app_settings, enqueue)
    assert reply.status in (200, 400), reply.message
    if queue.sent:
        envelope = WooEvent.model_validate(json.loads(queue.sent[0]))
        assert 0 < envelope.resource_id <= MAX_RESOURCE_ID
        assert envelope.body is not None and envelope.body["id"] == envelope.resource_id


@settings(max_examples=200, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=6000), tail=st.sampled_from(["", "\n", " "]))
def test_fuzzed_pings_never_5xx_and_never_queue(app_settings: Settings, digits: str, tail: str) -> None:
    queue, enqueue = real_enqueue()
    body = f"webhook_id={digits}{tail}".encode()
    reply = receive_woo_webhook("main", {}, body, app_settings, enqueue)
    significant = digits.lstrip("0") or "0"
    assert reply.status == (200 if len(significant) <= 20 and int(significant) <= 2**64 - 1 else 400)
    assert queue.sent == []
