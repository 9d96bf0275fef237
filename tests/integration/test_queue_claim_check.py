"""Queue messages over the 48 KiB limit go through a blob (claim-check), on Azurite."""

from __future__ import annotations

import base64
import json
import uuid

from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from sandbox.azurite import Azurite
from shared.storage.queues import CLAIM_CHECK_KEY, MAX_RAW_MESSAGE_BYTES, MessageSender, open_message, queue_client


def test_a_large_message_travels_as_a_blob_and_opens_unchanged_a_small_one_needs_no_blob_client(
    azurite: Azurite,
) -> None:
    queues = QueueServiceClient.from_connection_string(azurite.connection_string)
    name = f"claim-check-{uuid.uuid4().hex[:8]}"
    queues.create_queue(name)
    queue = queue_client(queues, name)
    blob_client_made: list[bool] = []

    def blobs() -> BlobServiceClient:
        blob_client_made.append(True)
        return BlobServiceClient.from_connection_string(azurite.connection_string)

    sender = MessageSender(queue, blobs)
    small = {"store": "main", "resource_id": 1, "body": {"note": "ü" * 100}}
    large = {"store": "main", "resource_id": 2, "body": {"line_items": ["x" * 1000] * 60}}
    assert len(json.dumps(large).encode()) > MAX_RAW_MESSAGE_BYTES
    sender.send(small)
    assert not blob_client_made
    sender.send(large)
    assert blob_client_made

    received = list(queues.get_queue_client(name).receive_messages(messages_per_page=2))
    raw = [base64.b64decode(message.content) for message in received]  # what the trigger decodes
    assert all(len(body) <= MAX_RAW_MESSAGE_BYTES for body in raw)
    assert [CLAIM_CHECK_KEY in json.loads(body) for body in raw] == [False, True]
    blob_client_made.clear()
    assert open_message(raw[0], blobs) == small and not blob_client_made
    assert open_message(raw[1], blobs) == large
