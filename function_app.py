"""The Azure Functions app: triggers and bindings only. Each body hands over to shared.flows."""

import azure.functions as func

from shared.flows import backfill, orders, webhook_health
from shared.flows.ingress import receive_woo_webhook
from shared.flows.services import services
from shared.storage.names import WOO_EVENTS_QUEUE

# host.json extensions.queues.maxDequeueCount: the try after which the host moves a message to poison.
MAX_DEQUEUE_COUNT = 5

services()  # settings are checked (and Key Vault references resolved) at start-up, not on first use

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="webhooks/woo/{store}", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def woo_webhook(req: func.HttpRequest) -> func.HttpResponse:
    """WooCommerce webhook deliveries: verify the signature, queue, answer."""
    s = services()
    reply = receive_woo_webhook(
        req.route_params.get("store", ""), req.headers, req.get_body(), s.settings, s.enqueue_woo_event
    )
    return func.HttpResponse(reply.message, status_code=reply.status, mimetype="text/plain")


@app.queue_trigger(arg_name="msg", queue_name=WOO_EVENTS_QUEUE, connection="AzureWebJobsStorage")
def handle_woo_event(msg: func.QueueMessage) -> None:
    """Post paid orders to the ERP, cancel cancelled ones, hold what needs fixing."""
    orders.process_queue_message(msg.get_body(), msg.dequeue_count, services(), max_dequeue_count=MAX_DEQUEUE_COUNT)


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
