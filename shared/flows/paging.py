"""Streaming helpers for long reads: fixed-size batches, a read-ahead thread, and a pool that keeps
results in order. Used where a day's orders or refunds are read page by page (reconciliation)."""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

PREFETCH_PAGES = 2  # pages read ahead while the current one is worked on


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def prefetched(items: Iterable[T], depth: int = PREFETCH_PAGES) -> Iterator[T]:
    """Iterate `items` on a background thread, at most `depth` ahead of the consumer."""
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(value, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failed(exc))
            return
        put(_DONE)

    worker = threading.Thread(target=produce, name="reconcile-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            value = buffer.get()
            if value is _DONE:
                return
            if isinstance(value, _Failed):
                raise value.error
            yield value  # type: ignore[misc]
    finally:
        stop.set()


def in_order(pool: ThreadPoolExecutor, task: Callable[[int], T], items: Iterable[int], window: int) -> Iterator[T]:
    """Run `task` over `items` on the pool, at most `window` at a time, yielding results in item order."""
    pending: deque[Future[T]] = deque()
    for item in items:
        pending.append(pool.submit(task, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
