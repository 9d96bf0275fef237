"""Webhook delivery as WC_Webhook::deliver() does it, behind an Action-Scheduler-like background queue.

- Events queue one action per (webhook, resource id); a pending duplicate is coalesced.
- The body is built when the action runs (state at delivery time), signed over the exact bytes sent.
- No retries. 200-302 is success (resets failure_count); a failure increments it, and a failure while the
  stored count already exceeds max_delivery_failures disables the webhook (so the 7th in a row with 5).
- After each delivery the webhook is saved; if it is active and its ping never got a 200, it is pinged again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
import socket
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from sandbox.woo.formats import wp_hash, wp_json_encode, wp_specialchars_decode
from sandbox.woo.models import Webhook
from sandbox.woo.store import Store
from sandbox.woo.views import customer_view, order_view, product_view

CANNOT_VIEW = {
    "code": "woocommerce_rest_cannot_view",
    "message": "Sorry, you cannot view this resource.",
    "data": {"status": 401},
}
MISSING = {
    "order": "woocommerce_rest_shop_order_invalid_id",
    "product": "woocommerce_rest_product_invalid_id",
    "customer": "woocommerce_rest_invalid_id",
    "coupon": "woocommerce_rest_shop_coupon_invalid_id",
}
SAFE_PORTS = (80, 443, 8080)


@dataclass
class DeliveryOptions:
    delay_seconds: float = 0.2  # Action Scheduler lag (30-60 s on a real store)
    batch_size: int = 25
    timeout_seconds: float = 60.0
    ping_timeout_seconds: float = 5.0
    duplicate_max: int = 1  # deliver each action 1..N times (N > 1 emulates cross-request duplicates)
    duplicate_concurrent: bool = True
    error_payload_rate: float = 0.0  # deliver the 401 error object instead of the resource
    error_payload_next: int = 0  # ... for the next N deliveries
    enforce_url_safety: bool = False  # wp_safe_remote_request's rules (off: local hosts are allowed)
    verify: str | bool = True  # CA bundle for https receivers
    seed: int = 7


@dataclass
class DeliveryRecord:
    kind: str  # delivery | ping
    webhook_id: int
    topic: str
    resource_id: int | None
    url: str
    status_code: int  # 0 when the request failed (timeout, refused, rejected URL)
    success: bool
    duration_ms: float
    body_size: int
    delivery_id: str = ""
    error: str = ""
    copy: int = 1
    at: float = field(default_factory=time.time)
    headers: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Action:
    webhook_id: int
    resource_id: int
    topic: str
    due: float


class DeliveryWorker:
    def __init__(self, store: Store, options: DeliveryOptions | None = None) -> None:
        self.store = store
        self.options = options or DeliveryOptions()
        self.log: list[DeliveryRecord] = []
        self._rng = random.Random(self.options.seed)
        self._pending: OrderedDict[tuple[int, int], _Action] = OrderedDict()
        self._cond = threading.Condition()
        self._busy = 0
        self._paused = False
        self._flushing = 0
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None
        self._ping_client: httpx.Client | None = None

    # lifecycle
    def start(self) -> None:
        verify: ssl.SSLContext | bool = (
            self.options.verify
            if isinstance(self.options.verify, bool)
            else (ssl.create_default_context(cafile=self.options.verify))
        )
        self._client = httpx.Client(verify=verify, timeout=self.options.timeout_seconds, follow_redirects=False)
        self._ping_client = httpx.Client(
            verify=verify, timeout=self.options.ping_timeout_seconds, follow_redirects=True, max_redirects=5
        )
        self._thread = threading.Thread(target=self._run, name="woo-webhook-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)
        for client in (self._client, self._ping_client):
            if client is not None:
                client.close()

    # queue
    def enqueue(self, webhook_id: int, resource_id: int, topic: str) -> None:
        """The store's event sink: one pending action per (webhook, resource); duplicates coalesce."""
        with self._cond:
            key = (webhook_id, resource_id)
            if key not in self._pending:
                self._pending[key] = _Action(
                    webhook_id, resource_id, topic, time.monotonic() + self.options.delay_seconds
                )
                self._cond.notify_all()

    def pending(self) -> list[dict[str, Any]]:
        with self._cond:
            return [
                {"webhook_id": a.webhook_id, "resource_id": a.resource_id, "topic": a.topic}
                for a in self._pending.values()
            ]

    def pause(self) -> None:
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def flush(self, timeout: float = 30.0) -> bool:
        """Run every pending action now (even while paused) and wait until the queue is idle."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._pending or self._busy:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
                return True
            finally:
                self._flushing -= 1

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait (without forcing) until nothing is pending or in flight."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def records(self) -> list[DeliveryRecord]:
        with self._cond:
            return list(self.log)

    def clear_log(self) -> None:
        with self._cond:
            self.log.clear()

    def _take_due(self) -> list[_Action]:
        now = time.monotonic()
        due = [a for a in self._pending.values() if self._flushing or a.due <= now][: self.options.batch_size]
        for a in due:
            del self._pending[(a.webhook_id, a.resource_id)]
        return due

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopped:
                        return
                    if self._pending and (not self._paused or self._flushing):
                        batch = self._take_due()
                        if batch:
                            break
                        wait = min(a.due for a in self._pending.values()) - time.monotonic()
                        self._cond.wait(max(wait, 0.005))
                    else:
                        self._cond.wait(0.5)
                self._busy += 1
            try:
                for action in batch:
                    self._deliver(action)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    # delivery
    def build_payload(self, hook: Webhook, resource_id: int) -> dict[str, Any]:
        """WC_Webhook::build_payload() as run by the queue (the caller holds the store lock)."""
        store = self.store
        if hook.resource == "action":
            return {"action": hook.event, "arg": resource_id}
        if hook.event == "deleted":
            return {"id": resource_id}
        if self._take_error_payload():
            return dict(CANNOT_VIEW, data={"status": 401})
        resource: Any = None
        if hook.resource == "order":
            order = store.orders.get(resource_id)
            resource = order_view(store, order) if order else None
        elif hook.resource == "product":
            product = store.products.get(resource_id)
            resource = product_view(store, product) if product else None
        elif hook.resource == "customer":
            customer = store.customers.get(resource_id)
            resource = customer_view(store, customer) if customer else None
        if resource is None:
            message = "Invalid resource ID." if hook.resource == "customer" else "Invalid ID."
            return {"code": MISSING.get(hook.resource, "rest_invalid"), "message": message, "data": {"status": 404}}
        return resource

    def _take_error_payload(self) -> bool:
        if self.options.error_payload_next > 0:
            self.options.error_payload_next -= 1
            return True
        return self.options.error_payload_rate > 0 and self._rng.random() < self.options.error_payload_rate

    def _deliver(self, action: _Action) -> None:
        store = self.store
        with store.lock:
            hook = store.webhooks.get(action.webhook_id)
            if hook is None:
                return
            payload = self.build_payload(hook, action.resource_id)
            url, secret, topic = hook.delivery_url, hook.secret, hook.topic
            copies = self._rng.randint(1, max(1, self.options.duplicate_max))
        body = wp_json_encode(payload)
        signature = base64.b64encode(
            hmac.new(wp_specialchars_decode(secret).encode(), body, hashlib.sha256).digest()
        ).decode()
        if copies > 1 and self.options.duplicate_concurrent:
            threads = [
                threading.Thread(target=self._send, args=(action, url, topic, body, signature, n + 1))
                for n in range(copies)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for n in range(copies):
                self._send(action, url, topic, body, signature, n + 1)
        with store.lock:
            hook = store.webhooks.get(action.webhook_id)
            must_ping = hook is not None and hook.status == "active" and hook.pending_delivery
        if must_ping:
            self.ping(action.webhook_id)

    def _headers(self, webhook_id: int, topic: str, signature: str) -> dict[str, str]:
        o = self.store.options
        resource, _, event = topic.partition(".")
        delivery_id = wp_hash(f"{webhook_id}{int(self.store.now().timestamp())}", self.store.salt)
        return {
            "User-Agent": f"WooCommerce/{o.wc_version} Hookshot (WordPress/{o.wp_version})",
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": self.store.home_url,
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature,
            "X-WC-Webhook-ID": str(webhook_id),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }

    def _send(self, action: _Action, url: str, topic: str, body: bytes, signature: str, copy: int) -> None:
        headers = self._headers(action.webhook_id, topic, signature)
        started = time.monotonic()
        status, error = self._post(self._client, url, body, headers)
        success = 200 <= status < 303
        with self.store.lock:
            hook = self.store.webhooks.get(action.webhook_id)
            if hook is not None:
                self._log_delivery(hook, success)
        record = DeliveryRecord(
            kind="delivery",
            webhook_id=action.webhook_id,
            topic=topic,
            resource_id=action.resource_id,
            url=url,
            status_code=status,
            success=success,
            duration_ms=(time.monotonic() - started) * 1000,
            body_size=len(body),
            delivery_id=headers["X-WC-Webhook-Delivery-ID"],
            error=error,
            copy=copy,
            headers=headers,
        )
        with self._cond:
            self.log.append(record)

    def _log_delivery(self, hook: Webhook, success: bool) -> None:
        if success:
            hook.failure_count = 0
        elif hook.failure_count > self.store.options.max_delivery_failures:
            hook.status = "disabled"
        else:
            hook.failure_count += 1

    def _post(self, client: httpx.Client | None, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        if client is None:
            return 0, "delivery worker not started"
        if self.options.enforce_url_safety and not self._url_is_safe(url):
            return 0, "A valid URL was not provided."
        try:
            response = client.post(url, content=body, headers=headers)
            return response.status_code, ""
        except httpx.HTTPError as exc:
            return 0, f"{type(exc).__name__}: {exc}"

    def _url_is_safe(self, url: str) -> bool:
        """wp_http_validate_url(): no credentials, no private/loopback hosts, ports 80/443/8080 only."""
        parts = urlsplit(url)
        home = urlsplit(self.store.home_url)
        if parts.username or parts.password or not parts.hostname:
            return False
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if parts.hostname == home.hostname and parts.port == home.port:
            return True
        try:
            address = ipaddress.ip_address(socket.gethostbyname(parts.hostname))
        except (OSError, ValueError):
            return False
        if address.is_loopback or address.is_private or address.is_unspecified:
            return False
        return port in SAFE_PORTS

    def ping(self, webhook_id: int) -> DeliveryRecord | None:
        """WC_Webhook::deliver_ping(): unsigned form body, only an exact 200 clears pending_delivery."""
        with self.store.lock:
            hook = self.store.webhooks.get(webhook_id)
            if hook is None:
                return None
            url, topic = hook.delivery_url, hook.topic
        o = self.store.options
        body = f"webhook_id={webhook_id}".encode()
        headers = {
            "User-Agent": f"WooCommerce/{o.wc_version} Hookshot (WordPress/{o.wp_version})",
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        }
        started = time.monotonic()
        status, error = self._post(self._ping_client, url, body, headers)
        if status and status != 200:
            error = f"Error: Delivery URL returned response code: {status}"
        elif not status:
            error = f"Error: Delivery URL cannot be reached: {error}"
        with self.store.lock:
            hook = self.store.webhooks.get(webhook_id)
            if hook is not None and status == 200:
                hook.pending_delivery = False
        record = DeliveryRecord(
            kind="ping",
            webhook_id=webhook_id,
            topic=topic,
            resource_id=None,
            url=url,
            status_code=status,
            success=status == 200,
            duration_ms=(time.monotonic() - started) * 1000,
            body_size=len(body),
            error=error,
            headers=headers,
        )
        with self._cond:
            self.log.append(record)
        return record
