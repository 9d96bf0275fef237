"""Queue triggers with the storage extension's semantics (facts §1.2).

Receive up to batchSize messages with a 10-minute lease (renewed at half-life while the function
runs), base64-decode, invoke, delete on success. On failure the message becomes visible again after
`visibilityTimeout`; after `maxDequeueCount` tries it is copied to `<queue>-poison` and deleted. A body
that is not valid base64 goes to poison at once without an invocation. Polling backs off from 100 ms
to `maxPollingInterval` with ±20 % jitter while the queue is empty or missing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import os
import random
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions.queue import QueueMessage as FnQueueMessage
from azure.storage.queue import QueueClient, QueueMessage, QueueServiceClient

from sandbox.host.config import QueueOptions
from sandbox.host.index import FunctionSpec
from sandbox.host.invoke import Invoker

log = logging.getLogger("sandbox.host")

LEASE_SECONDS = 600  # the extension's hard-coded receive visibility timeout


def lease_seconds() -> int:
    # A sandbox-only knob: crash tests shorten the lease so a killed host's messages come back quickly.
    return int(os.environ.get("SANDBOX_QUEUE_LEASE_SECONDS", LEASE_SECONDS))


def decode_body(content: str, encoding: str) -> bytes | None:
    if encoding == "none":
        return content.encode()
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        return None


class QueueListener:
    def __init__(
        self, spec: FunctionSpec, service: QueueServiceClient, options: QueueOptions, invoker: Invoker
    ) -> None:
        self.spec = spec
        self.name = spec.setting("queueName")
        self.options = options
        self.invoker = invoker
        # Raw clients: the host reads and writes the encoded text itself.
        self.queue: QueueClient = service.get_queue_client(self.name)
        self.poison: QueueClient = service.get_queue_client(f"{self.name}-poison")
        self.in_flight: set[asyncio.Task[None]] = set()
        self.stopping = asyncio.Event()
        self.invocations = 0

    async def run(self) -> None:
        delay = 0.1
        while not self.stopping.is_set():
            received = 0
            if len(self.in_flight) <= self.options.threshold:
                received = await self._receive_batch()
            if received:
                delay = 0.1
                continue
            await self._sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.options.max_polling_interval)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)

    async def _receive_batch(self) -> int:
        try:
            messages = await asyncio.to_thread(self._receive)
        except ResourceNotFoundError:
            return 0  # the host does not create trigger queues; it waits for them
        except Exception:
            log.warning("queue %s: receive failed", self.name, exc_info=True)
            return 0
        for message in messages:
            task = asyncio.create_task(self._process(message))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        return len(messages)

    def _receive(self) -> list[QueueMessage]:
        pages = self.queue.receive_messages(
            messages_per_page=self.options.batch_size, visibility_timeout=lease_seconds()
        )
        return list(next(pages.by_page(), []))

    async def _process(self, message: QueueMessage) -> None:
        body = decode_body(message.content, self.options.message_encoding)
        if body is None:
            log.error("Message decoding has failed! Check MessageEncoding settings. MessageId=%s", message.id)
            await asyncio.to_thread(self._to_poison, message)
            return
        if (message.dequeue_count or 0) > self.options.max_dequeue_count:
            await asyncio.to_thread(self._to_poison, message)
            return
        lease = _Lease(self.queue, message)
        renewer = asyncio.create_task(lease.keep())
        try:
            await self.invoker(self.spec, self._trigger_value(message, body, lease))
            ok = True
        except Exception:
            log.exception("Executed 'Functions.%s' (Failed, Id=%s)", self.spec.name, message.id)
            ok = False
        finally:
            renewer.cancel()
            self.invocations += 1
        await asyncio.to_thread(self._complete, message, lease, ok)

    @staticmethod
    def _trigger_value(message: QueueMessage, body: bytes, lease: _Lease) -> FnQueueMessage:
        return FnQueueMessage(
            id=message.id,
            body=body,
            dequeue_count=message.dequeue_count,
            insertion_time=message.inserted_on,
            expiration_time=message.expires_on,
            time_next_visible=message.next_visible_on,
            pop_receipt=lease.pop_receipt,
        )

    def _complete(self, message: QueueMessage, lease: _Lease, ok: bool) -> None:
        if ok:
            with contextlib.suppress(ResourceNotFoundError):
                self.queue.delete_message(message.id, lease.pop_receipt)
            return
        if (message.dequeue_count or 0) >= self.options.max_dequeue_count:
            self._to_poison(message, lease.pop_receipt)
            return
        with contextlib.suppress(ResourceNotFoundError):
            self.queue.update_message(
                message.id, lease.pop_receipt, visibility_timeout=int(self.options.visibility_timeout)
            )

    def _to_poison(self, message: QueueMessage, pop_receipt: str | None = None) -> None:
        log.warning(
            "Message has reached MaxDequeueCount of %s. Moving message to queue '%s'.",
            self.options.max_dequeue_count,
            self.poison.queue_name,
        )
        with contextlib.suppress(ResourceExistsError):
            self.poison.create_queue()
        # A new message with the same (still encoded) text: new id, dequeue count 0.
        self.poison.send_message(message.content)
        with contextlib.suppress(ResourceNotFoundError):
            self.queue.delete_message(message.id, pop_receipt or message.pop_receipt)

    async def stop(self, grace: float) -> None:
        self.stopping.set()
        if self.in_flight:
            await asyncio.wait(set(self.in_flight), timeout=grace)


class _Lease:
    """Keeps a received message invisible while its function runs (renewed at half-life)."""

    def __init__(self, queue: QueueClient, message: QueueMessage) -> None:
        self.queue = queue
        self.id = message.id
        self.pop_receipt: str = message.pop_receipt or ""

    async def keep(self) -> None:
        seconds = lease_seconds()
        while True:
            await asyncio.sleep(seconds / 2)
            try:
                receipt = await asyncio.to_thread(self._renew, seconds)
            except Exception:
                log.warning("lease renewal failed for message %s", self.id, exc_info=True)
                continue
            self.pop_receipt = receipt

    def _renew(self, seconds: int) -> str:
        updated: Any = self.queue.update_message(self.id, self.pop_receipt, visibility_timeout=seconds)
        return str(updated.pop_receipt)
