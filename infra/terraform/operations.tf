# What the operator sees: an action group (email), log alert rules, saved queries and a workbook, the same as
# ../modules/operations.bicep. The event names come from the same file (../modules/app-events.json); the KQL is
# the Bicep's, and tests/infra/test_terraform.py renders both and compares them.

locals {
  app_events  = jsondecode(file("${path.module}/../modules/app-events.json"))
  events      = local.app_events.events
  fields      = local.app_events.fields
  event_field = local.app_events.dimension
  name_prefix = "${var.base_name}-${local.token}"

  kql = {
    poisoned_query = <<-KQL
      let app_events = AppTraces
      | where tostring(Properties['${local.event_field}']) == '${local.events.poisonMessage}'
      | extend queue = tostring(Properties['${local.fields.queue}']);
      let host_lines = AppTraces
      | where Message contains 'Moving message to queue' and Message contains '-poison'
      | extend queue = replace_string(extract(@"queue '([^']+)'", 1, Message), '-poison', '');
      app_events
      | summarize app_count = count() by queue
      | join kind=fullouter (host_lines | summarize host_count = count() by queue) on queue
      | project queue = coalesce(queue, queue1), poisoned = max_of(coalesce(app_count, 0), coalesce(host_count, 0))
    KQL
    held_too_long_query = <<-KQL
      let keyed = AppTraces
      | extend event_name = tostring(Properties['${local.event_field}']), order_id = tostring(Properties['${local.fields.order}']),
               store = tostring(Properties['${local.fields.store}']), code = tostring(Properties['${local.fields.holdCode}'])
      | where isnotempty(order_id) and event_name in ('${local.events.orderHeld}', '${local.events.orderPosted}', '${local.events.orderCancelled}');
      let ended = keyed
      | where event_name in ('${local.events.orderPosted}', '${local.events.orderCancelled}')
      | summarize ended_at = max(TimeGenerated) by store, order_id;
      keyed
      | where event_name == '${local.events.orderHeld}'
      | join kind=leftouter ended on store, order_id
      | where isnull(ended_at) or TimeGenerated > ended_at
      | summarize held_since = min(TimeGenerated), code = take_any(code) by store, order_id
      | where held_since < ago(${var.held_order_alert_minutes}m)
      | summarize held_orders = count() by store
    KQL
    webhook_disabled_query = <<-KQL
      AppTraces
      | where tostring(Properties['${local.event_field}']) == '${local.events.webhookDisabled}'
      | summarize disabled = count() by store = tostring(Properties['${local.fields.store}'])
    KQL
    reconciliation_query = <<-KQL
      AppTraces
      | where tostring(Properties['${local.event_field}']) == '${local.events.reconciliationExceptions}'
      | extend exceptions = coalesce(toint(Properties['${local.fields.count}']), 1)
      | where exceptions > 0
      | mv-expand store = split(tostring(Properties['${local.fields.store}']), ',') to typeof(string)
      | summarize exceptions = sum(exceptions) by store = trim(' ', store)
    KQL
    attention_query = <<-KQL
      AppTraces
      | extend event_name = tostring(Properties['${local.event_field}'])
      | where event_name in ('${local.events.orderNeedsAttention}', '${local.events.stockWriteFailed}', '${local.events.skuConflicts}', '${local.events.shipmentNotApplied}', '${local.events.erpSubscriptionFailed}', '${local.events.productFieldConflict}')
      | summarize occurrences = count() by event_name
    KQL
    function_failures_query = <<-KQL
      union
          (AppRequests | where Success == false | project TimeGenerated, OperationName),
          (AppExceptions | project TimeGenerated, OperationName)
      | summarize failures = count() by OperationName
    KQL
    orders_per_hour_query = <<-KQL
      AppTraces
      | where tostring(Properties['${local.event_field}']) == '${local.events.orderPosted}'
      | summarize orders = count() by bin(TimeGenerated, 1h), store = tostring(Properties['${local.fields.store}'])
      | render timechart
    KQL
    held_orders_list_query = <<-KQL
      let keyed = AppTraces
      | extend event_name = tostring(Properties['${local.event_field}']), order_id = tostring(Properties['${local.fields.order}']),
               store = tostring(Properties['${local.fields.store}']), code = tostring(Properties['${local.fields.holdCode}'])
      | where isnotempty(order_id) and event_name in ('${local.events.orderHeld}', '${local.events.orderPosted}', '${local.events.orderCancelled}');
      let ended = keyed
      | where event_name in ('${local.events.orderPosted}', '${local.events.orderCancelled}')
      | summarize ended_at = max(TimeGenerated) by store, order_id;
      keyed
      | where event_name == '${local.events.orderHeld}'
      | join kind=leftouter ended on store, order_id
      | where isnull(ended_at) or TimeGenerated > ended_at
      | summarize held_since = min(TimeGenerated), code = take_any(code) by store, order_id
      | extend held_for = now() - held_since
      | order by held_since asc
    KQL
    held_per_hour_query = <<-KQL
      AppTraces
      | where tostring(Properties['${local.event_field}']) == '${local.events.orderHeld}'
      | summarize held = count() by bin(TimeGenerated, 1h), code = tostring(Properties['${local.fields.holdCode}'])
      | render timechart
    KQL
    poisoned_per_hour_query = <<-KQL
      let app_events = AppTraces
      | where tostring(Properties['${local.event_field}']) == '${local.events.poisonMessage}'
      | extend queue = tostring(Properties['${local.fields.queue}']);
      let host_lines = AppTraces
      | where Message contains 'Moving message to queue' and Message contains '-poison'
      | extend queue = replace_string(extract(@"queue '([^']+)'", 1, Message), '-poison', '');
      app_events
      | summarize app_count = count() by bin(TimeGenerated, 1h), queue
      | join kind=fullouter (host_lines | summarize host_count = count() by bin(TimeGenerated, 1h), queue) on TimeGenerated, queue
      | project TimeGenerated = coalesce(TimeGenerated, TimeGenerated1), queue = coalesce(queue, queue1),
                poisoned = max_of(coalesce(app_count, 0), coalesce(host_count, 0))
      | render timechart
    KQL
    attention_list_query = <<-KQL
      AppTraces
      | extend event_name = tostring(Properties['${local.event_field}'])
      | where event_name in ('${local.events.orderNeedsAttention}', '${local.events.stockWriteFailed}', '${local.events.skuConflicts}', '${local.events.shipmentNotApplied}', '${local.events.erpSubscriptionFailed}', '${local.events.productFieldConflict}')
      | project TimeGenerated, event_name, store = tostring(Properties['${local.fields.store}']), order_id = tostring(Properties['${local.fields.order}']), Message
      | order by TimeGenerated desc
    KQL
    erp_latency_query = <<-KQL
      AppDependencies
      | where Target has '${local.erp_host}' or Data has '${local.erp_host}'
      | summarize calls = sum(ItemCount), failed = sumif(ItemCount, Success == false),
                  p50_ms = percentile(DurationMs, 50), p95_ms = percentile(DurationMs, 95), max_ms = max(DurationMs)
          by bin(TimeGenerated, 1h)
      | render timechart
    KQL
    failures_per_hour_query = <<-KQL
      union
          (AppRequests | where Success == false | project TimeGenerated, OperationName),
          (AppExceptions | project TimeGenerated, OperationName)
      | summarize failures = count() by bin(TimeGenerated, 1h), OperationName
      | render timechart
    KQL
  }

  alert_rules = {
    "poison-messages" = {
      display_name = "Messages in a poison queue"
      description  = "A queue message failed maxDequeueCount times and was moved to <queue>-poison. Inspect it with the connector CLI (\"connector poison\") and move it back once the cause is fixed (\"connector replay\")."
      severity     = 1
      frequency    = "PT5M"
      window       = "PT15M"
      lookback     = null
      query        = local.kql.poisoned_query
      measure      = "poisoned"
      dimension    = "queue"
      threshold    = 0
    }
    "orders-held" = {
      display_name = "Orders held longer than ${var.held_order_alert_minutes} minutes"
      description  = "Orders are held for a data problem (unknown SKU, blocked customer, ...). Fix the data in the ERP or WooCommerce; held orders are re-driven automatically and leave this alert once posted."
      severity     = 2
      frequency    = "PT15M"
      window       = "PT15M"
      lookback     = "P2D"
      query        = local.kql.held_too_long_query
      measure      = "held_orders"
      dimension    = "store"
      threshold    = 0
    }
    "webhook-disabled" = {
      display_name = "WooCommerce webhook disabled"
      description  = "A WooCommerce webhook was found disabled, missing or pointing elsewhere (WooCommerce disables one after repeated delivery failures and then drops events). The connector repaired it and backfilled; if this repeats, deliveries keep failing: check the function app and the store."
      severity     = 1
      frequency    = "PT15M"
      window       = "PT1H"
      lookback     = null
      query        = local.kql.webhook_disabled_query
      measure      = "disabled"
      dimension    = "store"
      threshold    = 0
    }
    "reconciliation-exceptions" = {
      display_name = "Reconciliation found exceptions"
      description  = "The reconciliation found totals that differ, missing ERP documents or refunds not in the ledger. Read the report in the reports container."
      severity     = 2
      frequency    = "PT1H"
      window       = "PT1H"
      lookback     = null
      query        = local.kql.reconciliation_query
      measure      = "exceptions"
      dimension    = "store"
      threshold    = 0
    }
    "needs-attention" = {
      display_name = "Connector needs attention"
      description  = "An order needs a person, a stock or shipment write to WooCommerce failed, SKUs conflict, or a Business Central webhook subscription failed. See the saved query \"Events that need attention\"."
      severity     = 2
      frequency    = "PT15M"
      window       = "PT1H"
      lookback     = null
      query        = local.kql.attention_query
      measure      = "occurrences"
      dimension    = "event_name"
      threshold    = 0
    }
    "function-failures" = {
      display_name = "Function failures"
      description  = "Function invocations failed (requests with success == false, or exceptions)."
      severity     = 1
      frequency    = "PT5M"
      window       = "PT15M"
      lookback     = null
      query        = local.kql.function_failures_query
      measure      = "failures"
      dimension    = "OperationName"
      threshold    = var.function_failure_threshold
    }
  }

  saved_queries = {
    "orders-per-hour"   = { display_name = "Orders posted to the ERP per hour", query = local.kql.orders_per_hour_query }
    "held-orders"       = { display_name = "Orders still held (set the time range to cover the oldest hold)", query = local.kql.held_orders_list_query }
    "held-per-hour"     = { display_name = "Orders held per hour, by hold code", query = local.kql.held_per_hour_query }
    "poisoned-per-hour" = { display_name = "Poisoned messages per hour, by queue", query = local.kql.poisoned_per_hour_query }
    "needs-attention"   = { display_name = "Events that need attention (orders, stock, shipments, ERP subscriptions)", query = local.kql.attention_list_query }
    "erp-latency"       = { display_name = "ERP latency (dependency duration to the ERP host)", query = local.kql.erp_latency_query }
    "function-failures" = { display_name = "Function failures per hour", query = local.kql.failures_per_hour_query }
  }
}
resource "azurerm_monitor_action_group" "ops" {
  name                = "ag-${local.name_prefix}"
  resource_group_name = var.resource_group_name
  location            = "global"
  tags                = var.tags
  short_name          = "woo-erp-ops" # at most 12 characters
  enabled             = true

  email_receiver {
    name                    = "operator"
    email_address           = var.alert_email
    use_common_alert_schema = true
  }
}

