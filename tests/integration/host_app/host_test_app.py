"""A tiny function app that exercises the local host's trigger semantics in tests."""

import hashlib
import json
import threading

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

calls: list[tuple[str, object]] = []
lock = threading.Lock()


def record(name: str, value: object) -> None:
    with lock:
        calls.append((name, value))


@app.route(route="echo/{name}", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    answer = {
        "name": req.route_params.get("name"),
        "sha256": hashlib.sha256(body).hexdigest(),
        "length": len(body),
        "header": req.headers.get("x-custom"),
        "param": req.params.get("p"),
    }
    return func.HttpResponse(json.dumps(answer), mimetype="application/json")


@app.route(route="admin-only", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("admin ok")


@app.route(route="public", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def public(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("public ok")


@app.route(route="enqueue", methods=["POST"])
@app.queue_output(arg_name="out", queue_name="%OUTPUT_QUEUE%", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
    out.set(req.get_body().decode())
    return func.HttpResponse(status_code=202)


@app.queue_trigger(arg_name="msg", queue_name="%FAILING_QUEUE%", connection="AzureWebJobsStorage")
def always_fails(msg: func.QueueMessage) -> None:
    record("always_fails", (msg.id, msg.dequeue_count, msg.get_body()))
    raise RuntimeError("this function always fails")


@app.queue_trigger(arg_name="msg", queue_name="%WORKING_QUEUE%", connection="AzureWebJobsStorage")
def works(msg: func.QueueMessage) -> None:
    record("works", msg.get_body())


@app.timer_trigger(arg_name="timer", schedule="%TICK_SCHEDULE%")
def tick(timer: func.TimerRequest) -> None:
    record("tick", timer.past_due)
