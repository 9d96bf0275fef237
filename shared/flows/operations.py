"""Operations: poison queues (list, replay), held orders, and the status an operator checks daily.

Poison replay moves a message from `<queue>-poison` back to `<queue>` **unchanged**: the raw stored text
(already base64, as the host wrote it) is read with NoDecodePolicy and sent with NoEncodePolicy, so it is
never encoded twice (facts azure-functions.md §1.4). Each message is deleted from the poison queue only
after its copy is queued, so a crash in between gives a duplicate (which the idempotent order flow
absorbs), never a loss. Messages being looked at are hidden for a while with a receive, so two
operators replaying at once do not move one message twice.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueMessage, QueueServiceClient
from azure.storage.queue._message_encoding import NoDecodePolicy, NoEncodePolicy

from shared.flows.common import POISONED
from shared.flows.services import Services
from shared.storage.ledger import LedgerEntry, OrderState
from shared.storage.names import HOSTS_CONTAINER, QUEUES, TIMER_STATUS_PREFIX, WOO_EVENTS_QUEUE, poison_queue
from shared.storage.queues import CLAIM_CHECK_KEY, open_message
from shared.storage.tables import Watermarks
from shared.telemetry import log_event

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

log = logging.getLogger("connector.operations")

PEEK_LIMIT = 32  # the queue service returns at most 32 messages per peek or receive
LIST_HIDE_SECONDS = 30  # a listing beyond one peek hides the messages this long, then shows them again
REPLAY_HIDE_SECONDS = 120  # a replay hides what it looks at this long (it deletes what it moves)
HTTP_REPLAY_LIMIT = 2000  # messages per HTTP call: an HTTP function must answer within 230 s


class OperationsError(ValueError):
    """A request an operator can correct (unknown queue, malformed order reference)."""


def raw_queue(service: QueueServiceClient, name: str) -> QueueClient:
    """A client that reads and writes the stored text as is: no base64 either way."""
    return service.get_queue_client(
        name, message_encode_policy=NoEncodePolicy(), message_decode_policy=NoDecodePolicy()
    )


def check_queue(queue: str) -> str:
    name = queue.strip().lower()
    if name.endswith("-poison"):
        name = name.removesuffix("-poison")
    if name not in QUEUES:
        raise OperationsError(f"unknown queue {queue!r}: use one of {', '.join(QUEUES)}")
    return name


def parse_order_ref(ref: str) -> tuple[str, int]:
    """`store/order id` → (store, id)."""
    store, sep, order = ref.strip().partition("/")
    if not sep or not store or not order.strip().isdigit():
        raise OperationsError(f"order must look like <store>/<order id>, e.g. main/1234 (got {ref!r})")
    return store.lower(), int(order)


# ------------------------------------------------------------------------------------- poison messages


@dataclass(frozen=True)
class PoisonMessage:
    """One message in a poison queue, with what its envelope says (when it can be read)."""

    queue: str  # the queue it came from (not the -poison one)
    id: str
    inserted_on: datetime | None
    dequeue_count: int
    store: str = ""
    order: int | None = None
    topic: str = ""
    problem: str = ""  # why it could not be read, when it could not
    cause: str = ""  # the error of its last try (class: message), from the order's audit trail

    @property
    def subject(self) -> str:
        return f"{self.store}/{self.order}" if self.store and self.order is not None else ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["inserted_on"] = self.inserted_on.isoformat() if self.inserted_on else None
        data["subject"] = self.subject
        return data


def describe(raw: str, blobs: BlobServiceClient | None = None) -> tuple[str, int | None, str, str]:
    """(store, order id, topic, problem) of a stored message: base64 text of a JSON envelope."""
    try:
        body = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return "", None, "", "not base64: the host moved it to poison without calling the function"
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "", None, "", "not JSON"
    if not isinstance(message, dict):
        return "", None, "", "not a JSON object"
    if CLAIM_CHECK_KEY in message and blobs is not None:
        try:
            message = open_message(body, lambda: blobs)
        except ResourceNotFoundError:
            return "", None, "", "its claim-checked body is missing"
        except (ValueError, HttpResponseError) as exc:
            return "", None, "", f"its claim-checked body cannot be read: {type(exc).__name__}"
    store = str(message.get("store") or "")
    resource_id = message.get("resource_id")
    order = resource_id if isinstance(resource_id, int) else None
    if isinstance(resource_id, str) and resource_id.isdigit():
        order = int(resource_id)
    return store, order, str(message.get("topic") or ""), ""


def _poison_message(queue: str, message: QueueMessage, blobs: BlobServiceClient | None) -> PoisonMessage:
    store, order, topic, problem = describe(str(message.content or ""), blobs)
    return PoisonMessage(
        queue=queue,
        id=str(message.id),
        inserted_on=message.inserted_on,
        dequeue_count=int(message.dequeue_count or 0),
        store=store,
        order=order,
        topic=topic,
        problem=problem,
    )


def poison_cause(services: Services, subject: str) -> str:
    """`Class: message` of the last failure that poisoned a message of this order ("" when none recorded)."""
    rows = [row for row in services.audit.trail(subject) if row.data.get("stage") == POISONED]
    if not rows:
        return ""
    data = rows[-1].data
    error, cause = str(data.get("error") or ""), str(data.get("cause") or "")
    return f"{error}: {cause}" if error and cause else error or cause


def with_causes(services: Services, messages: list[PoisonMessage]) -> list[PoisonMessage]:
    """The messages with the cause their order's audit trail recorded (one lookup per order)."""
    causes: dict[str, str] = {}
    for message in messages:
        if message.subject and message.subject not in causes:
            causes[message.subject] = poison_cause(services, message.subject)
    return [replace(m, cause=causes.get(m.subject, "")) if m.subject else m for m in messages]


