"""Go-live readiness, the decisions (no I/O): what the connector would do with each Woo order, and what
in the store's catalogue, settings and webhooks would hold or fail orders once it is switched on.

The order decision reuses the code the order flow runs: the paid statuses, :func:`shared.erp.rules.
required_item_keys` and :func:`~shared.erp.rules.resolve_lines` (the line holds every adapter applies),
the blocked-customer hold and :func:`~shared.erp.rules.expected_total`. So readiness cannot say "post"
where the connector would hold. An order currency the ERP has not set up (``ErpPort.currencies``) would hold;
where an adapter cannot list the ERP's currencies (``currencies()`` is None) a foreign currency is reported as
something to confirm, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.erp.port import ErpCustomer, ErpItem
from shared.erp.rules import can_be_item_number, item_key, required_item_keys, resolve_lines
from shared.flows.reconcile_classify import classify_stock, expected_stock
from shared.flows.stock_plan import map_products, sku_key
from shared.flows.webhook_health import REQUIRED_TOPICS
from shared.mapping.suggestions import Candidate, suggest_items
from shared.model import HoldCode, HoldReason, Order, Product, currency_places, round_money
from shared.woo.mapping import IGNORED_ORDER_STATUSES

ITEM_NUMBER_LENGTH: dict[str, int] = {
    "bc": 20,
    "fo": 20,
    "gp": 30,
}  # F&O: ItemId (20, unconfirmed); GP: ITEMNMBR char(31)
"""The longest item number each ERP kind holds (BC: Code20, ``lineObjectNumber`` MaxLength 20 in
``$metadata``, facts dynamics.md). A kind not listed yet is checked against BC's 20, the shortest."""
DEFAULT_ITEM_NUMBER_LENGTH = 20


class Action(StrEnum):
    POST = "post"
    HOLD = "hold"
    FAIL = "fail"  # the ERP would refuse it for good (a setting is missing): it would end in the poison queue
    SKIP = "skip"


class FindingKind(StrEnum):
    """What readiness found; the order is the order of the report's sections."""

    UNKNOWN_SKU = "unknown_sku"
    MISSING_SKU = "missing_sku"
    VARIATION_WITHOUT_SKU = "variation_without_sku"
    SHARED_SKU = "shared_sku"
    SKU_TOO_LONG = "sku_too_long"
    BLOCKED_CUSTOMER = "blocked_customer"
    CHARGE_WITHOUT_MAPPING = "charge_without_mapping"
    WEBHOOK = "webhook"
    KEY_PERMISSIONS = "key_permissions"
    CURRENCY_NOT_SET_UP = "currency_not_set_up"
    CURRENCY_TO_CONFIRM = "currency_to_confirm"
    TAX_CLASS_WITHOUT_MAPPING = "tax_class_without_mapping"
    SEVERAL_CUSTOMERS = "several_customers"
    TOTALS_DO_NOT_ADD_UP = "totals_do_not_add_up"
    STOCK_DIFFERS = "stock_differs"


@dataclass(frozen=True)
class KindInfo:
    title: str
    blocking: bool
    meaning: str
    fix: str
    color: str


