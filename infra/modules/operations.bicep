// What the operator sees: an action group (email), log alert rules, saved queries and a workbook.
//
// The app writes structured log events (Python logging `extra={...}`, exported to Application Insights by the
// Azure Monitor OpenTelemetry distro, so they land in the workspace table AppTraces, column Properties).
// Their names live in ONE place, app-events.json beside this file; nothing below spells an event name.
// Queries use the workspace schema (AppTraces/AppRequests/AppExceptions/AppDependencies) because the alerts,
// the saved searches and the workbook all run against the Log Analytics workspace.

@description('Azure region of the alert rules and the workbook.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Name prefix for the alert rules and the action group.')
param namePrefix string

@description('Log Analytics workspace the app telemetry goes to (workspace-based Application Insights).')
param workspaceId string

@description('Email address that receives the alerts.')
param alertEmail string

@description('Alert when an order has been held (unknown SKU, blocked customer, ...) for longer than this many minutes.')
@minValue(5)
@maxValue(1440)
param heldOrderAlertMinutes int = 60

@description('Alert when a function fails more often than this within 15 minutes (0: on the first failure).')
@minValue(0)
param functionFailureThreshold int = 0

@description('Host name of the ERP API, for the ERP latency query (e.g. api.businesscentral.dynamics.com).')
param erpHost string

var app = loadJsonContent('app-events.json')
var events = app.events
var fields = app.fields
var eventField = app.dimension

// ------------------------------------------------------------------ queries (KQL, workspace schema)

// Dead letters. A message on its last try is logged twice: the app's own event, and the host's line when it
// moves the message to <queue>-poison ("Message has reached MaxDequeueCount of 5. Moving message to queue
// 'woo-events-poison'."). Each source is counted on its own and the larger count is kept per queue, so a message
// is never counted twice, and one the app could not log (a killed worker) still counts through the host's line.
var poisonedBase = format('''
let app_events = AppTraces
| where tostring(Properties['{0}']) == '{1}'
| extend queue = tostring(Properties['{2}']);
let host_lines = AppTraces
| where Message contains 'Moving message to queue' and Message contains '-poison'
| extend queue = replace_string(extract(@"queue '([^']+)'", 1, Message), '-poison', '');
''', eventField, events.poisonMessage, fields.queue)

var poisonedQuery = '${poisonedBase}app_events\n| summarize app_count = count() by queue\n| join kind=fullouter (host_lines | summarize host_count = count() by queue) on queue\n| project queue = coalesce(queue, queue1), poisoned = max_of(coalesce(app_count, 0), coalesce(host_count, 0))\n'

// Orders still held: their last order_held event is newer than the last event that ends a hold: order_posted (a
// held order is re-driven automatically and posted once the data is fixed) or order_cancelled (cancelled in
// WooCommerce before it was posted).
var heldOrdersBase = format('''
let keyed = AppTraces
| extend event_name = tostring(Properties['{0}']), order_id = tostring(Properties['{1}']),
         store = tostring(Properties['{2}']), code = tostring(Properties['{3}'])
| where isnotempty(order_id) and event_name in ('{4}', '{5}', '{6}');
let ended = keyed
| where event_name in ('{5}', '{6}')
| summarize ended_at = max(TimeGenerated) by store, order_id;
keyed
| where event_name == '{4}'
| join kind=leftouter ended on store, order_id
| where isnull(ended_at) or TimeGenerated > ended_at
| summarize held_since = min(TimeGenerated), code = take_any(code) by store, order_id
''', eventField, fields.order, fields.store, fields.holdCode, events.orderHeld, events.orderPosted, events.orderCancelled)

var heldTooLongQuery = '${heldOrdersBase}| where held_since < ago(${heldOrderAlertMinutes}m)\n| summarize held_orders = count() by store\n'

var heldOrdersListQuery = '${heldOrdersBase}| extend held_for = now() - held_since\n| order by held_since asc\n'

var webhookDisabledQuery = format('''
AppTraces
| where tostring(Properties['{0}']) == '{1}'
| summarize disabled = count() by store = tostring(Properties['{2}'])
''', eventField, events.webhookDisabled, fields.store)

// The count field is the number of exceptions in the report; an event without it counts as one. One report covers
// the stores of one ERP connection and logs them joined ("main,outlet"): the alert's dimension is one row per
// store, each carrying the report's count.
var reconciliationQuery = format('''
AppTraces
| where tostring(Properties['{0}']) == '{1}'
| extend exceptions = coalesce(toint(Properties['{2}']), 1)
| where exceptions > 0
| mv-expand store = split(tostring(Properties['{3}']), ',') to typeof(string)
| summarize exceptions = sum(exceptions) by store = trim(' ', store)
''', eventField, events.reconciliationExceptions, fields.count, fields.store)