@dataclass
class PoisonListing:
    queue: str
    count: int  # the queue's approximate message count
    messages: list[PoisonMessage] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.messages) >= self.count

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "poison_queue": poison_queue(self.queue),
            "count": self.count,
            "messages": [m.to_dict() for m in self.messages],
        }


def queue_depth(service: QueueServiceClient, name: str) -> int | None:
    """Approximate message count; None when the queue does not exist."""
    try:
        return int(service.get_queue_client(name).get_queue_properties().approximate_message_count or 0)
    except ResourceNotFoundError:
        return None


def _receive_all(client: QueueClient, hide_seconds: int, limit: int | None) -> Iterator[QueueMessage]:
    """Receive (and so hide) messages page by page until the queue shows no more, or `limit`.

    Stops at a message seen before: it has become visible again, so everything has been seen.
    """
    seen: set[str] = set()
    pages = client.receive_messages(messages_per_page=PEEK_LIMIT, visibility_timeout=hide_seconds, max_messages=limit)
    for message in pages:
        if message.id in seen:
            return
        seen.add(message.id)
        yield message


def _show_again(client: QueueClient, messages: list[QueueMessage]) -> None:
    for message in messages:
        # It may have become visible by itself (its receipt is stale), or someone deleted it.
        with contextlib.suppress(ResourceNotFoundError, HttpResponseError):
            client.update_message(message, pop_receipt=message.pop_receipt, visibility_timeout=0)


def list_poison(services: Services, queue: str = WOO_EVENTS_QUEUE, *, limit: int = 100) -> PoisonListing:
    """The messages in `<queue>-poison` (up to `limit`), without moving any.

    Up to 32 are peeked (no side effect). More are received with a short invisibility and made visible
    again at once.
    """
    queue = check_queue(queue)
    service = services.storage.queue_service()
    count = queue_depth(service, poison_queue(queue)) or 0
    listing = PoisonListing(queue, count)
    if count == 0 or limit <= 0:
        return listing
    client = raw_queue(service, poison_queue(queue))
    blobs = services.blobs
    if count <= PEEK_LIMIT or limit <= PEEK_LIMIT:
        peeked = client.peek_messages(max_messages=min(limit, PEEK_LIMIT))
        listing.messages = [_poison_message(queue, message, blobs) for message in peeked]
    else:
        received = list(_receive_all(client, LIST_HIDE_SECONDS, limit))
        try:
            listing.messages = [_poison_message(queue, message, blobs) for message in received]
        finally:
            _show_again(client, received)
    listing.messages = with_causes(services, listing.messages)
    listing.count = max(count, len(listing.messages))
    return listing


@dataclass
class ReplayResult:
    queue: str
    moved: int = 0
    looked_at: int = 0
    remaining: int = 0  # approximate count left in the poison queue
    orders: list[str] = field(default_factory=list)  # store/order of the moved messages that name one

    def to_dict(self) -> dict[str, Any]:
        return {
            "moved": self.moved,
            "queue": self.queue,
            "poison_queue": poison_queue(self.queue),
            "looked_at": self.looked_at,
            "remaining": self.remaining,
            "orders": self.orders,
        }


