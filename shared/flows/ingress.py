"""Webhook ingress: verify, enqueue, answer. No ERP work on this path (ARCHITECTURE "Performance").

Answers (invariant 8): ping 200; unknown store 404; missing or wrong signature 401; malformed body 400;
error-object payloads and checkout drafts are recorded and dropped with 200; an accepted delivery is
answered 200 only after it is durably queued; a storage failure answers 503 (never 500), which
WooCommerce counts as a failed delivery: the backfill finds the order later.

Input that can never succeed is a 4xx, never a 503 that invites a retry: a body no WooCommerce can
send (PHP's json_encode emits neither NaN, lone UTF-16 surrogates nor integers beyond PHP_INT_MAX, and
nests at most 512 levels) is refused with 400 here, before anything is queued, rather than failing in
the queue step or the queue function later.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.config import Settings
from shared.events import MAX_RESOURCE_ID, WooEvent
from shared.telemetry import log_event
from shared.woo.mapping import IGNORED_ORDER_STATUSES, is_error_object
from shared.woo.signature import is_ping, looks_like_ping, verify_signature

log = logging.getLogger("connector.ingress")

# Topics the queue function acts on; other valid topics are acknowledged and dropped without a queue
# message. Product topics are among them: the ERP is master for stock and price (invariant 4), so a
# product.updated (our own stock write echoing back, or an order lowering stock) has nothing to do.
HANDLED_TOPICS = frozenset({"order.created", "order.updated", "order.deleted", "order.restored"})


@dataclass(frozen=True)
class Reply:
    status: int
    message: str
    event: WooEvent | None = None  # what to enqueue, when anything


# Nesting the envelope carries (the queue step's serializer stops at 255 levels, the JSON parser near
# 1,000). A real order nests under 10 levels (order, line_items, meta_data, a value's arrays).
MAX_BODY_DEPTH = 128
# A \uD800-\uDFFF escape in the raw body: only then can a parsed string hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class BadBody(ValueError):
    """A signed body that no WooCommerce sends and that can never be processed."""


def _no_constants(name: str) -> Any:
    raise BadBody(f"{name} is not JSON")


def _depth(value: Any) -> int:
    """How deeply `value` nests objects and arrays (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, level = stack.pop()
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_BODY_DEPTH:
            break
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _has_lone_surrogate(value: dict[str, Any]) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object; None when it is not one; BadBody when it is JSON nobody can process."""
    try:
        parsed = json.loads(body, parse_constant=_no_constants)
    except RecursionError:
        raise BadBody(f"nested deeper than {MAX_BODY_DEPTH} levels") from None
    except BadBody:
        raise
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(parsed, dict):
        return None
    if _depth(parsed) > MAX_BODY_DEPTH:
        raise BadBody(f"nested deeper than {MAX_BODY_DEPTH} levels")
    if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(parsed):
        raise BadBody("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text")
    return parsed


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((value for key, value in headers.items() if key.lower() == lowered), None)


def judge_delivery(store_id: str, headers: Mapping[str, str], body: bytes, settings: Settings) -> Reply:
    """Decide what to do with one webhook delivery. Pure: no I/O."""
    store = settings.woo_stores.get(store_id.lower())
    if store is None:
        return Reply(404, "unknown store")
    signature = _header(headers, "X-WC-Webhook-Signature")
    if signature is None and is_ping(body):
        return Reply(200, "ping acknowledged")
    if signature is None and looks_like_ping(body):
        return Reply(400, "malformed ping: the webhook id is out of range")
    if not verify_signature(store.webhook_secret.get_secret_value(), body, signature):
        return Reply(401, "invalid signature")
    try:
        payload = _json_object(body)
    except BadBody as problem:
        return Reply(400, f"malformed delivery: {problem}")
    topic = (_header(headers, "X-WC-Webhook-Topic") or "").strip()
    if payload is None or "." not in topic:
        return Reply(400, "malformed delivery: body must be a JSON object and X-WC-Webhook-Topic set")
    if is_error_object(payload):
        code = str(payload.get("code"))
        log_event(log, "webhook_error_object", logging.WARNING, store=store_id, topic=topic, code=code)
        return Reply(200, "error object recorded and dropped")
    resource_id = payload.get("id")
    if not isinstance(resource_id, int) or isinstance(resource_id, bool) or resource_id <= 0:
        return Reply(400, "malformed delivery: no resource id")
    if resource_id > MAX_RESOURCE_ID:
        return Reply(400, "malformed delivery: resource id out of range")
    if topic not in HANDLED_TOPICS:
        return Reply(200, f"topic {topic} not handled")
    status = payload.get("status") if isinstance(payload.get("status"), str) else None
    if status in IGNORED_ORDER_STATUSES:
        return Reply(200, f"{status} order dropped")
    event = WooEvent(
        store=store_id.lower(),
        topic=topic,
        resource_id=resource_id,
        modified=payload.get("date_modified_gmt") if isinstance(payload.get("date_modified_gmt"), str) else None,
        status=status,
        delivery_id=_header(headers, "X-WC-Webhook-Delivery-ID"),
        webhook_id=_header(headers, "X-WC-Webhook-ID"),
        body=payload,
    )
    return Reply(200, "queued", event)


def receive_woo_webhook(
    store_id: str,
    headers: Mapping[str, str],
    body: bytes,
    settings: Settings,
    enqueue: Callable[[WooEvent], object],
) -> Reply:
    """Judge the delivery and, when accepted, queue it before answering."""
    try:
        reply = judge_delivery(store_id, headers, body, settings)
    except Exception:  # a bug must still not answer 500 or lose the delivery silently
        log.exception("webhook judgement failed: store=%s", store_id)
        return Reply(503, "temporarily unable to accept the delivery")
    if reply.event is None:
        if reply.status >= 400:
            log_event(
                log, "webhook_rejected", logging.WARNING, store=store_id, status=reply.status, reason=reply.message
            )
        return reply
    try:
        enqueue(reply.event)
    except Exception:
        log.exception("webhook could not be queued: store=%s topic=%s", store_id, reply.event.topic)
        return Reply(503, "temporarily unable to queue the delivery")
    log_event(log, "webhook_queued", store=store_id, topic=reply.event.topic, resource_id=reply.event.resource_id)
    return reply
