"""Queue messages the way the Functions queue trigger expects them.

The trigger decodes base64 (host.json `messageEncoding`, facts §1.4) while the v12 SDK sends raw text by
default, so every producer here uses `TextBase64EncodePolicy`. A queue message holds at most 64 KiB of
base64 text (49,152 raw bytes); larger bodies go to blob storage and the message carries a reference
(claim-check).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import (
    QueueClient,
    QueueMessage,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from shared.storage.names import CLAIM_CHECK_CONTAINER

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

MAX_RAW_MESSAGE_BYTES = 49_152
CLAIM_CHECK_KEY = "claim_check"


def queue_client(service: QueueServiceClient, name: str) -> QueueClient:
    """A client that encodes and decodes base64, matching the trigger's default encoding."""
    return service.get_queue_client(
        name,
        message_encode_policy=TextBase64EncodePolicy(),
        message_decode_policy=TextBase64DecodePolicy(),
    )


def ensure_queues(service: QueueServiceClient, names: Iterable[str]) -> None:
    """Create queues if missing (the host does not create trigger queues; Bicep does in Azure)."""
    for name in names:
        with contextlib.suppress(ResourceExistsError):
            service.create_queue(name)


def serialize(message: dict[str, Any]) -> str:
    """The message as compact JSON text that encodes as UTF-8 and parses back to the same message.

    Non-ASCII text stays as it is (shorter than escapes). A string with a lone UTF-16 surrogate, which
    JSON can carry but UTF-8 cannot, makes the whole message ASCII with `\\uXXXX` escapes instead of
    failing the send.
    """
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(message, separators=(",", ":"), ensure_ascii=True)
    return text


class MessageSender:
    """Sends JSON messages to one queue, claim-checking bodies over the queue's size limit.

    `blobs` gives the blob client when a body is claim-checked: most senders never need one.
    """

    def __init__(
        self, queue: QueueClient, blobs: Callable[[], BlobServiceClient], *, limit: int = MAX_RAW_MESSAGE_BYTES
    ) -> None:
        self.queue = queue
        self.blobs = blobs
        self.limit = limit

    def send(self, message: dict[str, Any], *, visibility_timeout: int | None = None) -> QueueMessage:
        text = serialize(message)
        if len(text.encode()) > self.limit:
            text = json.dumps({CLAIM_CHECK_KEY: self._check_in(text)})
        return self.queue.send_message(text, visibility_timeout=visibility_timeout)

    def _check_in(self, text: str) -> dict[str, str]:
        blob_name = f"{self.queue.queue_name}/{uuid.uuid4()}.json"
        container = self.blobs().get_container_client(CLAIM_CHECK_CONTAINER)
        with contextlib.suppress(ResourceExistsError):
            container.create_container()
        container.upload_blob(blob_name, text.encode(), overwrite=True)
        return {"container": CLAIM_CHECK_CONTAINER, "blob": blob_name}


def open_message(body: bytes | str, blobs: Callable[[], BlobServiceClient]) -> dict[str, Any]:
    """The JSON message a trigger received, following a claim-check to its blob when there is one.

    `blobs` is only called for a claim-check, so most messages never load the blob SDK."""
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ValueError("queue message is not a JSON object")
    ref = message.get(CLAIM_CHECK_KEY)
    if isinstance(ref, dict) and set(ref) == {"container", "blob"}:
        blob = blobs().get_blob_client(ref["container"], ref["blob"])
        loaded = json.loads(blob.download_blob().readall())
        if not isinstance(loaded, dict):
            raise ValueError("claim-checked body is not a JSON object")
        return loaded
    return message
