"""Poison queues: list them, and replay their messages (the CLI and the ``replay_poison`` HTTP function).

Replay moves a message from `<queue>-poison` back to `<queue>` unchanged (:mod:`shared.storage.poison`).
Each message is deleted from the poison queue only after its copy is queued, so a crash in between
gives a duplicate (which the idempotent order flow absorbs), never a loss. Messages being looked at are
hidden for a while with a receive, so two operators replaying at once do not move one message twice.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.queue import QueueMessage

from shared.flows.common import POISONED
from shared.flows.operations import HttpReply, OperationsError, error_reply, parse_order_ref, stores_in_scope
from shared.flows.services import Services
from shared.storage.names import QUEUES, WOO_EVENTS_QUEUE, poison_queue
from shared.storage.poison import PEEK_LIMIT, queue_depth, raw_queue, receive_all, show_again
from shared.storage.queues import CLAIM_CHECK_KEY, open_message
from shared.telemetry import log_event

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

log = logging.getLogger("connector.poison")

LIST_HIDE_SECONDS = 30  # a listing beyond one peek hides the messages this long, then shows them again
REPLAY_HIDE_SECONDS = 120  # a replay hides what it looks at this long (it deletes what it moves)
HTTP_REPLAY_LIMIT = 2000  # messages per HTTP call: an HTTP function must answer within 230 s


def check_queue(queue: str) -> str:
    name = queue.strip().lower()
    if name.endswith("-poison"):
        name = name.removesuffix("-poison")
    if name not in QUEUES:
        raise OperationsError(f"unknown queue {queue!r}: use one of {', '.join(QUEUES)}")
    return name


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


def list_poison(
    services: Services, queue: str = WOO_EVENTS_QUEUE, *, limit: int = 100, stores: Collection[str] | None = None
) -> PoisonListing:
    """The messages in `<queue>-poison` (up to `limit`; of ``stores`` only, when given), without moving any.

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
        received = list(receive_all(client, LIST_HIDE_SECONDS, limit))
        try:
            listing.messages = [_poison_message(queue, message, blobs) for message in received]
        finally:
            show_again(client, received)
    if stores is not None:
        listing.messages = [m for m in listing.messages if m.store in stores]
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
    stores: Collection[str] | None = None,
) -> ReplayResult:
    """Move poison messages back to their queue: all of them, one message id, one order's, or those of
    ``stores`` (an ERP connection's).

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
        for message in receive_all(source, REPLAY_HIDE_SECONDS, limit):
            result.looked_at += 1
            info = _poison_message(queue, message, blobs)
            matches = (
                (message_id is None or info.id == message_id)
                and (wanted_order is None or (info.store, info.order) == wanted_order)
                and (stores is None or info.store in stores)
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
        show_again(source, kept)
    result.remaining = queue_depth(service, poison_queue(queue)) or 0
    log_event(log, "poison_replayed", queue=queue, moved=result.moved, remaining=result.remaining)
    return result


def replay_request(services: Services, params: Mapping[str, str], body: bytes) -> HttpReply:
    """The replay_poison HTTP function: `queue`, `id`, `order`, `erp` (a connection), `limit` from the query
    or a JSON body."""
    values: dict[str, Any] = {}
    if body.strip():
        try:
            parsed = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return error_reply(400, 'the body must be JSON, e.g. {"order": "main/1234"}, or empty')
        if not isinstance(parsed, dict):
            return error_reply(400, "the body must be a JSON object")
        values.update(parsed)
    values.update({k: v for k, v in params.items() if v != ""})
    message_id, order = values.get("id"), values.get("order")
    if message_id and order:
        return error_reply(400, "give either id or order, not both")
    try:
        limit = int(values.get("limit") or HTTP_REPLAY_LIMIT)
        stores = stores_in_scope(services, connection=str(values["erp"])) if values.get("erp") else None
        result = replay_poison(
            services,
            str(values.get("queue") or WOO_EVENTS_QUEUE),
            message_id=str(message_id) if message_id else None,
            order=str(order) if order else None,
            limit=max(1, limit),
            stores=stores,
        )
    except (OperationsError, ValueError) as exc:
        return error_reply(400, str(exc))
    return HttpReply(200, json.dumps(result.to_dict()))
