"""Names of the queues, tables and blob containers: one place, used by code, sandbox and Bicep tests."""

WOO_EVENTS_QUEUE = "woo-events"
ERP_EVENTS_QUEUE = "erp-events"
QUEUES = (WOO_EVENTS_QUEUE, ERP_EVENTS_QUEUE)


def poison_queue(queue: str) -> str:
    return f"{queue}-poison"


LEDGER_TABLE = "ledger"
AUDIT_TABLE = "audit"
WATERMARKS_TABLE = "watermarks"
CUSTOMERS_TABLE = "customers"
STOCK_STATE_TABLE = "skus"  # per store: SKU → Woo product map, last pushed stock/price
SHIPMENTS_TABLE = "shipments"  # ERP shipments applied to Woo orders (once each)
SKU_MAP_TABLE = "skumap"  # per ERP connection: Woo SKU → ERP item number (sku_map.py)
STORE_HISTORY_TABLE = "storehistory"  # per store: running statistics for the anomaly flags (store_history.py)
PRODUCT_FIELDS_TABLE = "productfields"  # per ERP connection: last-synced product fields, conflicts (product_fields.py)
TABLES = (
    LEDGER_TABLE,
    AUDIT_TABLE,
    WATERMARKS_TABLE,
    CUSTOMERS_TABLE,
    STOCK_STATE_TABLE,
    SHIPMENTS_TABLE,
    SKU_MAP_TABLE,
    STORE_HISTORY_TABLE,
    PRODUCT_FIELDS_TABLE,
)

CLAIM_CHECK_CONTAINER = "claim-checks"
REPORTS_CONTAINER = "reports"
ERP_SLOTS_CONTAINER = "erp-slots"  # blob leases that cap concurrent ERP calls across instances (erp_slots.py)
CONTAINERS = (CLAIM_CHECK_CONTAINER, REPORTS_CONTAINER, ERP_SLOTS_CONTAINER)

# Operations: the Functions host's own container (timer schedule status blobs, facts §2) and report blobs.
HOSTS_CONTAINER = "azure-webjobs-hosts"
TIMER_STATUS_PREFIX = "timers/"  # timers/{hostId}/{timer name}/status with {Last, Next, LastUpdated}
RECONCILIATION_REPORTS = "reconciliation"  # reports/reconciliation/{date}.csv and .html
