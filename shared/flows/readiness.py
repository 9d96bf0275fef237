"""Go-live readiness: read a store and its ERP connection, write nothing, and say what would happen.

For each store: its products and variations, the orders created in the last N days (and the refunds),
its webhooks, and, read-only through the ERP port, the ERP's items, open-order quantities and the
customers the buyers would match. The decisions are :mod:`shared.flows.readiness_classify`'s (pure).

Nothing is written anywhere: no Woo write, no ERP write (only the port's read methods are called), no
queue message, no table or blob (the ERP adapter is built without the blob-lease slots the app uses).
The one exception is opt-in: ``check_write`` sends a write request that cannot change anything
(``PUT orders/0``) to learn whether the REST key may write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from azure.core.exceptions import AzureError

from shared.config import ConfigError
from shared.erp.port import ErpCustomer, ErpPort
from shared.flows.readiness_classify import (
    KINDS,
    Action,
    BuyerMatch,
    ConnectionRules,
    Finding,
    FindingKind,
    Findings,
    OrderVerdict,
    candidates_of,
    classify_catalogue,
    classify_order,
    classify_stock_levels,
    classify_webhooks,
)
from shared.flows.services import Services, build_erp, connection_mapping
from shared.flows.webhook_health import delivery_url
from shared.http import PermanentHttpError
from shared.model import Order, Product
from shared.storage.customers import buyer_key
from shared.woo.client import WooClient
from shared.woo.mapping import order_from_woo, product_stock_from_woo

PRODUCT_FIELDS = "id,sku,name,type,status,manage_stock,stock_quantity,stock_status,parent_id,regular_price"
REFUND_FIELDS = "id,amount,parent_id,date_created_gmt"
DENIED = (401, 403)

Progress = Callable[[str, str, int, int | None], None]
"""(store, what is being read, done, total or None)."""


@dataclass
class StoreSummary:
    store: str
    connection: str
    orders: int = 0
    refunds: int = 0
    products: int = 0
    erp_items: int = 0
    skus_compared: int = 0


@dataclass
class ReadinessReport:
    since: datetime
    until: datetime
    stores: list[StoreSummary] = field(default_factory=list)
    verdicts: list[OrderVerdict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.info.blocking]

    @property
    def ready(self) -> bool:
        """Nothing would hold or fail, and nothing found blocks go-live."""
        stuck = any(v.action in (Action.HOLD, Action.FAIL) for v in self.verdicts)
        return not stuck and not self.blocking

    def count(self, action: Action) -> int:
        return sum(1 for v in self.verdicts if v.action == action)

    def of_kind(self, kind: FindingKind) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def summary(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "orders": {str(action): self.count(action) for action in Action},
            "stores": [vars(s) for s in self.stores],
            "findings": {
                str(kind): {
                    "count": len(self.of_kind(kind)),
                    "orders": len({(f.store, o) for f in self.of_kind(kind) for o in f.orders}),
                    "blocking": KINDS[kind].blocking,
                }
                for kind in FindingKind
                if self.of_kind(kind)
            },
        }


def sku_map_of(services: Services, connection_id: str, seed: Mapping[str, str]) -> Mapping[str, str]:
    """The SKU map orders use (the setting with the SKU mapping table over it); the setting alone when the
    check runs without storage."""
    try:
        return services.sku_map(connection_id)
    except (ConfigError, AzureError):
        return seed


def connection_rules(services: Services, store: str) -> ConnectionRules:
    """The order flow's rules for the store: the statuses its connection's mapping posts and ignores (else
    PAID_STATUSES), the SKU map, the charges' numbers and the tax classes the connection maps."""
    settings = services.settings
    connection_id = settings.connection_of(store)
    connection = settings.connection(connection_id)
    statuses = services.status_rules(store)
    # What shipping and fee lines post to, where the kind needs it named (GP posts them to GL accounts)
    charges: tuple[str, str] | None = getattr(connection, "charge_targets", None)
    tax_code_map: dict[str, str] | None = getattr(connection, "tax_code_map", None)
    if tax_code_map is not None:  # the mapping's tax_class lookup maps classes too (BC's default mapping)
        lookups = connection_mapping(settings, connection_id).lookups.get("tax_class", {})
        tax_code_map = {**lookups, **tax_code_map}
    return ConnectionRules(
        kind=connection.kind,
        sku_map=sku_map_of(services, connection_id, connection.sku_map),
        local_currency=connection.local_currency,
        paid_statuses=list(statuses.post if statuses is not None else settings.paid_statuses),
        ignored_statuses=list(statuses.ignore if statuses is not None else ()),
        tax_code_map=tax_code_map,
        shipping_number=charges[0] if charges is not None else None,
        fee_number=charges[1] if charges is not None else None,
        total_tolerance=Decimal(str(settings.total_tolerance)),
    )


def read_only_services(services: Services) -> Services:
    """The same settings, with ERP adapters built without the blob-lease slots (which write leases)."""
    settings = services.settings
    return Services(settings, woo_factory=services.woo_factory, erp_factory=lambda cid: build_erp(settings, cid))


def check_readiness(
    services: Services,
    *,
    days: int = 30,
    stores: Sequence[str] | None = None,
    now: datetime | None = None,
    check_write: bool = False,
    progress: Progress | None = None,
) -> ReadinessReport:
    until = now or datetime.now(UTC)
    report = ReadinessReport(since=until - timedelta(days=days), until=until)
    findings = Findings()
    for store in stores or list(services.settings.woo_stores):
        _check_store(services, store, report, findings, check_write=check_write, progress=progress)
    report.findings = findings.all()
    return report


