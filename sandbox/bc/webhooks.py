"""BC webhooks: subscriptions with the validationToken handshake, 3-day expiry, debounced notifications
merged per notification URL, `collection` over the threshold, and BC's retry/delete rules (facts §1.8)."""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from sandbox.bc.entities import WEBHOOK_SETS
from sandbox.bc.errors import ApiError, bad_request, string_too_long
from sandbox.bc.store import Change, Record, Store, iso

RESOURCE_RE = re.compile(r"^/?api/v2\.0/companies\(([0-9a-fA-F-]{36})\)/([A-Za-z]+)$")
RETRYABLE = frozenset({408, 429}) | frozenset(range(500, 600))


@dataclass
class WebhookConfig:
    debounce_seconds: float = 30.0
    collection_threshold: int = 1000
    retry_delays_s: tuple[float, ...] = (60, 60, 60, 600, 6000)  # wait after failed attempt 1, 2, ...
    max_attempts: int = 5
    handshake_timeout_s: float = 5.0
    delivery_timeout_s: float = 10.0
    lifetime: timedelta = timedelta(days=3)
    max_subscriptions: int = 200


@dataclass
class Subscription:
    subscription_id: str
    notification_url: str
    resource: str
    client_state: str
    expiration: datetime
    user_id: str
    created_at: datetime
    modified_at: datetime
    company_id: str
    entity_set: str
    version: int = 1

    def record(self) -> Record:
        return {
            "subscriptionId": self.subscription_id,
            "notificationUrl": self.notification_url,
            "resource": self.resource,
            "timestamp": self.version,
            "userId": self.user_id,
            "lastModifiedDateTime": iso(self.modified_at),
            "clientState": self.client_state,
            "expirationDateTime": _seconds(self.expiration),
            "systemCreatedAt": iso(self.created_at),
            "systemCreatedBy": self.user_id,
            "systemModifiedAt": iso(self.modified_at),
            "systemModifiedBy": self.user_id,
        }


