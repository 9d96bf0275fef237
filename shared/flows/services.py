"""The composition root: builds the adapters and stores the flows use, once per process.

:func:`bootstrap` is the one place that picks concrete adapters. It takes them as parameters with the
production ones as defaults (as cosmicpython's ``bootstrap`` does), so tests build the same flows on an
in-memory ERP, in-memory tables and list-backed queues.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from shared.config import DEFAULT_CONNECTION, ConfigError, Settings, check_app_settings, get_settings
from shared.erp.port import ErpPort
from shared.events import WooEvent
from shared.mapping.spec import MappingError, MappingSpec, StatusRules
from shared.mapping.suggestions import Candidate
from shared.storage.connection import StorageAccount
from shared.storage.customers import CustomerMap
from shared.storage.ledger import Ledger
from shared.storage.names import CONTAINERS, ERP_EVENTS_QUEUE, QUEUES, TABLES, WOO_EVENTS_QUEUE
from shared.storage.product_fields import ProductFields
from shared.storage.queues import MessageSender, ensure_queues, queue_client
from shared.storage.shipments import ShipmentLog
from shared.storage.sku_map import LiveSkuMaps, SkuMapTable
from shared.storage.stock_state import StockState
from shared.storage.store_history import StoreHistory
from shared.storage.tables import AuditTrail, Watermarks, ensure_tables
from shared.woo.client import WooClient

# Imported on first use, not at cold start (a webhook needs neither): the blob SDK (claim-checks,
# reports) and the ERP adapter (azure.identity, msal).
if TYPE_CHECKING:
    from azure.data.tables import TableServiceClient
    from azure.storage.blob import BlobServiceClient


class QueueSender(Protocol):
    def send(self, message: dict[str, Any], *, visibility_timeout: int | None = None) -> object: ...


def build_erp(
    settings: Settings,
    connection_id: str,
    blobs: Callable[[], BlobServiceClient] | None = None,
    *,
    sku_map: Mapping[str, str] | None = None,
) -> ErpPort:
    """The production adapter of one ERP connection, by its kind. With `blobs`, its calls hold one of the
    connection's `max_concurrency` slots, shared by every instance and function (shared/storage/erp_slots.py).
    `sku_map` replaces the connection's `sku_map` setting (the services pass the seed merged with the
    SKU mapping table), so every adapter keeps reading `connection.sku_map`."""
    connection = settings.connection(connection_id)
    if sku_map is not None:
        connection = connection.model_copy(update={"sku_map": dict(sku_map)})
    if connection.kind == "bc":
        from shared.erp.bc.adapter import BcAdapter

        adapter = BcAdapter(settings, connection)
        if blobs is not None and connection.max_concurrency > 0:  # BC counts concurrent requests per user
            from shared.storage.erp_slots import ErpSlots

            scope = f"bc-{connection.client_id or connection_id}"
            adapter.api.limiter = ErpSlots(blobs(), scope, connection.max_concurrency)
        return adapter
    if connection.kind == "fo":
        from shared.erp.fo.adapter import FoAdapter

        fo = FoAdapter(settings, connection)
        if blobs is not None and connection.max_concurrency > 0:
            from shared.storage.erp_slots import ErpSlots

            fo.api.limiter = ErpSlots(
                blobs(), f"fo-{connection.client_id or connection_id}", connection.max_concurrency
            )
        return fo
    if connection.kind == "gp":
        from shared.erp.gp.adapter import GpAdapter

        gp = GpAdapter(settings, connection)  # no I/O until the first call (the WSDL is read then)
        if blobs is not None and connection.max_concurrency > 0:  # keep the on-premises server comfortable
            from shared.storage.erp_slots import ErpSlots

            gp.transport.limit(ErpSlots(blobs(), f"gp-{connection_id}", connection.max_concurrency))
        return gp
    raise ConfigError(f"ERP connection {connection_id!r} has an unknown kind {connection.kind!r}")


def connection_mapping(settings: Settings, connection_id: str, file: str | None = None) -> MappingSpec:
    """The mapping of one ERP connection (the file its setting names, or ``file``; else its kind's
    default), checked against that ERP's writable fields. Raises :class:`MappingError`."""
    connection = settings.connection(connection_id)
    if connection.kind == "bc":
        from shared.erp.bc.mapping_file import connection_mapping as bc_connection_mapping

        return bc_connection_mapping(connection, file)
    if connection.kind == "fo":
        from shared.erp.fo.mapping_file import connection_mapping as fo_connection_mapping

        return fo_connection_mapping(connection, file)
    if connection.kind == "gp":
        from shared.erp.gp.mapping_file import connection_mapping as gp_connection_mapping

        return gp_connection_mapping(connection, file)
    raise ConfigError(f"ERP connection {connection_id!r} has an unknown kind {connection.kind!r}")


