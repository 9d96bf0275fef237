"""Queue mechanics the operator tools need: raw (no base64) clients, depths, and reading a queue whole.

Poison replay moves a message back **unchanged**: the stored text (already base64, as the host wrote
it) is read with NoDecodePolicy and sent with NoEncodePolicy, so it is never encoded twice (facts
azure-functions.md §1.4).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueMessage, QueueServiceClient

# The SDK exports no public pass-through policies; these two are the ones it uses for "as is".
from azure.storage.queue._message_encoding import NoDecodePolicy, NoEncodePolicy

PEEK_LIMIT = 32  # the queue service returns at most 32 messages per peek or receive


def raw_queue(service: QueueServiceClient, name: str) -> QueueClient:
    """A client that reads and writes the stored text as is: no base64 either way."""
    return service.get_queue_client(
        name, message_encode_policy=NoEncodePolicy(), message_decode_policy=NoDecodePolicy()
    )


def queue_depth(service: QueueServiceClient, name: str) -> int | None:
    """Approximate message count; None when the queue does not exist."""
    try:
        return int(service.get_queue_client(name).get_queue_properties().approximate_message_count or 0)
    except ResourceNotFoundError:
        return None


def receive_all(client: QueueClient, hide_seconds: int, limit: int | None) -> Iterator[QueueMessage]:
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


def show_again(client: QueueClient, messages: list[QueueMessage]) -> None:
    """Make received messages visible at once."""
    for message in messages:
        # It may have become visible by itself (its receipt is stale), or someone deleted it.
        with contextlib.suppress(ResourceNotFoundError, HttpResponseError):
            client.update_message(message, pop_receipt=message.pop_receipt, visibility_timeout=0)
