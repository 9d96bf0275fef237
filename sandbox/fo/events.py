"""Business-event delivery to HTTPS endpoints (facts §3, dynamics.md §2.4): the flat envelope of the saved sample
(fo-business-event-envelope-sample.json) plus the event's DataMembers at the same level, `/Date(ms)/` times, an
increasing ControlNumber with gaps; a failed delivery is retried 3 times, 1 s apart, then kept in an error list."""

from __future__ import annotations

import queue
import random
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

DELIVERY_TIMEOUT_SECONDS = 10.0


def ms_date(dt: datetime) -> str:
    return f"/Date({int(dt.timestamp() * 1000)})/"


def iso7(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond * 10:07d}Z"


@dataclass
class EventConfig:
    retries: int = 3  # after the first attempt (dynamics.md §2.4: "retry 3 times, 1 s apart")
    retry_delay_s: float = 1.0
    major_version: int = 10
    minor_version: int = 0


@dataclass
class Delivery:
    event: dict[str, Any]
    endpoint: str
    attempts: list[int | str] = field(default_factory=list)  # status codes or error names
    delivered: bool = False


class EventHub:
    def __init__(self, verify: ssl.SSLContext | bool, config: EventConfig | None = None) -> None:
        self.config = config or EventConfig()
        self.endpoints: dict[str, list[str]] = {}  # BusinessEventId -> endpoint URLs ("*" = every event)
        self.log: list[Delivery] = []
        self.errors: list[Delivery] = []
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._verify = verify
        self._control = 5637144576 + random.randint(0, 10_000)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pending = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="sandbox-fo-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(5)
            self._thread = None

    def activate(self, event_id: str, endpoint: str) -> None:
        self.endpoints.setdefault(event_id, []).append(endpoint)

    def envelope(self, event_id: str, legal_entity: str, members: dict[str, Any], subject: str = "") -> dict[str, Any]:
        with self._lock:
            self._control += random.randint(1, 7)  # increasing, with gaps
            control = self._control
        now = datetime.now(UTC)
        event = {
            "BusinessEventId": event_id,
            "BusinessEventLegalEntity": legal_entity.upper(),  # UNCONFIRMED case (the sample shows "SO01")
            "ContextRecordSubject": subject,
            "ControlNumber": control,
            "EventId": str(uuid.uuid4()).upper(),
            "EventTime": ms_date(now),
            "EventTimeIso8601": iso7(now),
            "InitiatingUserAADObjectId": "{" + str(uuid.uuid4()).upper() + "}",
            "MajorVersion": self.config.major_version,
            "MinorVersion": self.config.minor_version,
            "ParentContextRecordSubjects": [],
            **members,
        }
        return dict(sorted(event.items()))  # the sample is in alphabetical order

    def publish(self, event_id: str, legal_entity: str, members: dict[str, Any], subject: str = "") -> dict[str, Any]:
        event = self.envelope(event_id, legal_entity, members, subject)
        for endpoint in self.endpoints.get(event_id, []) + self.endpoints.get("*", []):
            with self._lock:
                self._pending += 1
            self._queue.put(Delivery(event, endpoint))
        return event

    def flush(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._pending == 0:
                    return True
            time.sleep(0.02)
        return False

    def _work(self) -> None:
        with httpx.Client(verify=self._verify, timeout=DELIVERY_TIMEOUT_SECONDS) as client:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                try:
                    self._deliver(client, item)
                finally:
                    with self._lock:
                        self._pending -= 1

    def _deliver(self, client: httpx.Client, item: Delivery) -> None:
        for attempt in range(self.config.retries + 1):
            if attempt:
                time.sleep(self.config.retry_delay_s)
            try:
                status = client.post(item.endpoint, json=item.event).status_code
                item.attempts.append(status)
                if 200 <= status < 300:  # any 2xx counts (UNCONFIRMED, facts §3)
                    item.delivered = True
                    break
            except httpx.HTTPError as exc:
                item.attempts.append(type(exc).__name__)
        self.log.append(item)
        if not item.delivered:
            self.errors.append(item)