KINDS: dict[FindingKind, KindInfo] = {
    FindingKind.UNKNOWN_SKU: KindInfo(
        "SKU with no ERP item",
        True,
        "A Woo SKU (on a product, or on a line of a recent order) is no ERP item number: its orders would be held.",
        "Create the item in the ERP, or map the SKU to the right item number (`connector sku-map set`, "
        "or the SKU_MAP setting); the suggestions are the closest ERP items.",
        "#c0392b",
    ),
    FindingKind.MISSING_SKU: KindInfo(
        "Product without SKU",
        True,
        "An order line's product has no SKU (or was deleted): the order would be held.",
        "WooCommerce → Products → the product → Inventory → SKU.",
        "#e74c3c",
    ),
    FindingKind.VARIATION_WITHOUT_SKU: KindInfo(
        "Variation without its own SKU",
        True,
        "A variation only shows its parent's SKU: no ERP item can be told apart, so its orders would be held.",
        "WooCommerce → Products → the variable product → Variations → give each variation its own SKU.",
        "#d35400",
    ),
    FindingKind.SHARED_SKU: KindInfo(
        "SKU on several products",
        True,
        "One SKU is on several Woo products or variations: orders of the variations are held, and neither "
        "product gets stock or price.",
        "WooCommerce → Products: keep each SKU on one product or variation.",
        "#e67e22",
    ),
    FindingKind.SKU_TOO_LONG: KindInfo(
        "SKU too long for an item number",
        True,
        "A SKU longer than the ERP's item number (BC: 20 characters): no item can have it, orders would be held.",
        "Map the SKU to an ERP item number in the connection's SKU map (e.g. BC_SKU_MAP), or shorten it in Woo.",
        "#a04000",
    ),
    FindingKind.BLOCKED_CUSTOMER: KindInfo(
        "Blocked ERP customer",
        True,
        "A buyer matches an ERP customer that is blocked (or the default customer is missing): held.",
        "Unblock the customer in the ERP (BC: Customer card → Blocked), or change the buyer's e-mail there.",
        "#8e44ad",
    ),
    FindingKind.CHARGE_WITHOUT_MAPPING: KindInfo(
        "Shipping or fee line without mapping",
        True,
        "Orders have shipping or fee lines but the connection names no account or item for them: the ERP "
        "would refuse those orders (they would end in the poison queue).",
        "Name what shipping and fee lines post to: BC_SHIPPING_NUMBER and BC_FEE_NUMBER (and their line types) "
        "on Business Central, SHIPPING_ITEM and FEE_ITEM on Finance & Operations.",
        "#6c3483",
    ),
    FindingKind.WEBHOOK: KindInfo(
        "Webhook missing or disabled",
        True,
        "An order webhook the connector needs is missing, disabled or points elsewhere: orders would arrive "
        "only through the 15-minute backfill.",
        "Let the connector create them (PUBLIC_BASE_URL and WEBHOOK_FUNCTION_KEY set, the watch_webhooks "
        "timer), or WooCommerce → Settings → Advanced → Webhooks.",
        "#2c3e50",
    ),
    FindingKind.KEY_PERMISSIONS: KindInfo(
        "REST key permissions",
        True,
        "The REST API key cannot do what the connector needs (read orders and products, manage webhooks, "
        "write notes, stock and statuses).",
        "WooCommerce → Settings → Advanced → REST API: a key with Read/Write for a user with the "
        "manage_woocommerce capability (a shop manager or administrator).",
        "#1b2631",
    ),
    FindingKind.CURRENCY_NOT_SET_UP: KindInfo(
        "Currency not set up in the ERP",
        True,
        "Orders in a currency the ERP does not have: they would be held until it is set up.",
        "Set the currency up in the ERP (BC: Currencies, with exchange rates; F&O: General ledger › Currencies; "
        "GP: Multicurrency setup and access for the company), or check the connection's LOCAL_CURRENCY.",
        "#8e44ad",
    ),
    FindingKind.CURRENCY_TO_CONFIRM: KindInfo(
        "Currency to confirm in the ERP",
        False,
        "Orders in a currency other than the ERP's local one: the ERP must have it set up (with exchange "
        "rates) or they are held. This connection cannot list the ERP's currencies, so confirm it.",
        "The ERP's currencies page (BC: Currencies, with exchange rates); the connection's LOCAL_CURRENCY.",
        "#2980b9",
    ),
    FindingKind.TAX_CLASS_WITHOUT_MAPPING: KindInfo(
        "Tax class without mapping",
        False,
        "Order lines use a Woo tax class the connection's tax code map does not name: the ERP computes their "
        "tax from its own item set-up, which may differ from Woo's.",
        "Add the class to the connection's tax code map (e.g. BC_TAX_CODE_MAP), or check the ERP's item tax "
        "groups give the same tax.",
        "#1f618d",
    ),
    FindingKind.SEVERAL_CUSTOMERS: KindInfo(
        "Buyer matches several ERP customers",
        False,
        "The buyer's e-mail and phone name different ERP customers: the connector takes the e-mail's, which "
        "may be the wrong account.",
        "Merge or correct the duplicate customers in the ERP.",
        "#117a65",
    ),
    FindingKind.TOTALS_DO_NOT_ADD_UP: KindInfo(
        "Woo totals that do not add up",
        False,
        "An order's lines, shipping, fees and tax do not add up to its total (a plugin changed it): posted, "
        "the ERP total would differ and the order be flagged.",
        "Find the plugin that edits totals; compare the order in WooCommerce.",
        "#b7950b",
    ),
    FindingKind.STOCK_DIFFERS: KindInfo(
        "Stock differs",
        False,
        "Woo stock differs from the ERP's available to sell; once live the stock push makes Woo follow the ERP.",
        "Decide which is right before go-live: the ERP is master, so correct the ERP's inventory if Woo's is.",
        "#16a085",
    ),
}


