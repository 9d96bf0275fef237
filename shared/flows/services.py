"""The composition root: builds the adapters and stores the flows use, once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared.config import Settings, check_app_settings, get_settings
from shared.events import WooEvent
from shared.storage.connection import StorageAccount
from shared.storage.customers import CustomerMap
from shared.storage.ledger import Ledger
from shared.storage.names import CONTAINERS, ERP_EVENTS_QUEUE, QUEUES, TABLES, WOO_EVENTS_QUEUE
from shared.storage.queues import MessageSender, ensure_queues, queue_client
from shared.storage.shipments import ShipmentLog
from shared.storage.stock_state import StockState
from shared.storage.tables import AuditTrail, Watermarks, ensure_tables
from shared.woo.client import WooClient

# Imported on first use, not at cold start (a webhook needs neither): the blob SDK (claim-checks,
# reports) and the BC adapter (azure.identity, msal).
if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

    from shared.erp.bc.adapter import BcAdapter


@dataclass
class Services:
    settings: Settings
    _woo: dict[str, WooClient] = field(default_factory=dict)
    # (store, Woo product id) → the product's SKU, for spotting variations that inherit it.
    parent_skus: dict[tuple[str, int], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def storage(self) -> StorageAccount:
        return StorageAccount.from_settings()

    @cached_property
    def blobs(self) -> BlobServiceClient:
        return self.storage.blob_service()

    @cached_property
    def woo_events(self) -> MessageSender:
        return MessageSender(queue_client(self.storage.queue_service(), WOO_EVENTS_QUEUE), lambda: self.blobs)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.storage.table_service())

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(self.storage.table_service())

    @cached_property
    def watermarks(self) -> Watermarks:
        return Watermarks(self.storage.table_service())

    @cached_property
    def customers(self) -> CustomerMap:
        return CustomerMap(self.storage.table_service())

    @cached_property
    def erp(self) -> BcAdapter:
        from shared.erp.bc.adapter import BcAdapter
        from shared.storage.erp_slots import ErpSlots

        adapter = BcAdapter(self.settings)
        if self.settings.erp_max_concurrent_calls > 0:  # one limit per BC user (the app registration)
            scope = f"bc-{self.settings.bc_client_id or 'default'}"
            adapter.api.limiter = ErpSlots(self.blobs, scope, self.settings.erp_max_concurrent_calls)
        return adapter

    def woo(self, store: str) -> WooClient:
        with self._lock:
            if store not in self._woo:
                self._woo[store] = WooClient(store, self.settings.store(store), settings=self.settings)
            return self._woo[store]

    def enqueue_woo_event(self, event: WooEvent, *, delay_seconds: int | None = None) -> None:
        self.woo_events.send(event.model_dump(mode="json"), visibility_timeout=delay_seconds)

    def ensure_storage(self) -> None:
        """Create queues, tables and containers (Bicep does this in Azure; the sandbox calls it)."""
        ensure_queues(self.storage.queue_service(), QUEUES)
        ensure_tables(self.storage.table_service(), TABLES)
        for name in CONTAINERS:
            container = self.blobs.get_container_client(name)
            if not container.exists():
                container.create_container()

    # ---- ERP → store sync: stock and price state, shipments applied, ERP events (BC notifications)

    @cached_property
    def stock_state(self) -> StockState:
        return StockState(self.storage.table_service())

    @cached_property
    def shipment_log(self) -> ShipmentLog:
        return ShipmentLog(self.storage.table_service())

    @cached_property
    def erp_events(self) -> MessageSender:
        return MessageSender(queue_client(self.storage.queue_service(), ERP_EVENTS_QUEUE), lambda: self.blobs)

    def enqueue_erp_event(self, message: dict[str, Any], *, delay_seconds: int | None = None) -> None:
        self.erp_events.send(message, visibility_timeout=delay_seconds)


_services: Services | None = None
_services_lock = threading.Lock()


def services() -> Services:
    """The process-wide services; settings are validated (and secrets resolved) on first use."""
    global _services
    with _services_lock:
        if _services is None:
            _services = Services(check_app_settings(get_settings()))
        return _services


def reset_services() -> None:
    """Forget the process-wide services (tests change settings between cases)."""
    global _services
    with _services_lock:
        _services = None
    get_settings.cache_clear()
