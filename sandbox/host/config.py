"""host.json and app settings as the host reads them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TIMESPAN = re.compile(r"^(\d+):(\d\d):(\d\d)(?:\.(\d+))?$")


def timespan_seconds(value: str | None, default: float) -> float:
    """host.json TimeSpan `hh:mm:ss[.fff]` → seconds."""
    if value is None:
        return default
    match = _TIMESPAN.match(value.strip())
    if not match:
        raise ValueError(f"not a TimeSpan (hh:mm:ss): {value!r}")
    hours, minutes, seconds, fraction = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + float(f"0.{fraction or 0}")


@dataclass(frozen=True)
class QueueOptions:
    """extensions.queues, with the extension's defaults (facts §1.1)."""

    batch_size: int = 16
    new_batch_threshold: int | None = None
    max_dequeue_count: int = 5
    visibility_timeout: float = 0.0
    max_polling_interval: float = 60.0
    message_encoding: str = "base64"

    @property
    def threshold(self) -> int:
        # The host multiplies by the processor count except on Consumption (WEBSITE_SKU=Dynamic).
        if self.new_batch_threshold is not None:
            return self.new_batch_threshold
        return self.batch_size // 2

    @property
    def max_parallel(self) -> int:
        return self.batch_size + self.threshold


@dataclass(frozen=True)
class HostConfig:
    queues: QueueOptions
    route_prefix: str = "api"
    function_timeout: float | None = None

    @classmethod
    def load(cls, path: Path) -> HostConfig:
        raw: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        ext = raw.get("extensions", {})
        q = ext.get("queues", {})
        # In the Development environment an unchanged maxPollingInterval becomes 2 s (facts §1.1).
        polling_default = 2.0
        queues = QueueOptions(
            batch_size=int(q.get("batchSize", 16)),
            new_batch_threshold=q.get("newBatchThreshold"),
            max_dequeue_count=int(q.get("maxDequeueCount", 5)),
            visibility_timeout=timespan_seconds(q.get("visibilityTimeout"), 0.0),
            max_polling_interval=timespan_seconds(q.get("maxPollingInterval"), polling_default),
            message_encoding=str(q.get("messageEncoding", "base64")).lower(),
        )
        http = ext.get("http", {})
        timeout = raw.get("functionTimeout")
        return cls(
            queues=queues,
            route_prefix=str(http.get("routePrefix", "api")).strip("/"),
            function_timeout=timespan_seconds(timeout, 0.0) if timeout else None,
        )


def load_local_settings(path: Path) -> dict[str, str]:
    """`Values` of local.settings.json; like Core Tools, they never override the real environment."""
    if not path.exists():
        return {}
    values = json.loads(path.read_text()).get("Values", {})
    return {str(k): str(v) for k, v in values.items()}


def apply_settings(values: Mapping[str, str]) -> None:
    for key, value in values.items():
        os.environ.setdefault(key, value)


_EXPRESSION = re.compile(r"%([^%]+)%")


def resolve_expression(value: str, settings: Mapping[str, str] | None = None) -> str:
    """Resolve `%SETTING%` binding expressions from app settings; a missing one is a start-up error."""
    env = os.environ if settings is None else settings

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise KeyError(f"binding expression %{name}% names an app setting that is not set")
        return env[name]

    return _EXPRESSION.sub(lookup, value)