@dataclass(frozen=True)
class OrderVerdict:
    store: str
    order_id: int
    number: str
    status: str
    currency: str
    total: Decimal
    action: Action
    reason: str = ""  # the first reason's code (a hold code, a finding kind or a status rule)
    detail: str = ""


@dataclass
class Finding:
    kind: FindingKind
    store: str
    subject: str
    detail: str
    orders: set[int] = field(default_factory=set)
    suggestions: tuple[str, ...] = ()

    @property
    def info(self) -> KindInfo:
        return KINDS[self.kind]


@dataclass(frozen=True)
class BuyerMatch:
    """What the ERP has for one buyer: the customer the connector would use, and the e-mail's and the
    phone's matches when they differ (None: no match)."""

    chosen: ErpCustomer | None
    by_email: ErpCustomer | None = None
    by_phone: ErpCustomer | None = None
    default_missing: bool = False


@dataclass(frozen=True)
class ConnectionRules:
    """What the order decision needs from settings (the store's connection)."""

    kind: str
    sku_map: Mapping[str, str]
    local_currency: str
    paid_statuses: Sequence[str]
    ignored_statuses: Sequence[str] = ()
    tax_code_map: Mapping[str, str] | None = None  # None: the ERP kind has no such setting
    shipping_number: str | None = None
    fee_number: str | None = None
    total_tolerance: Decimal = Decimal("0.01")
    erp_currencies: frozenset[str] | None = None
    """The currencies the ERP has set up (``ErpPort.currencies``); None: it cannot tell."""

    @property
    def max_length(self) -> int:
        return ITEM_NUMBER_LENGTH.get(self.kind, DEFAULT_ITEM_NUMBER_LENGTH)


