"""Alerts, saved queries and the workbook (infra/modules/operations.bicep) watch what the app really logs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from shared import telemetry

sys.path.insert(0, str(Path(__file__).parent))
from bicep_model import INFRA, REPO, Infra, accessor, body, function, loop_source

OPERATIONS = "modules/operations.bicep"
REQUIRED_ALERTS = {
    "poison-messages": "poisonMessage",
    "orders-held": "orderHeld",
    "webhook-disabled": "webhookDisabled",
    "reconciliation-exceptions": "reconciliationExceptions",
    "needs-attention": "orderNeedsAttention",
    "function-failures": None,
}


def _query_text(infra: Infra, var_name: str) -> tuple[str, list[str]]:
    """(format string or literal text, format arguments as 'events.x' / 'fields.y' / names) of a query variable,
    following `'${otherQuery}...'` concatenation."""
    ops = infra.file(OPERATIONS)
    value = ops.var(var_name)
    fmt = function(value, "format")
    if fmt:
        args = [accessor(v) or str(v) for k, v in fmt.items() if k != "format_string"]
        return fmt["format_string"], args
    assert isinstance(value, str), f"{var_name}: expected a string or format(...)"
    text, args = value, []
    for ref in re.findall(r"\$\{(\w+)\}", value):
        if ref in ops.variables:
            inner, inner_args = _query_text(infra, ref)
            text, args = text + inner, args + inner_args
    return text, args


def test_event_names_live_only_in_app_events_json(infra: Infra) -> None:
    events = infra.events["events"]
    fields = infra.events["fields"]
    ops = infra.file(OPERATIONS)
    assert function(ops.var("app"), "load_json_content")["file_path"] == "app-events.json"
    for bicep in infra.files.values():
        for name in events.values():
            assert f"'{name}'" not in bicep.text, f"{bicep.rel} spells the event {name}: use app-events.json"
    for key in events:
        assert f"events.{key}" in ops.text, f"event {key} is not used by any alert or query"
    for key in fields:
        assert f"fields.{key}" in ops.text, f"field {key} is not used by any alert or query"


def test_the_app_logs_every_event_the_alerts_watch() -> None:
    """Both ways: each event in app-events.json is logged somewhere in shared/, and every event
    shared/telemetry.py declares for the alert rules is watched."""
    import json

    events = json.loads((INFRA / "modules" / "app-events.json").read_text())
    code = "\n".join(p.read_text() for p in (REPO / "shared").rglob("*.py"))
    constants = {value for name, value in vars(telemetry).items() if name.isupper() and isinstance(value, str)}
    for name in events["events"].values():
        assert name in constants or f'"{name}"' in code, f"the app never logs {name}"
    alerted = {telemetry.ORDER_HELD, telemetry.POISON_MESSAGE, telemetry.WEBHOOK_DISABLED}
    alerted.add(telemetry.RECONCILIATION_EXCEPTIONS)
    assert alerted <= set(events["events"].values())
    # The dimension the queries filter on is the key log_event puts the event name under.
    assert 'extra={"event": event' in (REPO / "shared" / "telemetry.py").read_text()
    assert events["dimension"] == "event"


def test_readme_lists_the_event_names(infra: Infra) -> None:
    readme = (INFRA / "README.md").read_text()
    for name in [*infra.events["events"].values(), *infra.events["fields"].values()]:
        assert f"`{name}`" in readme, f"infra/README.md does not list {name}"


def test_format_strings_have_exactly_their_arguments(infra: Infra) -> None:
    """ARM's format() is .NET composite formatting: {n} must have an argument, and a stray brace fails."""
    ops = infra.file(OPERATIONS)
    checked = 0
    for name in ops.variables:
        fmt = function(ops.var(name), "format")
        if not fmt:
            continue
        text = fmt["format_string"]
        args = [k for k in fmt if k != "format_string"]
        used = {int(n) for n in re.findall(r"(?<!\{)\{(\d+)\}", text)}
        assert used == set(range(len(args))), f"{name}: placeholders {sorted(used)} for {len(args)} arguments"
        assert not re.search(r"[{}]", re.sub(r"\{\d+\}|\{\{|\}\}", "", text)), f"{name}: unescaped brace"
        checked += 1
    assert checked >= 5


def test_queries_use_the_workspace_schema_and_balance(infra: Infra) -> None:
    """Alerts, saved searches and the workbook all run on the Log Analytics workspace: AppTraces.Properties,
    not the classic traces.customDimensions."""
    ops = infra.file(OPERATIONS)
    assert "customDimensions" not in ops.text and "\ntraces" not in ops.text
    for name in ops.variables:
        if name.endswith("Query") or name.endswith("Base"):
            text, _ = _query_text(infra, name)
            assert text.count("(") == text.count(")"), name
            single_quoted = re.sub(r'@?"[^"]*"', '""', text)  # drop "..." literals, which may hold a quote
            assert single_quoted.count("'") % 2 == 0, name


