"""host.json is valid for the Functions host and tuned for the ERP's limits."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "reference" / "azure" / "host.json.schema.json"


def test_host_json_validates_against_the_schemastore_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(json.loads((REPO / "host.json").read_text()), schema)


def test_the_schema_check_is_not_a_rubber_stamp() -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = json.loads((REPO / "host.json").read_text())
    broken["extensions"]["queues"]["messageEncoding"] = "Base64"
    try:
        jsonschema.validate(broken, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("an invalid messageEncoding passed the schema")


def test_queue_concurrency_respects_business_central_limits() -> None:
    queues = json.loads((REPO / "host.json").read_text())["extensions"]["queues"]
    # BC processes 5 concurrent requests per user; more in flight per instance just queue or get 429.
    assert queues["batchSize"] + queues["newBatchThreshold"] <= 5
    assert queues["messageEncoding"] == "base64"
    assert queues["maxDequeueCount"] == 5  # function_app.MAX_DEQUEUE_COUNT relies on it


def test_max_dequeue_count_constant_matches_host_json() -> None:
    source = (REPO / "function_app.py").read_text()
    queues = json.loads((REPO / "host.json").read_text())["extensions"]["queues"]
    assert f"MAX_DEQUEUE_COUNT = {queues['maxDequeueCount']}" in source
