"""The cross-instance ERP call limit (shared/storage/erp_slots.py) on Azurite's real blob leases."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from azure.storage.blob import BlobServiceClient

from sandbox.azurite import Azurite
from shared.http import ApiClient, TransientHttpError
from shared.storage.erp_slots import ErpSlots, ErpSlotsBusy


def _blobs(azurite: Azurite) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(azurite.connection_string)


def test_concurrent_holders_never_exceed_the_limit(azurite: Azurite) -> None:
    scope, limit, holders = f"test-{uuid.uuid4().hex[:8]}", 3, 12
    in_flight, peak, done = 0, 0, 0
    lock = threading.Lock()

    def call(_: int) -> None:
        nonlocal in_flight, peak, done
        blobs = _blobs(azurite)  # one client per holder, as separate instances would have
        slots = ErpSlots(blobs, scope, limit, max_wait=120)
        for _ in range(3):
            with slots.slot():
                with lock:
                    in_flight += 1
                    peak = max(peak, in_flight)
                # the "ERP call": a real storage round trip while the slot is held
                blobs.get_container_client("erp-slots").get_container_properties()
                with lock:
                    in_flight -= 1
                    done += 1

    with ThreadPoolExecutor(holders) as pool:
        list(pool.map(call, range(holders)))
    assert done == holders * 3
    assert 1 <= peak <= limit
    # Every slot is free again afterwards: `limit` fresh holders get one each at once.
    fresh = ErpSlots(_blobs(azurite), scope, limit, max_wait=0)
    leases = [fresh.try_acquire() for _ in range(limit)]
    assert all(lease is not None for lease in leases)
    assert fresh.try_acquire() is None  # and not one more
    for lease in leases:
        assert lease is not None
        fresh.release(lease)


def test_a_crashed_holders_slot_expires(azurite: Azurite) -> None:
    scope = f"crash-{uuid.uuid4().hex[:8]}"
    crashed = ErpSlots(_blobs(azurite), scope, 1, lease_seconds=15)
    assert crashed.try_acquire() is not None  # acquired and never released: the holder "crashed"
    waiting = ErpSlots(_blobs(azurite), scope, 1, lease_seconds=15, max_wait=60)
    assert waiting.try_acquire() is None  # taken while the lease lives
    lease = waiting.acquire()  # waits until the crashed holder's lease expires (15 s), well within 60 s
    waiting.release(lease)


def test_busy_slots_end_in_a_transient_error_and_nothing_is_sent(azurite: Azurite) -> None:
    scope = f"busy-{uuid.uuid4().hex[:8]}"
    holder = ErpSlots(_blobs(azurite), scope, 1)
    lease = holder.acquire()
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200, json={}))
    api = ApiClient("bc", "http://erp.invalid/")
    api.client = httpx.Client(base_url="http://erp.invalid/", transport=transport)
    api.limiter = ErpSlots(_blobs(azurite), scope, 1, max_wait=0.3)
    with pytest.raises(ErpSlotsBusy) as raised:
        api.request("GET", "items")
    assert isinstance(raised.value, TransientHttpError) and not raised.value.ambiguous
    assert raised.value.retry_after == 15.0
    assert sent == []
    holder.release(lease)
    assert api.request("GET", "items").status_code == 200  # free again: the call goes through
    assert len(sent) == 1


def test_a_slow_call_keeps_its_slot_beyond_the_lease(azurite: Azurite) -> None:
    """The lease is renewed while the call lasts: a call longer than the lease still holds its slot."""
    scope = f"slow-{uuid.uuid4().hex[:8]}"
    holder = ErpSlots(_blobs(azurite), scope, 1, lease_seconds=15)
    other = ErpSlots(_blobs(azurite), scope, 1, lease_seconds=15, max_wait=20)
    with holder.slot(), pytest.raises(ErpSlotsBusy):
        other.acquire()  # tries for 20 s, longer than the 15 s lease: renewed, the slot stays taken
    lease = other.try_acquire()
    assert lease is not None  # released at once when the call ends
    other.release(lease)


def test_limits_outside_the_lease_range_are_refused(azurite: Azurite) -> None:
    with pytest.raises(ValueError):
        ErpSlots(_blobs(azurite), "x", 0)
    with pytest.raises(ValueError):
        ErpSlots(_blobs(azurite), "x", 1, lease_seconds=5)


def test_the_services_put_the_limit_on_the_erp_client(storage_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import Settings
    from shared.flows.services import Services

    base = {
        "BC_TENANT_ID": "t",
        "BC_COMPANY_ID": "c",
        "BC_CLIENT_ID": "app-1",
        "BC_CLIENT_SECRET": "s",
        "WOO_STORES__main__URL": "https://shop.example.com/",
        "WOO_STORES__main__CONSUMER_KEY": "ck",
        "WOO_STORES__main__CONSUMER_SECRET": "cs",
        "WOO_STORES__main__WEBHOOK_SECRET": "whs",
    }
    for key, value in base.items():
        monkeypatch.setenv(key, value)
    limited = Services(Settings(bc_max_concurrency=2)).erp
    assert isinstance(limited.api.limiter, ErpSlots)
    assert (limited.api.limiter.limit, limited.api.limiter.scope) == (2, "bc-app-1")
    assert Services(Settings(bc_max_concurrency=0)).erp.api.limiter is None
    # Another connection (another BC user) gets its own slots and its own limit.
    for key, value in {
        "ERPS__eu__KIND": "bc",
        "ERPS__eu__TENANT_ID": "t2",
        "ERPS__eu__COMPANY_ID": "c2",
        "ERPS__eu__CLIENT_ID": "app-2",
        "ERPS__eu__CLIENT_SECRET": "s2",
        "ERPS__eu__MAX_CONCURRENCY": "3",
    }.items():
        monkeypatch.setenv(key, value)
    services = Services(Settings())
    eu = services.erp_for("eu").api.limiter
    assert isinstance(eu, ErpSlots) and (eu.limit, eu.scope) == (3, "bc-app-2")
    assert services.erp_for("bc").api.limiter.scope == "bc-app-1"