def replay_poison(
    services: Services,
    queue: str = WOO_EVENTS_QUEUE,
    *,
    message_id: str | None = None,
    order: str | None = None,
    limit: int | None = None,
) -> ReplayResult:
    """Move poison messages back to their queue: all of them, one message id, or one order's.

    `limit` caps the messages looked at (the HTTP function uses it to answer in time).
    """
    queue = check_queue(queue)
    wanted_order = parse_order_ref(order) if order else None
    service = services.storage.queue_service()
    target = raw_queue(service, queue)
    source = raw_queue(service, poison_queue(queue))
    result = ReplayResult(queue)
    if queue_depth(service, poison_queue(queue)) is None:
        return result
    blobs = services.blobs
    kept: list[QueueMessage] = []
    try:
        for message in _receive_all(source, REPLAY_HIDE_SECONDS, limit):
            result.looked_at += 1
            info = _poison_message(queue, message, blobs)
            matches = (message_id is None or info.id == message_id) and (
                wanted_order is None or (info.store, info.order) == wanted_order
            )
            if not matches:
                kept.append(message)
                continue
            target.send_message(message.content)  # the stored text, unchanged (it is base64 already)
            source.delete_message(message, pop_receipt=message.pop_receipt)
            result.moved += 1
            if info.subject:
                result.orders.append(info.subject)
                services.audit.record(info.subject, "replayed", "moved from poison", queue=queue, message=info.id)
            if message_id is not None:
                break
    finally:
        _show_again(source, kept)
    result.remaining = queue_depth(service, poison_queue(queue)) or 0
    log_event(log, "poison_replayed", queue=queue, moved=result.moved, remaining=result.remaining)
    return result


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: str


def replay_request(services: Services, params: Mapping[str, str], body: bytes) -> HttpReply:
    """The replay_poison HTTP function: `queue`, `id`, `order`, `limit` from the query or a JSON body."""
    values: dict[str, Any] = {}
    if body.strip():
        try:
            parsed = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(400, 'the body must be JSON, e.g. {"order": "main/1234"}, or empty')
        if not isinstance(parsed, dict):
            return _error(400, "the body must be a JSON object")
        values.update(parsed)
    values.update({k: v for k, v in params.items() if v != ""})
    message_id, order = values.get("id"), values.get("order")
    if message_id and order:
        return _error(400, "give either id or order, not both")
    try:
        limit = int(values.get("limit") or HTTP_REPLAY_LIMIT)
        result = replay_poison(
            services,
            str(values.get("queue") or WOO_EVENTS_QUEUE),
            message_id=str(message_id) if message_id else None,
            order=str(order) if order else None,
            limit=max(1, limit),
        )
    except (OperationsError, ValueError) as exc:
        return _error(400, str(exc))
    return HttpReply(200, json.dumps(result.to_dict()))


def _error(status: int, message: str) -> HttpReply:
    return HttpReply(status, json.dumps({"error": message}))


# ------------------------------------------------------------------------------------- held orders


@dataclass(frozen=True)
class HeldOrder:
    store: str
    order_id: int
    order_number: str
    code: str
    reason: str
    held_since: datetime | None
    age: timedelta | None
    woo_total: str = ""

    @property
    def subject(self) -> str:
        return f"{self.store}/{self.order_id}"

    @classmethod
    def of(cls, entry: LedgerEntry, now: datetime) -> HeldOrder:
        since = _parse_time(entry.held_since)
        return cls(
            store=entry.store,
            order_id=entry.order_id,
            order_number=entry.order_number,
            code=entry.hold_code,
            reason=entry.hold_reason,
            held_since=since,
            age=now - since if since else None,
            woo_total=entry.woo_total,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "order": self.order_id,
            "number": self.order_number,
            "code": self.code,
            "reason": self.reason,
            "held_since": self.held_since.isoformat() if self.held_since else None,
            "age_hours": round(self.age.total_seconds() / 3600, 1) if self.age is not None else None,
        }


def _parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def known_store(services: Services, store: str) -> str:
    """The store id, lower-cased, when the settings configure it or the ledger has orders of it.

    OperationsError otherwise, so a mistyped `--store` is an error rather than an empty listing. (The
    ledger counts too: commands that only read storage may run without the stores' settings.)
    """
    name = store.strip().lower()
    if name in services.settings.woo_stores:
        return name
    rows = services.ledger.table.client.query_entities(
        "PartitionKey eq @store", parameters={"store": name}, select=["RowKey"], results_per_page=1
    )
    if next(iter(rows), None) is not None:
        return name
    configured = ", ".join(services.settings.woo_stores) or "none"
    raise OperationsError(
        f"unknown store {store!r}: not in the settings (stores configured: {configured}) "
        "and no orders of it in the ledger"
    )


def held_orders(services: Services, store: str | None = None, *, now: datetime | None = None) -> list[HeldOrder]:
    """Every held order (of one store, or all), the longest-waiting first."""
    now = now or datetime.now(UTC)
    held = [HeldOrder.of(entry, now) for entry in services.ledger.in_state(OrderState.HELD, store)]
    return sorted(held, key=lambda h: (h.held_since or now, h.store, h.order_id))