class Findings:
    """Findings merged by (store, kind, subject), each with the orders it concerns."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, FindingKind, str], Finding] = {}

    def add(
        self,
        kind: FindingKind,
        store: str,
        subject: str,
        detail: str,
        *,
        order: int | None = None,
        suggestions: Sequence[str] = (),
    ) -> Finding:
        if kind in _SKU_KINDS:
            subject = sku_key(subject)
        key = (store, kind, subject)
        found = self._by_key.get(key)
        if found is None:
            found = self._by_key[key] = Finding(kind, store, subject, detail, suggestions=tuple(suggestions))
        if order is not None:
            found.orders.add(order)
        if suggestions and not found.suggestions:
            found.suggestions = tuple(suggestions)
        return found

    def all(self) -> list[Finding]:
        order = list(FindingKind)
        return sorted(self._by_key.values(), key=lambda f: (order.index(f.kind), f.store, f.subject))


_SKU_KINDS = frozenset(
    {FindingKind.UNKNOWN_SKU, FindingKind.SHARED_SKU, FindingKind.SKU_TOO_LONG, FindingKind.STOCK_DIFFERS}
)

_HOLD_KINDS: dict[HoldCode, FindingKind] = {
    HoldCode.UNKNOWN_SKU: FindingKind.UNKNOWN_SKU,
    HoldCode.MISSING_SKU: FindingKind.MISSING_SKU,
    HoldCode.VARIATION_WITHOUT_SKU: FindingKind.VARIATION_WITHOUT_SKU,
    HoldCode.SHARED_VARIATION_SKU: FindingKind.SHARED_SKU,
    HoldCode.SKU_TOO_LONG: FindingKind.SKU_TOO_LONG,
    HoldCode.BLOCKED_CUSTOMER: FindingKind.BLOCKED_CUSTOMER,
    HoldCode.CURRENCY_NOT_SET_UP: FindingKind.CURRENCY_NOT_SET_UP,
}


def order_item_keys(order: Order, rules: ConnectionRules) -> list[str]:
    """The ERP item numbers the order flow would look up for this order."""
    return required_item_keys(order, rules.sku_map, rules.max_length)


def candidates_of(items: Iterable[ErpItem]) -> list[Candidate]:
    return [Candidate(item.number, item.display_name) for item in items if not item.blocked]


def suggestions_for(sku: str, candidates: Sequence[Candidate], product_name: str = "") -> tuple[str, ...]:
    found = suggest_items(sku, candidates, product_name=product_name)
    return tuple(f"{s.number} {s.name}".strip() + f" ({s.score:.0f}%)" for s in found)


def classify_order(
    order: Order,
    rules: ConnectionRules,
    items: Mapping[str, ErpItem],
    parent_skus: Mapping[int, str],
    buyer: BuyerMatch | None,
    candidates: Sequence[Candidate],
    findings: Findings,
) -> OrderVerdict:
    """What the connector would do with this order now, and the findings it adds."""

    def verdict(action: Action, reason: str = "", detail: str = "") -> OrderVerdict:
        return OrderVerdict(
            order.store, order.woo_order_id, order.number, order.status, order.currency, order.total,
            action, reason, detail,
        )  # fmt: skip

    _check_totals(order, rules, findings)
    _check_tax_classes(order, rules, findings)
    if order.status in IGNORED_ORDER_STATUSES:
        return verdict(Action.SKIP, "draft", f"status {order.status}: never posted")
    if order.status in rules.ignored_statuses:
        return verdict(Action.SKIP, "ignored", f"status {order.status}: ignored by the connection's mapping")
    if order.status not in rules.paid_statuses:
        ended = order.status in ("cancelled", "refunded", "trash")
        why = f"{order.status}: nothing to post" if ended else f"status {order.status}: not paid (yet)"
        return verdict(Action.SKIP, f"status_{order.status}", why)
    currency = order.currency.strip().upper()
    if rules.erp_currencies is None and currency != rules.local_currency.strip().upper():
        findings.add(
            FindingKind.CURRENCY_TO_CONFIRM,
            order.store,
            order.currency,
            f"orders in {order.currency}; the ERP's local currency is {rules.local_currency}",
            order=order.woo_order_id,
        )
    holds: list[HoldReason] = []
    if buyer is not None:
        if buyer.default_missing and buyer.chosen is None:
            holds.append(HoldReason.blocked_customer("(default customer)", "missing"))
        elif buyer.chosen is not None and buyer.chosen.blocked:
            holds.append(HoldReason.blocked_customer(buyer.chosen.number, buyer.chosen.blocked_reason))
        _check_several(order, buyer, findings)
    if not holds:  # the adapter checks the customer before the lines (shared/erp/*/adapter.py)
        _, line_holds = resolve_lines(order, items, rules.sku_map, parent_skus, rules.max_length)
        holds.extend(line_holds)
    if rules.erp_currencies is not None and currency not in rules.erp_currencies:
        holds.append(HoldReason.currency_not_set_up(currency))  # the ERP refuses the customer or the document
    reasons: list[str] = []
    for hold in holds:
        kind = _HOLD_KINDS.get(hold.code)
        if kind is None:
            reasons.append(str(hold.code))
            continue
        subject = hold.subject
        line = order.line_by_item_id(hold.woo_item_id) if hold.woo_item_id is not None else None
        parent_sku = parent_skus.get(line.product_id) if line is not None and line.product_id is not None else None
        if kind == FindingKind.SHARED_SKU and line is not None and sku_key(parent_sku) == sku_key(hold.subject):
            kind, subject = FindingKind.VARIATION_WITHOUT_SKU, f"variation {line.variation_id}"  # only its parent's SKU
        suggestions: tuple[str, ...] = ()
        if kind == FindingKind.UNKNOWN_SKU:
            suggestions = suggestions_for(hold.subject, candidates, line.name if line else "")
        findings.add(kind, order.store, subject, hold.message, order=order.woo_order_id, suggestions=suggestions)
        reasons.append(str(kind))
    if holds:
        return verdict(Action.HOLD, reasons[0], "; ".join(h.message for h in holds))
    missing = _unmapped_charges(order, rules)
    if missing:
        for what in missing:
            findings.add(
                FindingKind.CHARGE_WITHOUT_MAPPING,
                order.store,
                what,
                f"{what} lines need an ERP account or item number; none is configured",
                order=order.woo_order_id,
            )
        return verdict(Action.FAIL, str(FindingKind.CHARGE_WITHOUT_MAPPING), f"no {' or '.join(missing)} number set")
    return verdict(Action.POST, "ready", "would post")


def _check_several(order: Order, buyer: BuyerMatch, findings: Findings) -> None:
    email, phone = buyer.by_email, buyer.by_phone
    if email is not None and phone is not None and email.number != phone.number:
        findings.add(
            FindingKind.SEVERAL_CUSTOMERS,
            order.store,
            f"{email.number} / {phone.number}",
            f"the buyer's e-mail matches ERP customer {email.number}, the phone {phone.number}; "
            f"the connector would use {email.number}",
            order=order.woo_order_id,
        )


def _unmapped_charges(order: Order, rules: ConnectionRules) -> list[str]:
    missing = []
    places = currency_places(order.currency)
    shipping = [line for line in order.shipping_lines if round_money(line.total, places) != 0]
    if shipping and rules.shipping_number is not None and not rules.shipping_number:
        missing.append("shipping")
    if order.fee_lines and rules.fee_number is not None and not rules.fee_number:
        missing.append("fee")
    return missing


def _check_tax_classes(order: Order, rules: ConnectionRules, findings: Findings) -> None:
    if rules.tax_code_map is None:
        return
    for line in (*order.lines, *order.fee_lines):
        taxed = line.total_tax != 0
        if line.tax_class in rules.tax_code_map or (not rules.tax_code_map and line.tax_class == ""):
            continue
        if taxed or line.tax_class:
            shown = line.tax_class or "standard"
            findings.add(
                FindingKind.TAX_CLASS_WITHOUT_MAPPING,
                order.store,
                shown,
                f"tax class '{shown}' is not in the tax code map",
                order=order.woo_order_id,
            )


def woo_sum(order: Order) -> Decimal:
    """What Woo's own parts add up to: lines after coupons, shipping, fees, and the tax."""
    parts = (*order.lines, *order.shipping_lines, *order.fee_lines)
    return sum((line.total for line in parts), Decimal(0)) + order.total_tax