def test_alert_rules_cover_the_required_conditions(infra: Infra) -> None:
    ops = infra.file(OPERATIONS)
    rules = {rule["name"]: rule for rule in ops.var("alertRules")}
    assert set(REQUIRED_ALERTS) <= set(rules)
    for name, event_key in REQUIRED_ALERTS.items():
        rule = rules[name]
        text, args = _query_text(infra, rule["query"])
        assert rule["measure"] in text and rule["dimension"] in text, name
        if event_key:
            assert f"events.{event_key}" in args, f"{name} does not look for {event_key}"
            assert "AppTraces" in text
    failures, _ = _query_text(infra, rules["function-failures"]["query"])
    assert "AppRequests" in failures and "Success == false" in failures and "AppExceptions" in failures
    # The poison alert also catches the host's own dead-letter log line, whatever the app does.
    poison, _ = _query_text(infra, rules["poison-messages"]["query"])
    assert "Moving message to queue" in poison and "-poison" in poison
    # Held orders: the alert's window must reach back past the threshold.
    held = rules["orders-held"]
    assert held["lookback"] == "P2D"
    (resource,) = ops.of_type("Microsoft.Insights/scheduledQueryRules").values()
    assert body(resource)["properties"]["overrideQueryTimeRange"] is not None
    assert ops.decorator("heldOrderAlertMinutes", "max_value") <= 2 * 24 * 60


def test_alert_rules_notify_the_action_group_by_email(infra: Infra) -> None:
    ops = infra.file(OPERATIONS)
    group = ops.one("Microsoft.Insights/actionGroups")
    (receiver,) = group["properties"]["emailReceivers"]
    assert receiver["emailAddress"] == "alertEmail"
    assert len(group["properties"]["groupShortName"]) <= 12
    (rules,) = ops.of_type("Microsoft.Insights/scheduledQueryRules").values()
    assert loop_source(rules) == "alertRules"
    rule = body(rules)["properties"]
    assert [accessor(g) for g in rule["actions"]["actionGroups"]] == ["actionGroup.id"]
    assert rule["scopes"] == ["workspaceId"]
    assert rule["enabled"] is True
    criterion = rule["criteria"]["allOf"][0]
    assert accessor(criterion["query"]) == "rule.query"
    assert accessor(criterion["threshold"]) == "rule.threshold"
    # main.bicep wires the operator's email address and the workspace.
    params = infra.module_params(infra.module_for(OPERATIONS))
    assert params["alertEmail"] == "alertEmail"
    assert infra.main.default("alertEmail") is None  # required
    assert accessor(params["workspaceId"]) == "monitoring.outputs.workspaceId"


def test_saved_queries_and_workbook_for_the_operator(infra: Infra) -> None:
    ops = infra.file(OPERATIONS)
    saved = {entry["name"]: entry for entry in ops.var("savedQueries")}
    assert {"orders-per-hour", "held-orders", "poisoned-per-hour", "erp-latency", "function-failures"} <= set(saved)
    orders, args = _query_text(infra, saved["orders-per-hour"]["query"])
    assert "events.orderPosted" in args and "1h" in orders
    latency, args = _query_text(infra, saved["erp-latency"]["query"])
    assert "AppDependencies" in latency and "DurationMs" in latency and args == ["erpHost"]
    (searches,) = ops.of_type("Microsoft.OperationalInsights/workspaces/savedSearches").values()
    assert loop_source(searches) == "savedQueries"
    workbook = ops.one("Microsoft.Insights/workbooks")
    assert function(workbook["properties"]["serializedData"], "string") == {"value_to_convert": "workbookContent"}
    assert loop_source(ops.variables["workbookItems"]) == "savedQueries"
    # The ERP host comes from the BC API URL the app uses.
    params = infra.module_params(infra.module_for(OPERATIONS))
    assert params["erpHost"] == "erpHost"
    assert "bcApiUrl" in str(infra.main.var("erpHost"))


def test_alert_queries_do_what_the_alerts_claim(infra: Infra) -> None:
    """The four fixes of issue 17, rendered to the KQL the workspace runs (iac_render)."""
    from iac_render import bicep_query, normalized

    events = infra.events["events"]
    held = normalized(bicep_query(infra, "heldTooLongQuery"))
    # A hold ends with a post OR a cancellation (a held-then-cancelled order stops the alert).
    assert f"event_name in ('{events['orderPosted']}', '{events['orderCancelled']}')" in held
    # Poison: each source counted alone, the larger kept per queue, never the sum of both.
    poisoned = normalized(bicep_query(infra, "poisonedQuery"))
    assert "max_of(coalesce(app_count, 0), coalesce(host_count, 0))" in poisoned
    assert " or (Message contains" not in poisoned
    assert "replace_string(" in poisoned  # host lines name '<queue>-poison'; the app event names '<queue>'
    # Reconciliation: one row per store, not the joined list.
    reconciliation = normalized(bicep_query(infra, "reconciliationQuery"))
    assert "mv-expand store = split(" in reconciliation and "by store = trim(' ', store)" in reconciliation
    # ERP latency counts add up the sampled rows' ItemCount.
    latency = normalized(bicep_query(infra, "erpLatencyQuery"))
    assert "calls = sum(ItemCount)" in latency and "sumif(ItemCount, Success == false)" in latency
    assert "count()" not in latency


def test_telemetry_mode_is_the_documented_opentelemetry_pairing(infra: Infra) -> None:
    import json

    host = json.loads((REPO / "host.json").read_text())
    assert host["telemetryMode"] == "OpenTelemetry"
    assert "applicationInsights" not in host.get("logging", {})  # ignored in OpenTelemetry mode
    assert infra.app_settings["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] == "true"
