"""$batch, service-protection throttling, injected faults and request counters."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from sandbox.bc import BcEmulator
from sandbox.faults import Throttle

from .conftest import tls
from .helpers import seed_basics

pytestmark = [pytest.mark.integration, pytest.mark.bc]


def test_batch_creates_orders_and_reports_per_request_status(bc: BcEmulator, api: httpx.Client, company: str):
    seed_basics(bc, company)
    requests = [
        {
            "id": str(i),
            "method": "POST",
            "url": f"companies({company})/salesOrders",
            "headers": {"Content-Type": "application/json"},
            "body": {
                "customerNumber": "C10000",
                "externalDocumentNumber": f"B-{i}",
                "salesOrderLines": [{"lineObjectNumber": "1896-S", "quantity": 1}],
            },
        }
        for i in range(3)
    ]
    requests.append(
        {"id": "bad", "method": "POST", "url": f"companies({company})/salesOrders", "body": {"customerNumber": "NOPE"}}
    )
    requests.append(
        {
            "id": "get",
            "method": "GET",
            "url": f"companies({company})/salesOrders?$filter=externalDocumentNumber eq 'B-1'",
        }
    )
    before = bc.request_counts["POST $batch"]
    response = api.post("/$batch", json={"requests": requests})
    assert response.status_code == 200
    results = {r["id"]: r for r in response.json()["responses"]}
    assert [results[str(i)]["status"] for i in range(3)] == [201, 201, 201]
    assert results["bad"]["status"] == 400
    assert results["bad"]["body"]["error"]["message"].startswith("The sell-to customer cannot be found.")
    assert [o["externalDocumentNumber"] for o in results["get"]["body"]["value"]] == ["B-1"]
    assert bc.request_counts["POST $batch"] == before + 1
    assert bc.request_counts["batch:POST salesOrders"] >= 4


def test_batch_over_100_operations_is_rejected(api: httpx.Client, company: str):
    requests = [{"id": str(i), "method": "GET", "url": f"companies({company})/customers"} for i in range(101)]
    response = api.post("/$batch", json={"requests": requests})
    assert response.status_code == 400
    assert "100" in response.json()["error"]["message"]
    ok = api.post("/$batch", json={"requests": requests[:100]})
    assert ok.status_code == 200 and len(ok.json()["responses"]) == 100


def test_snapshot_batch_rolls_back_everything(bc: BcEmulator, api: httpx.Client, company: str):
    seed_basics(bc, company)
    requests = [
        {"id": "1", "method": "POST", "url": f"companies({company})/customers", "body": {"displayName": "Kept?"}},
        {"id": "2", "method": "POST", "url": f"companies({company})/salesOrders", "body": {"customerNumber": "NOPE"}},
    ]
    response = api.post("/$batch", json={"requests": requests}, headers={"Isolation": "snapshot"})
    statuses = [r["status"] for r in response.json()["responses"]]
    assert statuses[1] == 400 and statuses[0] >= 400
    assert bc.find("customers", "displayName", "Kept?", company) == []


def test_throttling_gives_429_under_concurrency(bc: BcEmulator, token: str, company: str):
    bc.faults.config.throttle = Throttle(concurrent=2, queued=1)
    bc.processing_delay_s = 0.3

    async def burst() -> list[int]:
        async with httpx.AsyncClient(verify=tls(bc), headers={"Authorization": f"Bearer {token}"}) as client:
            url = f"{bc.api_url}/companies({company})/customers"
            responses = await asyncio.gather(*(client.get(url) for _ in range(8)))
            return [r.status_code for r in responses]

    statuses = asyncio.run(burst())
    assert statuses.count(200) >= 3
    assert statuses.count(429) >= 1
    assert bc.faults.counters["throttled_concurrency"] >= 1


def test_rate_limit_window_per_user(bc: BcEmulator, capi: httpx.Client):
    bc.faults.config.throttle = Throttle(requests_per_window=3, window_seconds=60)
    statuses = [capi.get("/customers").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    body = capi.get("/customers").json()
    assert body["error"]["code"] == "Application_TooManyRequests"


def test_injected_503_has_retry_after_and_bc_body(bc: BcEmulator, capi: httpx.Client):
    bc.faults.config.outage = True
    response = capi.get("/customers")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "CorrelationId" in response.json()["error"]["message"]
    control = httpx.get(f"{bc.base_url}/_sandbox/state", verify=tls(bc))
    assert control.status_code == 200  # control endpoints are exempt from faults


def test_http_control_api(bc: BcEmulator, company: str):
    base = f"{bc.base_url}/_sandbox"
    with httpx.Client(verify=tls(bc)) as client:
        seeded = client.post(
            f"{base}/seed",
            json={
                "companyId": company,
                "customers": [{"number": "H1", "displayName": "Http Customer"}],
                "items": [
                    {
                        "number": "H-ITEM",
                        "displayName": "Http item",
                        "unitPrice": 3,
                        "inventory": 4,
                        "variants": [{"code": "RED"}],
                    }
                ],
            },
        ).json()
        assert seeded["items"][0]["inventory"] == 4 and seeded["itemVariants"][0]["code"] == "RED"
        assert client.post(f"{base}/stock", json={"companyId": company, "item": "H-ITEM", "delta": -1}).json()
        records = client.get(f"{base}/records", params={"set": "items", "companyId": company}).json()
        assert records[0]["inventory"] == 3
        faults = client.post(f"{base}/faults", json={"throttle": {"requests_per_window": 6000}}).json()
        assert faults["config"]["throttle"]["concurrent"] == 5
        client.post(f"{base}/faults", json={"throttle": None})
        counters = client.get(f"{base}/counters").json()
        assert "requests" in counters and "faults" in counters
        assert client.get(f"{base}/nope").status_code == 404