def _check_totals(order: Order, rules: ConnectionRules, findings: Findings) -> None:
    places = currency_places(order.currency)
    difference = round_money(woo_sum(order), places) - round_money(order.total, places)
    if abs(difference) > rules.total_tolerance:
        findings.add(
            FindingKind.TOTALS_DO_NOT_ADD_UP,
            order.store,
            f"#{order.number}",
            f"lines, shipping, fees and tax add up to {round_money(woo_sum(order), places):f} {order.currency}, "
            f"the order total is {round_money(order.total, places):f} {order.currency}",
            order=order.woo_order_id,
        )


# ---------------------------------------------------------------------------------------- catalogue


def classify_catalogue(
    store: str,
    products: Sequence[Product],
    items: Mapping[str, ErpItem],
    rules: ConnectionRules,
    candidates: Sequence[Candidate],
    findings: Findings,
) -> None:
    """Catalogue findings: variations without their own SKU, SKUs on several products, SKUs too long
    and SKUs with no ERP item (published products only: drafts are not sold)."""
    rows, conflicts = map_products(products)
    for conflict in conflicts:
        if conflict.kind == "duplicate_sku":
            findings.add(FindingKind.SHARED_SKU, store, conflict.sku, conflict.message)
    by_id = {p.woo_product_id: p for p in products}
    parents_with_variations = {p.parent_id for p in products if p.parent_id is not None}
    for product in products:
        if product.type in ("grouped", "external") or product.woo_product_id in parents_with_variations:
            continue  # a variable product is sold through its variations; grouped and external never are
        if product.status != "publish":
            continue
        sku = (product.sku or "").strip()
        parent = by_id.get(product.parent_id) if product.parent_id is not None else None
        if product.is_variation and (not sku or (parent is not None and sku_key(parent.sku) == sku_key(sku))):
            label = f"#{product.woo_product_id} {product.name}".strip()
            shown = f" (it shows its parent's '{sku}')" if sku else ""
            findings.add(
                FindingKind.VARIATION_WITHOUT_SKU,
                store,
                f"variation {product.woo_product_id}",
                f"variation {label} has no SKU of its own{shown}",
            )
            continue
        if not sku:
            label = f"#{product.woo_product_id} {product.name}".strip()
            findings.add(FindingKind.MISSING_SKU, store, f"product {product.woo_product_id}", f"{label}: no SKU")
            continue
        key = item_key(sku, rules.sku_map)
        if not can_be_item_number(key, rules.max_length):
            findings.add(
                FindingKind.SKU_TOO_LONG,
                store,
                sku,
                f"SKU '{sku}' has {len(key)} characters; an ERP item number has at most {rules.max_length}",
            )
        elif key not in items and rows.get(sku.upper(), None) is not None:
            findings.add(
                FindingKind.UNKNOWN_SKU,
                store,
                sku,
                f"#{product.woo_product_id} {product.name}: no ERP item {key}",
                suggestions=suggestions_for(sku, candidates, product.name),
            )


