"""Readiness decisions (pure): the same holds as the order flow, the findings, the report's money and chart."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.erp.port import ErpCustomer, ErpItem
from shared.flows.readiness import ReadinessReport, StoreSummary
from shared.flows.readiness_classify import (
    Action,
    BuyerMatch,
    ConnectionRules,
    FindingKind,
    Findings,
    OrderVerdict,
    candidates_of,
    classify_order,
    classify_webhooks,
    group_by_reason,
)
from shared.flows.readiness_report import money, render_csv, render_html
from shared.model import Order
from shared.woo.mapping import order_from_woo

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "woocommerce"
RULES = ConnectionRules(
    kind="bc",
    sku_map={},
    local_currency="USD",
    paid_statuses=["processing", "completed"],
    tax_code_map={},
    shipping_number="6410",
    fee_number="6910",
)
ITEMS = {number: ErpItem(number=number, id=number.lower(), display_name=name) for number, name in
         [("WOO-93", "Woo Single"), ("BAR3", "Bar three"), ("WOO-94", "Woo Single #2")]}  # fmt: skip


def order(**changes: Any) -> Order:
    """Woo's order 727 (docs sample): a simple line (SKU WOO-93 here) and variation 23 (SKU Bar3) of 22."""
    payload = json.loads((REFERENCE / "order-retrieve.json").read_text(encoding="utf-8"))
    payload["line_items"][0]["sku"] = "WOO-93"
    payload.update(changes)
    return order_from_woo(payload, "main")


def decide(o: Order, rules: ConnectionRules = RULES, **kw: Any) -> tuple[OrderVerdict, Findings]:
    findings = Findings()
    items = kw.pop("items", ITEMS)
    verdict = classify_order(
        o, rules, items, kw.pop("parents", {22: "BAR"}), kw.pop("buyer", None), candidates_of(items.values()), findings
    )
    return verdict, findings


def test_a_clean_paid_order_would_post() -> None:
    verdict, findings = decide(order())
    assert (verdict.action, findings.all()) == (Action.POST, [])


def test_an_unpaid_order_is_skipped_and_a_cancelled_one_too() -> None:
    assert decide(order(status="pending"))[0].action == Action.SKIP
    assert decide(order(status="cancelled"))[0].reason == "status_cancelled"


def test_an_unknown_sku_holds_with_the_closest_erp_items() -> None:
    items = {k: v for k, v in ITEMS.items() if k != "WOO-93"}
    verdict, findings = decide(order(), items=items)
    assert (verdict.action, verdict.reason) == (Action.HOLD, "unknown_sku")
    [finding] = findings.all()
    assert (finding.kind, finding.subject, finding.orders) == (FindingKind.UNKNOWN_SKU, "WOO-93", {727})
    assert finding.suggestions[0].startswith("WOO-94 Woo Single #2")


def test_a_variation_showing_its_parents_sku_is_a_variation_without_sku() -> None:
    verdict, findings = decide(order(), parents={22: "Bar3"})
    assert (verdict.action, verdict.reason) == (Action.HOLD, "variation_without_sku")
    assert [(f.kind, f.subject) for f in findings.all()] == [(FindingKind.VARIATION_WITHOUT_SKU, "variation 23")]


def test_a_blocked_customer_holds_before_the_lines_are_looked_at() -> None:
    blocked = ErpCustomer(number="C9", id="c9", blocked=True, blocked_reason="All")
    verdict, findings = decide(order(), items={}, buyer=BuyerMatch(blocked, by_email=blocked))
    assert (verdict.action, verdict.reason) == (Action.HOLD, "blocked_customer")
    assert [f.kind for f in findings.all()] == [FindingKind.BLOCKED_CUSTOMER]


def test_e_mail_and_phone_naming_different_customers_is_a_finding_not_a_hold() -> None:
    a, b = ErpCustomer(number="A", id="a"), ErpCustomer(number="B", id="b")
    verdict, findings = decide(order(), buyer=BuyerMatch(a, by_email=a, by_phone=b))
    assert verdict.action == Action.POST
    assert [(f.kind, f.subject) for f in findings.all()] == [(FindingKind.SEVERAL_CUSTOMERS, "A / B")]


def test_shipping_without_a_number_would_fail_not_hold() -> None:
    rules = ConnectionRules(**{**vars(RULES), "shipping_number": ""})
    verdict, findings = decide(order(), rules)
    assert (verdict.action, verdict.reason) == (Action.FAIL, "charge_without_mapping")
    assert [f.subject for f in findings.all()] == ["shipping"]


def test_totals_that_do_not_add_up_and_a_foreign_currency_are_findings() -> None:
    verdict, findings = decide(order(total="30.35", currency="EUR"))
    assert verdict.action == Action.POST
    kinds = {f.kind: f for f in findings.all()}
    assert set(kinds) == {FindingKind.TOTALS_DO_NOT_ADD_UP, FindingKind.CURRENCY_TO_CONFIRM}
    assert "add up to 29.35 EUR, the order total is 30.35 EUR" in kinds[FindingKind.TOTALS_DO_NOT_ADD_UP].detail