def mapping_setting(settings: Settings, connection_id: str) -> str:
    """The app-setting name of a connection's mapping file."""
    explicit = connection_id.lower() in {key.lower() for key in settings.erps}
    return f"ERPS__{connection_id}__MAPPING_FILE" if explicit else "BC_MAPPING_FILE"


def check_mappings(settings: Settings) -> Settings:
    """Every connection's mapping fits its ERP; else a start-up error naming the setting, line and reason."""
    problems = []
    for connection_id in settings.connections():
        try:
            connection_mapping(settings, connection_id)
        except MappingError as exc:
            problems.append(f"{mapping_setting(settings, connection_id)}: {exc}")
    if problems:
        raise ConfigError("Unusable mapping: " + "; ".join(problems))
    return settings


@dataclass
class Services:
    settings: Settings
    woo_factory: Callable[[str], WooClient] | None = None
    erp_factory: Callable[[str], ErpPort] | None = None
    # Builds a connection's adapter with its merged SKU map (default: build_erp); rebuilt when the map changes.
    erp_builder: Callable[[str, Mapping[str, str]], ErpPort] | None = None
    _woo: dict[str, WooClient] = field(default_factory=dict)
    _erps: dict[str, ErpPort] = field(default_factory=dict)
    _erp_maps: dict[str, Mapping[str, str]] = field(default_factory=dict)
    _mappings: dict[str, MappingSpec] = field(default_factory=dict)
    # (store, Woo product id) → the product's SKU, for spotting variations that inherit it.
    parent_skus: dict[tuple[str, int], str] = field(default_factory=dict)
    # connection → (when read, the ERP items as SKU suggestion candidates): shared/flows/sku_suggestions.py
    item_candidates: dict[str, tuple[float, list[Candidate]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def storage(self) -> StorageAccount:
        return StorageAccount.from_settings()

    @cached_property
    def blobs(self) -> BlobServiceClient:
        return self.storage.blob_service()

    @cached_property
    def table_service(self) -> TableServiceClient:
        return self.storage.table_service()

    @cached_property
    def woo_events(self) -> QueueSender:
        return MessageSender(queue_client(self.storage.queue_service(), WOO_EVENTS_QUEUE), lambda: self.blobs)

    @cached_property
    def webhook_events(self) -> QueueSender:
        """The same queue for the webhook, whose sender is waiting: quick retries, then a 503."""
        service = self.storage.queue_service(webhook=True)
        return MessageSender(queue_client(service, WOO_EVENTS_QUEUE), lambda: self.blobs)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.table_service)

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(self.table_service)

    @cached_property
    def watermarks(self) -> Watermarks:
        return Watermarks(self.table_service)

    @cached_property
    def customers(self) -> CustomerMap:
        return CustomerMap(self.table_service)

    @cached_property
    def store_history(self) -> StoreHistory:
        return StoreHistory(self.table_service)

    @cached_property
    def sku_map_table(self) -> SkuMapTable:
        return SkuMapTable(self.table_service)

    @cached_property
    def sku_maps(self) -> LiveSkuMaps:
        return LiveSkuMaps(
            self.sku_map_table,
            lambda connection_id: self.settings.connection(connection_id).sku_map,
            self.settings.sku_map_refresh_seconds,
        )

    def sku_map(self, connection_id: str) -> Mapping[str, str]:
        """The connection's SKU map: its `sku_map` setting (the seed) with the SKU mapping table over it."""
        return self.sku_maps.current(connection_id.lower())

    def erp_for(self, connection_id: str) -> ErpPort:
        """The adapter of one ERP connection: built once per process, and again when its SKU map changed
        (adapters given by bootstrap, or made by `erp_factory`, are kept as they are)."""
        connection_id = connection_id.lower()
        with self._lock:
            given = connection_id in self._erps and connection_id not in self._erp_maps
            if given or self.erp_factory is not None:
                if connection_id not in self._erps:
                    assert self.erp_factory is not None
                    self._erps[connection_id] = self.erp_factory(connection_id)
                return self._erps[connection_id]
        sku_map = self.sku_map(connection_id)  # outside the lock: may read the table
        with self._lock:
            if self._erp_maps.get(connection_id) is not sku_map:
                builder = self.erp_builder or (
                    lambda cid, merged: build_erp(self.settings, cid, lambda: self.blobs, sku_map=merged)
                )
                self._erps[connection_id] = builder(connection_id, sku_map)
                self._erp_maps[connection_id] = sku_map
            return self._erps[connection_id]

    def status_rules(self, store: str) -> StatusRules | None:
        """The status rules of the mapping of the store's connection (None: PAID_STATUSES post, cancelled cancels)."""
        connection_id = self.settings.connection_of(store)
        with self._lock:
            if connection_id not in self._mappings:
                self._mappings[connection_id] = connection_mapping(self.settings, connection_id)
            return self._mappings[connection_id].statuses

    def erp_of(self, store: str) -> ErpPort:
        """The adapter of the connection a store's orders post to."""
        return self.erp_for(self.settings.connection_of(store))

    @property
    def erp(self) -> ErpPort:
        """The adapter of the only (or the default) connection: for deployments and tests with one."""
        return self.erp_for(next(iter(self.settings.connections()), DEFAULT_CONNECTION))

    def woo(self, store: str) -> WooClient:
        with self._lock:
            if store not in self._woo:
                factory = self.woo_factory or self._woo_client
                self._woo[store] = factory(store)
            return self._woo[store]

    def _woo_client(self, store: str) -> WooClient:
        return WooClient(store, self.settings.store(store), settings=self.settings)

    def enqueue_woo_event(self, event: WooEvent, *, delay_seconds: int | None = None) -> None:
        self.woo_events.send(event.model_dump(mode="json"), visibility_timeout=delay_seconds)

    def enqueue_webhook_event(self, event: WooEvent) -> None:
        """Queue a webhook delivery before it is answered (quick retries: the sender waits 60 s at most)."""
        self.webhook_events.send(event.model_dump(mode="json"))

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
        return StockState(self.table_service)

    @cached_property
    def product_fields(self) -> ProductFields:
        return ProductFields(self.table_service)

    @cached_property
    def shipment_log(self) -> ShipmentLog:
        return ShipmentLog(self.table_service)

    @cached_property
    def erp_events(self) -> QueueSender:
        return MessageSender(queue_client(self.storage.queue_service(), ERP_EVENTS_QUEUE), lambda: self.blobs)

    def enqueue_erp_event(self, message: dict[str, Any], *, delay_seconds: int | None = None) -> None:
        self.erp_events.send(message, visibility_timeout=delay_seconds)


def bootstrap(
    settings: Settings,
    *,
    erp: ErpPort | Mapping[str, ErpPort] | None = None,
    tables: TableServiceClient | None = None,
    woo: Callable[[str], WooClient] | None = None,
    woo_events: QueueSender | None = None,
    erp_events: QueueSender | None = None,
) -> Services:
    """Services with these adapters; each one left out is the production one, built on first use.

    ``erp`` is one adapter for every connection, or one per connection id.
    """
    built = Services(settings, woo_factory=woo)
    if isinstance(erp, Mapping):
        built._erps.update({connection_id.lower(): adapter for connection_id, adapter in erp.items()})
    elif erp is not None:
        one = erp
        built.erp_factory = lambda connection_id: one
    given: dict[str, object] = {
        "table_service": tables,
        "woo_events": woo_events,
        "webhook_events": woo_events,
        "erp_events": erp_events,
    }
    for name, adapter in given.items():
        if adapter is not None:
            built.__dict__[name] = adapter  # fills the cached_property, as if built on first use
    return built


_services: Services | None = None
_services_lock = threading.Lock()


def services() -> Services:
    """The process-wide services; settings are validated (and secrets resolved) on first use."""
    global _services
    with _services_lock:
        if _services is None:
            _services = bootstrap(check_mappings(check_app_settings(get_settings())))
        return _services


def reset_services() -> None:
    """Forget the process-wide services (tests change settings between cases)."""
    global _services
    with _services_lock:
        _services = None
    get_settings.cache_clear()