def classify_stock_levels(
    store: str,
    products: Sequence[Product],
    items: Mapping[str, ErpItem],
    rules: ConnectionRules,
    settings: Any,
    on_open_orders: Mapping[str, Decimal],
    findings: Findings,
) -> int:
    """Stock that differs between Woo and the ERP's available to sell (as the stock push computes it), for
    every product or variation managing its own stock; returns how many SKUs were compared."""
    rows, _ = map_products(products)
    compared = 0
    for product in products:
        sku = (product.sku or "").strip()
        row = rows.get(sku.upper()) if sku else None
        if product.manage_stock is not True or row is None or row.product_id != product.woo_product_id:
            continue
        number = item_key(sku, rules.sku_map)
        expected = expected_stock(sku, items.get(number), settings, on_open_orders.get(number, Decimal(0)))
        if expected is None:
            continue
        compared += 1
        drift = classify_stock(store, sku, product.stock_quantity, expected, item_number=number)
        if drift is not None:
            findings.add(FindingKind.STOCK_DIFFERS, store, sku, drift.detail)
    return compared


def classify_webhooks(
    store: str, hooks: Sequence[Mapping[str, Any]], expected_url: str | None, findings: Findings
) -> None:
    """Each order webhook the connector needs: present, active, delivering to this app (when known)."""
    for topic in REQUIRED_TOPICS:
        of_topic = [h for h in hooks if h.get("topic") == topic]
        if not of_topic:
            findings.add(FindingKind.WEBHOOK, store, topic, f"no {topic} webhook")
            continue
        mine = of_topic
        if expected_url is not None:
            mine = [h for h in of_topic if _same_endpoint(str(h.get("delivery_url") or ""), expected_url)]
        if not mine:
            elsewhere = ", ".join(sorted({str(h.get("delivery_url") or "").split("?", 1)[0] for h in of_topic}))
            findings.add(
                FindingKind.WEBHOOK, store, topic, f"the {topic} webhook delivers to {elsewhere}, not to this app"
            )
        elif not any(h.get("status") == "active" for h in mine):
            statuses = ", ".join(sorted({str(h.get("status")) for h in mine}))
            findings.add(FindingKind.WEBHOOK, store, topic, f"the {topic} webhook is {statuses}, not active")


def _same_endpoint(url: str, expected: str) -> bool:
    return url.split("?", 1)[0].rstrip("/") == expected.split("?", 1)[0].rstrip("/")


_KIND_VALUES = frozenset(kind.value for kind in FindingKind)


def group_by_reason(verdicts: Iterable[OrderVerdict]) -> dict[str, int]:
    """Orders by outcome for the chart: ``ready``, ``held: <why>``, ``fails: <why>``, ``skipped``."""
    counts: dict[str, int] = defaultdict(int)
    for v in verdicts:
        why = KINDS[FindingKind(v.reason)].title if v.reason in _KIND_VALUES else v.reason
        if v.action == Action.POST:
            counts["ready"] += 1
        elif v.action == Action.HOLD:
            counts[f"held: {why}"] += 1
        elif v.action == Action.FAIL:
            counts[f"fails: {why}"] += 1
        else:
            counts["skipped (not paid)"] += 1
    return dict(counts)