def test_a_currency_the_erp_has_not_set_up_holds_and_blocks() -> None:
    rules = ConnectionRules(**{**vars(RULES), "erp_currencies": frozenset({"USD", "GBP"})})
    verdict, findings = decide(order(currency="EUR"), rules)
    assert (verdict.action, verdict.reason) == (Action.HOLD, "currency_not_set_up")
    (finding,) = findings.all()
    assert (finding.kind, finding.subject, finding.orders, finding.info.blocking) == (
        FindingKind.CURRENCY_NOT_SET_UP, "EUR", {727}, True,
    )  # fmt: skip


def test_a_currency_the_erp_has_set_up_is_ready() -> None:
    rules = ConnectionRules(**{**vars(RULES), "erp_currencies": frozenset({"USD", "EUR"})})
    verdict, findings = decide(order(currency="EUR"), rules)
    assert (verdict.action, verdict.reason) == (Action.POST, "ready")
    assert findings.all() == []


def test_a_currency_is_to_confirm_only_where_the_erp_cannot_list_them() -> None:
    verdict, findings = decide(order(currency="EUR"))  # erp_currencies None: the adapter cannot tell
    assert verdict.action == Action.POST
    assert [(f.kind, f.info.blocking) for f in findings.all()] == [(FindingKind.CURRENCY_TO_CONFIRM, False)]


def test_webhooks_missing_disabled_or_elsewhere() -> None:
    url = "https://app.example.net/api/webhooks/woo/main?code=k"
    hooks = [
        {"topic": "order.created", "status": "active", "delivery_url": "https://app.example.net/api/webhooks/woo/main"},
        {"topic": "order.updated", "status": "disabled", "delivery_url": url},
        {"topic": "order.deleted", "status": "active", "delivery_url": "https://old.example.net/hook"},
    ]
    findings = Findings()
    classify_webhooks("main", hooks, url, findings)
    assert [f.detail for f in findings.all()] == [
        "the order.deleted webhook delivers to https://old.example.net/hook, not to this app",
        "the order.updated webhook is disabled, not active",
    ]


def test_money_is_never_scientific_and_has_the_currencys_minor_unit() -> None:
    assert money(Decimal("1E+2"), "USD") == "100.00 USD"
    assert money(Decimal("1234567.5"), "JPY") == "1,234,568 JPY"
    assert money(Decimal("0.1234"), "KWD") == "0.123 KWD"


def test_the_report_shows_shares_and_guards_the_csv() -> None:
    verdicts = [
        OrderVerdict("main", 1, "1", "processing", "USD", Decimal("1E+2"), Action.POST, "ready"),
        OrderVerdict("main", 2, "2", "processing", "USD", Decimal("50"), Action.HOLD, "unknown_sku", "=HYPERLINK()"),
    ]
    assert group_by_reason(verdicts) == {"ready": 1, "held: SKU with no ERP item": 1}
    report = ReadinessReport(
        since=datetime(2026, 11, 1, tzinfo=UTC), until=datetime(2026, 12, 1, tzinfo=UTC), verdicts=verdicts
    )
    report.stores.append(StoreSummary("main", "bc", orders=2))
    page = render_html(report)
    assert "1 (50.0%)" in page and "<svg" in page and "150.00 USD" in page and "E+" not in page
    assert "'=HYPERLINK()" in render_csv(report)


def test_the_readme_explains_every_finding() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Go-live readiness") : readme.index("## Operations")]
    assert [kind for kind in FindingKind if f"| `{kind}` |" not in section] == []


def test_the_connections_mapping_decides_the_statuses_and_maps_tax_classes(tmp_path: Path) -> None:
    from shared.config import Settings
    from shared.flows.readiness import connection_rules
    from shared.flows.services import Services

    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "version: 1\nstatuses:\n  post: [completed]\n  ignore: [on-hold]\n"
        "lookups:\n  tax_class:\n    reduced-rate: REDUCED\n"
        "line:\n  taxCode:\n    from: line.tax_class\n    transforms: [{lookup: tax_class}]\n",
        encoding="utf-8",
    )
    settings = Settings.model_validate({
        "woo_stores": {"main": {"url": "https://main.example.com/", "consumer_key": "ck", "consumer_secret": "cs",
                                "webhook_secret": "whsec"}},
        "bc_mapping_file": str(mapping), "bc_tax_code_map": {"": "TAXABLE"},
    })  # fmt: skip
    rules = connection_rules(Services(settings), "main")
    assert (list(rules.paid_statuses), list(rules.ignored_statuses)) == (["completed"], ["on-hold"])
    assert rules.tax_code_map == {"reduced-rate": "REDUCED", "": "TAXABLE"}
    assert decide(order(), rules)[0].reason == "status_processing"  # this mapping posts completed orders only
    assert decide(order(status="on-hold"), rules)[0].reason == "ignored"
