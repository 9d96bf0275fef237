"""Operator rough edges (issue 18): every timer listed, poison causes with nothing personal, honest bars."""

from __future__ import annotations

import importlib
import io
import json
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from shared.cli import StoreBars, _bar_columns
from shared.flows.common import CAUSE_LIMIT, failure_cause
from shared.flows.services import reset_services
from shared.flows.status import TIMERS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app_settings import APP_SETTINGS


def test_status_knows_every_timer_trigger_of_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in APP_SETTINGS.items():
        monkeypatch.setenv(key, value)
    reset_services()
    sys.modules.pop("function_app", None)
    try:
        app = importlib.import_module("function_app").app
        timers = {
            f.get_function_name()
            for f in app.get_functions()
            if any(json.loads(raw)["type"] == "timerTrigger" for raw in f.get_raw_bindings())
        }
    finally:
        sys.modules.pop("function_app", None)
        reset_services()
    assert set(TIMERS) == timers, "add the new timer to shared.flows.status.TIMERS so status lists it"


@pytest.mark.parametrize(
    ("message", "kept", "masked"),
    [
        ("customer jane.doe+shop@example.co.uk is blocked", "customer <e-mail> is blocked", "jane"),
        ("call +44 20 7946 0958 about it", "call <phone> about it", "7946"),
        ("phone (555) 123-4567 refused", "phone <phone> refused", "123-4567"),
        ("order main/1234567: ERP total 12345.67 differs from 1212.90", None, None),  # ids and money stay
        ("first line\nJane Doe, 1 High Street", "first line", "High Street"),  # one line only
    ],
)
def test_a_poison_cause_keeps_what_failed_and_masks_what_is_personal(
    message: str, kept: str | None, masked: str | None
) -> None:
    error_class, cause = failure_cause(ValueError(message))
    assert error_class == "ValueError"
    assert cause == (kept if kept is not None else message)
    if masked:
        assert masked not in cause


def test_a_poison_cause_is_short() -> None:
    _, cause = failure_cause(RuntimeError("x" * 5000))
    assert len(cause) == CAUSE_LIMIT and cause.endswith("…")
    assert failure_cause(KeyError()) == ("KeyError", "")


def test_a_store_bar_is_not_full_while_the_rest_of_its_work_runs() -> None:
    progress = Progress(*_bar_columns(), console=Console(file=io.StringIO()), auto_refresh=False)
    bars = StoreBars(progress, lambda s: f"{s}: orders", then=lambda s: f"{s}: refunds and stock")
    bars.advance("main", 40, 100)
    (orders,) = progress.tasks
    assert (orders.completed, orders.total, orders.finished) == (40, 100, False)
    bars.advance("main", 100, 100)
    orders, rest = progress.tasks
    assert orders.finished and rest.description == "main: refunds and stock" and rest.total is None
    bars.advance("main", 100, 100)  # repeated: still one pulsing bar for the rest
    assert len(progress.tasks) == 2
    bars.advance("outlet", 0, 7)  # the next store starts: the first one's rest is over
    assert [t.description for t in progress.tasks] == ["main: orders", "outlet: orders"]


def test_a_backfill_bar_grows_with_orders_modified_while_it_scans() -> None:
    progress = Progress(*_bar_columns(), console=Console(file=io.StringIO()), auto_refresh=False)
    bars = StoreBars(progress, lambda s: f"{s}: orders modified since then")
    bars.advance("main", 150, 150)
    bars.advance("main", 151, 151)
    (task,) = progress.tasks
    assert (task.completed, task.total) == (151, 151)