# Each rule: the query returns one row per `dimension` value with a numeric `measure`; the alert fires per
# dimension value when the total over `window` (or `lookback`, when given) is greater than `threshold`.
resource "azurerm_monitor_scheduled_query_rules_alert_v2" "ops" {
  for_each                  = local.alert_rules
  name                      = "${local.name_prefix}-${each.key}"
  resource_group_name       = var.resource_group_name
  location                  = local.location
  tags                      = var.tags
  display_name              = each.value.display_name
  description               = each.value.description
  severity                  = each.value.severity
  enabled                   = true
  evaluation_frequency      = each.value.frequency
  window_duration           = each.value.window
  query_time_range_override = each.value.lookback
  scopes                    = [azurerm_log_analytics_workspace.app.id]
  auto_mitigation_enabled   = true

  criteria {
    query                   = each.value.query
    time_aggregation_method = "Total"
    metric_measure_column   = each.value.measure
    operator                = "GreaterThan"
    threshold               = each.value.threshold

    dimension {
      name     = each.value.dimension
      operator = "Include"
      values   = ["*"]
    }

    failing_periods {
      number_of_evaluation_periods             = 1
      minimum_failing_periods_to_trigger_alert = 1
    }
  }

  action {
    action_groups = [azurerm_monitor_action_group.ops.id]
  }
}

