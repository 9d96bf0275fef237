"""Timer triggers: 6-field NCRONTAB in UTC, schedule monitor, past_due catch-up, no overlap (facts §2).

With the monitor on (the default, unless the schedule fires more often than once a minute) the
status `{Last, Next, LastUpdated}` is kept in blob `azure-webjobs-hosts/timers/{hostId}/{name}/status`.
At start-up a recorded `Next` in the past gives one immediate run with `past_due=True`. Runs never
overlap: the next occurrence is computed from the start of the last run, so an overrun fires once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions.timer import TimerRequest
from azure.storage.blob import BlobServiceClient
from croniter import croniter

from sandbox.host.index import FunctionSpec
from sandbox.host.invoke import Invoker

log = logging.getLogger("sandbox.host")
HOSTS_CONTAINER = "azure-webjobs-hosts"


def parse_schedule(expression: str) -> str:
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"NCRONTAB needs 6 fields ({{second}} {{minute}} ... ), got {expression!r}")
    if len(fields) == 5:
        fields.insert(0, "0")
    expr = " ".join(fields)
    croniter(expr, second_at_beginning=True)  # validates
    return expr


def next_occurrence(expression: str, after: datetime) -> datetime:
    result: datetime = croniter(expression, after, second_at_beginning=True).get_next(datetime)
    return result


def fires_more_than_once_a_minute(expression: str) -> bool:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    first = next_occurrence(expression, start)
    return next_occurrence(expression, first) - first < timedelta(minutes=1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class TimerListener:
    def __init__(self, spec: FunctionSpec, blobs: BlobServiceClient | None, host_id: str, invoker: Invoker) -> None:
        self.spec = spec
        self.schedule = parse_schedule(spec.setting("schedule"))
        self.run_on_startup = bool(spec.setting("runOnStartup", False))
        monitor = spec.setting("useMonitor", True)
        self.use_monitor = bool(monitor) and not fires_more_than_once_a_minute(self.schedule) and blobs is not None
        self.blobs = blobs
        self.status_blob = f"timers/{host_id}/{spec.name}/status"
        self.invoker = invoker
        self.stopping = asyncio.Event()
        self.invocations = 0

    async def run(self) -> None:
        now = datetime.now(UTC)
        status = await asyncio.to_thread(self._read_status) if self.use_monitor else None
        recorded_next = _parse(status.get("Next")) if status else None
        if recorded_next is not None and recorded_next < now:
            await self._fire(past_due=True, last=_parse(status.get("Last")) if status else None)
        elif self.run_on_startup:
            await self._fire(past_due=False, last=None)
        last_start = datetime.now(UTC)
        while not self.stopping.is_set():
            due = next_occurrence(self.schedule, last_start)
            wait = (due - datetime.now(UTC)).total_seconds()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=wait)
                if self.stopping.is_set():
                    return
            last_start = datetime.now(UTC)
            await self._fire(past_due=False, last=due)

    async def _fire(self, *, past_due: bool, last: datetime | None) -> None:
        started = datetime.now(UTC)
        upcoming = next_occurrence(self.schedule, started)
        schedule_status = {
            "Last": _iso(last) if last else None,
            "Next": _iso(upcoming),
            "LastUpdated": _iso(started),
        }
        request = TimerRequest(past_due=past_due, schedule_status=schedule_status, schedule={"AdjustForDST": True})
        try:
            await self.invoker(self.spec, request)
        except Exception:
            log.exception("Executed 'Functions.%s' (Failed)", self.spec.name)
        finally:
            self.invocations += 1
        if self.use_monitor:
            status = {"Last": _iso(started), "Next": _iso(upcoming), "LastUpdated": _iso(datetime.now(UTC))}
            await asyncio.to_thread(self._write_status, status)

    def _read_status(self) -> dict[str, Any] | None:
        assert self.blobs is not None
        try:
            raw = self.blobs.get_blob_client(HOSTS_CONTAINER, self.status_blob).download_blob().readall()
        except ResourceNotFoundError:
            return None
        loaded: dict[str, Any] = json.loads(raw)
        return loaded

    def _write_status(self, status: dict[str, Any]) -> None:
        assert self.blobs is not None
        with contextlib.suppress(ResourceExistsError):
            self.blobs.create_container(HOSTS_CONTAINER)
        blob = self.blobs.get_blob_client(HOSTS_CONTAINER, self.status_blob)
        blob.upload_blob(json.dumps(status).encode(), overwrite=True)

    async def stop(self) -> None:
        self.stopping.set()


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