def attention_count(services: Services) -> int:
    """Posted orders a person must look at (total mismatch, changed after posting, cancel after shipping)."""
    rows = services.ledger.table.client.query_entities("attention ne ''", select=["PartitionKey", "RowKey"])
    return sum(1 for _ in rows)


# ------------------------------------------------------------------------------------- timers, watermarks


@dataclass(frozen=True)
class TimerStatus:
    host_id: str  # "" for a timer with no schedule record yet
    name: str
    last: str | None  # None: never ran
    next: str | None
    last_updated: str | None

    @property
    def ran(self) -> bool:
        return bool(self.last)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ran": self.ran}


# Every timer trigger in function_app.py (tests/unit/test_operations_status.py keeps this list equal to
# the app's indexed timer triggers). Status lists each of them, with "never ran" until the host's
# schedule monitor has a record of it.
TIMERS = (
    "backfill_orders",
    "push_shipments",
    "push_stock_and_prices",
    "reconcile",
    "reconcile_stock",
    "renew_erp_subscriptions",
    "retry_held_orders",
    "watch_webhooks",
)


def timer_statuses(services: Services, timers: tuple[str, ...] = TIMERS) -> list[TimerStatus]:
    """Every timer: the host's schedule monitor record (`azure-webjobs-hosts/timers/{hostId}/{name}/status`),
    or a row with no runs for a timer that has none yet. Records of other timers found are listed too."""
    found = _recorded_timers(services)
    recorded = {timer.name for timer in found}
    found += [TimerStatus("", name, None, None, None) for name in timers if name not in recorded]
    return sorted(found, key=lambda t: (t.name, t.host_id))


def _recorded_timers(services: Services) -> list[TimerStatus]:
    container = services.blobs.get_container_client(HOSTS_CONTAINER)
    found: list[TimerStatus] = []
    try:
        blobs = list(container.list_blobs(name_starts_with=TIMER_STATUS_PREFIX))
    except ResourceNotFoundError:
        return found
    for blob in blobs:
        parts = blob.name.split("/")
        if len(parts) != 4 or parts[3] != "status":
            continue
        try:
            data = json.loads(container.download_blob(blob.name).readall())
        except (ResourceNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        if not isinstance(data, dict):
            continue
        name = parts[2].removeprefix("Host.Functions.")
        found.append(TimerStatus(parts[1], name, data.get("Last"), data.get("Next"), data.get("LastUpdated")))
    return found


def all_watermarks(services: Services) -> dict[str, str]:
    return {row.key: str(row.data.get("value")) for row in services.watermarks.table.partition(Watermarks.PARTITION)}


# ------------------------------------------------------------------------------------- status


@dataclass
class QueueStatus:
    name: str
    depth: int | None  # None: the queue does not exist (Bicep or ensure_storage creates it)
    poison: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "depth": self.depth, "poison_queue": poison_queue(self.name), "poison": self.poison}


@dataclass
class Status:
    generated_at: datetime
    queues: list[QueueStatus]
    held: list[HeldOrder]
    attention: int
    timers: list[TimerStatus]
    watermarks: dict[str, str]
    poisoned: list[PoisonMessage] = field(default_factory=list)  # up to PEEK_LIMIT per queue, with causes

    @property
    def oldest_held(self) -> HeldOrder | None:
        return self.held[0] if self.held else None

    def to_dict(self) -> dict[str, Any]:
        oldest = self.oldest_held
        return {
            "generated_at": self.generated_at.isoformat(),
            "queues": [q.to_dict() for q in self.queues],
            "poison_total": sum(q.poison for q in self.queues),
            "poison_messages": [m.to_dict() for m in self.poisoned],
            "held": {
                "count": len(self.held),
                "oldest": oldest.to_dict() if oldest else None,
                "oldest_age_hours": oldest.to_dict()["age_hours"] if oldest else None,
            },
            "needs_attention": self.attention,
            "timers": [t.to_dict() for t in self.timers],
            "watermarks": self.watermarks,
        }


def status(services: Services) -> Status:
    """Queues and poison queues, held orders, orders needing attention, timers and watermarks."""
    now = datetime.now(UTC)
    service = services.storage.queue_service()
    queues = [
        QueueStatus(name, queue_depth(service, name), queue_depth(service, poison_queue(name)) or 0) for name in QUEUES
    ]
    poisoned = [m for q in queues if q.poison for m in list_poison(services, q.name, limit=PEEK_LIMIT).messages]
    return Status(
        generated_at=now,
        queues=queues,
        held=held_orders(services, now=now),
        attention=attention_count(services),
        timers=timer_statuses(services),
        watermarks=all_watermarks(services),
        poisoned=poisoned,
    )


def status_reply(services: Services) -> HttpReply:
    """The status HTTP function's answer."""
    return HttpReply(200, json.dumps(status(services).to_dict()))