def _seconds(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Window:
    opened: float  # monotonic
    first_change: datetime
    changes: dict[str, dict[str, Change]] = field(default_factory=dict)  # subscription -> entity -> change


@dataclass
class _Delivery:
    url: str
    entries: list[dict[str, Any]]
    subscription_ids: set[str]
    due: float
    attempt: int = 1


class WebhookHub:
    def __init__(self, store: Store, config: WebhookConfig | None = None, verify: ssl.SSLContext | bool = True) -> None:
        self.store = store
        self.config = config or WebhookConfig()
        self.verify = verify
        self.subscriptions: dict[str, Subscription] = {}
        self.log: list[dict[str, Any]] = []  # every delivery attempt and handshake, for tests/benchmarks
        self.counters: Counter[str] = Counter()
        self._cond = threading.Condition()
        self._windows: dict[str, _Window] = {}
        self._deliveries: list[_Delivery] = []
        self._in_flight = 0
        self._stop = False
        self._thread: threading.Thread | None = None
        store.listeners.append(self.on_change)

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="bc-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread:
            self._thread.join(5)

    # ---- subscriptions ----------------------------------------------------------------------------
    def get(self, subscription_id: str) -> Subscription | None:
        self._expire()
        with self._cond:
            return self.subscriptions.get(subscription_id)

    def all(self) -> list[Subscription]:
        self._expire()
        with self._cond:
            return list(self.subscriptions.values())

    def _validate(self, url: Any, resource: Any, client_state: Any) -> tuple[str, str]:
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise bad_request("The notificationUrl must be an absolute http or https URL.")
        if not isinstance(resource, str):
            raise bad_request("The resource must be provided.")
        if not isinstance(client_state, str):
            raise bad_request("The clientState must be a string.")
        if len(client_state) > 2048:
            raise string_too_long(client_state, 2048)
        match = RESOURCE_RE.match(resource.strip())
        if not match:
            raise bad_request(f"The resource '{resource}' is not valid for a subscription.")
        company_id, entity_set = match.group(1).lower(), match.group(2)
        if self.store.company(company_id) is None:
            raise ApiError(404, "Internal_CompanyNotFound", f"Cannot find the company '{company_id}'.")
        if entity_set not in WEBHOOK_SETS:
            raise bad_request(f"The entity '{entity_set}' does not support webhook subscriptions.")
        return company_id, entity_set

    async def create(self, body: dict[str, Any], user_id: str) -> Subscription:
        url, resource = body.get("notificationUrl"), body.get("resource")
        client_state = body.get("clientState", "") or ""
        company_id, entity_set = self._validate(url, resource, client_state)
        if len(self.all()) >= self.config.max_subscriptions:
            raise bad_request(f"The maximum number of subscriptions ({self.config.max_subscriptions}) is reached.")
        assert isinstance(url, str) and isinstance(resource, str)
        await self._handshake(url)
        now = self.store.clock.now()
        sub = Subscription(
            uuid.uuid4().hex,
            url,
            resource,
            client_state,
            now + self.config.lifetime,
            user_id,
            now,
            now,
            company_id,
            entity_set,
        )
        with self._cond:
            self.subscriptions[sub.subscription_id] = sub
        self.counters["subscriptions_created"] += 1
        return sub

    async def renew(self, sub: Subscription, body: dict[str, Any]) -> Subscription:
        url = body.get("notificationUrl", sub.notification_url)
        client_state = body.get("clientState", sub.client_state) or ""
        resource = body.get("resource", sub.resource)
        if resource != sub.resource:
            raise bad_request("The resource of a subscription cannot be changed.")
        self._validate(url, resource, client_state)
        await self._handshake(url)
        now = self.store.clock.now()
        with self._cond:
            sub.notification_url, sub.client_state = url, client_state
            sub.expiration, sub.modified_at = now + self.config.lifetime, now
            sub.version += 1
        self.counters["subscriptions_renewed"] += 1
        return sub

    def delete(self, subscription_id: str) -> bool:
        with self._cond:
            return self.subscriptions.pop(subscription_id, None) is not None

    def delete_all(self) -> int:
        with self._cond:
            count = len(self.subscriptions)
            self.subscriptions.clear()
            return count

    def age(self, seconds: float, subscription_id: str | None = None) -> None:
        """Move expiration closer (tests of renewal/expiry without waiting three days)."""
        with self._cond:
            for sub in self.subscriptions.values():
                if subscription_id in (None, sub.subscription_id):
                    sub.expiration -= timedelta(seconds=seconds)
            self._cond.notify_all()

    async def _handshake(self, url: str) -> None:
        token = secrets.token_urlsafe(24)
        target = f"{url}{'&' if '?' in url else '?'}validationToken={token}"
        status, text = 0, ""
        try:
            async with httpx.AsyncClient(verify=self.verify, timeout=self.config.handshake_timeout_s) as client:
                response = await client.post(target)
                status, text = response.status_code, response.text
        except httpx.HTTPError as exc:
            text = f"{type(exc).__name__}: {exc}"
        ok = status == 200 and text.strip().strip('"') == token
        self.log.append({"kind": "handshake", "url": url, "status": status, "ok": ok})
        self.counters["handshakes_ok" if ok else "handshakes_failed"] += 1
        if not ok:
            raise bad_request(
                f"The notification URL '{url}' did not respond to the subscription validation request with the "
                f"validation token (status {status})."
            )

    def _expire(self) -> None:
        now = self.store.clock.now()
        with self._cond:
            for sid in [s.subscription_id for s in self.subscriptions.values() if s.expiration <= now]:
                del self.subscriptions[sid]
                self.counters["subscriptions_expired"] += 1

    # ---- change feed ------------------------------------------------------------------------------
    def on_change(self, change: Change) -> None:
        if change.entity_set not in WEBHOOK_SETS:
            return
        now = self.store.clock.now()
        with self._cond:
            for sub in self.subscriptions.values():
                if sub.company_id != change.company_id or sub.entity_set != change.entity_set:
                    continue
                if sub.expiration <= now:
                    continue
                window = self._windows.setdefault(sub.notification_url, _Window(time.monotonic(), change.at))
                per_entity = window.changes.setdefault(sub.subscription_id, {})
                previous = per_entity.get(change.entity_id)
                if previous and previous.change_type == "created" and change.change_type == "updated":
                    change = Change(change.company_id, change.entity_set, change.entity_id, "created", change.at)
                per_entity[change.entity_id] = change
            self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> None:
        """Send every pending window now and wait until first delivery attempts are done."""
        deadline = time.monotonic() + timeout
        with self._cond:
            for window in self._windows.values():
                window.opened = float("-inf")
            for delivery in self._deliveries:
                if delivery.attempt == 1:
                    delivery.due = 0
            self._cond.notify_all()
            while (self._windows or self._in_flight or any(x.attempt == 1 for x in self._deliveries)) and (
                time.monotonic() < deadline
            ):
                self._cond.wait(0.05)

    # ---- dispatcher thread ------------------------------------------------------------------------
    def _run(self) -> None:
        with httpx.Client(verify=self.verify, timeout=self.config.delivery_timeout_s) as client:
            while True:
                self._expire()
                with self._cond:
                    if self._stop:
                        return
                    now = time.monotonic()
                    for url in [u for u, w in self._windows.items() if w.opened + self.config.debounce_seconds <= now]:
                        self._close_window(url, self._windows.pop(url), now)
                    ready = [x for x in self._deliveries if x.due <= now]
                    self._deliveries = [x for x in self._deliveries if x.due > now]
                    if not ready:
                        dues = [w.opened + self.config.debounce_seconds for w in self._windows.values()]
                        dues += [x.due for x in self._deliveries]
                        self._cond.wait(max(0.005, min(dues, default=now + 0.5) - now))
                        continue
                    self._in_flight += len(ready)
                for delivery in ready:
                    try:
                        self._send(client, delivery)
                    finally:
                        with self._cond:
                            self._in_flight -= 1
                            self._cond.notify_all()

    def _close_window(self, url: str, window: _Window, now: float) -> None:
        entries: list[dict[str, Any]] = []
        for sid, changes in window.changes.items():
            sub = self.subscriptions.get(sid)
            if sub is None:
                continue
            base = f"api/v2.0/companies({sub.company_id})/{sub.entity_set}"
            common = {
                "subscriptionId": sid,
                "clientState": sub.client_state,
                "expirationDateTime": _seconds(sub.expiration),
            }
            if len(changes) > self.config.collection_threshold:
                since = iso(window.first_change - timedelta(milliseconds=1))
                entries.append(
                    {
                        **common,
                        "resource": f"/{base}?$filter=lastModifiedDateTime%20gt%20{since}",
                        "changeType": "collection",
                        "lastModifiedDateTime": iso(max(c.at for c in changes.values())),
                    }
                )
                continue
            for change in changes.values():
                entries.append(
                    {
                        **common,
                        "resource": f"{base}({change.entity_id})",
                        "changeType": change.change_type,
                        "lastModifiedDateTime": iso(change.at),
                    }
                )
        if entries:
            self._deliveries.append(_Delivery(url, entries, set(window.changes), now))

    def _send(self, client: httpx.Client, delivery: _Delivery) -> None:
        with self._cond:
            live = {sid for sid in delivery.subscription_ids if sid in self.subscriptions}
        entries = [e for e in delivery.entries if e["subscriptionId"] in live]
        if not entries:
            return
        body = json.dumps({"value": entries}, separators=(",", ":")).encode("utf-8")  # UTF-8, no BOM
        headers = {
            "Content-Type": "application/json",
            "clientRequestId": str(uuid.uuid4()),
            "x-ms-correlation-id": str(uuid.uuid4()),
        }
        status = 0
        try:
            status = client.post(delivery.url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = 0
        self.log.append(
            {
                "kind": "notification",
                "url": delivery.url,
                "status": status,
                "attempt": delivery.attempt,
                "body": {"value": entries},
            }
        )
        if 200 <= status < 300:
            self.counters["notifications_delivered"] += 1
            return
        if status == 0 or status in RETRYABLE:
            if delivery.attempt >= self.config.max_attempts:
                self.counters["notifications_dropped"] += 1
                return
            delays = self.config.retry_delays_s or (60,)
            wait = delays[min(delivery.attempt - 1, len(delays) - 1)]
            delivery.attempt += 1
            delivery.due = time.monotonic() + wait
            delivery.subscription_ids = live
            delivery.entries = entries
            self.counters["notifications_retried"] += 1
            with self._cond:
                self._deliveries.append(delivery)
                self._cond.notify_all()
            return
        # Any other answer: BC deletes the subscription(s) this notification was for.
        with self._cond:
            for sid in live:
                self.subscriptions.pop(sid, None)
        self.counters["subscriptions_deleted_by_error"] += len(live)
