"""Put the pieces together: index the app, serve HTTP, run queue and timer listeners."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from sandbox.host.config import HostConfig, apply_settings, load_local_settings
from sandbox.host.http import HttpFrontEnd
from sandbox.host.index import FunctionSpec, index_functions, load_app
from sandbox.host.invoke import Invoker, output_text, worker_pool
from sandbox.host.keys import HostKeys
from sandbox.host.queues import QueueListener
from sandbox.host.timers import TimerListener
from sandbox.server import RunningServer, serve_in_thread
from shared.storage.connection import SETTING, StorageAccount
from shared.storage.queues import queue_client

log = logging.getLogger("sandbox.host")
REPO = Path(__file__).resolve().parents[2]


class LocalHost:
    """Loads `<app_dir>/<module>.py` and runs its functions like the Functions host.

    `start()` serves in a background thread (tests); `python -m sandbox.host` runs in the foreground.
    """

    def __init__(
        self,
        app_dir: Path = REPO,
        *,
        module: str = "function_app",
        settings_file: Path | None = None,
        host_json: Path | None = None,
        keys_file: Path | None = None,
        host_id: str | None = None,
        shutdown_grace: float = 30.0,
        functions: set[str] | None = None,
    ) -> None:
        self.app_dir = app_dir
        apply_settings(load_local_settings(settings_file or app_dir / "local.settings.json"))
        self.config = HostConfig.load(host_json or app_dir / "host.json")
        self.keys = HostKeys.load(keys_file or REPO / ".sandbox" / "host-keys.json")
        self.host_id = host_id or os.environ.get("AzureFunctionsWebHost__hostid", "local-sandbox-host")
        specs = index_functions(load_app(app_dir, module))
        # Benchmarks run a subset (e.g. only the webhook, to measure ingress without the queue function).
        self.specs: list[FunctionSpec] = [s for s in specs if functions is None or s.name in functions]
        self.shutdown_grace = shutdown_grace
        self.pool = worker_pool()
        self.invoker = Invoker(self.pool, self._write_output)
        self.queue_listeners: list[QueueListener] = []
        self.timer_listeners: list[TimerListener] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.http = HttpFrontEnd(self.specs, self.invoker, self.keys, self.config.route_prefix)
        self.server: RunningServer | None = None

    # ------------------------------------------------------------------ lifecycle

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.http(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._start_listeners()
                except Exception as exc:
                    log.exception("host start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._stop_listeners()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start_listeners(self) -> None:
        accounts: dict[str, StorageAccount] = {}

        def account(spec: FunctionSpec) -> StorageAccount:
            name = spec.trigger.raw.get("connection") or SETTING
            return accounts.setdefault(name, StorageAccount.from_settings(name=name))

        for spec in self.specs:
            if spec.kind == "queueTrigger":
                listener = QueueListener(spec, account(spec).queue_service(), self.config.queues, self.invoker)
                self.queue_listeners.append(listener)
                self._tasks.append(asyncio.create_task(listener.run(), name=f"queue:{spec.name}"))
            elif spec.kind == "timerTrigger":
                blobs = StorageAccount.from_settings().blob_service() if os.environ.get(SETTING) else None
                timer = TimerListener(spec, blobs, self.host_id, self.invoker)
                self.timer_listeners.append(timer)
                self._tasks.append(asyncio.create_task(timer.run(), name=f"timer:{spec.name}"))
            elif spec.kind != "httpTrigger":
                raise ValueError(f"{spec.name}: the local host does not run {spec.kind} triggers")
        log.info("Host started: %s", ", ".join(f"{s.name} ({s.kind})" for s in self.specs))

    async def _stop_listeners(self) -> None:
        for timer in self.timer_listeners:
            await timer.stop()
        await asyncio.gather(*(q.stop(self.shutdown_grace) for q in self.queue_listeners))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _write_output(self, binding: Any, value: Any) -> None:
        if binding.type != "queue":
            raise ValueError(f"the local host does not write {binding.type} output bindings")
        name = binding.raw.get("connection") or SETTING
        service = StorageAccount.from_settings(name=name).queue_service()
        from sandbox.host.config import resolve_expression

        queue_name = resolve_expression(binding.raw["queueName"])
        if self.config.queues.message_encoding == "none":
            service.get_queue_client(queue_name).send_message(output_text(value))
        else:
            queue_client(service, queue_name).send_message(output_text(value))

    # ------------------------------------------------------------------ running

    def start(self, port: int = 0, host: str = "127.0.0.1") -> LocalHost:
        self.server = serve_in_thread(self, host=host, port=port, name="functions-host", startup_timeout=30)
        return self

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("host not started")
        return self.server.url

    def function_url(self, route: str, *, key: str | None = None) -> str:
        prefix = f"/{self.config.route_prefix}" if self.config.route_prefix else ""
        code = key if key is not None else self.keys.function
        return f"{self.url}{prefix}/{route.lstrip('/')}?code={code}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(timeout=self.shutdown_grace + 5)
            self.server = None

    def __enter__(self) -> LocalHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
