"""Invoke a user function: sync ones in the worker's thread pool, async ones on the loop.

Output bindings are `func.Out` holders; after a successful invocation their values are written (queue
outputs are base64-encoded by the host, as the real host does per `messageEncoding`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from sandbox.host.index import FunctionSpec

log = logging.getLogger("sandbox.host")
T = TypeVar("T")


class Out(Generic[T]):
    """What the worker passes for an output binding parameter."""

    def __init__(self) -> None:
        self._value: T | None = None

    def set(self, val: T) -> None:
        self._value = val

    def get(self) -> T | None:
        return self._value


def worker_pool() -> ThreadPoolExecutor:
    # The Python worker's default for sync functions unless PYTHON_THREADPOOL_THREAD_COUNT is set.
    count = int(os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT", "0")) or min(32, (os.cpu_count() or 1) + 4)
    return ThreadPoolExecutor(max_workers=count, thread_name_prefix="worker")


class Invoker:
    def __init__(self, pool: ThreadPoolExecutor, write_output: Any) -> None:
        self.pool = pool
        self.write_output = write_output

    async def __call__(self, spec: FunctionSpec, trigger_value: Any) -> Any:
        outputs = {binding.name: Out[Any]() for binding in spec.outputs}
        kwargs = {spec.trigger.name: trigger_value, **outputs}
        if spec.is_async:
            result = await spec.user_function(**kwargs)
        else:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self.pool, lambda: spec.user_function(**kwargs))
        for binding in spec.outputs:
            value = outputs[binding.name].get()
            if value is not None:
                await asyncio.to_thread(self.write_output, binding, value)
        return result


def output_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    return json.dumps(value)