# Saved searches (Log Analytics > Logs > Queries).
resource "azurerm_log_analytics_saved_search" "ops" {
  for_each                   = local.saved_queries
  name                       = "${local.name_prefix}-${each.key}"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.app.id
  category                   = "WooCommerce - Dynamics connector"
  display_name               = each.value.display_name
  query                      = each.value.query
}

# The workbook (Monitor > Workbooks): the saved queries, as in the Bicep.
resource "random_uuid" "workbook" {}

resource "azurerm_application_insights_workbook" "ops" {
  name                = random_uuid.workbook.result
  resource_group_name = var.resource_group_name
  location            = local.location
  tags                = var.tags
  display_name        = "WooCommerce - Dynamics connector (${local.name_prefix})"
  category            = "workbook"
  source_id           = lower(azurerm_log_analytics_workspace.app.id)
  data_json           = jsonencode({
    version = "Notebook/1.0"
    items   = concat([
      {
        type    = 1
        name    = "title"
        content = {
          json = "## WooCommerce - Dynamics connector\nOrders, held orders, poison queues, ERP latency and failures. The alert rules are under Monitor > Alerts."
        }
      }
      ], [for name, saved in local.saved_queries : {
        type    = 3
        name    = name
        content = {
          version       = "KqlItem/1.0"
          title         = saved.display_name
          query         = saved.query
          size          = 0
          queryType     = 0
          resourceType  = "microsoft.operationalinsights/workspaces"
          visualization = strcontains(saved.query, "render timechart") ? "timechart" : "table"
          timeContext   = {
            durationMs = name == "held-orders" ? 2592000000 : 86400000 # 30 days for held orders, else 24 h
          }
        }
    }])
    fallbackResourceIds = [azurerm_log_analytics_workspace.app.id]
  })
}