// Problems that need a person but stop nothing else: an order to look at, stock or shipment writes to WooCommerce
// that failed, SKUs mapped twice, BC webhook subscriptions that could not be made (the connector polls instead),
// product fields changed on both sides (the product sync overwrote neither).
var attentionQuery = format('''
AppTraces
| extend event_name = tostring(Properties['{0}'])
| where event_name in ('{1}', '{2}', '{3}', '{4}', '{5}', '{6}')
| summarize occurrences = count() by event_name
''', eventField, events.orderNeedsAttention, events.stockWriteFailed, events.skuConflicts, events.shipmentNotApplied, events.erpSubscriptionFailed, events.productFieldConflict)

var attentionListQuery = format('''
AppTraces
| extend event_name = tostring(Properties['{0}'])
| where event_name in ('{1}', '{2}', '{3}', '{4}', '{5}', '{6}')
| project TimeGenerated, event_name, store = tostring(Properties['{7}']), order_id = tostring(Properties['{8}']), Message
| order by TimeGenerated desc
''', eventField, events.orderNeedsAttention, events.stockWriteFailed, events.skuConflicts, events.shipmentNotApplied, events.erpSubscriptionFailed, events.productFieldConflict, fields.store, fields.order)

var functionFailuresQuery = '''
union
    (AppRequests | where Success == false | project TimeGenerated, OperationName),
    (AppExceptions | project TimeGenerated, OperationName)
| summarize failures = count() by OperationName
'''

var ordersPerHourQuery = format('''
AppTraces
| where tostring(Properties['{0}']) == '{1}'
| summarize orders = count() by bin(TimeGenerated, 1h), store = tostring(Properties['{2}'])
| render timechart
''', eventField, events.orderPosted, fields.store)

var heldPerHourQuery = format('''
AppTraces
| where tostring(Properties['{0}']) == '{1}'
| summarize held = count() by bin(TimeGenerated, 1h), code = tostring(Properties['{2}'])
| render timechart
''', eventField, events.orderHeld, fields.holdCode)

var poisonedPerHourQuery = '${poisonedBase}app_events\n| summarize app_count = count() by bin(TimeGenerated, 1h), queue\n| join kind=fullouter (host_lines | summarize host_count = count() by bin(TimeGenerated, 1h), queue) on TimeGenerated, queue\n| project TimeGenerated = coalesce(TimeGenerated, TimeGenerated1), queue = coalesce(queue, queue1),\n          poisoned = max_of(coalesce(app_count, 0), coalesce(host_count, 0))\n| render timechart\n'

// ERP calls are the app's outgoing HTTP dependencies to the ERP host. Spans are sampled (the distro's default
// rate limit), so counts add up ItemCount (the calls each kept row stands for); the percentiles need no weighting.
var erpLatencyQuery = format('''
AppDependencies
| where Target has '{0}' or Data has '{0}'
| summarize calls = sum(ItemCount), failed = sumif(ItemCount, Success == false),
            p50_ms = percentile(DurationMs, 50), p95_ms = percentile(DurationMs, 95), max_ms = max(DurationMs)
    by bin(TimeGenerated, 1h)
| render timechart
''', erpHost)

var failuresPerHourQuery = '''
union
    (AppRequests | where Success == false | project TimeGenerated, OperationName),
    (AppExceptions | project TimeGenerated, OperationName)
| summarize failures = count() by bin(TimeGenerated, 1h), OperationName
| render timechart
'''

