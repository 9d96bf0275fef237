"""With storage down, the webhook answers 503 well inside WooCommerce's 60 s delivery timeout (facts §1),
not after the storage SDK's default backoff (15 + 18 + 24 s, about 78 s); with storage up it queues."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from sandbox.server import free_port
from shared.config import Settings
from shared.flows.ingress import receive_woo_webhook
from shared.flows.services import bootstrap

pytestmark = pytest.mark.integration

SECRET = "whsec-test"
WOO_TIMEOUT_SECONDS = 60  # WooCommerce gives up on a delivery after a minute (wp_safe_remote_request)
ORDER = json.loads(
    (Path(__file__).resolve().parents[3] / "shared/reference/woocommerce/order-retrieve.json").read_text()
)


def delivery() -> tuple[dict[str, str], bytes]:
    body = json.dumps(ORDER).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "updated",
        "X-WC-Webhook-Signature": signature, "X-WC-Webhook-ID": "7", "X-WC-Webhook-Delivery-ID": "d1",
    }  # fmt: skip
    return headers, body


def settings(storage: str) -> Settings:
    store = {
        "url": "https://shop.example.com/",
        "consumer_key": "ck",
        "consumer_secret": "cs",
        "webhook_secret": SECRET,
    }
    return Settings.model_validate({"AzureWebJobsStorage": storage, "woo_stores": {"main": store}})


def test_storage_down_is_a_503_before_woocommerce_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    nobody = free_port()  # nothing listens there: every storage call is refused
    storage = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        f"QueueEndpoint=http://127.0.0.1:{nobody}/devstoreaccount1;BlobEndpoint=http://127.0.0.1:{nobody}/devstoreaccount1"
    )
    monkeypatch.setenv("AzureWebJobsStorage", storage)
    app = bootstrap(settings(storage))
    headers, body = delivery()
    started = time.monotonic()
    reply = receive_woo_webhook("main", headers, body, app.settings, app.enqueue_webhook_event)
    waited = time.monotonic() - started
    assert reply.status == 503
    assert waited < WOO_TIMEOUT_SECONDS / 2, f"answered after {waited:.1f} s"


def test_storage_up_queues_the_delivery(storage_env: str) -> None:
    app = bootstrap(settings(storage_env))
    app.ensure_storage()
    headers, body = delivery()
    assert receive_woo_webhook("main", headers, body, app.settings, app.enqueue_webhook_event).status == 200
