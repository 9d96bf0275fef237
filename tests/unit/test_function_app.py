"""function_app.py declares exactly the triggers the architecture describes, as the worker sees them."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.flows.services import reset_services

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from app_settings import APP_SETTINGS  # noqa: E402

EXPECTED = {
    "woo_webhook": {
        "type": "httpTrigger",
        "route": "webhooks/woo/{store}",
        "methods": ["POST"],
        "authLevel": "FUNCTION",
    },
    "handle_woo_event": {"type": "queueTrigger", "queueName": "woo-events", "connection": "AzureWebJobsStorage"},
    "retry_held_orders": {"type": "timerTrigger", "schedule": "0 */10 * * * *", "runOnStartup": False},
    "backfill_orders": {"type": "timerTrigger", "schedule": "0 */15 * * * *", "runOnStartup": False},
    "watch_webhooks": {"type": "timerTrigger", "schedule": "0 5-59/15 * * * *", "runOnStartup": False},
    "push_stock_and_prices": {"type": "timerTrigger", "schedule": "0 */5 * * * *", "runOnStartup": False},
    "reconcile_stock": {"type": "timerTrigger", "schedule": "0 30 3 * * *", "runOnStartup": False},
    "push_shipments": {"type": "timerTrigger", "schedule": "0 2-59/5 * * * *", "runOnStartup": False},
    "erp_webhook": {
        "type": "httpTrigger",
        "route": "webhooks/erp/{connection}",
        "methods": ["GET", "POST"],
        "authLevel": "FUNCTION",
    },
    "handle_erp_event": {"type": "queueTrigger", "queueName": "erp-events", "connection": "AzureWebJobsStorage"},
    "renew_erp_subscriptions": {"type": "timerTrigger", "schedule": "0 20 * * * *", "runOnStartup": False},
    "sync_product_fields": {"type": "timerTrigger", "schedule": "0 1-59/5 * * * *", "runOnStartup": False},
    "reconcile": {"type": "timerTrigger", "schedule": "0 30 2 * * *", "runOnStartup": False},
    "replay_poison": {"type": "httpTrigger", "route": "ops/replay-poison", "methods": ["POST"], "authLevel": "ADMIN"},
    "status": {"type": "httpTrigger", "route": "status", "methods": ["GET"], "authLevel": "FUNCTION"},
}


def triggers(functions: dict[str, list[dict]]) -> dict[str, dict]:
    found = {}
    for name, bindings in functions.items():
        (trigger,) = [b for b in bindings if b["type"].endswith("Trigger")]
        found[name] = {k: v for k, v in trigger.items() if k not in ("name", "direction")}
    return found


@pytest.fixture
def app_module(monkeypatch: pytest.MonkeyPatch):
    for key, value in APP_SETTINGS.items():
        monkeypatch.setenv(key, value)
    reset_services()
    sys.modules.pop("function_app", None)
    module = importlib.import_module("function_app")
    yield module
    reset_services()
    sys.modules.pop("function_app", None)


def test_library_index_matches_the_architecture(app_module) -> None:
    indexed = {
        f.get_function_name(): [json.loads(r) for r in f.get_raw_bindings()] for f in app_module.app.get_functions()
    }
    assert triggers(indexed) == EXPECTED


def test_library_request_logging_stays_out_of_application_insights(app_module) -> None:
    # Every record the worker sees is billed as ingestion: the SDKs' per-request INFO lines are not wanted.
    for name in ("azure.core.pipeline.policies.http_logging_policy", "azure.identity", "httpx"):
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO) and logger.isEnabledFor(logging.WARNING), name


def test_missing_settings_stop_the_app_at_start_up_naming_them(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in APP_SETTINGS.items():
        if not key.startswith("BC_CLIENT"):
            monkeypatch.setenv(key, value)
    reset_services()
    sys.modules.pop("function_app", None)
    with pytest.raises(Exception, match=r"BC_CLIENT_ID, BC_CLIENT_SECRET"):
        importlib.import_module("function_app")
    sys.modules.pop("function_app", None)
    reset_services()


def test_runtime_index_on_python_313_matches(tmp_path: Path) -> None:
    """The azure-functions-runtime (Python ≥ 3.13 worker) validates parameters against bindings."""
    python = REPO / ".venv313" / "bin" / "python"
    assert python.exists(), "Python 3.13 venv missing: run `make setup` (creates .venv313 for this parity test)"
    env = {**os.environ, **APP_SETTINGS, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [str(python), str(REPO / "tests" / "tools" / "runtime_index.py"), str(REPO)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    indexed = {}
    for line in result.stdout.splitlines():
        item = json.loads(line)
        indexed[item["name"]] = item["bindings"]
    assert triggers(indexed) == EXPECTED


def test_runtime_index_rejects_a_parameter_without_a_binding(tmp_path: Path) -> None:
    """The parity check is not a rubber stamp: a mismatch fails it."""
    (tmp_path / "function_app.py").write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp()\n"
        "@app.queue_trigger(arg_name='msg', queue_name='q', connection='AzureWebJobsStorage')\n"
        "def bad(msg: func.QueueMessage, extra: str) -> None: ...\n"
    )
    python = REPO / ".venv313" / "bin" / "python"
    result = subprocess.run(
        [str(python), str(REPO / "tests" / "tools" / "runtime_index.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "extra" in result.stderr
