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
TABLES = (LEDGER_TABLE, AUDIT_TABLE, WATERMARKS_TABLE, CUSTOMERS_TABLE)

CLAIM_CHECK_CONTAINER = "claim-checks"
REPORTS_CONTAINER = "reports"
CONTAINERS = (CLAIM_CHECK_CONTAINER, REPORTS_CONTAINER)
