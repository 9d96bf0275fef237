"""The Azure Functions app: triggers and bindings only. Each body hands over to shared.flows."""

import azure.functions as func

from shared.flows import backfill, erp_events, orders, product_fields, shipments, stock, subscriptions, webhook_health
from shared.flows.ingress import receive_woo_webhook
from shared.flows.poison import replay_request
from shared.flows.reconcile import reconcile_previous_day
from shared.flows.services import services
from shared.flows.status import status_reply
from shared.storage.names import ERP_EVENTS_QUEUE, WOO_EVENTS_QUEUE
from shared.telemetry import quiet_library_loggers

# host.json extensions.queues.maxDequeueCount: the try after which the host moves a message to poison.
MAX_DEQUEUE_COUNT = 5

quiet_library_loggers()
services()  # settings are checked (and Key Vault references resolved) at start-up, not on first use

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="webhooks/woo/{store}", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def woo_webhook(req: func.HttpRequest) -> func.HttpResponse:
    """WooCommerce webhook deliveries: verify the signature, queue, answer."""
    s = services()
    reply = receive_woo_webhook(
        req.route_params.get("store", ""), req.headers, req.get_body(), s.settings, s.enqueue_webhook_event
    )
    return func.HttpResponse(reply.message, status_code=reply.status, mimetype="text/plain")


@app.queue_trigger(arg_name="msg", queue_name=WOO_EVENTS_QUEUE, connection="AzureWebJobsStorage")
def handle_woo_event(msg: func.QueueMessage) -> None:
    """Post paid orders to the ERP, cancel cancelled ones, hold what needs fixing."""
    orders.process_queue_message(
        msg.get_body(), msg.dequeue_count, services(), max_dequeue_count=MAX_DEQUEUE_COUNT, message_id=msg.id or ""
    )


@app.timer_trigger(arg_name="timer", schedule="0 */10 * * * *", run_on_startup=False)
def retry_held_orders(timer: func.TimerRequest) -> None:
    """Re-drive held orders: once the data is fixed they post; until then they stay held."""
    orders.redrive_held_orders(services())


@app.timer_trigger(arg_name="timer", schedule="0 */15 * * * *", run_on_startup=False)
def backfill_orders(timer: func.TimerRequest) -> None:
    """Queue the orders modified since the last run that the ledger has not seen (missed webhooks)."""
    backfill.backfill_orders(services())


@app.timer_trigger(arg_name="timer", schedule="0 5-59/15 * * * *", run_on_startup=False)
def watch_webhooks(timer: func.TimerRequest) -> None:
    """Keep the store's webhooks present, pointed at this app and active; backfill after an outage."""
    webhook_health.check_webhooks(services())


# ---------------------------------------------------------------- ERP → store: stock, prices, shipments, ERP events


@app.timer_trigger(arg_name="timer", schedule="0 */5 * * * *", run_on_startup=False)
def push_stock_and_prices(timer: func.TimerRequest) -> None:
    """Write changed available-to-sell stock and prices to WooCommerce (delta from the watermarks)."""
    stock.push_stock_and_prices(services())


@app.timer_trigger(arg_name="timer", schedule="0 1-59/5 * * * *", run_on_startup=False)
def sync_product_fields(timer: func.TimerRequest) -> None:
    """Names and prices both ways where a connection's field direction says so (conflicts reported)."""
    product_fields.sync_product_fields(services())


@app.timer_trigger(arg_name="timer", schedule="0 30 3 * * *", run_on_startup=False)
def reconcile_stock(timer: func.TimerRequest) -> None:
    """Daily: compare every SKU with WooCommerce, correct drift, report SKU conflicts."""
    stock.reconcile_stock(services())


@app.timer_trigger(arg_name="timer", schedule="0 2-59/5 * * * *", run_on_startup=False)
def push_shipments(timer: func.TimerRequest) -> None:
    """Posted ERP shipments: complete the Woo order, one customer note with tracking, tracking meta."""
    shipments.push_shipments(services())


@app.route(route="webhooks/erp/{connection}", methods=["GET", "POST"], auth_level=func.AuthLevel.FUNCTION)
def erp_webhook(req: func.HttpRequest) -> func.HttpResponse:
    """ERP events (BC notifications): the connection's adapter answers the handshake or verifies; queue, answer."""
    s = services()
    connection = req.route_params.get("connection", "")
    reply = erp_events.receive_erp_event(connection, dict(req.params), req.get_body(), s, s.enqueue_erp_event)
    return func.HttpResponse(reply.message, status_code=reply.status, mimetype="text/plain")


@app.queue_trigger(arg_name="msg", queue_name=ERP_EVENTS_QUEUE, connection="AzureWebJobsStorage")
def handle_erp_event(msg: func.QueueMessage) -> None:
    """Push the ERP items a notification names (hints between stock timer runs)."""
    erp_events.process_queue_message(msg.get_body(), msg.dequeue_count, services(), max_dequeue_count=MAX_DEQUEUE_COUNT)


@app.timer_trigger(arg_name="timer", schedule="0 20 * * * *", run_on_startup=False)
def renew_erp_subscriptions(timer: func.TimerRequest) -> None:
    """Keep the BC item subscription alive: create, renew before the 3-day expiry, drop duplicates."""
    subscriptions.ensure_erp_subscriptions(services())


@app.timer_trigger(arg_name="timer", schedule="0 30 2 * * *", run_on_startup=False)
def reconcile(timer: func.TimerRequest) -> None:
    """Yesterday (UTC) against the ERP: totals, missing orders and credit memos, holds, poison, stock drift."""
    reconcile_previous_day(services())


@app.route(route="ops/replay-poison", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def replay_poison(req: func.HttpRequest) -> func.HttpResponse:
    """Move poison messages back to their queue unchanged: all, one `id`, or one `order` (store/id)."""
    reply = replay_request(services(), req.params, req.get_body())
    return func.HttpResponse(reply.body, status_code=reply.status, mimetype="application/json")


@app.route(route="status", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def status(req: func.HttpRequest) -> func.HttpResponse:
    """Queues, poison queues, held orders, orders needing attention, timers and watermarks, as JSON."""
    reply = status_reply(services(), req.params)
    return func.HttpResponse(reply.body, status_code=reply.status, mimetype="application/json")