// ------------------------------------------------------------------ alerts

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${namePrefix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'woo-erp-ops' // at most 12 characters
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Each rule: the query returns one row per `dimension` value with a numeric `measure`; the alert fires per
// dimension value when the total over `window` (or `lookback`, when given) is greater than `threshold`.
var alertRules = [
  {
    name: 'poison-messages'
    displayName: 'Messages in a poison queue'
    description: 'A queue message failed maxDequeueCount times and was moved to <queue>-poison. Inspect it with the connector CLI ("connector poison") and move it back once the cause is fixed ("connector replay").'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: poisonedQuery
    measure: 'poisoned'
    dimension: 'queue'
    threshold: 0
  }
  {
    name: 'orders-held'
    displayName: 'Orders held longer than ${heldOrderAlertMinutes} minutes'
    description: 'Orders are held for a data problem (unknown SKU, blocked customer, ...). Fix the data in the ERP or WooCommerce; held orders are re-driven automatically and leave this alert once posted.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT15M'
    lookback: 'P2D' // the query reads this much history to find orders held since long ago (2 days is the maximum)
    query: heldTooLongQuery
    measure: 'held_orders'
    dimension: 'store'
    threshold: 0
  }
  {
    name: 'webhook-disabled'
    displayName: 'WooCommerce webhook disabled'
    description: 'A WooCommerce webhook was found disabled, missing or pointing elsewhere (WooCommerce disables one after repeated delivery failures and then drops events). The connector repaired it and backfilled; if this repeats, deliveries keep failing: check the function app and the store.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT1H'
    query: webhookDisabledQuery
    measure: 'disabled'
    dimension: 'store'
    threshold: 0
  }
  {
    name: 'reconciliation-exceptions'
    displayName: 'Reconciliation found exceptions'
    description: 'The reconciliation found totals that differ, missing ERP documents or refunds not in the ledger. Read the report in the reports container.'
    severity: 2
    frequency: 'PT1H'
    window: 'PT1H'
    query: reconciliationQuery
    measure: 'exceptions'
    dimension: 'store'
    threshold: 0
  }
  {
    name: 'needs-attention'
    displayName: 'Connector needs attention'
    description: 'An order needs a person, a stock or shipment write to WooCommerce failed, SKUs conflict, or a Business Central webhook subscription failed. See the saved query "Events that need attention".'
    severity: 2
    frequency: 'PT15M'
    window: 'PT1H'
    query: attentionQuery
    measure: 'occurrences'
    dimension: 'event_name'
    threshold: 0
  }
  {
    name: 'function-failures'
    displayName: 'Function failures'
    description: 'Function invocations failed (requests with success == false, or exceptions).'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: functionFailuresQuery
    measure: 'failures'
    dimension: 'OperationName'
    threshold: functionFailureThreshold
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = [for rule in alertRules: {
  name: '${namePrefix}-${rule.name}'
  location: location
  tags: tags
  properties: {
    displayName: rule.displayName
    description: rule.description
    severity: rule.severity
    enabled: true
    evaluationFrequency: rule.frequency
    windowSize: rule.window
    overrideQueryTimeRange: rule.?lookback // null (the window) unless the rule needs more history
    scopes: [
      workspaceId
    ]
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Total'
          metricMeasureColumn: rule.measure
          dimensions: [
            {
              name: rule.dimension
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: rule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}]

// ------------------------------------------------------------------ saved searches (Log Analytics > Logs > Queries)

var savedQueries = [
  {
    name: 'orders-per-hour'
    displayName: 'Orders posted to the ERP per hour'
    query: ordersPerHourQuery
  }
  {
    name: 'held-orders'
    displayName: 'Orders still held (set the time range to cover the oldest hold)'
    query: heldOrdersListQuery
  }
  {
    name: 'held-per-hour'
    displayName: 'Orders held per hour, by hold code'
    query: heldPerHourQuery
  }
  {
    name: 'poisoned-per-hour'
    displayName: 'Poisoned messages per hour, by queue'
    query: poisonedPerHourQuery
  }
  {
    name: 'needs-attention'
    displayName: 'Events that need attention (orders, stock, shipments, ERP subscriptions)'
    query: attentionListQuery
  }
  {
    name: 'erp-latency'
    displayName: 'ERP latency (dependency duration to the ERP host)'
    query: erpLatencyQuery
  }
  {
    name: 'function-failures'
    displayName: 'Function failures per hour'
    query: failuresPerHourQuery
  }
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: last(split(workspaceId, '/'))
}

resource searches 'Microsoft.OperationalInsights/workspaces/savedSearches@2020-08-01' = [for saved in savedQueries: {
  parent: workspace
  name: '${namePrefix}-${saved.name}'
  properties: {
    category: 'WooCommerce - Dynamics connector'
    displayName: saved.displayName
    query: saved.query
    version: 2
  }
}]

// ------------------------------------------------------------------ workbook (Monitor > Workbooks)

var workbookItems = [for saved in savedQueries: {
  type: 3
  name: saved.name
  content: {
    version: 'KqlItem/1.0'
    title: saved.displayName
    query: saved.query
    size: 0
    queryType: 0
    resourceType: 'microsoft.operationalinsights/workspaces'
    visualization: contains(saved.query, 'render timechart') ? 'timechart' : 'table'
    timeContext: {
      durationMs: saved.name == 'held-orders' ? 2592000000 : 86400000 // 30 days for held orders, else 24 h
    }
  }
}]

var workbookContent = {
  version: 'Notebook/1.0'
  items: concat([
    {
      type: 1
      name: 'title'
      content: {
        json: '## WooCommerce - Dynamics connector\nOrders, held orders, poison queues, ERP latency and failures. The alert rules are under Monitor > Alerts.'
      }
    }
  ], workbookItems)
  fallbackResourceIds: [
    workspaceId
  ]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, workspaceId, 'connector-operations')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'WooCommerce - Dynamics connector (${namePrefix})'
    category: 'workbook'
    sourceId: workspaceId
    serializedData: string(workbookContent)
    version: 'Notebook/1.0'
  }
}

output actionGroupId string = actionGroup.id
output alertRuleNames array = [for (rule, i) in alertRules: alerts[i].name]
output workbookId string = workbook.id
