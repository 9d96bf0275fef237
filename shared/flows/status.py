"""The status an operator checks daily: queues and poison queues, held orders, orders needing
attention, product field conflicts, timers and watermarks (the CLI's ``status``, ``held`` and the ``status``
HTTP function)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from shared.flows.operations import HttpReply, OperationsError, error_reply, stores_in_scope
from shared.flows.poison import PoisonMessage, list_poison
from shared.flows.services import Services
from shared.storage.ledger import LedgerEntry, OrderState
from shared.storage.names import HOSTS_CONTAINER, QUEUES, TIMER_STATUS_PREFIX, poison_queue
from shared.storage.poison import PEEK_LIMIT, queue_depth
from shared.storage.tables import Watermarks


@dataclass(frozen=True)
class HeldOrder:
    store: str
    order_id: int
    order_number: str
    code: str
    reason: str
    held_since: datetime | None
    age: timedelta | None
    woo_total: str = ""
    suggestions: str = ""  # JSON {Woo SKU: [[ERP item, name, score], …]} (shared/flows/sku_suggestions.py)

    @property
    def subject(self) -> str:
        return f"{self.store}/{self.order_id}"

    @classmethod
    def of(cls, entry: LedgerEntry, now: datetime) -> HeldOrder:
        since = _parse_time(entry.held_since)
        return cls(
            store=entry.store,
            order_id=entry.order_id,
            order_number=entry.order_number,
            code=entry.hold_code,
            reason=entry.hold_reason,
            held_since=since,
            age=now - since if since else None,
            woo_total=entry.woo_total,
            suggestions=entry.suggestions,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "order": self.order_id,
            "number": self.order_number,
            "code": self.code,
            "reason": self.reason,
            "held_since": self.held_since.isoformat() if self.held_since else None,
            "age_hours": round(self.age.total_seconds() / 3600, 1) if self.age is not None else None,
            "suggestions": json.loads(self.suggestions) if self.suggestions else {},
        }


def _parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def held_orders(
    services: Services,
    store: str | None = None,
    *,
    now: datetime | None = None,
    stores: Collection[str] | None = None,
) -> list[HeldOrder]:
    """Every held order (of one store, of ``stores``, or all), the longest-waiting first."""
    now = now or datetime.now(UTC)
    entries = services.ledger.in_state(OrderState.HELD, store)
    held = [HeldOrder.of(entry, now) for entry in entries if stores is None or entry.store in stores]
    return sorted(held, key=lambda h: (h.held_since or now, h.store, h.order_id))


def needing_attention(services: Services, stores: Collection[str] | None = None) -> list[LedgerEntry]:
    """Posted orders a person must look at, of ``stores`` (all when None), in store and order order."""
    rows = services.ledger.table.query("attention ne @empty", empty="")
    entries = [LedgerEntry.from_row(row) for row in rows]
    return sorted(
        (entry for entry in entries if stores is None or entry.store in stores), key=lambda e: (e.store, e.order_id)
    )


def attention_count(services: Services, stores: Collection[str] | None = None) -> int:
    """Posted orders a person must look at (total mismatch, changed after posting, cancel after shipping)."""
    rows = services.ledger.table.client.query_entities("attention ne ''", select=["PartitionKey", "RowKey"])
    return sum(1 for row in rows if stores is None or row["PartitionKey"] in stores)


# ------------------------------------------------------------------------------------- timers, watermarks


@dataclass(frozen=True)
class TimerStatus:
    host_id: str  # "" for a timer with no schedule record yet
    name: str
    last: str | None  # None: never ran
    next: str | None
    last_updated: str | None

    @property
    def ran(self) -> bool:
        return bool(self.last)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ran": self.ran}


# Every timer trigger in function_app.py (tests/unit/test_operations_status.py keeps this list equal to
# the app's indexed timer triggers). Status lists each of them, with "never ran" until the host's
# schedule monitor has a record of it.
TIMERS = (
    "backfill_orders",
    "push_shipments",
    "push_stock_and_prices",
    "reconcile",
    "reconcile_stock",
    "renew_erp_subscriptions",
    "retry_held_orders",
    "sync_product_fields",
    "watch_webhooks",
)


def timer_statuses(services: Services, timers: tuple[str, ...] = TIMERS) -> list[TimerStatus]:
    """Every timer: the host's schedule monitor record (`azure-webjobs-hosts/timers/{hostId}/{name}/status`),
    or a row with no runs for a timer that has none yet. Records of other timers found are listed too."""
    found = _recorded_timers(services)
    recorded = {timer.name for timer in found}
    found += [TimerStatus("", name, None, None, None) for name in timers if name not in recorded]
    return sorted(found, key=lambda t: (t.name, t.host_id))


def _recorded_timers(services: Services) -> list[TimerStatus]:
    container = services.blobs.get_container_client(HOSTS_CONTAINER)
    found: list[TimerStatus] = []
    try:
        blobs = list(container.list_blobs(name_starts_with=TIMER_STATUS_PREFIX))
    except ResourceNotFoundError:
        return found
    for blob in blobs:
        parts = blob.name.split("/")
        if len(parts) != 4 or parts[3] != "status":
            continue
        try:
            data = json.loads(container.download_blob(blob.name).readall())
        except (ResourceNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        if not isinstance(data, dict):
            continue
        name = parts[2].removeprefix("Host.Functions.")
        found.append(TimerStatus(parts[1], name, data.get("Last"), data.get("Next"), data.get("LastUpdated")))
    return found


def all_watermarks(services: Services) -> dict[str, str]:
    return {row.key: str(row.data.get("value")) for row in services.watermarks.table.partition(Watermarks.PARTITION)}


# ------------------------------------------------------------------------------------- status


@dataclass
class QueueStatus:
    name: str
    depth: int | None  # None: the queue does not exist (Bicep or ensure_storage creates it)
    poison: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "depth": self.depth, "poison_queue": poison_queue(self.name), "poison": self.poison}


@dataclass
class Status:
    generated_at: datetime
    queues: list[QueueStatus]
    held: list[HeldOrder]
    attention: int
    timers: list[TimerStatus]
    watermarks: dict[str, str]
    poisoned: list[PoisonMessage] = field(default_factory=list)  # up to PEEK_LIMIT per queue, with causes
    product_conflicts: int = 0  # product fields changed on both sides (shared/flows/product_fields.py)

    @property
    def oldest_held(self) -> HeldOrder | None:
        return self.held[0] if self.held else None

    def to_dict(self) -> dict[str, Any]:
        oldest = self.oldest_held
        return {
            "generated_at": self.generated_at.isoformat(),
            "queues": [q.to_dict() for q in self.queues],
            "poison_total": sum(q.poison for q in self.queues),
            "poison_messages": [m.to_dict() for m in self.poisoned],
            "held": {
                "count": len(self.held),
                "oldest": oldest.to_dict() if oldest else None,
                "oldest_age_hours": oldest.to_dict()["age_hours"] if oldest else None,
            },
            "needs_attention": self.attention,
            "product_field_conflicts": self.product_conflicts,
            "timers": [t.to_dict() for t in self.timers],
            "watermarks": self.watermarks,
        }


def status(services: Services, stores: Collection[str] | None = None) -> Status:
    """Queues and poison queues, held orders, orders needing attention, timers and watermarks."""
    now = datetime.now(UTC)
    service = services.storage.queue_service()
    queues = [
        QueueStatus(name, queue_depth(service, name), queue_depth(service, poison_queue(name)) or 0) for name in QUEUES
    ]
    poisoned = [
        m for q in queues if q.poison for m in list_poison(services, q.name, limit=PEEK_LIMIT, stores=stores).messages
    ]
    return Status(
        generated_at=now,
        queues=queues,
        held=held_orders(services, now=now, stores=stores),
        attention=attention_count(services, stores),
        timers=timer_statuses(services),
        watermarks=all_watermarks(services),
        poisoned=poisoned,
        product_conflicts=sum(1 for c in services.product_fields.conflicts() if stores is None or c.store in stores),
    )


def status_reply(services: Services, params: Mapping[str, str] | None = None) -> HttpReply:
    """The status HTTP function's answer; `?erp=<connection>` scopes it to that connection's stores."""
    connection = (params or {}).get("erp")
    try:
        stores = stores_in_scope(services, connection=connection) if connection else None
    except OperationsError as exc:
        return error_reply(400, str(exc))
    return HttpReply(200, json.dumps(status(services, stores).to_dict()))
