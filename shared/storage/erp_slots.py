"""A limit on concurrent ERP calls that holds across every instance and function: blob-lease slots.

Why: Flex Consumption's `maximumInstanceCount` applies per function scale group, not to the app, and each queue
function scales on its own (facts/azure-flex-infra.md, finding 3), so no instance cap bounds the calls in flight.
Business Central runs 5 requests per user at a time and queues 95 more, then answers 429 (facts/dynamics.md).

Design: `limit` blobs `<scope>/slot-<i>` in the `erp-slots` container. A call holds one slot for as long as
its HTTP request is in flight, as an exclusive blob lease (Azure Storage grants a lease to one holder at a time,
409 LeaseAlreadyPresent to the others). So at most `limit` calls run at once, whichever instance or function
makes them. The lease is short (`lease_seconds`, 15 by default, the shortest blob leases allow) and renewed
every half of it while the call lasts, so a holder that crashes (a killed worker) frees its slot within
`lease_seconds`. A call that finds every slot taken waits with jittered backoff and, after `max_wait` seconds,
gives up with a transient error (the order is rescheduled, nothing is lost).

Cost per ERP call: two blob lease operations (acquire + release, one round trip each, a few ms in-region),
one renewal per further 7.5 s of a slow call, plus one 409 per taken slot tried while others hold them. Slot
blobs are empty and created on first use.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from shared.http import TransientHttpError
from shared.storage.names import ERP_SLOTS_CONTAINER

if TYPE_CHECKING:
    from azure.storage.blob import BlobLeaseClient, BlobServiceClient, ContainerClient

log = logging.getLogger("connector.erp_slots")

MIN_LEASE_SECONDS = 15  # Azure Storage's range for a fixed-duration blob lease
MAX_LEASE_SECONDS = 60


class ErpSlotsBusy(TransientHttpError):
    """Every slot stayed taken for `max_wait` seconds: try the whole message again later."""


class ErpSlots:
    """At most `limit` holders at a time across all processes that share the storage account and `scope`."""

    def __init__(
        self,
        blobs: BlobServiceClient,
        scope: str,
        limit: int,
        *,
        lease_seconds: int = MIN_LEASE_SECONDS,
        max_wait: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        container: str = ERP_SLOTS_CONTAINER,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if not MIN_LEASE_SECONDS <= lease_seconds <= MAX_LEASE_SECONDS:
            raise ValueError(f"lease_seconds must be {MIN_LEASE_SECONDS}-{MAX_LEASE_SECONDS} (blob lease range)")
        self.container: ContainerClient = blobs.get_container_client(container)
        self.scope = scope.strip("/") or "default"
        self.limit = limit
        self.lease_seconds = lease_seconds
        self.max_wait = max_wait
        self.sleep = sleep

    def _blob_name(self, index: int) -> str:
        return f"{self.scope}/slot-{index}"

    def try_acquire(self) -> BlobLeaseClient | None:
        """One pass over the slots (from a random one, to spread holders); the lease of a free one, or None."""
        start = random.randrange(self.limit)
        for offset in range(self.limit):
            lease = self._lease(self._blob_name((start + offset) % self.limit))
            if lease is not None:
                return lease
        return None

    def _lease(self, name: str) -> BlobLeaseClient | None:
        blob = self.container.get_blob_client(name)
        for _ in range(2):
            try:
                return blob.acquire_lease(lease_duration=self.lease_seconds)
            except ResourceNotFoundError:
                self._create(name)
            except ResourceExistsError:
                return None  # 409 LeaseAlreadyPresent: taken
            except HttpResponseError as exc:
                if exc.status_code == 409:
                    return None
                raise
        return None

    def _create(self, name: str) -> None:
        try:
            self.container.upload_blob(name, b"", overwrite=False)
        except ResourceNotFoundError:  # no container yet (Bicep creates it; the sandbox's ensure_storage too)
            with suppress(ResourceExistsError):
                self.container.create_container()
            self._create(name)
        except (ResourceExistsError, HttpResponseError) as exc:
            if isinstance(exc, ResourceExistsError) or exc.status_code in (409, 412):
                return  # made by another holder meanwhile, or leased already
            raise

    def acquire(self) -> BlobLeaseClient:
        deadline = time.monotonic() + self.max_wait
        delay = 0.05
        while True:
            lease = self.try_acquire()
            if lease is not None:
                return lease
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ErpSlotsBusy(
                    f"all {self.limit} ERP call slots stayed busy for {self.max_wait:.0f}s",
                    retry_after=float(self.lease_seconds),
                )
            self.sleep(min(remaining, delay * random.uniform(0.5, 1.5)))
            delay = min(delay * 2, 1.0)

    @staticmethod
    def release(lease: BlobLeaseClient) -> None:
        try:
            lease.release()
        except HttpResponseError as exc:  # expired and taken by another holder: nothing of ours to free
            log.warning("ERP slot lease was not released (%s); it expires on its own", exc.status_code)

    def _keep(self, lease: BlobLeaseClient, done: threading.Event) -> None:
        """Renew the lease every half of its duration until the call is done."""
        while not done.wait(self.lease_seconds / 2):
            try:
                lease.renew()
            except HttpResponseError as exc:  # lost it (expired and taken): the call runs on unprotected
                log.warning("ERP slot lease could not be renewed (%s)", exc.status_code)
                return

    @contextmanager
    def slot(self) -> Iterator[None]:
        lease = self.acquire()
        done = threading.Event()
        renewer = threading.Thread(target=self._keep, args=(lease, done), name="erp-slot-lease", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()
            self.release(lease)
