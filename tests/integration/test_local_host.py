"""The local Functions host drives functions with the real host's semantics (facts §1–3)."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient, TextBase64EncodePolicy

from sandbox.host import LocalHost

pytestmark = pytest.mark.integration

APP_DIR = Path(__file__).parent / "host_app"


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    names = {
        "FAILING_QUEUE": f"failing-{suffix}",
        "WORKING_QUEUE": f"working-{suffix}",
        "OUTPUT_QUEUE": f"output-{suffix}",
        "TICK_SCHEDULE": "*/1 * * * * *",
    }
    for key, value in names.items():
        monkeypatch.setenv(key, value)
    return names


@pytest.fixture
def host(storage_env: str, names: dict[str, str], tmp_path: Path) -> Iterator[LocalHost]:
    queues = QueueServiceClient.from_connection_string(storage_env)
    for key in ("FAILING_QUEUE", "WORKING_QUEUE", "OUTPUT_QUEUE"):
        queues.create_queue(names[key])
    sys.modules.pop("host_test_app", None)
    local = LocalHost(
        APP_DIR,
        module="host_test_app",
        keys_file=tmp_path / "keys.json",
        host_id=f"test-{uuid.uuid4().hex[:8]}",
        shutdown_grace=5,
    )
    with local:
        yield local


def app_calls(name: str) -> list[object]:
    module = sys.modules["host_test_app"]
    with module.lock:
        return [value for fn, value in module.calls if fn == name]


def send_base64(connection: str, queue: str, text: str) -> None:
    client = QueueServiceClient.from_connection_string(connection).get_queue_client(
        queue, message_encode_policy=TextBase64EncodePolicy()
    )
    client.send_message(text)


def raw_messages(connection: str, queue: str) -> list[str]:
    client = QueueServiceClient.from_connection_string(connection).get_queue_client(queue)
    try:
        return [m.content for m in client.peek_messages(max_messages=32)]
    except Exception:
        return []


def test_http_function_gets_the_exact_raw_bytes(host: LocalHost) -> None:
    body = b'{"b":"caf\\u00e9 \\/ \xc3\xa9","n":1.50}  \n'
    url = host.function_url("echo/alice") + "&p=42"
    response = httpx.post(url, content=body, headers={"X-Custom": "yes", "Content-Type": "application/json"})
    assert response.status_code == 200
    answer = response.json()
    assert answer == {
        "name": "alice",
        "sha256": hashlib.sha256(body).hexdigest(),
        "length": len(body),
        "header": "yes",
        "param": "42",
    }


def test_http_auth_levels(host: LocalHost) -> None:
    base = f"{host.url}/api"
    assert httpx.post(f"{base}/echo/x", content=b"").status_code == 401
    assert httpx.post(f"{base}/echo/x?code=wrong", content=b"").status_code == 401
    assert httpx.post(f"{base}/echo/x", content=b"", headers={"x-functions-key": host.keys.function}).status_code == 200
    assert httpx.get(f"{base}/admin-only?code={host.keys.function}").status_code == 401
    assert httpx.get(f"{base}/admin-only?code={host.keys.master}").text == "admin ok"
    assert httpx.get(f"{base}/public").text == "public ok"
    assert httpx.get(f"{base}/echo/x?code={host.keys.function}").status_code == 404  # wrong method
    assert httpx.get(f"{host.url}/echo/x?code={host.keys.function}").status_code == 404  # outside /api


def test_queue_output_binding_is_base64_encoded_by_the_host(host: LocalHost, storage_env: str, names) -> None:
    assert httpx.post(host.function_url("enqueue"), content=b'{"hello":"world"}').status_code == 202
    stored = wait_until(lambda: raw_messages(storage_env, names["OUTPUT_QUEUE"]))
    assert base64.b64decode(stored[0]) == b'{"hello":"world"}'


def test_working_queue_function_gets_decoded_body_and_message_is_deleted(host: LocalHost, storage_env, names) -> None:
    send_base64(storage_env, names["WORKING_QUEUE"], '{"order":42}')
    wait_until(lambda: app_calls("works"))
    assert app_calls("works") == [b'{"order":42}']
    wait_until(lambda: not raw_messages(storage_env, names["WORKING_QUEUE"]))


def test_failing_function_is_tried_max_dequeue_count_times_then_poisoned_unchanged(
    host: LocalHost, storage_env: str, names
) -> None:
    queue = names["FAILING_QUEUE"]
    send_base64(storage_env, queue, '{"order":7}')
    original = raw_messages(storage_env, queue)[0]
    poisoned = wait_until(lambda: raw_messages(storage_env, f"{queue}-poison"))
    assert poisoned == [original]  # same encoded text, moved unchanged
    attempts = app_calls("always_fails")
    assert [count for _, count, _ in attempts] == [1, 2, 3]  # maxDequeueCount in host_app/host.json
    assert {body for _, _, body in attempts} == {b'{"order":7}'}
    assert not raw_messages(storage_env, queue)
    time.sleep(0.5)
    assert len(app_calls("always_fails")) == 3  # nothing runs after the move


def test_non_base64_message_goes_to_poison_without_a_call(host: LocalHost, storage_env: str, names) -> None:
    queue = names["FAILING_QUEUE"]
    QueueServiceClient.from_connection_string(storage_env).get_queue_client(queue).send_message('{"raw": true}')
    poisoned = wait_until(lambda: raw_messages(storage_env, f"{queue}-poison"))
    assert poisoned == ['{"raw": true}']
    assert app_calls("always_fails") == []


def test_timer_fires_on_schedule_without_overlap(host: LocalHost) -> None:
    wait_until(lambda: len(app_calls("tick")) >= 2, timeout=5)
    assert app_calls("tick")[:2] == [False, False]


def test_missed_occurrence_runs_once_with_past_due(storage_env: str, names, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TICK_SCHEDULE", "0 0 3 * * *")  # daily, so the schedule monitor is on
    host_id = f"pastdue-{uuid.uuid4().hex[:8]}"
    blobs = BlobServiceClient.from_connection_string(storage_env)
    container = blobs.get_container_client("azure-webjobs-hosts")
    if not container.exists():
        container.create_container()
    missed = datetime.now(UTC) - timedelta(hours=1)
    status = {"Last": None, "Next": missed.isoformat().replace("+00:00", "Z"), "LastUpdated": None}
    container.upload_blob(f"timers/{host_id}/tick/status", json.dumps(status).encode())
    sys.modules.pop("host_test_app", None)
    local = LocalHost(APP_DIR, module="host_test_app", keys_file=tmp_path / "k.json", host_id=host_id)
    with local:
        wait_until(lambda: app_calls("tick"))
        time.sleep(0.3)
        assert app_calls("tick") == [True]
    stored = json.loads(container.download_blob(f"timers/{host_id}/tick/status").readall())
    assert datetime.fromisoformat(stored["Next"].replace("Z", "+00:00")) > datetime.now(UTC)