def _check_store(
    services: Services,
    store: str,
    report: ReadinessReport,
    findings: Findings,
    *,
    check_write: bool,
    progress: Progress | None,
) -> None:
    def step(what: str, done: int, total: int | None = None) -> None:
        if progress is not None:
            progress(store, what, done, total)

    summary = StoreSummary(store, services.settings.connection_of(store))
    report.stores.append(summary)
    rules = connection_rules(services, store)
    woo = services.woo(store)
    try:
        products = _read_products(woo, step)
    except PermanentHttpError as exc:
        if exc.status not in DENIED:
            raise
        findings.add(
            FindingKind.KEY_PERMISSIONS, store, "read", f"the REST key cannot read products ({exc.status}): {exc}"
        )
        return
    summary.products = len(products)
    erp = services.erp_of(store)
    currencies = erp.currencies()
    if currencies is not None:
        rules = replace(rules, erp_currencies=frozenset(code.upper() for code in currencies))
    step("ERP items", 0)
    items = {item.number: item for item in erp.catalog_items()}
    summary.erp_items = len(items)
    candidates = candidates_of(items.values())
    classify_catalogue(store, products, items, rules, candidates, findings)
    on_open: dict[str, Decimal] = {}
    if services.settings.stock_subtract_open_orders and any(i.stock_tracked for i in items.values()):
        on_open = erp.open_order_quantities()
    summary.skus_compared = classify_stock_levels(store, products, items, rules, services.settings, on_open, findings)
    parent_skus = {p.woo_product_id: p.sku or "" for p in products if not p.is_variation}
    buyers: dict[str, BuyerMatch] = {}
    orders = _read_orders(services, woo, store, report.since, step)
    summary.orders = len(orders)
    for index, order in enumerate(orders, start=1):
        buyer = _buyer(services, erp, order, buyers) if order.status in rules.paid_statuses else None
        report.verdicts.append(classify_order(order, rules, items, parent_skus, buyer, candidates, findings))
        step("orders checked", index, len(orders))
    summary.refunds = _count_refunds(woo, report.since, report.until)
    _check_webhooks(services, woo, store, findings)
    if check_write:
        _check_write(woo, store, findings)


def _read_products(woo: WooClient, step: Callable[[str, int, int | None], None]) -> list[Product]:
    products: list[Product] = []
    for payload in woo.list_products(_fields=PRODUCT_FIELDS):
        product = product_stock_from_woo(payload)
        products.append(product)
        if product.type == "variable":
            for variation in woo.list_variations(product.woo_product_id):
                products.append(product_stock_from_woo(variation, parent_id=product.woo_product_id))
        step("products read", len(products), None)
    return products


def _read_orders(
    services: Services, woo: WooClient, store: str, since: datetime, step: Callable[[str, int, int | None], None]
) -> list[Order]:
    prefix = services.settings.store(store).document_prefix
    after = since.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    orders: list[Order] = []
    for payload in woo.list_orders(after=after, dates_are_gmt="true", orderby="id", order="asc"):
        orders.append(order_from_woo(payload, store).model_copy(update={"document_prefix": prefix}))
        step("orders read", len(orders), None)
    return orders


def _buyer(services: Services, erp: ErpPort, order: Order, cache: dict[str, BuyerMatch]) -> BuyerMatch:
    """The ERP customer the order flow would use (shared/flows/orders.py resolve_customer), read-only: the
    e-mail's match, else the phone's; a buyer with neither would be created."""
    settings = services.settings
    if settings.customer_matching == "default_customer":
        key = "default"
        if key not in cache:
            found = erp.get_customer(settings.default_customer_number)
            cache[key] = BuyerMatch(found, default_missing=found is None)
        return cache[key]
    email, phone = order.customer.email or "", order.customer.phone or ""
    key = buyer_key(email, phone) or f"order:{order.woo_order_id}"
    if key not in cache:
        by_email: ErpCustomer | None = erp.find_customer(email, None) if email else None
        by_phone: ErpCustomer | None = erp.find_customer("", phone) if phone else None
        cache[key] = BuyerMatch(by_email or by_phone, by_email=by_email, by_phone=by_phone)
    return cache[key]


def _count_refunds(woo: WooClient, since: datetime, until: datetime) -> int:
    after = since.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    before = until.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return sum(1 for _ in woo.refunds_created_between(after, before, fields=REFUND_FIELDS))


def _check_webhooks(services: Services, woo: WooClient, store: str, findings: Findings) -> None:
    expected = delivery_url(services, store) if services.settings.public_base_url else None
    try:
        hooks = woo.list_webhooks()
    except PermanentHttpError as exc:
        if exc.status not in DENIED:
            raise
        findings.add(
            FindingKind.KEY_PERMISSIONS,
            store,
            "webhooks",
            f"the REST key cannot list webhooks ({exc.status}): its user needs the manage_woocommerce capability",
        )
        return
    classify_webhooks(store, hooks, expected, findings)


def _check_write(woo: WooClient, store: str, findings: Findings) -> None:
    """Whether the key may write, by a write no store can apply: order 0 does not exist. WooCommerce checks
    the key's permission before the route (facts woocommerce.md §2.1): a read-only key gets 401."""
    try:
        woo.update_order(0, {})
    except PermanentHttpError as exc:
        if exc.status in DENIED:
            findings.add(
                FindingKind.KEY_PERMISSIONS,
                store,
                "write",
                f"the REST key cannot write ({exc.status}): notes on held orders, stock, prices, shipments and "
                "webhook repairs would fail",
            )
