"""The F&O probe (sandbox/fo/probe.py): every ErpProbe operation, checked through `/data/` as an adapter would
see it, plus the shared faults (429 + Retry-After, 503, 500, timeout, token expiry, 401)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.entra import EntraEmulator
from sandbox.fo import FoEmulator
from sandbox.fo.probe import FoProbe
from sandbox.probe import ErpProbe, Fault

from .conftest import get_token, tls

pytestmark = [pytest.mark.integration, pytest.mark.fo]


@pytest.fixture
def probe(fo: FoEmulator, entra: EntraEmulator) -> Iterator[FoProbe]:
    p = FoProbe.new_company(fo.base_url, entra.base_url, ca_bundle=str(fo.ca_bundle))
    yield p
    p.clear_faults()
    p.close()


def rows(client: httpx.Client, probe: FoProbe, entity_set: str, flt: str = "") -> list[dict[str, Any]]:
    text = f"dataAreaId eq '{probe.data_area_id}'" + (f" and {flt}" if flt else "")
    response = client.get(entity_set, params={"cross-company": "true", "$filter": text})
    assert response.status_code == 200, response.text
    return list(response.json()["value"])


def test_probe_keeps_the_protocol(probe: FoProbe) -> None:
    assert isinstance(probe, ErpProbe) and probe.kind == "fo"


def test_master_data_stock_and_price(client: httpx.Client, probe: FoProbe) -> None:
    probe.seed_item("MUG", price=Decimal("7.50"), stock=Decimal(4), name="Mug")
    probe.seed_customer("C-1", email="ann@example.com", name="Ann Lee", phone="+1 555 0100")
    probe.move_stock("MUG", Decimal(-1))
    probe.set_price("MUG", Decimal("8.25"))
    product = rows(client, probe, "ReleasedProductsV2", "ItemNumber eq 'MUG'")[0]
    assert product["SalesPrice"] == 8.25 and product["SearchName"] == "Mug"
    assert [r["AvailableOnHandQuantity"] for r in rows(client, probe, "WarehousesOnHandV2")] == [3]
    customer = rows(client, probe, "CustomersV3", "PrimaryContactEmail eq 'ann@example.com'")[0]
    assert (customer["CustomerAccount"], customer["PersonLastName"], customer["PrimaryContactPhone"]) == (
        "C-1",
        "Lee",
        "+1 555 0100",
    )


def test_block_currency_and_ship(client: httpx.Client, probe: FoProbe) -> None:
    probe.seed_item("PEN", price=Decimal(2), stock=Decimal(10))
    probe.seed_customer("C-2", email="b@example.com")
    company = probe.data_area_id
    header = {"dataAreaId": company, "OrderingCustomerAccountNumber": "C-2", "CurrencyCode": "EUR"}
    assert client.post("SalesOrderHeadersV2", json=header).status_code == 500  # EUR not set up
    probe.set_up_currency("EUR")
    created = client.post("SalesOrderHeadersV2", json={**header, "CustomersOrderReference": "W-77"})
    assert created.status_code == 201
    probe.remove_currency("EUR")
    assert client.post("SalesOrderHeadersV2", json=header).status_code == 500
    with pytest.raises(KeyError):
        probe.remove_currency("EUR")
    line = {"dataAreaId": company, "SalesOrderNumber": created.json()["SalesOrderNumber"], "ItemNumber": "PEN"}
    assert client.post("SalesOrderLines", json={**line, "OrderedSalesQuantity": 2}).status_code == 201
    shipment = probe.ship("W-77", {"PEN": Decimal(2)}, carrier=probe.carrier, tracking_number="1ZPEN")
    assert shipment.document_number == created.json()["SalesOrderNumber"] and shipment.tracking_number == "1ZPEN"
    probe.block_customer("C-2")
    blocked = client.post("SalesOrderHeadersV2", json={**header, "CurrencyCode": "USD"})
    assert blocked.status_code == 500
    probe.unblock_customer("C-2")
    assert client.post("SalesOrderHeadersV2", json={**header, "CurrencyCode": "USD"}).status_code == 201


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [
        (Fault.THROTTLED, 429, "1"),
        (Fault.UNAVAILABLE, 503, None),
        (Fault.SERVER_ERROR, 500, None),
        (Fault.UNAUTHORIZED, 401, None),
    ],
)
def test_faults(client: httpx.Client, probe: FoProbe, fault: Fault, status: int, retry_after: str | None) -> None:
    probe.inject(fault)
    response = client.get("CustomersV3")
    assert response.status_code == status
    assert response.headers.get("retry-after") == retry_after
    assert response.json()["error"]["code"] == ""
    if status == 429:
        assert "high resource utilization" in response.json()["error"]["innererror"]["message"]
    probe.clear_faults()
    assert client.get("CustomersV3").status_code == 200


def test_timeout_fault(fo: FoEmulator, token: str, probe: FoProbe) -> None:
    probe.inject(Fault.TIMEOUT)
    with (
        httpx.Client(headers={"Authorization": f"Bearer {token}"}, verify=tls(fo), timeout=0.5) as short,
        pytest.raises(httpx.TimeoutException),
    ):
        short.get(f"{fo.data_url}/CustomersV3")


def test_token_expiry_and_request_log(fo: FoEmulator, entra: EntraEmulator, probe: FoProbe) -> None:
    token = get_token(entra, fo.scope)
    before = probe.request_log()
    probe.inject(Fault.TOKEN_EXPIRED)
    response = httpx.get(f"{fo.data_url}/CustomersV3", headers={"Authorization": f"Bearer {token}"}, verify=tls(fo))
    assert response.status_code == 401
    fresh = get_token(entra, fo.scope)
    ok = httpx.get(f"{fo.data_url}/CustomersV3", headers={"Authorization": f"Bearer {fresh}"}, verify=tls(fo))
    assert ok.status_code == 200
    after = probe.request_log()
    assert after.unauthorized == before.unauthorized + 1
    assert after.tokens_issued == before.tokens_issued + 1  # the fresh one
    assert after.requests == before.requests + 2
    assert after.by_operation.get("GET CustomersV3", 0) >= 1
