"""Stopping a sandbox server (every emulator runs on it) is quiet and still graceful."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.server import serve_in_thread

pytestmark = pytest.mark.integration


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def uvicorn_errors() -> Iterator[Records]:
    """What uvicorn logs at WARNING and above (its loggers do not propagate to the root logger)."""
    handler = Records()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def app_with_gate(entered: threading.Event, release: threading.Event) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/slow":
            entered.set()
            while not release.is_set():
                await asyncio.sleep(0.01)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_stopping_a_tls_server_with_an_idle_keep_alive_client_logs_no_error(uvicorn_errors: Records) -> None:
    server = serve_in_thread(app_with_gate(threading.Event(), threading.Event()), tls=True, name="quiet")
    assert server.tls is not None
    with httpx.Client(verify=ssl.create_default_context(cafile=server.tls.ca_bundle)) as client:
        assert client.get(f"{server.url}/").status_code == 200  # the connection stays in the client's pool
        # uvicorn re-applies its logging config when a server is built: listen from here on.
        logging.getLogger("uvicorn.error").addHandler(uvicorn_errors)
        server.stop()
        assert not server.thread.is_alive()
    assert [r.getMessage() for r in uvicorn_errors.records] == []


def test_a_request_in_flight_when_the_server_stops_is_still_answered(uvicorn_errors: Records) -> None:
    entered, release = threading.Event(), threading.Event()
    server = serve_in_thread(app_with_gate(entered, release), tls=True, name="graceful")
    assert server.tls is not None
    logging.getLogger("uvicorn.error").addHandler(uvicorn_errors)
    answers: list[httpx.Response] = []
    with httpx.Client(verify=ssl.create_default_context(cafile=server.tls.ca_bundle), timeout=30) as client:
        client.get(f"{server.url}/")  # an idle pooled connection as well
        caller = threading.Thread(target=lambda: answers.append(client.get(f"{server.url}/slow")))
        caller.start()
        assert entered.wait(30)
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        release.set()
        caller.join(30)
        stopper.join(30)
    assert [a.status_code for a in answers] == [200]
    assert [r.getMessage() for r in uvicorn_errors.records] == []
